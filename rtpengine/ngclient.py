"""A client for rtpengine's ng control protocol (bencoded dictionaries over UDP).

Used by the tests, the activity monitor and media features that KEMI does not export
(e.g. play_dtmf on Kamailio 5.6). Each request carries a random cookie; the reply echoes it.
"""
import os
import socket

import bencode


class NgError(RuntimeError):
    """rtpengine answered with result=error, or did not answer."""


class NgClient:
    def __init__(self, host: str = "127.0.0.1", port: int = 2223, timeout: float = 2.0):
        self.address = (host, port)
        self.timeout = timeout

    def request(self, command: str, **params) -> dict:
        """Send one ng command (`ping`, `list`, `query`, `statistics`, …) and return the reply.

        Parameter names use underscores for dashes (call_id → call-id).
        """
        message = {"command": command}
        message.update({name.replace("_", "-"): value for name, value in params.items()})
        cookie = os.urandom(6).hex()
        payload = cookie.encode() + b" " + bencode.bencode(message)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(self.timeout)
            sock.sendto(payload, self.address)
            while True:
                try:
                    data, _ = sock.recvfrom(65535)
                except socket.timeout as exc:
                    raise NgError(f"rtpengine at {self.address} did not answer {command}") from exc
                got_cookie, _, body = data.partition(b" ")
                if got_cookie.decode() == cookie:
                    break
        reply = _to_text(bencode.bdecode(body))
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


def _to_text(value):
    """bencode gives bytes or str depending on the library version: make everything str."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {_to_text(k): _to_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_text(v) for v in value]
    return value
