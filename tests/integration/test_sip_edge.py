"""The SIP edge end to end: registration, internal and on-net calls, media through rtpengine,
hold, transfer, refusals, and the NOC's log lines. Real Kamailio, rtpengine, MariaDB and
PJSUA2 phones on loopback."""
import os
import re
import signal
import socket
import time

import pytest

from tests.support.platform_logs import MALFORMED_SIP, RTPENGINE_AWAY
from tests.support.rawsip import (TcpConnection, digest_response, invite_from_raw_socket,
                                  replies_within, reply_to)

pytestmark = pytest.mark.integration


def media_goes_through_rtpengine(platform, stats):
    """The phone sends its RTP to rtpengine's port range on the platform, not to the peer."""
    host, port = stats["remote_rtp_address"].rsplit(":", 1)
    return host == platform.cfg.sip_address and \
        platform.cfg.rtp_port_min <= int(port) <= platform.cfg.rtp_port_max


# -- registration ---------------------------------------------------------------------------
def test_registration_with_the_right_password_is_accepted(platform, phones):
    alice = phones("alice")
    assert alice.registered
    bindings = platform.kamcmd("ul.lookup", "location", "alice@acme.pbx.test")
    assert "alice@" in bindings and "127.0.0.1" in bindings
    assert "alice@" not in platform.kamcmd("ul.lookup", "location", "alice@globex.pbx.test")


def test_wrong_password_is_refused_and_logged(platform, phones):
    intruder = phones("bob", register=False, password="not-bobs-password")
    assert intruder.register() == 403
    line = platform.wait_log("VPBX-AUTH", tenant="acme", outcome="wrong_password")
    assert line["from"] == "bob" and line["decision"] == "auth:REGISTER"
    assert "not-bobs-password" not in platform.log_text()


def test_unknown_user_and_unknown_domain_are_refused(platform, phones):
    from tests.sip.phone import Phone
    ghost = Phone("ghost", "whatever-pass", "acme.pbx.test", platform.cfg.sip_port,
                  name="ghost").start()
    stranger = Phone("alice", "alice-s3cret", "nowhere.test", platform.cfg.sip_port,
                     name="stranger").start()
    try:
        assert ghost.register() == 403
        assert stranger.register() == 403
    finally:
        ghost.close()
        stranger.close()
    platform.wait_log("VPBX-AUTH", tenant="acme", outcome="unknown_user")
    platform.wait_log("VPBX-AUTH", outcome="unknown_domain", domain="nowhere.test")


def test_a_phone_over_tcp_registers_and_its_calls_come_over_its_connection(platform, phones):
    """SIP over TCP (README: the edge listens on UDP and TCP): carol registers over a TCP
    connection; alice's call (UDP) reaches her through that very connection."""
    alice = phones("alice")
    carol = TcpConnection(platform)
    try:
        assert carol.register("carol", "carol-s3cret").startswith("SIP/2.0 200 ")
        alice.call("7965")
        invite = carol.receive()
        while invite.startswith("SIP/2.0"):                # (nothing else is owed to her)
            invite = carol.receive()
        assert invite.startswith("INVITE sip:carol@") and "transport=tcp" in invite.split()[1]
        assert re.search(r"^Via: SIP/2\.0/TCP ", invite, re.M | re.I)
        carol.send(reply_to(invite, "486 Busy Here"))
        assert carol.receive().startswith("ACK ")           # hop by hop, on the connection
        alice.wait_call_state("DISCONNECTED")
        assert alice.last_status() == 486
        assert carol.register("carol", "carol-s3cret", expires=0).startswith("SIP/2.0 200 ")
    finally:
        carol.close()
    call_id = re.search(r"^Call-ID:\s*(\S+)", invite, re.M | re.I).group(1)
    line = platform.wait_log("VPBX-ROUTE", call_id=call_id)
    assert (line["from"], line["to"], line["decision"], line["outcome"]) == \
        ("alice", "7965", "extension:7965", "ring")


