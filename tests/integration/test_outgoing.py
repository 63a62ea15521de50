"""External calls (SPEC F6, F1.4): the access code, E.164 to the carrier, on-net first, the
caller ID the carrier sees, and the carrier's failures reaching the caller."""
import re
import socket
import threading
import time

import pytest
import yaml

from tests.integration.test_call_records import record_of
from tests.sip.phone import Phone
from tests.support.rawsip import final_reply, register, reply_to, signed_invite
from tests.support.ringing import ringing_order
from vpbx.storage import connection as db

pytestmark = pytest.mark.integration


@pytest.fixture
def gateway(platform, carrier_gateway, tmp_path):
    """The carrier's gateway (the platform file's, on this run's port), as a phone that
    answers."""
    address, port = carrier_gateway
    phone = Phone("gateway", bind_address=address, sip_port=port, name="gateway",
                  log_dir=str(tmp_path)).start()
    yield phone
    phone.close()


def sent_out(gateway, number: str) -> str:
    """The start of the INVITE the carrier's gateway gets for `number`."""
    return f"INVITE sip:{number}@{gateway.bind_address}:{gateway.sip_port}"


def header(invite_text, name):
    match = re.search(rf"^{name}:\s*(.+?)\r?$", invite_text, re.M | re.I)
    return match.group(1) if match else None


def test_external_call_with_the_access_code_goes_to_the_carrier_in_e164(platform, phones, gateway):
    alice = phones("alice")                               # acme: access code on
    alice.call("00219876543")                             # 0 + 021 987 65 43
    incoming = gateway.wait_incoming()
    invite = incoming["invite_text"]
    assert invite.startswith(sent_out(gateway, "+41219876543"))
    assert "+41215550001@" in header(invite, "From")                  # her direct number
    assert "+41215550001@" in header(invite, "P-Asserted-Identity")
    gateway.answer()
    alice.wait_call_state("CONFIRMED")
    alice.wait_rtp(20)
    gateway.wait_rtp(20)
    gateway.hangup()                     # the BYE comes back with the From/To restored
    alice.wait_call_state("DISCONNECTED")
    line = platform.wait_log("VPBX-ROUTE", tenant="acme", to="00219876543")
    assert line["decision"] == "external" and line["outcome"] == "carrier"
    record = record_of(platform, line["call_id"])
    assert record["on_net"] == 0 and record["route"] == "carrier:+41219876543"
    assert record["outcome"] == "answered" and record["caller"] == "alice"


def test_without_the_access_code_numbers_are_dialled_directly(platform, phones, gateway):
    alice, gina = phones("alice"), phones("gina")        # globex: access code off
    gina.call("0219876543")
    assert gateway.wait_incoming()["invite_text"].startswith("INVITE sip:+41219876543@")
    gina.hangup()
    alice.call("0219876543")                              # acme needs the 0 first
    alice.wait_call_state("DISCONNECTED")
    assert alice.last_status() == 484
    assert len(gateway.events("incoming_call")) == 1


def test_a_user_without_direct_number_shows_the_main_number_or_a_rule(platform, phones, gateway):
    caller = phones("cal")                                # initech's 7000: no direct number
    caller.call("00219876543")
    invite = gateway.wait_incoming()["invite_text"]
    assert "+41215559000@" in header(invite, "From")       # initech's main number
    caller.hangup()
    conn = db.connect(platform.cfg)
    try:
        with conn.cursor() as cur:
            cur.execute("INSERT INTO presentation_rules (tenant_id, number)"
                        " SELECT id, '+41215559001' FROM tenants WHERE slug = 'initech'")
            rule = cur.lastrowid
            cur.execute("INSERT INTO presentation_rule_users (rule_id, user_id) SELECT %s, u.id"
                        " FROM users u JOIN tenants t ON t.id = u.tenant_id"
                        " WHERE t.slug = 'initech' AND u.extension = '7000'", (rule,))
            cur.execute("UPDATE platform_settings SET value = value + 1"
                        " WHERE name = 'config_generation'")
        time.sleep(1.2)                                   # noticed within a second
        caller.call("00219876543")
        invite = gateway.wait_incoming()["invite_text"]
        assert "+41215559001@" in header(invite, "From")
        assert "+41215559001@" in header(invite, "P-Asserted-Identity")
        caller.hangup()
    finally:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM presentation_rules WHERE number = '+41215559001'")
            cur.execute("UPDATE platform_settings SET value = value + 1"
                        " WHERE name = 'config_generation'")
        conn.close()


