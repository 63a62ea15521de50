"""The database goes away and comes back (F12.3): the edge answers 503 at once instead of
hanging, calls already up carry on and end cleanly, and everything works again after."""
import re
import socket
import time

import pytest

from tests.integration.conftest import DOMAINS, PASSWORDS, module_platform
from tests.sip.phone import Phone
from tests.support.platform_logs import DATABASE_AWAY
from tests.support.rawsip import register
from vpbx.storage.routing_data import DATABASE_BACKOFF_SECONDS

pytestmark = [pytest.mark.integration, pytest.mark.expect_log_errors(DATABASE_AWAY)]


@pytest.fixture(scope="module")
def fragile_platform(platform_config, tmp_path_factory):
    """A platform whose every database connection goes through a forwarder we can cut."""
    with module_platform(platform_config, str(tmp_path_factory.mktemp("fragile")),
                         "acme.yaml") as plat:
        yield plat


def phone(plat, username, tmp_path):
    made = Phone(username, PASSWORDS[username], DOMAINS[username], plat.cfg.sip_port,
                 name=f"{username}-fragile", log_dir=str(tmp_path)).start()
    assert made.register() == 200
    return made


def registered_again(member, within):
    """Register until the edge accepts it again (the back-off after a failure is over)."""
    deadline = time.monotonic() + within
    while (code := member.register()) != 200 and time.monotonic() < deadline:
        assert code == 503, code
        time.sleep(0.2)
    return code == 200


def test_database_outage_gives_503_quickly_and_loses_nothing(fragile_platform, tmp_path):
    plat = fragile_platform
    alice, bob = phone(plat, "alice", tmp_path), phone(plat, "bob", tmp_path)
    try:
        alice.call("7961")                          # a call that is up before the outage
        bob.wait_incoming()
        bob.answer()
        alice.wait_call_state("CONFIRMED")

        plat.proxy.cut()                            # the database goes away
        started = time.monotonic()
        assert alice.register() == 503              # refused at once, with a reason
        assert time.monotonic() - started < 3.0
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((plat.cfg.sip_address, 0))    # …and when to come back
            refusal = register(plat, sock, "carol", PASSWORDS["carol"], expires=60)
        assert refusal.startswith("SIP/2.0 503 "), refusal
        assert re.search(r"^Retry-After: 30\r?$", refusal, re.M | re.I), refusal
        carol = Phone("carol", PASSWORDS["carol"], DOMAINS["carol"], plat.cfg.sip_port,
                      name="carol-fragile", log_dir=str(tmp_path)).start()
        started = time.monotonic()
        carol.call("7961")
        carol.wait_call_state("DISCONNECTED", timeout=5)
        assert carol.last_status() == 503 and time.monotonic() - started < 3.0
        carol.close()
        assert "database unavailable" in plat.log_text()

        alice.wait_rtp(20)                          # the call in progress carries on…
        alice.hangup()                              # …and ends cleanly
        bob.wait_call_state("DISCONNECTED")
        plat.wait_no_media_sessions()

        plat.proxy.start()                          # the database is back: at once, or
        assert registered_again(alice, DATABASE_BACKOFF_SECONDS + 1)   # after the back-off
        alice.call("7961")
        bob.wait_incoming()
        bob.answer()
        alice.wait_call_state("CONFIRMED")
        alice.hangup()
    finally:
        for member in (alice, bob):
            try:
                member.unregister()     # may fail if the test failed mid-way: do not hide why
            except AssertionError:
                pass
            member.close()


def test_a_database_that_stops_answering_holds_no_call_for_long(fragile_platform, tmp_path):
    """A stalled database (connections open, no answer) is not an absent one: the checks
    time out, the caller gets 503 within seconds, and calls work again once it answers.
    The INVITE's retransmissions, sent while it waited, are not routed as calls of their
    own once the database is back (a phone would ring for a call its caller gave up)."""
    plat = fragile_platform
    alice, bob = phone(plat, "alice", tmp_path), phone(plat, "bob", tmp_path)
    try:
        plat.proxy.stall()
        try:
            started = time.monotonic()
            alice.call("7961")
            stalled = alice.wait_call_state("DISCONNECTED", timeout=10)
            assert alice.last_status() == 503 and time.monotonic() - started < 6.0
            started = time.monotonic()              # the next one is not held again:
            alice.call("7961")                      # every worker backs off a moment
            alice.wait_call_state("DISCONNECTED", timeout=5)
            assert alice.last_status() == 503 and time.monotonic() - started < 0.5
        finally:
            plat.proxy.resume()
        assert registered_again(alice, DATABASE_BACKOFF_SECONDS + 1)
        call = alice.call("7961")                   # the database answers again
        incoming = bob.wait_incoming()
        assert incoming["sip_call_id"] != stalled["sip_call_id"]
        bob.answer()
        alice.wait_call_state("CONFIRMED", call)
        alice.hangup(call)
        assert len(bob.events("incoming_call")) == 1
        assert not plat.log_lines("VPBX-ROUTE", call_id=stalled["sip_call_id"])
    finally:
        for member in (alice, bob):
            member.close()