# -- a call between two users ---------------------------------------------------------------
def test_internal_call_rings_answers_carries_audio_both_ways_and_ends(platform, phones):
    alice, bob = phones("alice"), phones("bob")
    alice.call("7961")
    incoming = bob.wait_incoming()
    assert "alice" in incoming["remote_uri"]
    sip_call_id = incoming["sip_call_id"]
    assert sip_call_id in platform.rtpengine.call_ids()      # media anchored from the offer
    bob.answer()
    alice.wait_call_state("CONFIRMED")
    bob.wait_call_state("CONFIRMED")
    alice_rtp, bob_rtp = alice.wait_rtp(25), bob.wait_rtp(25)
    assert media_goes_through_rtpengine(platform, alice_rtp), alice_rtp
    assert media_goes_through_rtpengine(platform, bob_rtp), bob_rtp
    relayed = platform.rtpengine.query(sip_call_id)["totals"]["RTP"]["packets"]
    assert relayed >= alice_rtp["rx_packets"] + bob_rtp["rx_packets"]   # each one came through
    alice.hangup()
    bob.wait_call_state("DISCONNECTED")
    platform.wait_no_media_sessions()
    line = platform.wait_log("VPBX-ROUTE", call_id=sip_call_id)
    assert line["tenant"] == "acme" and line["from"] == "alice" and line["to"] == "7961"
    assert line["decision"] == "extension:7961" and line["outcome"] == "ring"


def test_call_by_direct_number_reaches_the_user(platform, phones):
    alice, bob = phones("alice"), phones("bob")
    alice.call("+41215550002")
    incoming = bob.wait_incoming()
    bob.answer()
    alice.wait_call_state("CONFIRMED")
    bob.hangup()
    alice.wait_call_state("DISCONNECTED")
    line = platform.wait_log("VPBX-ROUTE", call_id=incoming["sip_call_id"])
    assert line["decision"] == "direct_number:7961"


def test_every_registered_phone_of_the_callee_rings_and_the_others_stop(platform, phones):
    alice = phones("alice")
    bob_desk, bob_mobile = phones("bob"), phones("bob")
    alice.call("7961")
    bob_desk.wait_incoming()
    bob_mobile.wait_incoming()
    bob_mobile.answer()
    alice.wait_call_state("CONFIRMED")
    cancel = bob_desk.wait_cancelled()
    assert 'cause=200' in cancel["text"] and "Call completed elsewhere" in cancel["text"]
    bob_desk.wait_call_state("DISCONNECTED")
    alice.wait_rtp(20)
    bob_mobile.wait_rtp(20)
    alice.hangup()


def test_on_net_call_to_another_tenant_by_full_number(platform, phones):
    alice, gina = phones("alice"), phones("gina")
    alice.call("+41225550001")
    incoming = gina.wait_incoming()
    gina.answer()
    alice.wait_call_state("CONFIRMED")
    gina.wait_rtp(20)
    gina.hangup()
    line = platform.wait_log("VPBX-ROUTE", call_id=incoming["sip_call_id"])
    assert line["decision"] == "on_net:7956" and line["callee_tenant"] == "globex"


def test_extension_of_another_tenant_reaches_nobody_of_it(platform, phones):
    alice, ivan = phones("alice"), phones("ivan")
    alice.call("sip:7990@globex.pbx.test")          # Ivan's extension, in Globex
    alice.wait_call_state("DISCONNECTED")
    assert alice.last_status() == 404
    time.sleep(0.5)
    assert not ivan.events("incoming_call")
    platform.wait_log("VPBX-ROUTE", tenant="acme", to="7990", decision="unknown_extension",
                      outcome="404")


def test_same_extension_in_two_tenants_rings_the_callers_own(platform, phones):
    gina, ivan = phones("gina"), phones("ivan")
    alice = phones("alice")
    ivan.call("7956")                                 # Globex's 7956 is Gina, not Alice
    gina.wait_incoming()
    ivan.hangup()
    assert not alice.events("incoming_call")


def test_unregistered_callee_gives_480_unknown_number_404_malformed_484(platform, phones):
    alice = phones("alice")
    alice.call("7970")                                # Dave has no phone registered
    alice.wait_call_state("DISCONNECTED")
    assert alice.last_status() == 480
    alice.call("7999")
    alice.wait_call_state("DISCONNECTED")
    assert alice.last_status() == 404
    alice.call("0123")                   # neither an extension nor, after the 0, a number
    alice.wait_call_state("DISCONNECTED")
    assert alice.last_status() == 484    # (a full unknown number goes to the carrier)
    platform.wait_log("VPBX-ROUTE", to="7970", decision="extension:7970", outcome="480")


def test_call_from_an_unauthenticated_phone_is_challenged_not_routed(platform, phones):
    bob = phones("bob")
    liar = phones("alice", register=False, password="wrong-password")
    liar.call("7961")
    liar.wait_call_state("DISCONNECTED")
    assert liar.last_status() == 403
    assert not bob.events("incoming_call")


# -- however a call ends, rtpengine forgets it ------------------------------------------------
def test_caller_cancels_while_ringing(platform, phones):
    alice, bob = phones("alice"), phones("bob")
    alice.call("7961")
    bob.wait_incoming()
    alice.hangup()                                   # CANCEL
    bob.wait_call_state("DISCONNECTED")
    assert alice.last_status() == 487
    platform.wait_no_media_sessions()