def test_on_net_numbers_never_reach_the_carrier(platform, phones, gateway):
    alice, gina = phones("alice"), phones("gina")
    m1, m2, m3 = phones("m1"), phones("m2"), phones("m3")
    alice.call("00041225550001")                          # Gina's direct number, in Globex
    gina.wait_incoming()
    gina.answer()
    alice.wait_call_state("CONFIRMED")
    alice.hangup()
    alice.call("00215559000")                             # Initech's global number
    ringing_order({"7001": m1, "7002": m2, "7003": m3}, 1, timeout=3)
    alice.hangup()
    assert not gateway.events("incoming_call")
    line = platform.wait_log("VPBX-ROUTE", to="00215559000", outcome="plan")
    assert line["tenant"] == "initech" and line["on_net"] == "1" and line["caller_tenant"] == "acme"


def test_carrier_busy_reaches_the_caller(platform, phones, gateway):
    alice = phones("alice")
    alice.call("00219876543")
    gateway.wait_incoming()
    gateway.reject(486)
    alice.wait_call_state("DISCONNECTED")
    assert alice.last_status() == 486


def test_a_carrier_that_answers_nothing_times_out(platform, phones):
    alice = phones("alice")                               # no gateway listening at all
    started = time.monotonic()
    alice.call("00219876543")
    alice.wait_call_state("DISCONNECTED", timeout=10)
    assert alice.last_status() == 408
    assert 4 <= time.monotonic() - started <= 8


def test_a_directory_short_code_reaches_the_contacts_number(platform, phones, gateway,
                                                             monkeypatch):
    from vpbx.provisioning import directory
    monkeypatch.setenv("VPBX_CONFIG", platform.cfg.path)   # the change is announced to it
    conn = db.connect(platform.cfg)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id FROM tenants WHERE slug = 'acme'")
            acme_id = cur.fetchone()["id"]
        contact, problems = directory.check_contact("Plumber", "021 987 65 43", "3435")
        assert directory.add_contact(conn, acme_id, contact) == []
        alice, gina = phones("alice"), phones("gina")
        alice.call("##3435")                                 # the very next call uses it
        invite = gateway.wait_incoming()["invite_text"]
        assert invite.startswith(sent_out(gateway, "+41219876543"))
        alice.hangup()
        gina.call("##3435")                                  # Globex has no such contact
        gina.wait_call_state("DISCONNECTED")
        assert gina.last_status() == 404
        assert len(gateway.events("incoming_call")) == 1
    finally:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM directory_contacts")
        conn.close()


def test_a_no_answer_rule_to_an_external_number_goes_out_in_e164(platform, phones, gateway):
    caller = phones("cal")
    caller.call("409")              # Overflow: nobody can ring, then {number: "00219876543"}
    incoming = gateway.wait_incoming(timeout=3)
    invite = incoming["invite_text"]
    assert invite.startswith(sent_out(gateway, "+41219876543"))
    assert "sip:+41215559000@initech.pbx.test" in header(invite, "From")   # cal: main number
    assert header(invite, "Diversion") == \
        "<sip:+41215559000@initech.pbx.test>;reason=unavailable;counter=1"
    gateway.answer()
    caller.wait_call_state("CONFIRMED")
    caller.hangup()
    platform.wait_log("VPBX-ROUTE", tenant="initech", to="409", decision="number:+41219876543",
                      outcome="carrier")


def test_a_national_number_written_without_the_access_code_goes_out_in_e164(platform, phones,
                                                                           gateway):
    """initech has the access code on; its National group's no-answer rule is written
    {number: "0219876544"}, the national number without the 0 for an outside line: the carrier
    gets +41219876544, not "0219876544" as written (issue 25)."""
    caller = phones("cal")
    caller.call("413")              # National: nobody can ring, then {number: "0219876544"}
    incoming = gateway.wait_incoming(timeout=3)
    assert incoming["invite_text"].startswith(sent_out(gateway, "+41219876544"))
    gateway.answer()
    caller.wait_call_state("CONFIRMED")
    caller.hangup()
    platform.wait_log("VPBX-ROUTE", tenant="initech", to="413", decision="number:+41219876544",
                      outcome="carrier")


