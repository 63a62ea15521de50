"""The attacks an outsider made on the SIP edge (security issue 21), replayed against the
real Kamailio: nothing relayed for anyone the edge cannot vouch for, no password found by
spelling a user's name another way, log lines that cannot be forged or flooded, a clear 4xx
for bytes that are not UTF-8, and tenant domains that cannot be told from unknown ones.

Each attacker sends from an address of its own (all of 127/8 is loopback), never the
flood-exempt 127.0.0.1 of the test phones, and every log check reads only what the edge
logged during its own test."""
import re
import socket
import struct
import threading
import time
import uuid

import pytest

from tests.support.platform_logs import MALFORMED_SIP
from tests.support.rawsip import digest_response, final_reply, register, replies_within
from vpbx.records import log_line as logline

pytestmark = pytest.mark.integration

DOMAIN = "acme.pbx.test"


class EdgeLog:
    """What Kamailio logged since the test began (the platform's view of its logs, which
    every test reads from where it began: tests.support.platform_logs)."""

    def __init__(self, platform):
        self.platform = platform

    def raw(self) -> bytes:
        return self.platform.logs.raw("kamailio")

    def lines(self, tag: str, **match) -> list[dict]:
        return self.platform.log_lines(tag, **match)

    def wait(self, tag: str, timeout: float = 3.0, **match) -> dict:
        return self.platform.wait_log(tag, timeout, **match)


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
def register_as(platform, sock, auth_user, password, to_user=None, ha1_user=None):
    """REGISTER with digest credentials naming `auth_user` (To: `to_user`, default the same),
    the response computed as if the user were `ha1_user` (what a guesser who knows the
    real name does); the final status code."""
    return int(register(platform, sock, auth_user, password, to_user=to_user,
                        digest_user=ha1_user).split()[1])


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


def test_a_nul_in_the_credentials_user_is_refused_as_any_wrong_user(platform, edge_log):
    with udp_socket("127.0.0.111") as sender:
        reply = register_with_auth_user(sender, edge_of(platform), b"ali\x00ce")
    assert reply.startswith("SIP/2.0 403 "), reply
    assert b"Traceback" not in edge_log.raw() and b"error for" not in edge_log.raw()


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
def reply_to_register(platform, domain, address="127.0.0.99", authorization=""):
    """The first final reply to a REGISTER of alice@`domain` from `address`."""
    with udp_socket(address) as sock:
        host, port = sock.getsockname()
        sock.sendto((f"REGISTER sip:{domain} SIP/2.0\r\n"
                     f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bK{uuid.uuid4().hex[:8]}\r\n"
                     f"Max-Forwards: 70\r\nFrom: <sip:alice@{domain}>;tag=e\r\n"
                     f"To: <sip:alice@{domain}>\r\nCall-ID: enum-{uuid.uuid4().hex}\r\n"
                     f"CSeq: 1 REGISTER\r\nContact: <sip:alice@{host}:{port}>\r\n"
                     f"{authorization}Content-Length: 0\r\n\r\n").encode(), edge_of(platform))
        return final_reply(sock)


def status_line(reply):
    return reply.split("\r\n", 1)[0]


def test_an_unknown_domain_is_answered_as_a_real_one(platform):
    real = reply_to_register(platform, DOMAIN)
    unknown = reply_to_register(platform, "no-such-tenant.pbx.test")
    assert status_line(real) == status_line(unknown) == "SIP/2.0 401 Unauthorized"
    assert 'realm="no-such-tenant.pbx.test"' in unknown
    # credentials for another realm, or with a nonce of nobody's: challenged again, alike
    for credentials in ('username="alice", realm="not-the-realm", nonce="x"',
                        f'username="alice", realm="{{domain}}", nonce="bm90LW91cnM"'):
        answers = {status_line(reply_to_register(
            platform, domain, authorization="Authorization: Digest "
            + credentials.format(domain=domain) + ', uri="sip:x", response="0"\r\n'))
            for domain in (DOMAIN, "no-such-tenant.pbx.test")}
        assert len(answers) == 1, (credentials, answers)