def test_callee_busy_reaches_the_caller(platform, phones):
    alice, bob = phones("alice"), phones("bob")
    alice.call("7961")
    bob.wait_incoming()
    bob.reject(486)
    alice.wait_call_state("DISCONNECTED")
    assert alice.last_status() == 486
    platform.wait_no_media_sessions()


# -- in-dialog requests pass through ----------------------------------------------------------
def test_hold_and_unhold_pass_through_and_media_resumes(platform, phones):
    alice, bob = phones("alice"), phones("bob")
    alice.call("7961")
    bob.wait_incoming()
    bob.answer()
    alice.wait_call_state("CONFIRMED")
    alice.wait_rtp(20)
    alice.hold()
    bob.wait_media_state("REMOTE_HOLD")
    alice.unhold()
    bob.wait_media_state("ACTIVE")
    before = bob.rtp_stats()["rx_packets"]
    time.sleep(1.0)
    assert bob.rtp_stats()["rx_packets"] > before + 20     # alice's audio flows again
    alice.hangup()


def test_blind_transfer_connects_the_caller_to_the_target(platform, phones):
    alice, bob, carol = phones("alice"), phones("bob"), phones("carol")
    alice.call("7961")
    bob.wait_incoming()
    bob.answer()
    bob.wait_call_state("CONFIRMED")
    bob.transfer("7965")                             # REFER alice to carol
    request = alice.wait_transfer_request()
    assert request["accepted"]
    carol.wait_incoming(timeout=10)
    carol.answer()
    assert bob.wait_transfer_result() == 200
    new_call = request["new_call"]
    alice.wait_call_state("CONFIRMED", new_call)
    carol.wait_rtp(20)
    alice.wait_rtp(20, new_call)
    if bob.call_state() != "DISCONNECTED":
        bob.hangup()
    alice.hangup(new_call)
    carol.wait_call_state("DISCONNECTED")


def test_attended_transfer_connects_the_caller_to_the_consulted_user(platform, phones):
    alice, bob, carol = phones("alice"), phones("bob"), phones("carol")
    first = alice.call("7961")
    bob_first = bob.wait_incoming()["call"]
    bob.answer(call_id=bob_first)
    alice.wait_call_state("CONFIRMED", first)
    bob.hold(bob_first)                              # bob consults carol meanwhile
    consultation = bob.call("7965")
    carol_consulted = carol.wait_incoming()["call"]
    carol.answer(call_id=carol_consulted)
    bob.wait_call_state("CONFIRMED", consultation)
    bob.transfer_attended(bob_first, consultation)   # REFER alice: carol, Replaces bob-carol
    request = alice.wait_transfer_request()
    assert request["accepted"] and "Replaces=" in request["target"]
    replaced = carol.wait_replaced()
    assert replaced["call"] == carol_consulted
    alice.wait_call_state("CONFIRMED", request["new_call"], timeout=10)
    assert bob.wait_transfer_result(bob_first) == 200
    bob.wait_call_state("DISCONNECTED", consultation)          # carol's side replaced it
    alice.wait_rtp(20, request["new_call"])
    carol.wait_rtp(20, replaced["new_call"])
    bob.hangup(bob_first)                                     # bob leaves: it worked
    alice.wait_call_state("DISCONNECTED", first)
    alice.hangup(request["new_call"])
    carol.wait_call_state("DISCONNECTED", replaced["new_call"])
    platform.wait_no_media_sessions()


# -- robustness -------------------------------------------------------------------------------
@pytest.mark.expect_log_errors(MALFORMED_SIP)
def test_malformed_sip_is_dropped_and_the_edge_keeps_working(platform, phones):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for garbage in (b"\x00\x01garbage\r\n\r\n", b"INVITE sip:x SIP/2.0\r\nVia: broken\r\n\r\n",
                        b"REGISTER sip:acme.pbx.test SIP/2.0\r\nContent-Length: 99999\r\n\r\n"):
            sock.sendto(garbage, (platform.cfg.sip_address, platform.cfg.sip_port))
    alice, bob = phones("alice"), phones("bob")
    alice.call("7961")
    bob.wait_incoming()
    bob.answer()
    alice.wait_call_state("CONFIRMED")
    alice.hangup()