def test_a_number_whose_plan_goes_straight_out_forwards_unconditionally(platform, gateway,
                                                                          tmp_path):
    """A global number whose time range sends its calls to an external number (nothing rings
    first): the carrier gets the outside caller in From and a Diversion of that number with
    reason unconditional."""
    outside = Phone("carrier", bind_address="127.0.0.2", name="outside",
                    log_dir=str(tmp_path)).start()
    try:
        outside.call(f"sip:+41215559003@{platform.cfg.sip_address}:{platform.cfg.sip_port}")
        incoming = gateway.wait_incoming(timeout=5)
        invite = incoming["invite_text"]
        assert invite.startswith(sent_out(gateway, "+41219876543"))
        assert header(invite, "From").startswith("sip:carrier@")
        assert header(invite, "Diversion") == \
            "<sip:+41215559003@initech.pbx.test>;reason=unconditional;counter=1"
        gateway.answer()
        outside.wait_call_state("CONFIRMED")
        outside.hangup()
        gateway.wait_call_state("DISCONNECTED")
    finally:
        outside.close()
    line = platform.wait_log("VPBX-ROUTE", tenant="initech", to="+41215559003", outcome="plan")
    assert (line["range"], line["decision"]) == ("Always", "number:+41219876543")


def test_a_call_forwarded_after_ringing_shows_the_caller_and_who_forwarded_it(
        platform, phones, gateway):
    """A user's call to a group whose member does not answer, forwarded to an external
    number: the carrier sees the number the tenant presents for the caller (From, one
    P-Asserted-Identity) and a Diversion from the tenant's main number (no-answer). The
    carrier's BYE still reaches the caller's phone (its From and To as the phone knows them)."""
    caller, member = phones("cal"), phones("m3")
    caller.call("410")                          # Spill: 7003 rings 5 s, then 00219876543
    member.wait_incoming()
    invite = gateway.wait_incoming(timeout=8)["invite_text"]
    assert invite.startswith(sent_out(gateway, "+41219876543"))
    assert "sip:+41215559000@initech.pbx.test" in header(invite, "From")
    identities = re.findall(r"^P-Asserted-Identity:(.*?)\r?$", invite, re.M | re.I)
    assert [value.strip() for value in identities] == ["<sip:+41215559000@initech.pbx.test>"]
    assert header(invite, "Diversion") == \
        "<sip:+41215559000@initech.pbx.test>;reason=no-answer;counter=1"
    gateway.answer()
    caller.wait_call_state("CONFIRMED")
    gateway.hangup()
    caller.wait_call_state("DISCONNECTED")
    assert caller.last_status() == 200


def test_an_outside_call_forwarded_keeps_its_caller_and_shows_who_forwarded_it(
        platform, phones, gateway, tmp_path):
    """A call from the carrier to a global number whose group does not answer, forwarded
    to an external number: the outside caller stays in From, nothing is asserted for them,
    and a Diversion names the global number (no-answer)."""
    member = phones("m3")
    outside = Phone("carrier", bind_address="127.0.0.2", name="outside",
                    log_dir=str(tmp_path)).start()
    try:
        outside.call(f"sip:+41215559002@{platform.cfg.sip_address}:{platform.cfg.sip_port}")
        member.wait_incoming()                  # Spill line: 7003 rings 5 s, then 00219876543
        invite = gateway.wait_incoming(timeout=8)["invite_text"]
        assert invite.startswith(sent_out(gateway, "+41219876543"))
        assert header(invite, "From").startswith("sip:carrier@")     # as the caller sent it
        assert not re.search(r"^P-Asserted-Identity:", invite, re.M | re.I)
        assert header(invite, "Diversion") == \
            "<sip:+41215559002@initech.pbx.test>;reason=no-answer;counter=1"
        gateway.answer()
        outside.wait_call_state("CONFIRMED")
        outside.hangup()
    finally:
        outside.close()


def test_a_phone_cannot_choose_the_identity_the_carrier_sees(platform, phones, gateway):
    """A phone's own From is tied to its account (403 otherwise, see test_sip_edge); the
    P-Asserted-Identity the carrier gets is always the one the platform sets."""
    alice = phones("alice")
    alice.call("00219876543")
    invite = gateway.wait_incoming()["invite_text"]
    identities = re.findall(r"^P-Asserted-Identity:.*$", invite, re.M | re.I)
    assert len(identities) == 1 and "+41215550001@" in identities[0]
    alice.hangup()


def forged_identity(number):
    """The identity headers of a phone that pretends to be `number`."""
    return [("P-Asserted-Identity", f"<sip:{number}@pbx.test>"),
            ("P-Preferred-Identity", f"<sip:{number}@pbx.test>"),
            ("Remote-Party-ID", f'"{number}" <sip:{number}@pbx.test>;party=calling;screen=yes')]


