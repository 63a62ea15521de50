"""Kamailio's output into kamailio.log: one line of UTF-8 text per entry, bounded.

    python -m vpbx.records.log_filter LOGFILE     (standard input: the socket Kamailio writes to)

Kamailio's core writes what it cannot parse raw: a datagram with a bare CR in its request line
is dumped whole (`parse_msg(): message=<…>`), line feeds included, so its sender could plant
whole lines of its own (a forged `VPBX-AUTH … outcome=banned`), raw ESCs, bytes that are
not UTF-8, and 64 KB of log per datagram that the flood guard never sees (no routing runs).

vpbx.stack.control gives Kamailio, as its standard output and error, one end of a Unix SOCK_SEQPACKET
pair instead of the log file; this process reads the other end. A seqpacket socket keeps
each write() apart, and with SO_PASSCRED the kernel says which process wrote it. Kamailio
writes one entry with one fprintf() to its unbuffered stderr, i.e. one write() — glibc
splits a longer entry into writes of exactly CHUNK bytes — so:

- an entry is one write, plus the writes of the same process that follow a CHUNK-byte
  write not ending in a line feed; whatever its lines look like (even ` 1(26799) NOTICE: …`),
  a line inside a write is never an entry of its own: its line feeds are written `\\n`;
- each entry is written by vpbx.records.log_line.one_line (controls, invisible characters and
  bytes that are not UTF-8 escaped; backslashes kept, so VPBX values still parse), its first
  ENTRY_BYTES bytes, then `…(+N bytes)`;
- per kind (level, module, source location of Kamailio's prefix) at most KIND_PER_SECOND
  entries a second, and at most ANY_PER_SECOND of all kinds together; then one line
  `VPBX-LOGFILTER outcome=suppressed entries=N …` per kind and second. Not limited: the
  routing's own lines (core/kemi.c: escaped, and counted by the flood guard) and the
  per-request latency lines the benchmark turns on.

It reads as fast as it can (Kamailio's workers would stall on a full socket) and writes once
per batch; at Kamailio's end (every writer gone) it writes what it holds and exits. It never
ends on a signal of Kamailio's process group: it is in a session of its own.
"""
import os
import re
import select
import signal
import socket
import struct
import sys
import time

from vpbx.records import log_line

CHUNK = 8192                # glibc's buffered_vfprintf: a longer fprintf() is written in these
ENTRY_BYTES = 2048          # of one entry in the log
KIND_PER_SECOND = 20
ANY_PER_SECOND = 100
TAG = "VPBX-LOGFILTER"
RECEIVE_BYTES = 1 << 16
BATCH = 512                 # writes read before the log is written (and the window checked)
GATHER_SECONDS = 0.01       # waited for more once the socket is empty, when busy:
GATHER_AFTER = 8            # the last batch had at least this many writes
STALE_SECONDS = 1.0         # an entry still waiting for its next piece is written anyway

# ` 1(26799) ERROR: {INVITE} <core> [core/parser/msg_parser.c:749]: parse_msg(): …`
_PREFIX = re.compile(rb" *\d+\(\d+\) ([A-Z]*): (?:\{[^}\n]*\} )?(\S+) \[([^\]\n]*)\]: (\S+)")
_UNLIMITED = re.compile(rb"core/kemi\.c:\d+$")
_LATENCY = b"request-route executed in: "
_UNPREFIXED = (b"-", b"-", b"-")


