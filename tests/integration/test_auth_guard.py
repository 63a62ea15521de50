"""Password guessing: an address that keeps failing one user's digest authentication is
refused for that user for a while, whatever password it sends then; the same user from
elsewhere, and other users from that address, are not (vpbx/edge/password_guard.py)."""
import http.client
import socket
import time

import pytest

from tests.support.httpdigest import authorization, challenge_fields
from tests.support.instance import AUTH_BAN_SECONDS
from tests.support.rawsip import register_with_password
from tests.support.webclient import page_showing, signed_in_client
from vpbx.live import state as live
from vpbx.records import log_line as logline
from vpbx.stack.control import Stack
from vpbx.settings.platform import AUTH_ATTACK_FAILURES, AUTH_FAILURES
from webui.app import create_app

GUESSER = "127.0.0.66"          # (all of 127/8 is loopback: a second host for the edge)


def test_a_password_guesser_is_banned_for_that_user_then_let_in_again(platform):
    bob_password = "bob-s3cret!"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as guesser, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as office:
        guesser.bind((GUESSER, 0))
        office.bind((platform.cfg.sip_address, 0))
        codes = [register_with_password(platform, guesser, "bob", f"guess-{n}", call=f"g{n}")
                 for n in range(AUTH_FAILURES)]
        assert codes == [403] * AUTH_FAILURES
        ban = platform.wait_log("VPBX-AUTH", outcome="banned", source=GUESSER)
        assert ban["tenant"] == "acme" and ban["auth_user"] == "bob"
        assert ban["failures"] == str(AUTH_FAILURES)
        assert ban["ban_seconds"] == str(AUTH_BAN_SECONDS)
        banned_at = time.monotonic()
        # the right password from the banned address is refused too, and not checked
        assert register_with_password(platform, guesser, "bob", bob_password, call="right") == 403
        assert f"{GUESSER} bob@acme.pbx.test" in platform.kamcmd("htable.dump", "vpbx_authban")
        # bob from another address, and another user from the guesser's, are let in
        assert register_with_password(platform, office, "bob", bob_password, call="o1") == 200
        assert register_with_password(platform, guesser, "alice", "alice-s3cret",
                                      call="a1") == 200
        wrong_lines = platform.log_lines("VPBX-AUTH", outcome="wrong_password", source=GUESSER)
        assert len(wrong_lines) == AUTH_FAILURES      # the refusals during the ban: no line
        time.sleep(max(0.0, banned_at + AUTH_BAN_SECONDS + 1.5 - time.monotonic()))
        assert register_with_password(platform, guesser, "bob", bob_password, call="later") == 200


def test_the_noc_lists_the_bans_and_lifts_those_of_an_address(platform, monkeypatch, capsys):
    from vpbx.command import main as cli
    monkeypatch.setenv("VPBX_CONFIG", platform.cfg.path)
    guesser_address = "127.0.0.68"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as guesser:
        guesser.bind((guesser_address, 0))
        for n in range(AUTH_FAILURES):
            register_with_password(platform, guesser, "carol", f"guess-{n}", call=f"n{n}")
        platform.wait_log("VPBX-AUTH", outcome="banned", source=guesser_address)
        assert cli.main(["bans"]) == 0
        listed = capsys.readouterr().out
        ban_line = f"password\t{guesser_address} carol@acme.pbx.test\t{AUTH_FAILURES} failures"
        assert ban_line in listed
        assert cli.main(["unban", guesser_address]) == 0
        assert f"lifted password\t{guesser_address} carol@acme.pbx.test" in capsys.readouterr().out
        # let in at once, long before the ban would have run out
        assert register_with_password(platform, guesser, "carol", "carol-s3cret",
                                      call="lifted") == 200
        assert cli.main(["unban", guesser_address]) == 1          # nothing left to lift
        assert f"no ban of {guesser_address}" in capsys.readouterr().err


