"""The client of rtpengine's ng control protocol (bencoded dictionaries over UDP): the only one.

Used by the KEMI routing (kemi/media.py: the ringback tone's side call, deletes the
rtpengine module cannot send, pings), the tests, the platform's start-up checks and the
activity monitor. Each request carries a random cookie; the reply echoes it.

Bencode is the `bencode.py` library's (module `bencodepy`); Kamailio's embedded Python
imports it from the project's venv like the rest of the project (docs/architecture.md).
"""
import os
import socket

import bencodepy


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
    """`value` (dict, list, str, bytes, int, bool) bencoded as rtpengine reads it (a dict's
    keys sorted, True as 1)."""
    return bencodepy.encode(value)


def bdecode(data: bytes):
    """The value bencoded in `data`, every string in it as text (UTF-8, undecodable bytes
    replaced). ValueError when `data` is not bencode."""
    try:
        return _to_text(bencodepy.decode(data))
    except bencodepy.BencodeDecodeError as exc:
        raise ValueError(f"not bencode: {data[:80]!r}") from exc


def _to_text(value):
    """Decoded bencode with its byte strings as text, dictionaries as plain dicts."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {_to_text(key): _to_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_text(item) for item in value]
    return value
