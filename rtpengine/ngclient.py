"""The client of rtpengine's ng control protocol (bencoded dictionaries over UDP): the only one.

Used by the KEMI routing (kemi/media.py: the ringback tone's side call, deletes the
rtpengine module cannot send, pings), the tests, the platform's start-up checks and the
activity monitor. Each request carries a random cookie; the reply echoes it.

It encodes bencode itself (the protocol's encoding is a few lines) instead of importing a
bencode package: the KEMI routing runs in Kamailio's embedded Python (Debian's python3),
which sees Debian's packages only (/work/shared/NOTES-stack.md, "Python inside Kamailio"),
and this module must import there as it is.
"""
import os
import socket


class NgError(RuntimeError):
    """rtpengine answered with result=error, or did not answer (NgNoAnswer)."""


class NgNoAnswer(NgError):
    """rtpengine did not answer within the client's timeout."""


class NgClient:
    def __init__(self, host: str = "127.0.0.1", port: int = 2223, timeout: float = 2.0):
        self.address = (host, port)
        self.timeout = timeout

    def request(self, command: str, **params) -> dict:
        """Send one ng command (`ping`, `offer`, `delete`, `list`, `query`, …) and return the
        reply, every string in it as text.

        Parameter names use underscores for dashes (call_id → call-id); names with dashes
        may be given as they are (**{"call-id": …}). A socket error (rtpengine's port
        closed) is raised as the OSError it is.
        """
        message = {"command": command}
        message.update({name.replace("_", "-"): value for name, value in params.items()})
        cookie = os.urandom(6).hex().encode()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(self.timeout)
            sock.sendto(cookie + b" " + bencode(message), self.address)
            while True:
                try:
                    data, _ = sock.recvfrom(65535)
                except socket.timeout as exc:
                    raise NgNoAnswer(f"rtpengine at {self.address} did not answer "
                                     f"{command}") from exc
                got_cookie, _, body = data.partition(b" ")
                if got_cookie == cookie:
                    break
        reply = bdecode(body)
        if reply.get("result") == "error":
            raise NgError(f"rtpengine {command}: {reply.get('error-reason')}")
        return reply

    def ping(self) -> bool:
        try:
            return self.request("ping").get("result") == "pong"
        except (NgError, OSError):
            return False

    def call_ids(self) -> list[str]:
        """Call-IDs of every session rtpengine currently holds."""
        return list(self.request("list", limit=1000).get("calls", []))

    def query(self, call_id: str) -> dict:
        """Per-call details: tags, streams, packet and byte counters."""
        return self.request("query", call_id=call_id)


def bencode(value) -> bytes:
    """`value` (dict, list, str, bytes, int, bool) bencoded; a dict's keys sorted."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, (list, tuple)):
        return b"l" + b"".join(bencode(item) for item in value) + b"e"
    if isinstance(value, dict):
        return b"d" + b"".join(bencode(key) + bencode(value[key])
                               for key in sorted(value)) + b"e"
    raise TypeError("cannot bencode %r" % (value,))


def bdecode(data: bytes):
    """The value bencoded in `data`; its strings as text (UTF-8, undecodable bytes replaced).
    ValueError when `data` is not bencode."""
    try:
        value, end = _decode(data, 0)
    except (IndexError, ValueError) as exc:
        raise ValueError(f"not bencode: {data[:80]!r}") from exc
    if end != len(data):
        raise ValueError(f"not bencode (trailing bytes): {data[:80]!r}")
    return value


def _decode(data: bytes, index: int):
    """(value, index after it) of the value that starts at `index`."""
    kind = data[index:index + 1]
    if kind == b"i":
        end = data.index(b"e", index)
        return int(data[index + 1:end]), end + 1
    if kind in (b"l", b"d"):
        items, index = [], index + 1
        while data[index:index + 1] != b"e":
            if index >= len(data):
                raise ValueError("unterminated list or dictionary")
            item, index = _decode(data, index)
            items.append(item)
        if kind == b"l":
            return items, index + 1
        return dict(zip(items[::2], items[1::2])), index + 1
    colon = data.index(b":", index)
    length = int(data[index:colon])
    end = colon + 1 + length
    if end > len(data):
        raise ValueError("string longer than the data")
    return data[colon + 1:end].decode("utf-8", "replace"), end