def test_a_guesser_is_banned_on_an_unknown_domain_as_on_a_real_one(platform, edge_log):
    """The guard counts guesses on any domain: that bans appear does not tell a real one."""
    domain = "no-such-tenant.pbx.test"
    with udp_socket("127.0.0.104") as guesser:
        for number in range(5):
            guesser_reply = register(platform, guesser, "alice", f"guess-{number}",
                                     domain=domain)
            assert status_line(guesser_reply) == "SIP/2.0 403 Forbidden"
    ban = edge_log.wait("VPBX-AUTH", outcome="banned", source="127.0.0.104")
    assert ban["tenant"] is None
    assert edge_log.lines("VPBX-AUTH", outcome="unknown_domain", domain=domain)


# -- a phone's registration cannot make the edge call the carrier or itself ------------------------
def register_contact(platform, sock, contact, user="alice", password="alice-s3cret"):
    """REGISTER `user` from `sock` with `contact` as its Contact; the final status code."""
    return int(register(platform, sock, user, password, contact=contact,
                        expires=60).split()[1])


def test_a_phone_cannot_register_the_carriers_or_the_platforms_address(platform, edge_log,
                                                                        carrier_gateway):
    carrier_address, gateway_port = carrier_gateway
    media = f"{platform.cfg.sip_address}:{platform.cfg.media_port}"
    with udp_socket("127.0.0.100") as phone:
        for contact in (f"<sip:+41900123456@{carrier_address}:{gateway_port}>",
                        f"<sip:+41900123456@{carrier_address}:6000>",
                        f"<sip:vm-41215550001@{media}>",
                        f"<sip:loop@{platform.cfg.sip_address}:{platform.cfg.sip_port}>",
                        "<sip:x@carrier.example.net>"):
            assert register_contact(platform, phone, contact) == 403, contact
        edge_log.wait("VPBX-ROUTE", decision="register", outcome="403:contact")
        reasons = [line["contact"].split(": ", 1)[1] for line in
                   edge_log.lines("VPBX-ROUTE", decision="register", tenant="acme")]
        assert reasons == ["the carrier's address"] * 2 + ["the platform's own address"] * 2 \
            + ["a phone registers its IP address, not a name"]
        bindings = platform.kamcmd("ul.lookup", "location", f"alice@{DOMAIN}")
        assert carrier_address not in bindings and "carrier.example" not in bindings
        host, port = phone.getsockname()
        assert register_contact(platform, phone, f"<sip:alice@{host}:{port}>") == 200
        register_contact(platform, phone, f"<sip:alice@{host}:{port}>;expires=0")


