"""The media app under attack (red-team findings of 2026-12-07): INVITEs straight at its SIP
port, with and without SDP, used to abort it (an assertion in PJSIP on the first INVITE
without SDP; PJSUA's I/O queue full after ~30 refused INVITEs with SDP), and nothing started
it again. Now the kernel drops what does not come from the edge (media/door.py), refusals
are answered from the main loop and held (media/app.py), and a supervisor restarts the app
whatever ends it (vpbx/stack/supervise.py). Each test checks that the very same process is still
there, then that it still does its job."""
import os
import socket
import time
import uuid

import pytest

from tests.support import instance
from tests.support import media as media_support
from tests.support.rawsip import replies_within
from vpbx.settings import platform as config
from vpbx.stack.control import Stack, log_size, log_slice, sip_options_ping

from .conftest import DESK, GREETING_HZ, edge_uri, seconds_of, tone_timeline, wait_media_line

pytestmark = pytest.mark.integration
SDP = ("v=0\r\no=- 1 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
       "m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def invite(sock, target, service, with_sdp, number):
    """An INVITE for `service` at target (host, port) from the bare socket `sock`; with an
    SDP offer or without (a delayed offer, legal SIP)."""
    host, port = sock.getsockname()
    body = SDP.format(host=host, port=41000 + 2 * number) if with_sdp else ""
    return (f"INVITE sip:{service}@{target[0]}:{target[1]} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bK{uuid.uuid4().hex[:16]};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:x@evil.test>;tag={uuid.uuid4().hex[:8]}\r\n"
            f"To: <sip:{service}@{target[0]}>\r\nCall-ID: {uuid.uuid4().hex}@{host}\r\n"
            f"CSeq: 1 INVITE\r\nContact: <sip:x@{host}:{port}>\r\n"
            + ("Content-Type: application/sdp\r\n" if body else "")
            + f"Content-Length: {len(body)}\r\n\r\n{body}").encode()


def ack_for(request: bytes, reply: str) -> bytes:
    """The ACK of a final non-2xx reply to `request` (what Kamailio sends hop by hop)."""
    lines = request.decode().split("\r\n")
    headers = {line.split(":", 1)[0].lower(): line
               for line in reply.split("\r\n")[1:] if ":" in line}
    via = next(line for line in lines if line.startswith("Via:"))
    return (lines[0].replace("INVITE", "ACK", 1) + f"\r\n{via}\r\nMax-Forwards: 70\r\n"
            f"{headers['from']}\r\n{headers['to']}\r\n{headers['call-id']}\r\n"
            "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n").encode()


def media_process(stack) -> int:
    """The pid of the media app itself (the stack's pid file holds its supervisor's)."""
    supervisor = stack.pid("media")
    with open(f"/proc/{supervisor}/task/{supervisor}/children") as handle:
        children = handle.read().split()
    assert len(children) == 1, children
    return int(children[0])


def assert_same_process_still_answers(stack, cfg, pid, log_from):
    assert media_process(stack) == pid, "the media app was started again"
    assert "supervise:" not in log_slice(stack.log_file("media"), log_from)
    assert "Assertion" not in log_slice(stack.log_file("media"), log_from)
    assert sip_options_ping(cfg.media_address, cfg.media_port, timeout=2.0)


def test_invites_from_outside_straight_at_the_media_port_change_nothing(platform, voxco,
                                                                       carrier, tmp_path):
    """50 INVITEs with SDP and 50 without, as fast as a socket sends them, from an address
    that is not the edge's: no answer at all, the same process goes on, and a caller through
    the edge still hears the voicemail's greeting."""
    cfg, stack = platform.cfg, platform.stack
    pid, log_from = media_process(stack), log_size(stack.log_file("media"))
    target = (cfg.media_address, cfg.media_port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as outsider:
        outsider.bind(("127.0.0.163", 0))
        for number in range(100):
            outsider.sendto(invite(outsider, target, f"vm-{DESK[1:]}", number < 50, number),
                            target)
        assert replies_within(outsider, 2.0) == []
    assert_same_process_still_answers(stack, cfg, pid, log_from)

    carrier.call(edge_uri(platform, DESK), record_to=tmp_path / "greeting.wav")
    carrier.wait_call_state("CONFIRMED", timeout=5)
    call_id = carrier.wait_call_state("CONFIRMED")["sip_call_id"]
    wait_media_line(platform, decision="voicemail", outcome="answered", call_id=call_id)
    carrier.wait_rtp(10, timeout=4)
    time.sleep(1.2)                     # most of the 1.5 s greeting; gone before the beep:
    carrier.hangup()                    # no message left (others look for DESK's)
    timeline = tone_timeline(carrier.wait_recording(), [GREETING_HZ, carrier.tone_hz])
    assert seconds_of(timeline, GREETING_HZ) >= 0.5
    assert media_process(stack) == pid


@pytest.fixture
def media_behind_fake_edge(platform_config, tmp_path):
    """A media app of its own (own database), whose SIP edge is a bare UDP socket of the
    test: what only Kamailio could send it, the test sends. Yields (cfg, stack, edge)."""
    edge = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    edge.bind(("127.0.0.1", 0))
    base = platform_config
    name = instance.create_database(base)
    cfg = config.write(
        os.path.join(tmp_path, "vpbx.conf"), db_name=name, db_user=base.db_user,
        db_password=base.db_password, db_host=base.db_host, db_port=base.db_port,
        run_dir=str(tmp_path / "run"), log_dir=str(tmp_path / "log"),
        data_dir=str(tmp_path / "data"), sip_port=edge.getsockname()[1],
        media_port=instance.free_port(), rtp_port_min=10000, rtp_port_max=10099)  # (no rtpengine)
    media_support.prepare(cfg)
    stack = Stack(cfg, components=("media",))
    try:
        stack.start()
        yield cfg, stack, edge
    finally:
        stack.stop()
        edge.close()
        instance.drop_database(base, name)


def test_refused_invites_from_the_edge_with_and_without_sdp_leave_it_answering(
        media_behind_fake_edge):
    """What the edge relays and the media app refuses (no such mailbox, 404), 50 with SDP
    then 50 without, each sent as soon as the previous one is answered and ACKed: every
    one answered (404, or 486 while PJSUA's 4 call slots hold refusals), no abort."""
    cfg, stack, edge = media_behind_fake_edge
    pid, log_from = media_process(stack), log_size(stack.log_file("media"))
    target = (cfg.media_address, cfg.media_port)
    codes = {True: [], False: []}
    for number in range(100):
        with_sdp = number < 50
        request = invite(edge, target, "vm-41215550999", with_sdp, number)
        edge.sendto(request, target)
        deadline = time.monotonic() + 5
        while True:
            edge.settimeout(max(0.01, deadline - time.monotonic()))
            reply = edge.recv(65535).decode()
            if not reply.startswith("SIP/2.0 1"):
                break
        codes[with_sdp].append(int(reply.split()[1]))
        edge.sendto(ack_for(request, reply), target)
    for with_sdp, answered in codes.items():
        assert set(answered) <= {404, 486} and 404 in answered, (with_sdp, answered)
    assert_same_process_still_answers(stack, cfg, pid, log_from)
    time.sleep(0.5)                                     # the held refusals are over
    request = invite(edge, target, "vm-41215550999", False, 0)
    edge.sendto(request, target)
    assert replies_within(edge, 2.0)[-1].startswith("SIP/2.0 404 ")
