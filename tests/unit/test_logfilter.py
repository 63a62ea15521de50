"""vpbx.records.log_filter: Kamailio's output into kamailio.log, one escaped line per entry, bounded
(red team: a datagram Kamailio could not parse planted a forged VPBX-AUTH line, 2000 of them
grew the log by 92 MB)."""
import os
import socket
import threading
import time

from vpbx.records import log_filter as logfilter
from vpbx.records.log_filter import CHUNK, ENTRY_BYTES, KIND_PER_SECOND, EntryFilter

FORGED = (" 1(26799) NOTICE: {REGISTER} <core> [core/kemi.c:126]: sr_kemi_core_notice(): "
          "VPBX-AUTH call_id=f0rged tenant=acme from=alice to=- decision=auth:REGISTER "
          "outcome=banned source=203.0.113.66")
PARSE_ERROR = " 3(4242) ERROR: <core> [core/parser/msg_parser.c:749]: parse_msg(): message=<"


def route_line(n: int) -> bytes:
    return (f" 2(4241) INFO: {{INVITE}} <core> [core/kemi.c:106]: sr_kemi_core_info(): "
            f"VPBX-ROUTE call_id=c{n} tenant=acme from=alice to=7002 decision=extension:7002 "
            f"outcome=ring\n").encode()


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def dump(message: str) -> bytes:
    return (PARSE_ERROR + message + ">\n").encode("utf-8", "surrogateescape")


def fprintf_writes(entry: bytes) -> list[bytes]:
    """The write()s glibc makes of one fprintf to an unbuffered stderr."""
    return [entry[i:i + CHUNK] for i in range(0, len(entry), CHUNK)]


def test_a_forged_line_inside_an_entry_stays_inside_it_escaped():
    message = f"INVITE sip:x@acme.pbx.test\rX SIP/2.0\r\n\n{FORGED}\n\x1b[2J\r\n\r\n"
    lines = EntryFilter().feed(4242, dump(message))
    assert len(lines) == 1 and lines[0].endswith("\n") and lines[0].count("\n") == 1
    assert lines[0].startswith(PARSE_ERROR)
    assert lines[0] == (PARSE_ERROR + "INVITE sip:x@acme.pbx.test\\rX SIP/2.0\\r\\n\\n"
                        + FORGED + "\\n\\x1b[2J\\r\\n\\r\\n>\n")


def test_controls_and_bytes_that_are_not_utf8_are_escaped_and_backslashes_kept():
    entry = (b" 4(1) WARNING: sanity [sanity.c:326]: check_ruri(): bad uri <sip:79\x1b]0;x\x07"
             b"\xff\xfe@acme> VPBX value=\"a\\x1b\"\n")
    (line,) = EntryFilter().feed(1, entry)
    assert line == (" 4(1) WARNING: sanity [sanity.c:326]: check_ruri(): bad uri "
                    "<sip:79\\x1b]0;x\\x07\\xff\\xfe@acme> VPBX value=\"a\\x1b\"\n")
    line.encode("utf-8")


def test_a_long_entry_is_cut_and_its_pieces_are_never_entries_of_their_own():
    """64 KB in writes of CHUNK bytes, another process's entry between two of them, and the
    sender's forged line placed right at the start of a write: still one line, capped."""
    head = dump("")[:-2]
    padding = "A" * (CHUNK - len(head))
    entry = dump(padding + FORGED + "\n" + ("B" * 100 + "\n") * 600)
    writes = fprintf_writes(entry)
    assert writes[1].startswith(FORGED.encode())
    entries = EntryFilter()
    out = entries.feed(4242, writes[0])
    out += entries.feed(4241, route_line(1))
    for piece in writes[1:]:
        out += entries.feed(4242, piece)
    assert len(out) == 2 and out[0] == route_line(1).decode()
    assert out[1].startswith(PARSE_ERROR) and out[1].endswith(
        f"…(+{len(entry) - ENTRY_BYTES} bytes)\n")
    assert len(out[1]) < ENTRY_BYTES + 100 and out[1].count("\n") == 1


