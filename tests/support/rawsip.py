"""SIP from a bare UDP socket, for the tests that need what a phone would not send or show:
a sender that never ACKs, the exact replies and their headers."""
import hashlib
import os
import re
import socket
import time

from vpbx.edge import credentials as sipauth


def invite_from_raw_socket(platform, sock, branch, authorization="", caller="alice",
                           target="7961@acme.pbx.test"):
    """An INVITE (by default from alice to bob) as a bare UDP client that never ACKs (a
    password guesser)."""
    host, port = sock.getsockname()
    edge = f"{platform.cfg.sip_address}:{platform.cfg.sip_port}"
    return (f"INVITE sip:{target} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bK{branch};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:{caller}@acme.pbx.test>;tag=guess\r\n"
            f"To: <sip:{target}>\r\nCall-ID: guess-{branch}@{host}\r\n"
            f"CSeq: 1 INVITE\r\nContact: <sip:{caller}@{host}:{port}>\r\n{authorization}"
            f"Route: <sip:{edge};lr>\r\nContent-Length: 0\r\n\r\n").encode()


def signed_invite(platform, sock, branch, password, caller="alice",
                  target="7961@acme.pbx.test") -> bytes:
    """An INVITE from the bare socket `sock` (Call-ID guess-`branch`@its address) with
    `caller`'s credentials, as a phone sends it once the edge has challenged it (the
    challenge is asked for and answered here with `password`)."""
    edge = (platform.cfg.sip_address, platform.cfg.sip_port)
    sock.sendto(invite_from_raw_socket(platform, sock, f"{branch}-ask", caller=caller,
                                       target=target), edge)
    challenge = final_reply(sock)
    assert challenge.startswith("SIP/2.0 407 "), challenge
    realm = re.search(r'realm="([^"]+)"', challenge).group(1)
    nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
    uri = f"sip:{target}"
    response = digest_response(caller, realm, password, nonce, "INVITE", uri)
    return invite_from_raw_socket(
        platform, sock, branch, f'Proxy-Authorization: Digest username="{caller}", '
        f'realm="{realm}", nonce="{nonce}", uri="{uri}", response="{response}", '
        f'algorithm=MD5\r\n', caller=caller, target=target)


def replies_within(sock, seconds):
    """The status lines of the replies received within `seconds`."""
    lines, deadline = [], time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            lines.append(sock.recv(65535).split(b"\r\n", 1)[0].decode("utf-8", "replace"))
        except socket.timeout:
            break
    return lines


def final_reply(sock, timeout=10.0):
    """The first final reply received (status line and headers)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        message = sock.recv(65535).decode("utf-8", "replace")
        if not re.match(r"SIP/2\.0 1\d\d ", message):
            return message
    raise AssertionError("no final reply")


def digest_response(user, realm, password, nonce, method, uri):
    """The response of RFC 2617 digest credentials without qop (HA1 as `subscriber` stores
    it, vpbx.edge.credentials)."""
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    return hashlib.md5(f"{sipauth.ha1(user, realm, password)}:{nonce}:{ha2}".encode()).hexdigest()


def register_with_password(platform, sock, user, password, domain="acme.pbx.test",
                           expires=0, call=""):
    """REGISTER `user` from the bare socket `sock`, answering the challenge with `password`
    (Expires 0 by default: nothing stays registered); the final status code. Call-IDs are
    named after `call` and the socket's address."""
    return int(register(platform, sock, user, password, domain=domain, expires=expires,
                        call=call).split()[1])