# -- a party of a call cannot use it to relay elsewhere --------------------------------------------------
class RawUas:
    """A phone on a bare socket that answers every request 200 (an INVITE with SDP)."""

    def __init__(self, sock, rtp_port=40000):
        self.sock, self.seen, self.rtp_port = sock, [], rtp_port
        self.offer = ""
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.stop = False
        self.thread.start()

    def run(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                data, sender = self.sock.recvfrom(65535)
            except (socket.timeout, OSError):
                continue
            text = data.decode("utf-8", "replace")
            if text.startswith("SIP/2.0"):
                continue
            self.seen.append(text.split(" ", 1)[0])
            if text.startswith("ACK"):
                continue
            if text.startswith("INVITE"):
                self.offer = text
            self.sock.sendto(answer_200(text, self.sock.getsockname(), self.rtp_port), sender)


def header_lines(message, name):
    return [line for line in message.split("\r\n") if line.lower().startswith(name.lower() + ":")]


def sdp_of(host, rtp_port):
    return SDP.replace("127.0.0.90", host).replace("audio 40000", f"audio {rtp_port}")


def answer_200(request, local, rtp_port):
    host, port = local
    to = header_lines(request, "To")[0]
    if ";tag=" not in to:
        to += ";tag=uas-tag"
    body = sdp_of(host, rtp_port) if request.startswith("INVITE") else ""
    return ("SIP/2.0 200 OK\r\n" + "\r\n".join(header_lines(request, "Via")
                                               + header_lines(request, "Record-Route")
                                               + header_lines(request, "From") + [to]
                                               + header_lines(request, "Call-ID")
                                               + header_lines(request, "CSeq"))
            + f"\r\nContact: <sip:bob@{host}:{port}>\r\n"
            + ("Content-Type: application/sdp\r\n" if body else "")
            + f"Content-Length: {len(body)}\r\n\r\n{body}").encode()


def test_a_party_of_a_call_cannot_send_its_requests_elsewhere(platform, edge_log,
                                                              carrier_gateway):
    edge = edge_of(platform)
    gateway = "{}:{}".format(*carrier_gateway)
    with udp_socket("127.0.0.101") as alice, udp_socket("127.0.0.102") as bob_sock, \
            udp_socket("127.0.0.103") as victim:
        bh, bp = bob_sock.getsockname()
        bob = RawUas(bob_sock)
        try:
            assert register_contact(platform, alice, f"<sip:bob@{bh}:{bp}>", "bob",
                                    "bob-s3cret!") == 200
            call = Dialog(alice, edge)
            assert call.invite_bob() == 200
            vh, vp = victim.getsockname()
            for method, target, extra in (
                    ("MESSAGE", f"sip:x@{vh}:{vp}", ""),
                    ("INFO", f"sip:bob@{bh}:{bp}", f", <sip:{vh}:{vp};lr>"),
                    ("INVITE", f"sip:+41900123456@{gateway}", ""),
                    ("OPTIONS", f"sip:x@{vh}:{vp}", "")):
                assert call.within(method, target, extra) == 403, (method, target)
            assert replies_within(victim, 0.5) == []
            line = edge_log.wait("VPBX-ROUTE", outcome="403:not_a_party")
            assert line["decision"] == "within_dialog"
            assert bob.seen == ["INVITE", "ACK"]
            assert call.within("INFO", f"sip:bob@{bh}:{bp}") == 200       # to the other party
            assert call.within("BYE", f"sip:bob@{bh}:{bp}") == 200
            assert bob.seen == ["INVITE", "ACK", "INFO", "BYE"]
        finally:
            bob.stop = True
            register_contact(platform, alice, f"<sip:bob@{bh}:{bp}>;expires=0", "bob",
                             "bob-s3cret!")


class Dialog:
    """alice's side of a call to bob (7961) from a bare socket: INVITE with credentials, ACK,
    then requests within the call."""

    def __init__(self, sock, edge, rtp_port=40000):
        self.sock, self.edge, self.rtp_port = sock, edge, rtp_port
        self.answer = ""
        host, port = sock.getsockname()
        self.local = f"{host}:{port}"
        self.call_id = f"relay-{uuid.uuid4().hex[:10]}@{host}"
        self.cseq, self.to_tag, self.route = 1, "", ""

    def request(self, method, ruri, extra_headers="", body=""):
        self.cseq += 1
        to = f"<sip:7961@{DOMAIN}>" + (f";tag={self.to_tag}" if self.to_tag else "")
        return (f"{method} {ruri} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {self.local};branch=z9hG4bK{uuid.uuid4().hex[:10]};rport\r\n"
                f"Max-Forwards: 70\r\nFrom: <sip:alice@{DOMAIN}>;tag=alice-tag\r\nTo: {to}\r\n"
                f"Call-ID: {self.call_id}\r\nCSeq: {self.cseq} {method}\r\n"
                f"Contact: <sip:alice@{self.local}>\r\n{extra_headers}"
                + ("Content-Type: application/sdp\r\n" if body else "")
                + f"Content-Length: {len(body)}\r\n\r\n{body}").encode()

    def invite_bob(self):
        ruri = f"sip:7961@{DOMAIN}"
        body = sdp_of(self.local.split(":")[0], self.rtp_port)
        self.sock.sendto(self.request("INVITE", ruri, body=body), self.edge)
        challenge = final_reply(self.sock)
        nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
        response = digest_response("alice", DOMAIN, "alice-s3cret", nonce, "INVITE", ruri)
        auth = (f'Proxy-Authorization: Digest username="alice", realm="{DOMAIN}", '
                f'nonce="{nonce}", uri="{ruri}", response="{response}"\r\n')
        self.sock.sendto(self.request("INVITE", ruri, auth, body), self.edge)
        answer = self.answer = final_reply(self.sock)
        self.to_tag = re.search(r"^To:.*;tag=([^;>\s]+)", answer, re.M | re.I).group(1)
        routes = [line.split(":", 1)[1].strip() for line in answer.split("\r\n")
                  if line.lower().startswith("record-route:")]
        self.route = "Route: " + ", ".join(reversed(routes)) + "\r\n" if routes else ""
        contact = re.search(r"^Contact:\s*<([^>]+)>", answer, re.M | re.I).group(1)
        self.cseq -= 1          # (the ACK of a 2xx has the INVITE's CSeq number)
        self.sock.sendto(self.request("ACK", contact, self.route), self.edge)
        return int(answer.split()[1])

    def within(self, method, target, extra_route=""):
        route = self.route.replace("\r\n", "") + extra_route + "\r\n"
        body = SDP.replace("127.0.0.90", self.local.split(":")[0]) if method == "INVITE" else ""
        self.sock.sendto(self.request(method, target, route, body), self.edge)
        return int(final_reply(self.sock, timeout=5).split()[1])


# -- nobody else can take a call's audio ------------------------------------------------------------
def rtp_packet(sequence, ssrc):
    return struct.pack("!BBHII", 0x80, 0, sequence, sequence * 160, ssrc) + b"\xff" * 160


def test_an_outsider_sending_rtp_to_a_calls_port_gets_none_of_its_audio(platform):
    edge = edge_of(platform)
    with udp_socket("127.0.0.105") as alice, udp_socket("127.0.0.106") as bob_sock, \
            udp_socket("127.0.0.105") as alice_rtp, udp_socket("127.0.0.106") as bob_rtp, \
            udp_socket("127.0.0.107") as outsider:
        bh, bp = bob_sock.getsockname()
        bob = RawUas(bob_sock, rtp_port=bob_rtp.getsockname()[1])
        try:
            assert register_contact(platform, alice, f"<sip:bob@{bh}:{bp}>", "bob",
                                    "bob-s3cret!") == 200
            call = Dialog(alice, edge, rtp_port=alice_rtp.getsockname()[1])
            assert call.invite_bob() == 200
            towards_alice = int(re.search(r"m=audio (\d+)", call.answer).group(1))
            towards_bob = int(re.search(r"m=audio (\d+)", bob.offer).group(1))
            media = platform.cfg.sip_address
            heard = {"outsider": 0, "bob": 0, "outsider once bob spoke": 0}
            for sock in (outsider, bob_rtp):
                sock.settimeout(0.005)
            for sequence in range(180):          # 3.6 s: past rtpengine's learning time
                # the outsider first, bob a moment later (a slow phone): rtpengine must still
                # send alice's audio to bob only
                outsider.sendto(rtp_packet(sequence, 0xBAD), (media, towards_bob))
                if sequence > 5:
                    bob_rtp.sendto(rtp_packet(sequence, 0xB0B), (media, towards_bob))
                alice_rtp.sendto(rtp_packet(sequence, 0xA11CE), (media, towards_alice))
                for name, sock in (("outsider", outsider), ("bob", bob_rtp)):
                    try:
                        while True:
                            sock.recvfrom(2000)
                            heard[name] += 1
                            if name == "outsider" and sequence > 10:
                                heard["outsider once bob spoke"] += 1
                    except (socket.timeout, BlockingIOError):
                        pass
                time.sleep(0.02)
            # (until the callee's own packets arrive, rtpengine sends to the first source it
            # sees: a phone behind NAT sends from another address than its SDP names; once
            # packets come from the SDP's address, that is the party, and nobody else)
            assert heard["outsider once bob spoke"] == 0, heard
            assert heard["outsider"] <= 8 and heard["bob"] > 150, heard
            assert call.within("BYE", f"sip:bob@{bh}:{bp}") == 200
        finally:
            bob.stop = True
            register_contact(platform, alice, f"<sip:bob@{bh}:{bp}>;expires=0", "bob",
                             "bob-s3cret!")


# -- replies of nothing the edge sent are not relayed ------------------------------------------------
def test_a_stray_reply_is_not_forwarded_to_the_host_its_second_via_names(platform):
    edge = edge_of(platform)
    with udp_socket("127.0.0.108") as sender, udp_socket("127.0.0.109") as victim:
        vh, vp = victim.getsockname()
        body = "X" * 1000
        for number in range(20):
            sender.sendto((f"SIP/2.0 200 OK\r\n"
                           f"Via: SIP/2.0/UDP {edge[0]}:{edge[1]};branch=z9hG4bKstray{number}.0\r\n"
                           f"Via: SIP/2.0/UDP {vh}:{vp};branch=z9hG4bKvictim{number}\r\n"
                           f"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\n"
                           f"Call-ID: stray-{uuid.uuid4().hex}\r\nCSeq: 1 MESSAGE\r\n"
                           f"Content-Length: {len(body)}\r\n\r\n{body}").encode(), edge)
        assert replies_within(victim, 1.0) == []


# -- offers the edge cannot anchor: the caller's fault, not the platform's ------------------------------
@pytest.fixture
def bob_on_a_socket(platform):
    """bob registered from a bare socket that answers every request 200 (RawUas)."""
    with udp_socket("127.0.0.110") as sock:
        host, port = sock.getsockname()
        assert register_contact(platform, sock, f"<sip:bob@{host}:{port}>", "bob",
                                "bob-s3cret!") == 200
        uas = RawUas(sock)          # (from now on it takes everything the socket receives)
        yield uas
        uas.stop = True
        uas.thread.join()
        register_contact(platform, sock, f"<sip:bob@{host}:{port}>;expires=0", "bob",
                         "bob-s3cret!")


def carrier_invite(sock, edge, body, content_type="application/sdp"):
    host, port = sock.getsockname()
    call_id = f"offer-{uuid.uuid4().hex[:10]}@{host}"
    sock.sendto((f"INVITE sip:+41215550002@{edge[0]}:{edge[1]} SIP/2.0\r\n"
                 f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bK{uuid.uuid4().hex[:10]};rport\r\n"
                 f"Max-Forwards: 70\r\nFrom: <sip:+41791234567@{host}>;tag=carrier\r\n"
                 f"To: <sip:+41215550002@{edge[0]}>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\n"
                 f"Contact: <sip:+41791234567@{host}:{port}>\r\n"
                 + (f"Content-Type: {content_type}\r\n" if body else "")
                 + f"Content-Length: {len(body)}\r\n\r\n{body}").encode(), edge)
    return call_id


@pytest.mark.parametrize("body, content_type", [
    ("not an sdp at all", "application/sdp"),
    (SDP, "multipart/mixed;boundary=x"),
    ("v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\n", "application/sdp")])   # no media line
@pytest.mark.expect_log_errors(MALFORMED_SIP)               # (Kamailio's SDP parser)
def test_an_offer_rtpengine_cannot_take_gets_488_not_503(platform, edge_log, bob_on_a_socket,
                                                        body, content_type):
    with udp_socket("127.0.0.2") as carrier:          # the test platform's carrier address
        call_id = carrier_invite(carrier, edge_of(platform), body, content_type)
        reply = final_reply(carrier)
        assert reply.startswith("SIP/2.0 488 "), reply
    assert edge_log.wait("VPBX-ROUTE", call_id=call_id, outcome="488:bad_sdp")
    assert call_id not in platform.rtpengine.call_ids()


def test_an_invite_without_sdp_is_anchored_by_its_answer_and_ack(platform, bob_on_a_socket):
    """A delayed offer (RFC 3261 §13.2.1): the callee's 200 carries the offer, the ACK the
    answer; rtpengine anchors both (it answered 503 before: no SDP to offer)."""
    edge = edge_of(platform)
    with udp_socket("127.0.0.2") as carrier:
        call_id = carrier_invite(carrier, edge, "")
        answer = final_reply(carrier)
        assert answer.startswith("SIP/2.0 200 "), answer
        assert f"c=IN IP4 {platform.cfg.sip_address}" in answer      # rtpengine's, not bob's
        assert call_id in platform.rtpengine.call_ids()
        to_tag = re.search(r"^To:.*;tag=([^;>\s]+)", answer, re.M).group(1)
        routes = [line.split(":", 1)[1].strip() for line in answer.split("\r\n")
                  if line.lower().startswith("record-route:")]
        contact = re.search(r"^Contact:\s*<([^>]+)>", answer, re.M).group(1)
        host, port = carrier.getsockname()
        body = SDP.replace("127.0.0.90", host)

        def within(method, cseq, body=""):
            carrier.sendto((f"{method} {contact} SIP/2.0\r\n"
                            f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bK{uuid.uuid4().hex[:10]}\r\n"
                            f"Max-Forwards: 70\r\nFrom: <sip:+41791234567@{host}>;tag=carrier\r\n"
                            f"To: <sip:+41215550002@{edge[0]}>;tag={to_tag}\r\n"
                            f"Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n"
                            f"Route: {', '.join(reversed(routes))}\r\n"
                            + ("Content-Type: application/sdp\r\n" if body else "")
                            + f"Content-Length: {len(body)}\r\n\r\n{body}").encode(), edge)

        within("ACK", 1, body)
        deadline = time.monotonic() + 3
        while "ACK" not in bob_on_a_socket.seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert bob_on_a_socket.seen == ["INVITE", "ACK"]
        session = platform.rtpengine.query(call_id)
        assert len(session.get("tags", {})) == 2, session       # both sides negotiated
        within("BYE", 2)
        assert final_reply(carrier).startswith("SIP/2.0 200 ")
    platform.wait_no_media_sessions()