@pytest.fixture
def presentation_rules(platform, tmp_path):
    """Set a tenant's presentation rules with `vpbx apply` (a file with only its outgoing:
    section); every tenant set so is given no rules again afterwards."""
    changed = set()

    def apply(tenant, rules):
        path = tmp_path / f"{tenant}-outgoing.yaml"
        path.write_text(yaml.safe_dump({"tenant": tenant, "outgoing": {"presentation": rules}}))
        result = platform.vpbx("apply", str(path))
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def set_rules(tenant, rules):
        changed.add(tenant)
        return apply(tenant, rules)

    yield set_rules
    for tenant in sorted(changed):
        apply(tenant, [])


@pytest.mark.parametrize("caller, rule, shown, forged", [
    ("alice", None, "+41215550001", "+41215559000"),      # her direct number; Initech's main
    ("cal", None, "+41215559000", "+41215550001"),        # no direct number: the main number
    ("cal", "+41215559001", "+41215559001", "+41215559000"),   # the rule's, not another own
], ids=["direct-number", "main-number", "rule"])
def test_a_forged_identity_never_reaches_the_carrier(platform, phones, gateway,
                                                     presentation_rules, caller, rule, shown,
                                                     forged):
    """A phone that sends a P-Asserted-Identity, P-Preferred-Identity, Remote-Party-ID and
    a From display name of a number it does not own: the carrier sees the number the
    tenant's rules give (its direct number, the main number, a rule's number) in From and
    in the one P-Asserted-Identity, and the forged number nowhere."""
    tenant = "acme" if caller == "alice" else "initech"
    if rule:
        assert presentation_rules(tenant, [{"number": rule, "users": ["7000"]}]) \
            == f"presentation rule {rule}: created\n"
    phone = phones(caller, display_name=forged)
    phone.call("00219876543", headers=forged_identity(forged))
    invite = gateway.wait_incoming()["invite_text"]
    assert re.search(rf"^From:\s*<?sip:\{shown}@", invite, re.M | re.I), header(invite, "From")
    identities = re.findall(r"^P-Asserted-Identity:.*$", invite, re.M | re.I)
    assert len(identities) == 1 and f"<sip:{shown}@" in identities[0]
    assert not re.search(r"^(P-Preferred-Identity|Remote-Party-ID):", invite, re.M | re.I)
    assert forged not in invite
    gateway.answer()
    phone.wait_call_state("CONFIRMED")
    phone.hangup()
    line = platform.wait_log("VPBX-ROUTE", tenant=tenant, to="00219876543", outcome="carrier")
    assert line["presented"] == shown


def test_a_phone_cannot_claim_an_identity_within_a_call_either(platform, phones):
    """The identity headers a phone puts in a re-INVITE (here, its hold) do not reach the
    other party: identities are the platform's to assert, after the call's setup too."""
    alice, bob = phones("alice"), phones("bob")
    alice.call("7961")
    bob.wait_incoming()
    bob.answer()
    alice.wait_call_state("CONFIRMED")
    alice.hold(headers=forged_identity("+41215559000"))
    bob.wait_media_state("REMOTE_HOLD")
    reinvites = [event["text"] for event in bob.events("sip_rx", kind="request", method="INVITE")
                 if "a=sendonly" in event["text"]]
    assert reinvites
    for text in reinvites:
        assert not re.search(r"^(P-Asserted-Identity|P-Preferred-Identity|Remote-Party-ID):",
                             text, re.M | re.I), text
    alice.hangup()


# -- a phone's own call forwarding (302) -------------------------------------------------------
def call_forwarded_by_bobs_phone(phones, target, answerer):
    """Alice calls Bob, whose phone forwards the call (302) to `target`, where `answerer`
    answers: alice's phone, her call's handle and the call's Call-ID."""
    alice, bob = phones("alice"), phones("bob")
    call = alice.call("7961")
    incoming = bob.wait_incoming()
    bob.redirect(target)
    answerer.wait_incoming()
    answerer.answer()
    alice.wait_call_state("CONFIRMED", call)
    return alice, call, incoming["sip_call_id"]


