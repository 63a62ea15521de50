"""The attacks an outsider made on the SIP edge (security issue 21), replayed against the
real Kamailio: nothing relayed for anyone the edge cannot vouch for, no password found by
spelling a user's name another way, log lines that cannot be forged or flooded, a clear 4xx
for bytes that are not UTF-8, and tenant domains that cannot be told from unknown ones.

Each attacker sends from an address of its own (all of 127/8 is loopback), never the
flood-exempt 127.0.0.1 of the test phones, and every log check reads only what the edge
logged during its own test."""
import re
import socket
import time
import uuid

import pytest

from tests.support.rawsip import digest_response, final_reply, replies_within
from vpbx import logline
from vpbx.stack import log_settled, log_slice

pytestmark = pytest.mark.integration

DOMAIN = "acme.pbx.test"


class EdgeLog:
    """The part of kamailio.log written since the test began."""

    def __init__(self, platform):
        self.path = platform.stack.log_file("kamailio")
        self.start = log_settled(self.path)     # (lines of earlier tests in vpbx.logfilter)

    def raw(self) -> bytes:
        log_settled(self.path)
        with open(self.path, "rb") as handle:
            handle.seek(self.start)
            return handle.read()

    def lines(self, tag: str, **match) -> list[dict]:
        found = []
        log_settled(self.path)
        for line in log_slice(self.path, self.start).splitlines():
            if f" {tag} " in line:
                fields = logline.parse(line[line.index(tag):])
                if all(fields.get(k) == v for k, v in match.items()):
                    found.append(fields)
        return found

    def wait(self, tag: str, timeout: float = 3.0, **match) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := self.lines(tag, **match):
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"no {tag} line with {match} since the test began")


@pytest.fixture
def edge_log(platform):
    return EdgeLog(platform)


def udp_socket(address):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, 0))
    return sock


def edge_of(platform):
    return (platform.cfg.sip_address, platform.cfg.sip_port)


# -- 1. no open relay ----------------------------------------------------------------------------
SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.90\r\ns=-\r\nc=IN IP4 127.0.0.90\r\nt=0 0\r\n"
       "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def forged_in_dialog(method, sender, target, edge, route_target=False):
    """A request that looks like part of a call (a made-up To-tag, the edge in Route) and
    asks the edge to carry it to `target` (in the Request-URI, or as the next Route)."""
    host, port = sender.getsockname()
    call_id = f"relay-{uuid.uuid4().hex[:12]}@{host}"
    body = SDP if method == "INVITE" else ("spam, spam, spam" if method == "MESSAGE" else "")
    routes = f"<sip:{edge[0]}:{edge[1]};lr>"
    ruri = f"sip:victim@{target[0]}:{target[1]}"
    if route_target:
        routes += f", <sip:{target[0]}:{target[1]};lr>"
        ruri = "sip:victim@elsewhere.invalid"
    content_type = {"INVITE": "application/sdp", "MESSAGE": "text/plain"}.get(method)
    return call_id, (
        f"{method} {ruri} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bK{uuid.uuid4().hex[:10]};rport\r\n"
        f"Max-Forwards: 70\r\nFrom: <sip:spammer@{host}>;tag=f{uuid.uuid4().hex[:6]}\r\n"
        f"To: <sip:victim@{target[0]}>;tag=made-up-{uuid.uuid4().hex[:6]}\r\n"
        f"Call-ID: {call_id}\r\nCSeq: 7 {method}\r\nRoute: {routes}\r\n"
        f"Contact: <sip:spammer@{host}:{port}>\r\n"
        + (f"Content-Type: {content_type}\r\n" if content_type else "")
        + f"Content-Length: {len(body)}\r\n\r\n{body}").encode()


