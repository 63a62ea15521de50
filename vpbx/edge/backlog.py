"""How far behind the SIP workers are: the bytes of requests and replies waiting in the edge's
UDP receive queue.

A SIP server that keeps taking new calls past its capacity collapses rather than slows
down: messages wait in its socket's queue longer than SIP's retransmission timer (T1,
500 ms), every caller and phone retransmits, and the retransmissions crowd out the work
that would have ended the calls in progress (measured here: a route offered 1.3 times its
capacity completed a third of it). The queue grows before any of that happens, and reading
its size costs one system call, so the routing sheds new calls while it is long
(RFC 3261 §21.5.4: 503 with Retry-After) and keeps serving the calls already up.
"""
import os
import socket
import struct
import time

SO_MEMINFO = 55        # Linux >= 4.6; not exported by Python's socket module
_MEMINFO = struct.Struct("9I")   # sk_meminfo; [0]: SK_MEMINFO_RMEM_ALLOC, bytes queued to read


def queued_bytes(sock: socket.socket) -> int:
    """The bytes (kernel buffers included) of datagrams waiting to be read from `sock`.

    Linux frees the memory of datagrams already read in batches (up to a quarter of the
    buffer, or when the reader has emptied what it took from the queue), so after a backlog
    the figure lags behind the reads by up to that batch."""
    return _MEMINFO.unpack(sock.getsockopt(socket.SOL_SOCKET, SO_MEMINFO, _MEMINFO.size))[0]


def inherited_udp_socket(port: int, fd_dir: str = "/proc/self/fd") -> socket.socket | None:
    """A handle on this process's UDP socket bound to `port` (a Kamailio worker inherits the
    listening sockets from the main process), or None. The handle is a duplicate of the
    descriptor: closing it leaves the socket open."""
    for name in sorted(os.listdir(fd_dir), key=int):
        try:
            if not os.readlink(os.path.join(fd_dir, name)).startswith("socket:"):
                continue
            sock = socket.socket(fileno=os.dup(int(name)))
        except (OSError, ValueError):
            continue
        try:
            if (sock.type == socket.SOCK_DGRAM
                    and sock.family in (socket.AF_INET, socket.AF_INET6)
                    and sock.getsockname()[1] == port):
                return sock
        except OSError:
            pass
        sock.close()
    return None


class QueueGauge:
    """The edge's UDP receive queue, found on first use, and its limit: `limit_bytes`, but
    never more than a quarter of the socket's receive buffer (Kamailio asks for 4 MB, the
    kernel grants what net.core.rmem_max allows): the rest stays free for the replies and
    in-dialog requests of the calls in progress. `limit_bytes` 0: never over.

    A queue past the limit for a moment is a burst the workers are already draining (a
    pause of the machine, a wave of calls): it is over only once it has stayed past the
    limit for `SUSTAIN_SECONDS` as this worker saw it (looking at it at least that often),
    or at once past `BURST_FACTOR` times the limit. (Refusing at the first moment past the
    limit cost the bench's group route one step of capacity, 900 calls/s, in two same-run
    ladders on 2026-11-28.)"""

    BUFFER_SHARE = 4
    SUSTAIN_SECONDS = 0.2
    BURST_FACTOR = 2

    def __init__(self, port: int, limit_bytes: int, clock=time.monotonic):
        self.port = port
        self.limit_bytes = limit_bytes
        self._clock = clock
        self._over_since = None     # when this worker first saw the queue past the limit
        self._over_seen = None      # and last saw it there
        self._sock = None
        self._looked = False

    def over_limit(self) -> int | None:
        """The queued bytes when the queue is over (see the class), else None (also when
        the socket cannot be read: a gauge that cannot measure never sheds a call)."""
        if not self.limit_bytes:
            return None
        if not self._looked:
            self._find_socket()
        if self._sock is None:
            return None
        try:
            queued = queued_bytes(self._sock)
        except OSError:
            return None
        if queued <= self.limit_bytes:
            self._over_since = None
            return None
        now = self._clock()
        # a worker that has not looked for a while (it routed only requests within calls)
        # does not know whether the queue stayed long meanwhile: its wait starts again
        if self._over_since is None or now - self._over_seen > self.SUSTAIN_SECONDS:
            self._over_since = now
        self._over_seen = now
        if (queued > self.BURST_FACTOR * self.limit_bytes
                or now - self._over_since >= self.SUSTAIN_SECONDS):
            return queued
        return None

    def _find_socket(self) -> None:
        self._looked = True
        try:
            self._sock = inherited_udp_socket(self.port)
            if self._sock is not None:
                buffer = self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
                self.limit_bytes = min(self.limit_bytes, buffer // self.BUFFER_SHARE)
        except OSError:
            self._sock = None