class ForwardingPhone:
    """A user's phone on a bare socket, registered, whose call forwarding answers every call
    302 to `target` (an extension): the INVITEs it got. close() unregisters it."""

    def __init__(self, platform, user, password, target):
        self.platform, self.user, self.password = platform, user, password
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((platform.cfg.sip_address, 0))
        reply = register(platform, self.sock, user, password, expires=60, call=f"fw-{user}")
        assert reply.startswith("SIP/2.0 200 "), reply
        self.contact = f"Contact: <sip:{target}@acme.pbx.test>\r\n"
        self.invites = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.answer, daemon=True)
        self.thread.start()

    def answer(self):
        self.sock.settimeout(0.1)
        while not self.stopped.is_set():
            try:
                data, sender = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            text = data.decode("utf-8", "replace")
            if text.startswith("INVITE "):
                self.invites.append(text)
                self.sock.sendto(reply_to(text, "302 Moved Temporarily", self.contact).encode(),
                                 sender)

    def close(self):
        self.stopped.set()
        self.thread.join()
        try:
            register(self.platform, self.sock, self.user, self.password, expires=0,
                     call=f"fw-{self.user}-end")
        finally:
            self.sock.close()


def test_phones_forwarding_in_a_loop_are_followed_three_times_then_the_caller_gets_the_3xx(
        platform, phones):
    """Bob forwards to Carol, Carol to Dave, Dave to Bob, Bob again to Carol: the platform
    follows 3 redirects in one call (Carol, Dave, Bob again), and the 4th 302 goes back to
    the caller (alice on a bare socket: a PJSUA phone does not show the 3xx it gets)."""
    forwarding = [ForwardingPhone(platform, "bob", "bob-s3cret!", "7965"),
                  ForwardingPhone(platform, "carol", "carol-s3cret", "7970"),
                  ForwardingPhone(platform, "dave", "dave-s3cret", "7961")]
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as alice:
            alice.bind((platform.cfg.sip_address, 0))
            invite = signed_invite(platform, alice, f"loop{time.monotonic_ns()}", "alice-s3cret")
            alice.sendto(invite, (platform.cfg.sip_address, platform.cfg.sip_port))
            answer = final_reply(alice)
    finally:
        for phone in forwarding:
            phone.close()
    assert answer.startswith("SIP/2.0 302 "), answer
    bob, carol, dave = forwarding
    assert (len(bob.invites), len(carol.invites), len(dave.invites)) == (2, 1, 1)
    call_id = re.search(r"^Call-ID:\s*(\S+)", invite.decode(), re.M | re.I).group(1)
    followed = [line["decision"] for line in platform.log_lines("VPBX-ROUTE", call_id=call_id)
                if line["outcome"] == "ring" and line["decision"].startswith("redirect")]
    assert followed == ["redirect:7965", "redirect:7970", "redirect:7961"]
    refused = platform.wait_log("VPBX-ROUTE", call_id=call_id, outcome="302:not_followed")
    assert (refused["redirects"], refused["forwarded_by"]) == ("4", "7961")


def test_a_call_a_phone_forwards_to_another_user_goes_on_through_the_platform(platform, phones):
    """Bob's phone forwards his calls itself (302 Moved Temporarily, Contact: carol): the
    platform rings carol, and the caller never sees the 302."""
    carol = phones("carol")
    alice, call, call_id = call_forwarded_by_bobs_phone(phones, "7965", carol)
    alice.wait_rtp(20, call)
    carol.wait_rtp(20)
    # (the 302 never reached alice: her phone would have ended the call, not confirmed it)
    line = platform.wait_log("VPBX-ROUTE", call_id=call_id, decision="redirect:7965",
                             outcome="ring")
    assert line["forwarded_by"] == "7961"
    alice.hangup(call)
    carol.wait_call_state("DISCONNECTED")
    record = record_of(platform, call_id)
    assert (record["outcome"], record["callee"]) == ("answered", "7965")


def test_an_outside_call_a_phone_forwards_to_a_mobile_goes_out_with_a_diversion(
        platform, phones, gateway, tmp_path):
    """An outside caller dials Bob's direct number; his phone forwards to a mobile number
    (302): the call goes out through the carrier, the caller's number in From, and a
    Diversion with Bob's number (reason deflection)."""
    bob = phones("bob")
    outside = Phone("carrier", bind_address="127.0.0.2", name="outside",
                    log_dir=str(tmp_path)).start()
    try:
        outside.call(f"sip:+41215550002@{platform.cfg.sip_address}:{platform.cfg.sip_port}")
        bob.wait_incoming()
        bob.redirect("00791234567")                    # as he would dial it: 0 + 079 …
        invite = gateway.wait_incoming(timeout=5)["invite_text"]
        assert invite.startswith(sent_out(gateway, "+41791234567"))
        assert header(invite, "From").startswith("sip:carrier@")
        assert header(invite, "Diversion") == \
            "<sip:+41215550002@acme.pbx.test>;reason=deflection;counter=1"
        gateway.answer()
        outside.wait_call_state("CONFIRMED")      # (a 302 reaching it would have ended it)
        outside.hangup()
    finally:
        outside.close()