@pytest.mark.parametrize("route_target", [False, True], ids=["target-in-ruri", "target-in-route"])
@pytest.mark.parametrize("method", ["BYE", "INVITE", "MESSAGE", "OPTIONS", "ACK"])
def test_in_dialog_looking_requests_of_no_call_are_answered_and_go_nowhere(
        platform, edge_log, method, route_target):
    edge = edge_of(platform)
    with udp_socket("127.0.0.90") as spammer, udp_socket("127.0.0.91") as victim:
        call_id, message = forged_in_dialog(method, spammer, victim.getsockname(), edge,
                                            route_target)
        spammer.sendto(message, edge)
        replies = replies_within(spammer, 1.5)
        assert replies_within(victim, 0.5) == [], f"{method} relayed to the victim"
        if method == "ACK":
            assert replies == []                         # an ACK is never answered
        else:
            assert replies and replies[-1] == "SIP/2.0 481 Call/Transaction Does Not Exist"
            line = edge_log.wait("VPBX-ROUTE", call_id=call_id)
            assert line["decision"] == "within_dialog" and line["outcome"] == "481:no_dialog"
        assert call_id not in platform.rtpengine.call_ids()


def test_requests_of_a_real_call_still_flow(platform, phones):
    """The guard lets through what belongs to a call the edge set up: hold, resume, BYE."""
    alice, bob = phones("alice"), phones("bob")
    alice.call("7961")
    bob.wait_incoming()
    bob.answer()
    alice.wait_call_state("CONFIRMED")
    alice.hold()
    bob.wait_media_state("REMOTE_HOLD")
    alice.unhold()
    bob.wait_media_state("ACTIVE")
    bob.hangup()
    alice.wait_call_state("DISCONNECTED")


# -- 2. a user's name spelt another way ------------------------------------------------------------
def register_as(platform, sock, auth_user, password, to_user=None, ha1_user=None, call=""):
    """REGISTER with digest credentials naming `auth_user` (To: `to_user`, default the same),
    the response computed as if the user were `ha1_user` (what a guesser who knows the
    real name does); the final status code."""
    host, port = sock.getsockname()
    edge = edge_of(platform)
    uri = f"sip:{DOMAIN}"
    to_user = to_user or auth_user
    call = call or uuid.uuid4().hex[:10]

    def register(cseq, authorization=""):
        return (f"REGISTER {uri} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bK{call}{cseq};rport\r\n"
                f"Max-Forwards: 70\r\nFrom: <sip:{to_user}@{DOMAIN}>;tag={call}\r\n"
                f"To: <sip:{to_user}@{DOMAIN}>\r\nCall-ID: spell-{call}@{host}\r\n"
                f"CSeq: {cseq} REGISTER\r\nContact: <sip:{to_user}@{host}:{port}>\r\n"
                f"Expires: 0\r\n{authorization}Content-Length: 0\r\n\r\n").encode()

    sock.sendto(register(1), edge)
    challenge = final_reply(sock)
    if not challenge.startswith("SIP/2.0 401 "):
        return int(challenge.split()[1])
    nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
    response = digest_response(ha1_user or auth_user, DOMAIN, password, nonce, "REGISTER", uri)
    sock.sendto(register(2, f'Authorization: Digest username="{auth_user}", realm="{DOMAIN}", '
                            f'nonce="{nonce}", uri="{uri}", response="{response}", '
                            f'algorithm=MD5\r\n'), edge)
    return int(final_reply(sock).split()[1])


def test_the_right_password_under_another_spelling_of_the_name_is_refused(platform, edge_log):
    with udp_socket("127.0.0.92") as guesser:
        for spelling in ("ALICE", "Alice", "alicE"):
            assert register_as(platform, guesser, spelling, "alice-s3cret",
                               ha1_user="alice") == 403
        line = edge_log.wait("VPBX-AUTH", outcome="unknown_user")
        assert line["tenant"] == "acme"
        # (3 failures, under the ban's 5: the real name still gets in from here)
        assert register_as(platform, guesser, "alice", "alice-s3cret") == 200


