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