class EntryFilter:
    """Writes of Kamailio's processes in, lines of the log out (the policy above; no I/O)."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._open: dict[int, list] = {}     # pid -> [pieces, bytes dropped, since]
        self._second = int(clock())
        self._counts: dict[tuple, int] = {}
        self._written = 0                    # entries of limited kinds this second
        self._suppressed: dict[tuple, int] = {}

    def feed(self, pid: int, data: bytes) -> list[str]:
        """The lines one write() of process `pid` completes (maybe none yet)."""
        out = self._roll()
        entry = self._open.pop(pid, None)
        if entry is None:
            if len(data) < ENTRY_BYTES and data.endswith(b"\n"):     # (most entries)
                self._emit_raw(data[:-1], 0, out)
                return out
            entry = [[], 0, self.clock()]
        kept = sum(len(piece) for piece in entry[0])
        if kept < ENTRY_BYTES:
            entry[0].append(data[:ENTRY_BYTES - kept])
        entry[1] += max(0, len(data) - (ENTRY_BYTES - kept))
        if len(data) == CHUNK and not data.endswith(b"\n"):
            self._open[pid] = entry          # glibc goes on with the same entry
        else:
            self._emit(entry, out)
        return out

    def tick(self) -> list[str]:
        """Lines due without a new write: the last second's summaries, stale entries."""
        out = self._roll()
        now = self.clock()
        for pid in [pid for pid, entry in self._open.items()
                    if now - entry[2] >= STALE_SECONDS]:
            self._emit(self._open.pop(pid), out)
        return out

    def close(self) -> list[str]:
        """Everything held: at Kamailio's end."""
        out = []
        for pid in list(self._open):
            self._emit(self._open.pop(pid), out)
        self._summaries(out)
        return out

    # -- inside -----------------------------------------------------------------------------
    def _emit(self, entry, out: list) -> None:
        raw = b"".join(entry[0])
        dropped = entry[1]
        if raw.endswith(b"\n") and not dropped:
            raw = raw[:-1]
        self._emit_raw(raw, dropped, out)

    def _emit_raw(self, raw: bytes, dropped: int, out: list) -> None:
        kind, limited = self._kind(raw)
        if limited:
            if self._counts.get(kind, 0) >= KIND_PER_SECOND or self._written >= ANY_PER_SECOND:
                self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
                return
            self._counts[kind] = self._counts.get(kind, 0) + 1
            self._written += 1
        line = log_line.one_line(raw.decode("utf-8", "surrogateescape"), ENTRY_BYTES)
        out.append(line + f"…(+{dropped} bytes)\n" if dropped else line + "\n")

    @staticmethod
    def _kind(raw: bytes) -> tuple[tuple, bool]:
        match = _PREFIX.match(raw)
        if match is None:
            return _UNPREFIXED, True
        level, module, where, function = match.groups()
        limited = not (_UNLIMITED.search(where)
                       or raw.startswith(_LATENCY, match.end() + 1))
        return (level, module, where), limited

    def _roll(self) -> list[str]:
        """A new second: the summaries of the last one, fresh counts."""
        now = self.clock()
        if now < self._second + 1:
            return []
        second = int(now)
        out: list[str] = []
        self._summaries(out)
        self._second, self._counts, self._written = second, {}, 0
        return out

    def _summaries(self, out: list) -> None:
        for (level, module, where), count in self._suppressed.items():
            out.append(log_line.one_line(
                f"{TAG} outcome=suppressed entries={count} level={level.decode() or '-'} "
                f"module={module.decode('utf-8', 'surrogateescape')} "
                f"at={where.decode('utf-8', 'surrogateescape')} "
                f"limit={KIND_PER_SECOND}/s any={ANY_PER_SECOND}/s") + "\n")
        self._suppressed = {}


_CREDENTIALS = struct.Struct("3i")      # struct ucred: pid, uid, gid
# plain ints: the socket module's flags are enums, slow to combine once per entry
_SOL_SOCKET, _SCM_CREDENTIALS = int(socket.SOL_SOCKET), int(socket.SCM_CREDENTIALS)
_MSG_TRUNC, _DONTWAIT = int(socket.MSG_TRUNC), int(socket.MSG_DONTWAIT)
_ANCILLARY = socket.CMSG_SPACE(_CREDENTIALS.size)


def receive(sock: socket.socket, flags: int = 0) -> tuple[int, bytes] | None:
    """One write of a Kamailio process: (its pid, its bytes); None at the end (no writer
    left). Raises BlockingIOError when nothing waits (with MSG_DONTWAIT)."""
    data, ancillary, msg_flags, _ = sock.recvmsg(RECEIVE_BYTES, _ANCILLARY, flags)
    pid = 0
    for level, kind, value in ancillary:
        if level == _SOL_SOCKET and kind == _SCM_CREDENTIALS:
            pid = _CREDENTIALS.unpack(value[:_CREDENTIALS.size])[0]
    if not data and not ancillary:
        return None
    if msg_flags & _MSG_TRUNC:            # (longer than any fprintf: cut, as it would be)
        data = data[:ENTRY_BYTES]
    return pid, data


def run(sock: socket.socket, out_fd: int, entries: EntryFilter | None = None) -> None:
    """Filter what comes from `sock` into `out_fd` until no writer is left."""
    entries = entries or EntryFilter()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    sock.setblocking(True)
    ended = False
    last = 0                                 # writes read in the last batch
    while not ended:
        ready, _, _ = select.select([sock], [], [], 0.5)
        if ready and GATHER_AFTER <= last < BATCH:
            # busy, but the socket was emptied: let more writes come and read them in one go
            # (a wake-up and a write of the log per batch, not per entry); quiet, a line is
            # written at once (the tests read the log right after the reply)
            time.sleep(GATHER_SECONDS)
        lines: list[str] = []
        last = 0
        while ready and last < BATCH:
            try:
                got = receive(sock, _DONTWAIT)
            except BlockingIOError:
                break
            if got is None:
                ended = True
                break
            last += 1
            try:
                lines += entries.feed(*got)
            except Exception as exc:          # (never: but the filter must go on reading)
                lines.append(f"{TAG} outcome=error pid={got[0]} bytes={len(got[1])} "
                             f"error={log_line.one_line(repr(exc), 200)}\n")
        lines += entries.close() if ended else entries.tick()
        if lines:
            _write_all(out_fd, "".join(lines).encode("utf-8"))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError as exc:     # (a full disk: lose these lines, not Kamailio's workers)
        print(f"{TAG}: kamailio.log not written: {exc}", file=sys.stderr)


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m vpbx.records.log_filter LOGFILE  (stdin: the socket)", file=sys.stderr)
        return 2
    # Kamailio's stop signals its own process group, not this session; Ctrl-C in a terminal
    # neither: the end of the socket ends this process, after the last line is written
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out_fd = os.open(args[0], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    sock = socket.socket(fileno=os.dup(0))
    os.close(0)
    run(sock, out_fd)
    os.close(out_fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