def test_a_guesser_rotating_the_case_of_a_name_is_banned_as_one_user(platform, edge_log):
    spellings = ["ALICE", "Alice", "aLice", "alICE", "ALice", "álice", "alicé"]
    with udp_socket("127.0.0.93") as guesser:
        codes = [register_as(platform, guesser, spelling, f"guess-{n}", ha1_user="alice")
                 for n, spelling in enumerate(spellings)]
        assert codes == [403] * len(spellings)
        ban = edge_log.wait("VPBX-AUTH", outcome="banned", source="127.0.0.93")
        assert ban["failures"] == "5"
        # banned for alice herself: the right password is refused from that address
        assert register_as(platform, guesser, "alice", "alice-s3cret") == 403
        bans = platform.kamcmd("htable.dump", "vpbx_authban")
        assert "127.0.0.93 alice@acme.pbx.test" in bans
    with udp_socket("127.0.0.94") as phone:      # alice elsewhere is not locked out
        assert register_as(platform, phone, "alice", "alice-s3cret") == 200


def test_registering_another_users_address_with_ones_own_credentials_is_refused(platform,
                                                                                edge_log):
    with udp_socket("127.0.0.95") as phone:
        assert register_as(platform, phone, "alice", "alice-s3cret", to_user="ALICE") == 403
        assert register_as(platform, phone, "alice", "alice-s3cret", to_user="bob") == 403
    line = edge_log.wait("VPBX-AUTH", outcome="user_mismatch")
    assert line["tenant"] == "acme"
    assert "ALICE@" not in platform.kamcmd("ul.dump")


# -- 4. log lines that cannot be forged or flooded ---------------------------------------------------
def raw_register(sock, edge, user_bytes: bytes, call_id: bytes | None = None,
                 authorization: bytes = b"", cseq: int = 1):
    """A REGISTER built from bytes (for what no phone would send)."""
    host, port = sock.getsockname()
    call_id = call_id or f"raw-{uuid.uuid4().hex[:10]}@{host}".encode()
    sock.sendto(b"REGISTER sip:" + DOMAIN.encode() + b" SIP/2.0\r\n"
                + f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bK{uuid.uuid4().hex[:10]};rport\r\n"
                  f"Max-Forwards: 70\r\n".encode()
                + b"From: <sip:" + user_bytes + b"@" + DOMAIN.encode() + b">;tag=raw\r\n"
                + b"To: <sip:" + user_bytes + b"@" + DOMAIN.encode() + b">\r\n"
                + b"Call-ID: " + call_id + f"\r\nCSeq: {cseq} REGISTER\r\n".encode()
                + f"Contact: <sip:x@{host}:{port}>\r\nExpires: 0\r\n".encode()
                + authorization + b"Content-Length: 0\r\n\r\n", edge)
    return call_id


def register_with_auth_user(sock, edge, auth_user: bytes, user: bytes = b"eve") -> str:
    """REGISTER `user`, then answer the edge's challenge with credentials naming `auth_user`
    (any bytes) and a wrong response; the final reply."""
    call_id = raw_register(sock, edge, user)
    challenge = final_reply(sock)
    assert challenge.startswith("SIP/2.0 401 "), challenge
    nonce = re.search(r'nonce="([^"]+)"', challenge).group(1).encode()
    raw_register(sock, edge, user, call_id=call_id, cseq=2, authorization=(
        b'Authorization: Digest username="' + auth_user + b'", realm="' + DOMAIN.encode()
        + b'", nonce="' + nonce + b'", uri="sip:' + DOMAIN.encode()
        + b'", response="00000000000000000000000000000000", algorithm=MD5\r\n'))
    return final_reply(sock)


# an ANSI sequence that moves the terminal's cursor up a line and wipes it, then a line of
# one's own, as the credentials' user name (in a From or To URI, such bytes stop Kamailio's
# parser before any routing: the request is dropped unanswered, and nothing is logged)
FORGED = b"x\x1b[1A\x1b[2K\rVPBX-AUTH\tcall_id=1\ttenant=acme\tfrom=alice\toutcome=granted"


