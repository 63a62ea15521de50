"""Where the edge relays what the fuzzer sends within (mutated) dialogs: a minimal SIP
endpoint on SINK_ADDRESS (UDP and TCP) that answers at once, so that no relayed request
holds a transaction in Kamailio for its whole timer (which would look like memory growth).

INVITE gets 486 Busy Here, ACK nothing, anything else 200 OK. It counts what arrives. The
sink's user (fuzz/tenant.yaml) registers it as its contact: the carrier's fuzzed INVITEs to
that user's direct number are routed, anchored in rtpengine and relayed here.
"""
import collections
import re
import selectors
import socket
import threading

from tests.support.instance import free_port
from tests.support.rawsip import digest_response, final_reply

SINK_ADDRESS = "127.0.0.99"
_HEADER = re.compile(rb"^(Via|v|From|f|To|t|Call-ID|i|CSeq)[ \t]*:[ \t]*([^\r\n]*)", re.I | re.M)


def answer(request: bytes) -> bytes | None:
    """The reply to `request`, or None (an ACK, or not a request). Whatever its request
    line looks like (the edge relays mutated ones): an INVITE that rang here unanswered
    would hold its transaction and its rtpengine ports for minutes."""
    first, _, rest = request.partition(b"\r\n")
    if first.startswith(b"SIP/") or not first.rstrip().endswith(b"SIP/2.0"):
        return None
    method = first.split(None, 1)[0].upper() if first.split() else b""
    head = rest.split(b"\r\n\r\n", 1)[0]
    cseq = re.search(rb"(?im)^CSeq[ \t]*:[ \t]*\S+[ \t]+(\S+)", head)
    if method == b"ACK" or (cseq and cseq.group(1).upper() == b"ACK"):
        return None
    invite = method == b"INVITE" or (cseq and cseq.group(1).upper() == b"INVITE")
    code = b"486 Busy Here" if invite else b"200 OK"
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

    def register(self, edge: tuple, from_address: str, user: str, password: str,
                 domain: str) -> int:
        """Register `user` with this sink as its contact (digest credentials, from a socket
        on `from_address`): calls to that user then ring here. The final status code."""
        uri = f"sip:{domain}"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((from_address, 0))
            host, port = sock.getsockname()

            def register(cseq, authorization=""):
                return (f"REGISTER {uri} SIP/2.0\r\n"
                        f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bKsink{cseq};rport\r\n"
                        f"Max-Forwards: 70\r\nFrom: <sip:{user}@{domain}>;tag=sink\r\n"
                        f"To: <sip:{user}@{domain}>\r\nCall-ID: sink-register@{host}\r\n"
                        f"CSeq: {cseq} REGISTER\r\nContact: <sip:{user}@{self.address}>\r\n"
                        f"Expires: 3600\r\n{authorization}Content-Length: 0\r\n\r\n").encode()

            sock.sendto(register(1), edge)
            challenge = final_reply(sock)
            if not challenge.startswith("SIP/2.0 401 "):
                return int(challenge.split()[1])
            realm = re.search(r'realm="([^"]+)"', challenge).group(1)
            nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
            response = digest_response(user, realm, password, nonce, "REGISTER", uri)
            sock.sendto(register(2, f'Authorization: Digest username="{user}", realm="{realm}", '
                                    f'nonce="{nonce}", uri="{uri}", response="{response}", '
                                    f'algorithm=MD5\r\n'), edge)
            return int(final_reply(sock).split()[1])

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