def register(platform, sock, user, password, *, domain="acme.pbx.test", expires=0, call="",
             contact=None, to_user=None, digest_user=None):
    """REGISTER from the bare socket `sock` with credentials naming `user`, the challenge
    answered with `password`; the final reply (the first one when it is no challenge).
    `contact` (default the socket's address), `to_user` (the AOR's user, default `user`) and
    `digest_user` (whose name the response is computed with, default `user`: a guesser who
    knows the real name sends another spelling) are what an attacker would vary."""
    host, port = sock.getsockname()
    edge = (platform.cfg.sip_address, platform.cfg.sip_port)
    uri = f"sip:{domain}"
    to_user = to_user or user
    contact = contact or f"<sip:{to_user}@{host}:{port}>"

    def request(cseq, authorization=""):
        return (f"REGISTER {uri} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bK{call}r{cseq};rport\r\n"
                f"Max-Forwards: 70\r\nFrom: <sip:{to_user}@{domain}>;tag={call}t\r\n"
                f"To: <sip:{to_user}@{domain}>\r\nCall-ID: reg-{call}@{host}\r\n"
                f"CSeq: {cseq} REGISTER\r\nContact: {contact}\r\n"
                f"Expires: {expires}\r\n{authorization}Content-Length: 0\r\n\r\n").encode()

    call = call or os.urandom(5).hex()
    sock.sendto(request(1), edge)
    challenge = final_reply(sock)
    if not challenge.startswith("SIP/2.0 401 "):
        return challenge
    realm = re.search(r'realm="([^"]+)"', challenge).group(1)
    nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
    response = digest_response(digest_user or user, realm, password, nonce, "REGISTER", uri)
    sock.sendto(request(2, f'Authorization: Digest username="{user}", realm="{realm}", '
                           f'nonce="{nonce}", uri="{uri}", response="{response}", '
                           f'algorithm=MD5\r\n'), edge)
    return final_reply(sock)


class TcpConnection:
    """SIP over TCP from a bare socket connected to the edge: messages framed by their
    Content-Length (RFC 3261 §18.3)."""

    def __init__(self, platform):
        self.sock = socket.create_connection((platform.cfg.sip_address, platform.cfg.sip_port),
                                             timeout=5)
        self.pending = b""

    def send(self, message: str) -> None:
        self.sock.sendall(message.encode())

    def receive(self, timeout: float = 5.0) -> str:
        """The next whole message (start line, headers and body)."""
        self.sock.settimeout(timeout)
        while True:
            head, separator, rest = self.pending.partition(b"\r\n\r\n")
            if separator:
                length = re.search(rb"^(?:Content-Length|l)\s*:\s*(\d+)", head, re.M | re.I)
                size = int(length.group(1)) if length else 0
                if len(rest) >= size:
                    self.pending = rest[size:]
                    return (head + separator + rest[:size]).decode("utf-8", "replace")
            data = self.sock.recv(65535)
            if not data:
                raise AssertionError("the edge closed the TCP connection")
            self.pending += data

    def register(self, user, password, *, domain="acme.pbx.test", expires=60) -> str:
        """REGISTER `user` over this connection (Contact: its address, transport=tcp),
        answering the challenge with `password`; the final reply."""
        host, port = self.sock.getsockname()
        uri, call = f"sip:{domain}", f"tcp-{os.urandom(5).hex()}@{host}"

        def request(cseq, authorization=""):
            return (f"REGISTER {uri} SIP/2.0\r\n"
                    f"Via: SIP/2.0/TCP {host}:{port};branch=z9hG4bK{call[:14]}r{cseq};rport\r\n"
                    f"Max-Forwards: 70\r\nFrom: <sip:{user}@{domain}>;tag=t{cseq}\r\n"
                    f"To: <sip:{user}@{domain}>\r\nCall-ID: {call}\r\n"
                    f"CSeq: {cseq} REGISTER\r\n"
                    f"Contact: <sip:{user}@{host}:{port};transport=tcp>\r\n"
                    f"Expires: {expires}\r\n{authorization}Content-Length: 0\r\n\r\n")

        self.send(request(1))
        challenge = self.receive()
        if not challenge.startswith("SIP/2.0 401 "):
            return challenge
        realm = re.search(r'realm="([^"]+)"', challenge).group(1)
        nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
        response = digest_response(user, realm, password, nonce, "REGISTER", uri)
        self.send(request(2, f'Authorization: Digest username="{user}", realm="{realm}", '
                             f'nonce="{nonce}", uri="{uri}", response="{response}", '
                             f'algorithm=MD5\r\n'))
        return self.receive()

    def close(self) -> None:
        self.sock.close()


def reply_to(request: str, status: str, headers: str = "") -> str:
    """A reply to `request` (its Vias, From, To with a tag, Call-ID and CSeq), no body."""
    lines = request.split("\r\n")

    def named(name):
        return [line for line in lines if line.split(":", 1)[0].strip().lower() == name]

    to = named("to")[0] + ("" if ";tag=" in named("to")[0] else ";tag=raw-uas")
    return "\r\n".join([f"SIP/2.0 {status}", *named("via"), *named("from"), to,
                        *named("call-id"), *named("cseq")]) + \
        f"\r\n{headers}Content-Length: 0\r\n\r\n"
