"""Sending fuzz messages to the edge and collecting what it answers to each.

Every message has a socket of its own (UDP: one datagram from a fresh port; TCP: a fresh
connection), so each answer belongs to exactly one message, even when its mutation broke
the Call-ID or the Via. A message is done at its first final answer (>= 200), or when
nothing more came for `quiet` seconds (`provisional_wait` after a 1xx); at most `window`
messages are in flight.

Source addresses: the carrier's messages (fuzz.mutate.from_carrier) come from the carrier's
address; the others rotate over SOURCE_COUNT loopback addresses
(127.0.0.100 ...), and the rate is capped so that each address stays well under the flood
guard's limit (vpbx.edge.flood_guard: 200 requests per 2 s per address), so the guard stays on —
the fuzzed requests go through it as anybody's do — without banning the fuzzer. (Exempting
the fuzzer's addresses in `sip_flood_exempt` would keep the guard's code out of the run.)
"""
import re
import selectors
import socket
import time
from dataclasses import dataclass, field

from fuzz.mutate import from_carrier
from fuzz.platform import CARRIER_ADDRESS
from vpbx.settings.platform import FLOOD_REQUESTS
from vpbx.edge.flood_guard import SAMPLING_SECONDS

SOURCE_BASE = "127.0.0."
SOURCE_FIRST = 100
SOURCE_COUNT = 32
# requests per second from one source address: a quarter of what the flood guard allows
PER_SOURCE_RATE = FLOOD_REQUESTS / SAMPLING_SECONDS / 4
MAX_RATE = PER_SOURCE_RATE * SOURCE_COUNT
_STATUS = re.compile(rb"^SIP/2\.0 (\d{3}) ?([^\r\n]*)")


def source_of(index: int) -> str:
    """The address message `index` comes from: the carrier's for its messages (the flood
    guard never counts the carrier), else one of the fuzzer's own in turn."""
    if from_carrier(index):
        return CARRIER_ADDRESS
    return f"{SOURCE_BASE}{SOURCE_FIRST + index % SOURCE_COUNT}"


@dataclass
class Result:
    """What happened to one message."""
    index: int
    transport: str
    source: str
    size: int
    port: int = 0                                     # the source port
    answers: list = field(default_factory=list)      # (code, reason) in arrival order
    error: str | None = None                          # a socket error (refused, reset, ...)
    closed: bool = False                              # TCP: the edge closed the connection
    sent_at: float = 0.0
    done_at: float = 0.0

    @property
    def final(self):
        finals = [a for a in self.answers if a[0] >= 200]
        return finals[0] if finals else None


@dataclass
class _Flight:
    result: Result
    sock: socket.socket
    deadline: float
    buffer: bytearray = field(default_factory=bytearray)


def parse_answers(data: bytes) -> list:
    """The (code, reason) of every SIP reply in `data` (a datagram, or a TCP stream's bytes
    so far, replies one after the other)."""
    found = []
    for part in re.split(rb"(?=SIP/2\.0 \d{3})", data):
        match = _STATUS.match(part)
        if match:
            found.append((int(match.group(1)), match.group(2).decode("utf-8", "replace")))
    return found


class Sender:
    """Sends messages made by `make(index, transport, source_host, source_port)` and hands
    each finished Result to `done(result, data)`."""

    def __init__(self, edge: tuple, make, done, window: int = 64, rate: float = MAX_RATE,
                 quiet: float = 0.6, provisional_wait: float = 3.0):
        self.edge = edge
        self.make = make
        self.done = done
        self.window = window
        self.interval = 1.0 / min(rate, MAX_RATE)
        self.quiet = quiet
        self.provisional_wait = provisional_wait
        self.selector = selectors.DefaultSelector()
        self.flights = {}
        self.next_send = time.monotonic()

    def run(self, indices, transport_of) -> None:
        """Send the messages of `indices` (in order) and wait until each is done."""
        pending = iter(indices)
        exhausted = False
        while not exhausted or self.flights:
            now = time.monotonic()
            while not exhausted and len(self.flights) < self.window and now >= self.next_send:
                index = next(pending, None)
                if index is None:
                    exhausted = True
                    break
                self._send(index, transport_of(index))
                self.next_send = max(self.next_send + self.interval, now - 0.05)
                now = time.monotonic()
            wait = 0.05 if exhausted or len(self.flights) >= self.window else \
                max(0.0, min(0.05, self.next_send - now))
            for key, _ in self.selector.select(timeout=wait):
                self._receive(key.fileobj, key.data)
            now = time.monotonic()
            for flight in [f for f in self.flights.values() if f.deadline <= now]:
                self._finish(flight)

    # -- one message --------------------------------------------------------------------------
    def _send(self, index: int, transport: str) -> None:
        host = source_of(index)
        result = Result(index, transport, host, 0, sent_at=time.monotonic())
        kind = socket.SOCK_STREAM if transport == "tcp" else socket.SOCK_DGRAM
        sock = socket.socket(socket.AF_INET, kind)
        data = b""
        try:
            sock.bind((host, 0))
            result.port = sock.getsockname()[1]
            data = self.make(index, transport, host, result.port)
            result.size = len(data)
            if transport == "tcp":
                sock.settimeout(2.0)
                sock.connect(self.edge)
            if transport == "tcp":
                sock.sendall(data)
            else:
                sock.sendto(data, self.edge)
            sock.setblocking(False)
        except OSError as exc:
            result.error = f"{type(exc).__name__}: {exc.strerror or exc}"
        flight = _Flight(result, sock, time.monotonic() + self.quiet)
        flight.data = data
        if result.error:
            self._finish(flight)
            return
        self.flights[sock.fileno()] = flight
        self.selector.register(sock, selectors.EVENT_READ, flight)

    def _receive(self, sock, flight: _Flight) -> None:
        try:
            chunk = sock.recv(65535)
        except OSError as exc:
            flight.result.error = f"{type(exc).__name__}: {exc.strerror or exc}"
            self._finish(flight)
            return
        if not chunk:                  # the edge closed the TCP connection
            if flight.result.transport == "tcp" and not flight.result.answers:
                flight.result.closed = True
            self._finish(flight)
            return
        if flight.result.transport == "tcp":
            flight.buffer += chunk
            flight.result.answers = parse_answers(bytes(flight.buffer))
        else:
            flight.result.answers += parse_answers(chunk)
        if flight.result.final:
            self._finish(flight)
        elif flight.result.answers:
            flight.deadline = time.monotonic() + self.provisional_wait
        else:
            flight.deadline = time.monotonic() + self.quiet

    def _finish(self, flight: _Flight) -> None:
        sock = flight.sock
        if sock.fileno() in self.flights:
            del self.flights[sock.fileno()]
            self.selector.unregister(sock)
        sock.close()
        flight.result.done_at = time.monotonic()
        self.done(flight.result, flight.data)
