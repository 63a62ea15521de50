"""kamailio.log cannot be forged nor flooded by what Kamailio's core writes itself (red team:
a datagram with a bare CR in its request line is dumped whole by the parser, line feeds
included, planting a forged VPBX-AUTH line; 2000 of them grew the log by 92 MB; sanity wrote
an R-URI with raw ESCs). Replayed against the real Kamailio and its log filter
(vpbx.records.log_filter); every check reads only what was logged since the test began."""
import re
import socket
import time

import pytest

from tests.support.platform_logs import MALFORMED_SIP
from vpbx.records import log_filter as logfilter
from vpbx.stack.control import sip_options_ping

from .test_edge_attacks import EdgeLog, edge_of, udp_socket

pytestmark = pytest.mark.integration

FORGED = (" 1(26799) NOTICE: {REGISTER} <core> [core/kemi.c:126]: sr_kemi_core_notice(): "
          "VPBX-AUTH call_id=f0rged tenant=acme from=alice to=- decision=auth:REGISTER "
          "outcome=banned auth_user=alice ban_seconds=600 failures=5 source=203.0.113.66")
ESC = "\x1b]0;pwned\x07\x1b[2J\x1b[31m"
RAW_CONTROL = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]")


def wait_for(log: EdgeLog, text: bytes, timeout: float = 3.0) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in (raw := log.raw()):
            return raw
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not in kamailio.log since the test began")


def assert_one_line_entries(raw: bytes) -> None:
    raw.decode("utf-8")                                   # (strictly: no byte that is not)
    assert not RAW_CONTROL.search(raw), RAW_CONTROL.search(raw)
    for line in raw.split(b"\n"):
        assert not line.startswith(FORGED[:40].encode()), line[:200]
        assert not line.startswith(b"VPBX-AUTH") and not line.startswith(b"VPBX-ROUTE")


@pytest.mark.expect_log_errors(MALFORMED_SIP)
def test_a_message_the_parser_dumps_cannot_plant_a_line(platform):
    log = EdgeLog(platform)
    sender = udp_socket("127.0.0.173")
    sender.sendto(f"INVITE sip:x@acme.pbx.test\rX SIP/2.0\r\n\n{FORGED}\n{ESC}\r\n\r\n"
                  .encode(), edge_of(platform))
    raw = wait_for(log, b"f0rged")
    assert_one_line_entries(raw)
    (dump,) = [line for line in raw.split(b"\n") if b"f0rged" in line]
    assert b"parse_msg" in dump and b"\\n" + FORGED.encode() + b"\\n\\x1b]0;pwned\\x07" in dump


@pytest.mark.expect_log_errors(MALFORMED_SIP)
def test_request_parts_logged_by_kamailios_modules_reach_the_log_escaped(platform):
    log = EdgeLog(platform)
    sender = udp_socket("127.0.0.172")
    host, port = sender.getsockname()
    for n, (ruri, cseq) in enumerate(((f"sip:79{ESC}@acme.pbx.test", "1 INVITE"),
                                      ("sip:7956@acme.pbx.test", f"1{ESC} INVITE"))):
        sender.sendto((f"INVITE {ruri} SIP/2.0\r\nVia: SIP/2.0/UDP {host}:{port};branch=z9hG4bK"
                       f"esc{n}\r\nFrom: <sip:a@acme.pbx.test>;tag=1\r\nTo: <sip:b@acme.pbx.test>"
                       f"\r\nCall-ID: esc-{n}\r\nCSeq: {cseq}\r\nMax-Forwards: 70\r\n"
                       "Content-Length: 0\r\n\r\n").encode(), edge_of(platform))
    raw = wait_for(log, b"\\x1b]0;pwned\\x07")
    time.sleep(0.3)
    assert_one_line_entries(log.raw())


@pytest.mark.expect_log_errors(MALFORMED_SIP)
def test_a_burst_of_unparseable_messages_grows_the_log_by_a_bounded_amount(platform):
    """2000 datagrams of 60 KB each (the red team's: 92.5 MB of log); now each entry is
    capped, repeated ones limited per kind and second, the rest counted in one line."""
    log = EdgeLog(platform)
    sender = udp_socket("127.0.0.174")
    junk = ("INVITE sip:x@y\rX SIP/2.0\r\n" + ("A" * 100 + "\n") * 590).encode()
    started = time.monotonic()
    for n in range(2000):
        sender.sendto(junk, edge_of(platform))
        if n % 200 == 0:
            time.sleep(0.01)
    wait_for(log, b"VPBX-LOGFILTER outcome=suppressed", timeout=5)
    time.sleep(1.5)                            # (the last second's summaries)
    raw = log.raw()
    seconds = time.monotonic() - started
    assert_one_line_entries(raw)
    budget = (logfilter.ANY_PER_SECOND * (logfilter.ENTRY_BYTES + 100) + 20_000) \
        * (seconds + 1)
    assert len(raw) < budget, (len(raw), seconds)
    suppressed = sum(int(n) for n in re.findall(rb"outcome=suppressed entries=(\d+)", raw))
    assert suppressed > 1000
    assert sip_options_ping(platform.cfg.sip_address, platform.cfg.sip_port, timeout=2)
