"""Where the edge relays what the fuzzer sends within (mutated) dialogs: a minimal SIP
endpoint on SINK_ADDRESS (UDP and TCP) that answers at once, so that no relayed request
holds a transaction in Kamailio for its whole timer (which would look like memory growth).

INVITE gets 486 Busy Here, ACK nothing, anything else 200 OK. It counts what arrives.
"""
import collections
import re
import selectors
import socket
import threading

from tests.support.instance import free_port

SINK_ADDRESS = "127.0.0.99"
_HEADER = re.compile(rb"^(Via|v|From|f|To|t|Call-ID|i|CSeq):[ \t]*(.*)$", re.I | re.M)


def answer(request: bytes) -> bytes | None:
    """The reply to `request`, or None (an ACK, or not a request this sink can answer)."""
    first, _, rest = request.partition(b"\r\n")
    parts = first.split(b" ")
    if len(parts) != 3 or parts[2] != b"SIP/2.0" or parts[0] == b"ACK":
        return None
    code = b"486 Busy Here" if parts[0] == b"INVITE" else b"200 OK"
    head = rest.split(b"\r\n\r\n", 1)[0]
    lines = []
    for name, value in _HEADER.findall(head):
        if name.lower() in (b"to", b"t") and b";tag=" not in value:
            value += b";tag=sink"
        lines.append(name + b": " + value)
    return (b"SIP/2.0 " + code + b"\r\n" + b"\r\n".join(lines)
            + b"\r\nContent-Length: 0\r\n\r\n")


class Sink:
    """The endpoint, served by a thread of its own; `counts` holds requests by method."""

    def __init__(self):
        self.port = free_port(host=SINK_ADDRESS)
        self.address = f"{SINK_ADDRESS}:{self.port}"
        self.counts = collections.Counter()
        self._selector = selectors.DefaultSelector()
        self._stop = threading.Event()
        self._thread = None

    def start(self) -> "Sink":
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((SINK_ADDRESS, self.port))
        udp.setblocking(False)
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind((SINK_ADDRESS, self.port))
        tcp.listen(64)
        tcp.setblocking(False)
        self._selector.register(udp, selectors.EVENT_READ, ("udp", None))
        self._selector.register(tcp, selectors.EVENT_READ, ("listen", None))
        self._thread = threading.Thread(target=self._serve, name="fuzz-sink", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2)
        for key in list(self._selector.get_map().values()):
            key.fileobj.close()
        self._selector.close()

    def _note(self, request: bytes) -> None:
        self.counts[request.split(b" ", 1)[0][:20].decode("latin-1")] += 1

    def _serve(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.2):
                kind, buffer = key.data
                sock = key.fileobj
                try:
                    if kind == "udp":
                        data, peer = sock.recvfrom(65535)
                        self._note(data)
                        reply = answer(data)
                        if reply:
                            sock.sendto(reply, peer)
                    elif kind == "listen":
                        conn, _ = sock.accept()
                        conn.setblocking(False)
                        self._selector.register(conn, selectors.EVENT_READ, ("tcp", bytearray()))
                    else:
                        self._read_tcp(sock, buffer)
                except OSError:
                    if kind == "tcp":
                        self._selector.unregister(sock)
                        sock.close()

    def _read_tcp(self, sock, buffer: bytearray) -> None:
        data = sock.recv(65535)
        if not data:
            self._selector.unregister(sock)
            sock.close()
            return
        buffer += data
        while b"\r\n\r\n" in buffer:
            head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
            length = re.search(rb"(?im)^(?:Content-Length|l)[ \t]*:[ \t]*(\d+)", head)
            size = int(length.group(1)) if length else 0
            if len(rest) < size:
                return
            request = head + b"\r\n\r\n" + rest[:size]
            del buffer[:len(request)]
            self._note(request)
            reply = answer(request)
            if reply:
                sock.sendall(reply)