def test_a_guesser_spread_over_many_addresses_is_reported_to_the_noc(platform):
    """Each address gets AUTH_FAILURES tries before its own ban; the user's failures from
    all of them make one alert line at AUTH_ATTACK_FAILURES, and ivan still registers."""
    addresses = [f"127.0.1.{n}" for n in range(1, AUTH_ATTACK_FAILURES // AUTH_FAILURES + 1)]
    tried = 0
    for address in addresses:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as guesser:
            guesser.bind((address, 0))
            for n in range(AUTH_FAILURES):
                if tried == AUTH_ATTACK_FAILURES - 1:       # one failure short: no alert yet
                    assert not platform.log_lines("VPBX-AUTH", outcome="under_attack",
                                                  auth_user="ivan")
                assert register_with_password(platform, guesser, "ivan", f"guess-{n}",
                                              domain="globex.pbx.test", call=f"d{n}") == 403
                tried += 1
    alert = platform.wait_log("VPBX-AUTH", outcome="under_attack", auth_user="ivan")
    assert alert["tenant"] == "globex" and alert["failures"] == str(AUTH_ATTACK_FAILURES)
    assert alert["source"] == addresses[-1]
    assert len(platform.log_lines("VPBX-AUTH", outcome="under_attack", auth_user="ivan")) == 1
    page = monitor_page_showing(platform, "globex", f"7990 Ivan {AUTH_ATTACK_FAILURES}")
    assert "Passwords being guessed" in page and f"7990 Ivan {AUTH_ATTACK_FAILURES}" in page
    operator = signed_in_client(create_app(platform.cfg, {"TESTING": True}), platform.cfg, None)
    noc = page_showing(operator, "/platform/bans", "Passwords being guessed", 0)
    assert "Passwords being guessed User Failed attempts ivan@globex.pbx.test " \
           f"{AUTH_ATTACK_FAILURES}" in noc
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as phone:       # not locked out
        phone.bind((platform.cfg.sip_address, 0))
        assert register_with_password(platform, phone, "ivan", "ivan-s3cret",
                                      domain="globex.pbx.test", call="ivan-ok") == 200


def monitor_page_showing(platform, slug, text):
    """The visible text of tenant `slug`'s activity monitor, once it shows `text` (the
    monitor reads the guard's tables as dumped a few seconds ago)."""
    client = signed_in_client(create_app(platform.cfg, {"TESTING": True}), platform.cfg, slug)
    return page_showing(client, "/monitor/", text, live.BANS_REUSED_SECONDS + 3)


# -- the phonebook (webui/phonebook.py): the same SIP credentials over HTTP -----------------------
PHONEBOOK = "/phonebook/acme.pbx.test.xml"


@pytest.fixture(scope="module")
def webui(platform):
    """The platform's web UI, served as in production (python -m webui, its log webui.log)."""
    stack = Stack(platform.cfg, components=("webui",))
    stack.start()
    yield stack
    stack.stop()


def phonebook_get(platform, source, headers=None):
    """GET the phonebook over HTTP from `source` (an address of 127/8): (status, headers)."""
    conn = http.client.HTTPConnection("127.0.0.1", platform.cfg.webui_port, timeout=10,
                                      source_address=(source, 0))
    try:
        conn.request("GET", PHONEBOOK, headers=headers or {})
        response = conn.getresponse()
        response.read()
        return response.status, response.headers
    finally:
        conn.close()


def phonebook_signed(platform, source, user, password):
    """The challenge, then the answer with `password`: (status, the Authorization sent)."""
    status, headers = phonebook_get(platform, source)
    assert status == 401
    signed = authorization(challenge_fields(headers["WWW-Authenticate"]), "GET", PHONEBOOK,
                           user, password)
    return phonebook_get(platform, source, {"Authorization": signed})[0], signed


def test_the_phonebook_is_no_password_oracle(platform, webui):
    """The attack of issue 21 replayed: guesses of dave's SIP password over HTTP from one
    address are banned at the SIP edge's limit, in the edge's own table, so that the right
    password is then refused over HTTP and over SIP alike."""
    guesser = "127.0.0.70"
    codes = [phonebook_signed(platform, guesser, "dave", f"guess-{n}")[0]
             for n in range(AUTH_FAILURES)]
    assert codes == [401] * (AUTH_FAILURES - 1) + [403]
    assert phonebook_signed(platform, guesser, "dave", "dave-s3cret")[0] == 403
    assert f"{guesser} dave@acme.pbx.test" in platform.kamcmd("htable.dump", "vpbx_authban")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sip:
        sip.bind((guesser, 0))
        assert register_with_password(platform, sip, "dave", "dave-s3cret", call="pb1") == 403
    wrong = platform.log_lines(logline.AUTH_TAG, "webui", outcome="wrong_password",
                               source=guesser)
    assert len(wrong) == AUTH_FAILURES
    assert (wrong[0]["tenant"], wrong[0]["auth_user"], wrong[0]["decision"]) == (
        "acme", "dave", "auth:PHONEBOOK")
    (ban,) = platform.log_lines(logline.AUTH_TAG, "webui", outcome="banned", source=guesser)
    assert ban["failures"] == str(AUTH_FAILURES) and ban["ban_seconds"] == str(AUTH_BAN_SECONDS)
    # dave's phone elsewhere reads it, once per challenge: its request replayed is refused
    status, signed = phonebook_signed(platform, "127.0.0.71", "dave", "dave-s3cret")
    assert status == 200
    status, headers = phonebook_get(platform, "127.0.0.71", {"Authorization": signed})
    assert status == 401 and "nonce=" in headers["WWW-Authenticate"]


def test_failures_over_sip_and_over_http_add_up(platform, webui):
    guesser = "127.0.0.72"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sip:
        sip.bind((guesser, 0))
        for n in range(AUTH_FAILURES - 1):
            assert register_with_password(platform, sip, "carol", f"g-{n}", call=f"s{n}") == 403
    assert phonebook_signed(platform, guesser, "carol", "one more guess")[0] == 403
    assert f"{guesser} carol@acme.pbx.test" in platform.kamcmd("htable.dump", "vpbx_authban")