def test_a_user_name_with_escape_sequences_cannot_forge_a_log_line(platform, edge_log):
    with udp_socket("127.0.0.96") as attacker:
        reply = register_with_auth_user(attacker, edge_of(platform), FORGED)
        assert reply.startswith("SIP/2.0 403 "), reply
    written = edge_log.raw()
    assert b"\x1b" not in written and b"\r" not in written
    assert not edge_log.lines("VPBX-AUTH", outcome="granted")
    line = edge_log.wait("VPBX-AUTH", source="127.0.0.96")
    assert line["auth_user"] == FORGED.decode() and line["outcome"] == "unknown_user"
    assert b'auth_user="x\\x1b[1A\\x1b[2K\\rVPBX-AUTH\\tcall_id=1' in written


def test_a_huge_value_is_capped_in_the_log(platform, edge_log):
    with udp_socket("127.0.0.97") as attacker:
        attacker.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        reply = register_with_auth_user(attacker, edge_of(platform), b"A" * 30000)
        assert reply.startswith("SIP/2.0 4"), reply
    line = edge_log.wait("VPBX-AUTH", source="127.0.0.97")
    assert line["auth_user"] == "A" * logline.VALUE_CHARS + f"…(+{30000 - logline.VALUE_CHARS})"
    assert max(len(text) for text in edge_log.raw().splitlines()) < 4096


@pytest.mark.parametrize("where", ["user", "auth_user", "call_id"])
def test_bytes_that_are_not_utf8_get_a_clear_400_and_no_traceback(platform, edge_log, where):
    bad = b"\xff\xfe\xc3("
    with udp_socket("127.0.0.98") as sender:
        if where == "auth_user":
            reply = register_with_auth_user(sender, edge_of(platform), bad)
        else:
            raw_register(sender, edge_of(platform), bad if where == "user" else b"eve",
                         call_id=(b"bad-" + bad + b"@x") if where == "call_id" else None)
            reply = final_reply(sender, timeout=3)
    assert reply.startswith("SIP/2.0 400 "), reply
    line = edge_log.wait("VPBX-ROUTE", outcome="400:not_utf8")
    written = edge_log.raw()
    assert b"Traceback" not in written and b"error for" not in written
    written.decode("utf-8")                  # the log stays text (grep does not call it binary)
    if where == "call_id":
        assert line["call_id"] == (b"bad-" + bad + b"@x").decode("utf-8", "surrogateescape")


def test_a_nul_dialled_after_signing_in_gets_a_4xx(platform, phones, edge_log):
    alice = phones("alice")
    alice.call("79%0061")
    alice.wait_call_state("DISCONNECTED")
    assert 400 <= alice.last_status() < 500, alice.last_status()
    assert b"Traceback" not in edge_log.raw() and b"error for" not in edge_log.raw()


# -- 5. tenant domains cannot be enumerated -----------------------------------------------------------
def first_reply_to_register(platform, domain):
    host_sock = udp_socket("127.0.0.99")
    with host_sock:
        host, port = host_sock.getsockname()
        host_sock.sendto((f"REGISTER sip:{domain} SIP/2.0\r\n"
                          f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bK{uuid.uuid4().hex[:8]}\r\n"
                          f"Max-Forwards: 70\r\nFrom: <sip:alice@{domain}>;tag=e\r\n"
                          f"To: <sip:alice@{domain}>\r\nCall-ID: enum-{uuid.uuid4().hex}\r\n"
                          f"CSeq: 1 REGISTER\r\nContact: <sip:alice@{host}:{port}>\r\n"
                          f"Content-Length: 0\r\n\r\n").encode(), edge_of(platform))
        return final_reply(host_sock)


def test_an_unknown_domain_is_answered_as_a_real_one(platform):
    real = first_reply_to_register(platform, DOMAIN)
    unknown = first_reply_to_register(platform, "no-such-tenant.pbx.test")
    assert real.split("\r\n", 1)[0] == unknown.split("\r\n", 1)[0] == "SIP/2.0 401 Unauthorized"
    assert 'realm="no-such-tenant.pbx.test"' in unknown