def call_during_rtpengine_stall(platform, caller, anchored=frozenset()):
    """`caller` calls bob while rtpengine is stopped (SIGSTOP) and gets 503. The offer
    Kamailio gave up on is still in rtpengine's socket and makes a session nobody uses once
    rtpengine runs again (dropped after its media timeout, not these tests' subject): it is
    deleted here; the sessions `anchored` before the stall are left alone."""
    rtpengine = platform.stack.pid("rtpengine")
    os.kill(rtpengine, signal.SIGSTOP)
    try:
        caller.call("7961")
        caller.wait_call_state("DISCONNECTED", timeout=10)
        assert caller.last_status() == 503
    finally:
        os.kill(rtpengine, signal.SIGCONT)
    deadline = time.monotonic() + 3
    while set(platform.rtpengine.call_ids()) <= anchored and time.monotonic() < deadline:
        time.sleep(0.05)
    for call_id in set(platform.rtpengine.call_ids()) - anchored:
        platform.rtpengine.request("delete", call_id=call_id)


@pytest.mark.expect_log_errors(RTPENGINE_AWAY)
def test_a_moment_rtpengine_does_not_answer_costs_calls_that_moment_only(platform, phones):
    """rtpengine stalls for a moment (an overloaded host, a slow "play media"): the call that
    meets the stall gets 503, and the next call a couple of seconds later is anchored as
    usual, not refused for a minute (Kamailio's default for a relay that once timed out)."""
    alice, bob = phones("alice"), phones("bob")
    call_during_rtpengine_stall(platform, alice)
    assert not bob.events("incoming_call")
    time.sleep(2.5)
    alice.call("7961")
    bob.wait_incoming()
    bob.answer()
    alice.wait_call_state("CONFIRMED")
    assert media_goes_through_rtpengine(platform, alice.wait_rtp(10))
    alice.hangup()
    bob.wait_call_state("DISCONNECTED")
    platform.wait_no_media_sessions()


@pytest.mark.expect_log_errors(RTPENGINE_AWAY)
def test_a_call_up_when_rtpengine_stalls_still_frees_its_media_when_it_ends(platform, phones):
    """A stall makes Kamailio mark the relay unavailable (the new call that met it gets 503)
    and send no command for the calls it anchors until a new call re-probes it; the hang-up
    of one still deletes its media session at once, instead of leaving it to rtpengine's
    media timeout."""
    alice, bob, carol = phones("alice"), phones("bob"), phones("carol")
    alice.call("7961")
    bob.wait_incoming()
    bob.answer()
    alice.wait_call_state("CONFIRMED")
    anchored = set(platform.rtpengine.call_ids())
    assert anchored
    call_during_rtpengine_stall(platform, carol, anchored)
    assert set(platform.rtpengine.call_ids()) == anchored
    alice.hangup()
    bob.wait_call_state("DISCONNECTED")
    platform.wait_no_media_sessions()


def test_a_guessed_password_is_refused_once_not_retransmitted(platform, phones):
    """An INVITE whose credentials are wrong gets one 403: the refusal is not retransmitted
    for half a minute to a sender that never ACKs (a password guesser, or a forged source
    address that would make the platform flood a third party); a retransmission of the
    INVITE is answered again."""
    import re

    bob = phones("bob")
    edge = (platform.cfg.sip_address, platform.cfg.sip_port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((platform.cfg.sip_address, 0))
        sock.sendto(invite_from_raw_socket(platform, sock, "ask"), edge)
        challenge = b""
        sock.settimeout(5)
        while b" 407 " not in challenge.split(b"\r\n", 1)[0]:
            challenge = sock.recv(65535)
        realm = re.search(rb'realm="([^"]+)"', challenge).group(1).decode()
        nonce = re.search(rb'nonce="([^"]+)"', challenge).group(1).decode()
        uri = "sip:7961@acme.pbx.test"
        response = digest_response("alice", realm, "not-her-password", nonce, "INVITE", uri)
        authorization = (f'Proxy-Authorization: Digest username="alice", realm="{realm}", '
                         f'nonce="{nonce}", uri="{uri}", response="{response}", '
                         f'algorithm=MD5\r\n')
        guess = invite_from_raw_socket(platform, sock, "guess1", authorization)
        sock.sendto(guess, edge)
        refusals = [line for line in replies_within(sock, 2.5) if " 100 " not in line]
        assert refusals == ["SIP/2.0 403 Forbidden"]
        sock.sendto(guess, edge)                    # the guesser did not hear it: asks again
        assert "SIP/2.0 403 Forbidden" in replies_within(sock, 2.0)
    platform.wait_log("VPBX-AUTH", tenant="acme", outcome="wrong_password", source=edge[0])
    assert not bob.events("incoming_call")
