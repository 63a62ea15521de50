"""The activity monitor against the real platform: registered, absent and busy members, and
phones locked out for wrong passwords."""
import re
import socket
import time

import pytest

from tests.support.rawsip import register_with_password
from tests.support.webclient import page_showing, post, signed_in_client, text_of
from vpbx.storage import connection as db
from vpbx.live import state as live
from vpbx.settings.platform import AUTH_FAILURES
from webui import accounts
from webui.app import create_app

pytestmark = pytest.mark.integration


@pytest.fixture
def monitor_api(platform):
    """GET the monitor of tenant initech through the JSON API, with a real token."""
    conn = db.connect(platform.cfg)
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM tenants WHERE slug = 'initech'")
        tenant_id = cur.fetchone()["id"]
    login = f"monitor-{time.monotonic_ns()}"
    account = accounts.create_account(conn, login, "a long password!", tenant_id=tenant_id)
    token = accounts.create_token(conn, account.id, "integration test")
    client = create_app(platform.cfg).test_client()

    def get():
        response = client.get("/api/v1/monitor", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.data
        body = response.get_json()
        return body, {m["extension"]: m["state"] for g in body["groups"] for m in g["members"]}

    yield get
    conn.close()


def wait_for(get, predicate, timeout=8.0):
    """(body, states) of the monitor once `predicate(states, body)` holds (or at the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        body, states = get()
        if predicate(states, body) or time.monotonic() > deadline:
            return body, states
        time.sleep(0.3)


def test_monitor_shows_registered_absent_and_busy_members(platform, phones, monitor_api):
    m1, m2, m3 = phones("m1"), phones("m2"), phones("m3")
    # usrloc writes the location table back on its timer, binding by binding in the order of
    # its hash table: m3's row can be there before m1's
    # (and an earlier test's phone of cal, unregistered, leaves the table on that timer too)
    body, states = wait_for(monitor_api, lambda s, body: body["absent_users"] == 2 and all(
        s.get(extension) == "registered" for extension in ("7001", "7002", "7003")))
    assert body["busy_known"] is True and body["absent_users"] == 2      # cal and m4
    assert states["7004"] == "absent" and states["7001"] == "registered"
    m1.call("7002")
    m2.wait_incoming()
    m2.answer()
    m1.wait_call_state("CONFIRMED")
    body, states = wait_for(monitor_api, lambda s, body: s.get("7002") == "busy")
    assert states["7001"] == "busy" and states["7002"] == "busy" and states["7003"] == "registered"
    assert body["absent_users"] == 2 and body["unavailable_phones"] == 2
    m1.hangup()
    body, states = wait_for(monitor_api, lambda s, body: s.get("7001") == "registered")
    assert states["7002"] == "registered"


def lock_out(platform, sock, user, call):
    """`user` of acme fails its password AUTH_FAILURES times from `sock`'s address, which is
    then refused for that user for 120 s (the test platforms' bans last 3 s: long enough to
    look at it)."""
    address = sock.getsockname()[0]
    for n in range(AUTH_FAILURES):
        register_with_password(platform, sock, user, f"wrong-password-{n}", call=f"{call}{n}")
    platform.wait_log("VPBX-AUTH", outcome="banned", source=address)
    kept = platform.kamcmd("htable.setex", "vpbx_authban", f"{address} {user}@acme.pbx.test",
                           "120")
    assert "error" not in kept.lower(), kept


def test_the_administrator_sees_a_locked_out_phone_and_lets_it_in_again(platform, caplog):
    """A phone with an old password gets its address locked out for its user: acme's
    administrator sees it on the activity monitor and lets it in again at once; another
    tenant's administrator neither sees nor lifts it."""
    address = "127.0.0.70"          # (all of 127/8 is loopback: the phone's own host)
    app = create_app(platform.cfg, {"TESTING": True})
    clients = {slug: signed_in_client(app, platform.cfg, slug) for slug in ("acme", "globex")}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as phone:
        phone.bind((address, 0))
        lock_out(platform, phone, "dave", call="lo")
        assert register_with_password(platform, phone, "dave", "dave-s3cret", call="lo-a") == 403

        # (the monitor shows the lockouts dumped at most BANS_REUSED_SECONDS ago)
        page = page_showing(clients["acme"], "/monitor/", f"7970 Dave {address}",
                            live.BANS_REUSED_SECONDS + 3)
        assert "Phones locked out after wrong passwords" in page
        assert f"7970 Dave {address} Let in again" in page
        other = text_of(clients["globex"].get("/monitor/").get_data(as_text=True))
        assert address not in other and "Dave" not in other      # (globex may have its own)
        lift = {"address": address, "username": "dave"}
        refused = post(clients["globex"], "/monitor/lockouts/lift", lift, follow_redirects=True)
        assert "There is no such lockout any more." in text_of(refused.get_data(as_text=True))
        assert register_with_password(platform, phone, "dave", "dave-s3cret", call="lo-b") == 403

        caplog.set_level("INFO", logger="webui")
        lifted = post(clients["acme"], "/monitor/lockouts/lift", lift, follow_redirects=True)
        assert f"dave may register again from {address}." in text_of(lifted.get_data(as_text=True))
        assert f"lockout lifted: tenant=acme user=dave address={address} by=acme-" \
            in caplog.text
        assert register_with_password(platform, phone, "dave", "dave-s3cret", call="lo-c") == 200
        after = re.sub(r"\s+", " ", text_of(clients["acme"].get("/monitor/").get_data(
            as_text=True)))
        assert f"7970 Dave {address}" not in after      # (the lift forgot the dump it had)


def test_the_operator_sees_the_edges_bans_and_lifts_those_of_an_address(platform):
    """The NOC's view of `vpbx bans` in the web UI: a guesser's address banned for one user,
    listed with its reason, lifted with one button and let in at once."""
    address = "127.0.0.71"
    client = signed_in_client(create_app(platform.cfg, {"TESTING": True}), platform.cfg, None)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as guesser:
        guesser.bind((address, 0))
        lock_out(platform, guesser, "carol", call="op")

        page = re.sub(r"\s+", " ", text_of(client.get("/platform/bans").get_data(as_text=True)))
        assert (f"{address} wrong passwords ({AUTH_FAILURES}) carol@acme.pbx.test "
                "Lift this address's bans") in page
        lifted = post(client, "/platform/bans/lift", {"address": address}, follow_redirects=True)
        assert f"{address} is no longer refused." in text_of(lifted.get_data(as_text=True))
        assert register_with_password(platform, guesser, "carol", "carol-s3cret",
                                      call="op-in") == 200
        again = post(client, "/platform/bans/lift", {"address": address}, follow_redirects=True)
        assert "There is no such ban any more." in text_of(again.get_data(as_text=True))
