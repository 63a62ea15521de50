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

from tests.support.rawsip import final_reply, invite_from_raw_socket, replies_within

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


def process_state(pid: int) -> str:
    """A process's state letter (/proc/<pid>/stat: R running, S sleeping, T stopped…)."""
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]


def wait_stopped(pids, timeout=5.0):
    """Until every process of `pids` is stopped: a SIGSTOP takes effect when the process is
    next scheduled, later on a loaded machine, and a worker not stopped yet would still take
    what the test means to leave in the queue."""
    deadline = time.monotonic() + timeout
    while running := [pid for pid in pids if process_state(pid) != "T"]:
        assert time.monotonic() < deadline, f"workers {running} did not stop"
        time.sleep(0.01)


@contextlib.contextmanager
def workers_paused(platform):
    """Kamailio's SIP workers (its UDP receivers) stopped, each seen stopped: what arrives
    from then on waits in the queue."""
    listing = platform.kamcmd("core.psx")
    workers = [int(pid) for pid, what in re.findall(r"PID: (\d+)\s+DSC: ([^\n]+)", listing)
               if what.startswith("udp receiver")]
    assert workers, listing
    try:
        for pid in workers:
            os.kill(pid, signal.SIGSTOP)
        wait_stopped(workers)
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


def queued_behind_a_burst(platform, *senders):
    """With the workers paused, each sender's requests reach the queue (in this order), then
    a burst behind them; the workers then resume."""
    with workers_paused(platform):
        for send in senders:
            queued = sip_queue_bytes(platform)
            send()
            wait_queue_above(platform, queued)
        burst_of_options(platform)


def wait_queue_drained(platform, timeout=5.0):
    deadline = time.monotonic() + timeout
    while sip_queue_bytes(platform) and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_backlog_refuses_new_calls_at_once_and_the_calls_in_progress_go_on(platform, phones):
    dave, carol, bob = phones("dave"), phones("carol"), phones("bob")
    dave.call("7965")
    carol.wait_incoming()
    carol.answer()
    dave.wait_call_state("CONFIRMED")
    edge = (platform.cfg.sip_address, platform.cfg.sip_port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as caller:
        caller.bind((platform.cfg.sip_address, 0))
        invite = invite_from_raw_socket(platform, caller, "overload")
        queued_behind_a_burst(platform, carol.hangup,            # a BYE waits in the queue,
                              lambda: caller.sendto(invite, edge))   # then a new call
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

    wait_queue_drained(platform)                             # once the queue has drained,
    alice = phones("alice")                                  # calls are taken again
    alice.call("7961")
    bob.wait_incoming()
    bob.answer()
    alice.wait_call_state("CONFIRMED")
    alice.hangup()
    bob.wait_call_state("DISCONNECTED")
    platform.wait_no_media_sessions()


def test_a_carrier_call_refused_in_a_backlog_keeps_its_answer_for_its_retransmissions(
        platform, phones):
    """A call from the carrier takes its transaction before anything else: refused in a
    backlog, it gets 100 Trying then 503, and a retransmission of it the same 503 from the
    transaction (decided once: never routed while a copy was refused, never refused while a
    copy rings)."""
    alice = phones("alice")
    edge = (platform.cfg.sip_address, platform.cfg.sip_port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as carrier:
        carrier.bind(("127.0.0.2", 0))                       # the carrier's address
        invite = invite_from_raw_socket(platform, carrier, "carrier-overload",
                                        caller="+41999", target="+41215550001@127.0.0.1")
        queued_behind_a_burst(platform, lambda: carrier.sendto(invite, edge))
        replies = replies_within(carrier, 3.0)
        wait_queue_drained(platform)
        carrier.sendto(invite, edge)                         # it did not hear: asks again
        again = final_reply(carrier)
    assert replies[0] == "SIP/2.0 100 Trying"
    assert "SIP/2.0 503 Server Overloaded" in replies
    assert again.split("\r\n", 1)[0] == "SIP/2.0 503 Server Overloaded"
    call_id = "guess-carrier-overload@127.0.0.2"
    assert [line["outcome"] for line in platform.log_lines("VPBX-ROUTE", call_id=call_id)] == \
        ["503:overload"]
    assert not alice.events("incoming_call")