def test_a_call_a_phone_forwards_to_a_global_number_follows_that_numbers_plan(platform, phones):
    """Bob's phone forwards to initech's Spill line (a global number of the platform, as he
    would dial it): the call follows that number's plan, whose group rings 7003."""
    member = phones("m3")
    alice, call, call_id = call_forwarded_by_bobs_phone(phones, "00215559002", member)
    line = platform.wait_log("VPBX-ROUTE", call_id=call_id, decision="redirect", outcome="plan")
    assert (line["tenant"], line["number"], line["plan"]) == \
        ("initech", "+41215559002", "group:Spill>number:+41219876543")
    alice.hangup(call)
    member.wait_call_state("DISCONNECTED")


def test_a_users_call_a_phone_forwards_out_shows_the_caller_and_the_forwarding_user(
        platform, phones, gateway):
    """Alice dials Bob's extension; his phone forwards to a mobile: the carrier sees Alice's
    number (as on her own external calls) and a Diversion with Bob's number, not the
    tenant's main number."""
    alice, bob = phones("alice"), phones("bob")
    call = alice.call("7961")
    bob.wait_incoming()
    bob.redirect("00791234567")
    invite = gateway.wait_incoming(timeout=5)["invite_text"]
    assert header(invite, "From").startswith("sip:+41215550001@acme.pbx.test;")
    assert header(invite, "Diversion") == \
        "<sip:+41215550002@acme.pbx.test>;reason=deflection;counter=1"
    gateway.answer()
    alice.wait_call_state("CONFIRMED", call)
    alice.hangup(call)


class SilentGateway:
    """The carrier's gateway reading every request and answering nothing: the monotonic
    times of the INVITEs it got."""

    def __init__(self, address, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, port))
        self.sock.settimeout(0.1)
        self.invites = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self):
        while not self.stopped.is_set():
            try:
                data, _sender = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            if data.startswith(b"INVITE "):
                self.invites.append(time.monotonic())

    def close(self):
        self.stopped.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture
def silent_gateway(platform, carrier_gateway):
    gateway = SilentGateway(*carrier_gateway)
    yield gateway
    gateway.close()


def test_a_group_forwarding_to_a_silent_carrier_ends_after_5_s(platform, phones,
                                                                silent_gateway):
    """Overflow (409): its member 7004 has no phone, the plan forwards to an external
    number at once; the carrier answers nothing: the caller gets 408 after 5 s, as for a
    phone's own external call (not after the ~120 s of INVITE retransmissions)."""
    caller = phones("cal")
    started = time.monotonic()
    caller.call("409")
    caller.wait_call_state("DISCONNECTED", timeout=15)
    assert caller.last_status() == 408
    assert silent_gateway.invites
    assert 4 <= time.monotonic() - silent_gateway.invites[0] <= 7
    assert time.monotonic() - started <= 8


def test_a_no_answer_rule_forwarding_to_a_silent_carrier_ends_5_s_later(platform, phones,
                                                                         silent_gateway):
    """Spill (410): 7003 rings 5 s, then the no-answer rule forwards to an external number
    that the carrier never answers: 408 5 s later."""
    caller, member = phones("cal"), phones("m3")
    caller.call("410")
    member.wait_incoming()
    caller.wait_call_state("DISCONNECTED", timeout=20)
    assert caller.last_status() == 408
    assert silent_gateway.invites
    assert 4 <= time.monotonic() - silent_gateway.invites[0] <= 7


def test_a_range_forwarding_to_a_silent_carrier_ends_after_5_s(platform, silent_gateway,
                                                               tmp_path):
    """Forward line (+41215559003): its range sends outside calls to an external number at
    once; the carrier's trunk answers nothing: the outside caller gets 408 after 5 s."""
    outside = Phone("carrier", bind_address="127.0.0.2", name="outside",
                    log_dir=str(tmp_path)).start()
    try:
        started = time.monotonic()
        outside.call(f"sip:+41215559003@{platform.cfg.sip_address}:{platform.cfg.sip_port}")
        outside.wait_call_state("DISCONNECTED", timeout=15)
        assert outside.last_status() == 408
        assert silent_gateway.invites
        assert 4 <= time.monotonic() - started <= 8
    finally:
        outside.close()