def test_repeated_errors_are_limited_per_kind_and_summarised_the_routings_lines_are_not():
    clock = Clock()
    entries = EntryFilter(clock)
    out = []
    for n in range(2000):
        out += entries.feed(4242, dump(f"junk {n}\r"))
        out += entries.feed(4241, route_line(n))
    latency = b" 1(4240) INFO: {INVITE} <core> [core/receive.c:434]: receive_msg(): " \
              b"request-route executed in: 312 usec\n"
    out += [line for _ in range(500) for line in entries.feed(4240, latency)]
    assert sum(line.startswith(PARSE_ERROR) for line in out) == KIND_PER_SECOND
    assert sum(" VPBX-ROUTE " in line for line in out) == 2000
    assert sum("request-route executed in" in line for line in out) == 500
    clock.now += 1
    (summary,) = entries.tick()
    assert summary == (f"VPBX-LOGFILTER outcome=suppressed entries={2000 - KIND_PER_SECOND} "
                       f"level=ERROR module=<core> at=core/parser/msg_parser.c:749 "
                       f"limit={KIND_PER_SECOND}/s any={logfilter.ANY_PER_SECOND}/s\n")
    assert entries.feed(4242, dump("again"))[0].startswith(PARSE_ERROR)   # a new second


def test_all_kinds_together_are_limited_too_and_unprefixed_output_is_a_kind():
    entries = EntryFilter(Clock())
    out = []
    for n in range(1000):
        where = f" 3(4242) ERROR: <core> [core/parser/x{n}.c:1]: f(): bad\n".encode()
        out += entries.feed(4242, where)
    assert len(out) == logfilter.ANY_PER_SECOND
    out = EntryFilter(Clock()).feed(1, b"Listening on \n  udp: 127.0.0.1:5060\n")
    assert out == ["Listening on \\n  udp: 127.0.0.1:5060\n"]


def test_an_entry_waiting_for_its_next_piece_is_written_at_the_end_or_when_stale():
    clock = Clock()
    entries = EntryFilter(clock)
    piece = (PARSE_ERROR + "C" * CHUNK).encode()[:CHUNK]
    assert entries.feed(4242, piece) == [] and entries.tick() == []
    clock.now += logfilter.STALE_SECONDS
    (line,) = entries.tick()
    assert line.startswith(PARSE_ERROR) and line.endswith(f"…(+{CHUNK - ENTRY_BYTES} bytes)\n")
    entries.feed(4242, piece)
    assert len(entries.close()) == 1


def test_run_reads_every_process_writes_each_entry_and_loses_nothing_at_the_end(tmp_path):
    """The real socket: two writer processes, a burst, then their end; every line is there."""
    reader, writer = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    reader.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    log = os.open(tmp_path / "kamailio.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    thread = threading.Thread(target=logfilter.run, args=(reader, log))
    thread.start()
    children = []
    for child in range(2):
        pid = os.fork()
        if pid == 0:                                     # a Kamailio process
            for n in range(3000):
                os.write(writer.fileno(), route_line(child * 10000 + n))
            for piece in fprintf_writes(dump("x" * 20000 + "\n" + FORGED)):
                os.write(writer.fileno(), piece)
            os._exit(0)
        children.append(pid)
    writer.close()
    for pid in children:
        os.waitpid(pid, 0)
    thread.join(timeout=10)
    assert not thread.is_alive()                         # no writer left: it ended by itself
    os.close(log)
    lines = (tmp_path / "kamailio.log").read_bytes().decode("utf-8").split("\n")
    assert lines[-1] == ""
    assert sum(" VPBX-ROUTE " in line for line in lines) == 6000
    assert sum(line.startswith(PARSE_ERROR) for line in lines) == 2
    assert not any(line.startswith(FORGED[:20]) for line in lines)


def test_the_filter_keeps_up_with_thousands_of_lines_a_second_cheaply():
    """5,000 routing lines: well under a tenth of a second of CPU (measured: see the
    commit; the loop alone, without the socket)."""
    entries = EntryFilter()
    lines = [route_line(n) for n in range(5000)]
    started = time.process_time()
    for line in lines:
        entries.feed(4241, line)
    assert time.process_time() - started < 0.25


def test_run_goes_on_reading_after_an_entry_it_could_not_handle(tmp_path):
    class Broken(EntryFilter):
        def feed(self, pid, data):
            if b"boom" in data:
                raise ValueError("boom")
            return super().feed(pid, data)

    reader, writer = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    for data in (route_line(1), b"boom\n", route_line(2)):
        writer.send(data)
    writer.close()
    log = os.open(tmp_path / "kamailio.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    logfilter.run(reader, log, Broken())
    os.close(log)
    lines = (tmp_path / "kamailio.log").read_text().splitlines()
    assert len(lines) == 3 and "call_id=c2" in lines[2]
    assert lines[1].startswith("VPBX-LOGFILTER outcome=error ") and "ValueError" in lines[1]
