"""Overload: while the SIP workers are behind (their socket's queue long), new calls are
refused at once with 503 and Retry-After, and the calls in progress go on. Real Kamailio,
rtpengine and PJSUA2 phones; the backlog is made by pausing the workers (SIGSTOP) while
requests arrive, as a burst or a slow host would."""
import contextlib
import os
import re
import signal
import socket
import time

import pytest

from tests.integration.test_sip_edge import invite_from_raw_socket

pytestmark = pytest.mark.integration


def sip_queue_bytes(platform):
    """Bytes waiting in the edge's UDP receive queue (/proc/net/udp, rx_queue)."""
    with open("/proc/net/udp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if int(fields[1].split(":")[1], 16) == platform.cfg.sip_port:
                return int(fields[4].split(":")[1], 16)
    raise AssertionError("the edge's UDP socket is not in /proc/net/udp")


def wait_queue_above(platform, size, timeout=5.0):
    deadline = time.monotonic() + timeout
    while sip_queue_bytes(platform) <= size:
        assert time.monotonic() < deadline, "nothing arrived in the edge's queue"
        time.sleep(0.02)
    return sip_queue_bytes(platform)


@contextlib.contextmanager
def workers_paused(platform):
    """Kamailio's SIP workers (its UDP receivers) stopped: what arrives waits in the queue."""
    listing = platform.kamcmd("core.psx")
    workers = [int(pid) for pid, what in re.findall(r"PID: (\d+)\s+DSC: ([^\n]+)", listing)
               if what.startswith("udp receiver")]
    assert workers, listing
    for pid in workers:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in workers:
            os.kill(pid, signal.SIGCONT)


def burst_of_options(platform, count=4000):
    """Health-check OPTIONS of ~1 kB each: more than the socket's buffer holds."""
    edge = (platform.cfg.sip_address, platform.cfg.sip_port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((platform.cfg.sip_address, 0))
        host, port = sock.getsockname()
        for index in range(count):
            sock.sendto((f"OPTIONS sip:{edge[0]}:{edge[1]} SIP/2.0\r\n"
                         f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bKburst{index}\r\n"
                         f"Max-Forwards: 70\r\nFrom: <sip:probe@{host}>;tag=b{index}\r\n"
                         f"To: <sip:{edge[0]}>\r\nCall-ID: burst-{index}@{host}\r\n"
                         f"CSeq: 1 OPTIONS\r\nX-Padding: {'p' * 700}\r\n"
                         f"Content-Length: 0\r\n\r\n").encode(), edge)


def final_reply(sock, timeout=10.0):
    """The first final reply received (status line and headers)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        message = sock.recv(65535).decode()
        if not re.match(r"SIP/2\.0 1\d\d ", message):
            return message
    raise AssertionError("no final reply")


def test_a_backlog_refuses_new_calls_at_once_and_the_calls_in_progress_go_on(platform, phones):
    dave, carol, bob = phones("dave"), phones("carol"), phones("bob")
    dave.call("7965")
    carol.wait_incoming()
    carol.answer()
    dave.wait_call_state("CONFIRMED")
    edge = (platform.cfg.sip_address, platform.cfg.sip_port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as caller:
        caller.bind((platform.cfg.sip_address, 0))
        with workers_paused(platform):
            carol.hangup()                                   # a BYE waits in the queue,
            queued = wait_queue_above(platform, 0)
            caller.sendto(invite_from_raw_socket(platform, caller, "overload"), edge)
            wait_queue_above(platform, queued)               # then a new call,
            burst_of_options(platform)                       # then a burst behind them
        refusal = final_reply(caller)
    status, headers = refusal.split("\r\n", 1)
    assert status == "SIP/2.0 503 Server Overloaded"
    retry_after = int(re.search(r"^Retry-After: (\d+)", headers, re.M).group(1))
    assert 5 <= retry_after <= 15
    dave.wait_call_state("DISCONNECTED", timeout=10)        # the call in progress ended
    line = platform.wait_log("VPBX-ROUTE", decision="overload", method="INVITE")
    assert line["outcome"] == "503:overload" and line["call_id"].startswith("guess-overload@")
    assert int(line["queued_kb"]) > 0
    assert not bob.events("incoming_call")
    platform.wait_no_media_sessions()

    deadline = time.monotonic() + 5                          # once the queue has drained,
    while sip_queue_bytes(platform) and time.monotonic() < deadline:
        time.sleep(0.05)
    alice = phones("alice")                                  # calls are taken again
    alice.call("7961")
    bob.wait_incoming()
    bob.answer()
    alice.wait_call_state("CONFIRMED")
    alice.hangup()
    bob.wait_call_state("DISCONNECTED")
    platform.wait_no_media_sessions()
