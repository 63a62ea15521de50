"""Accounts and sessions: sign-in, its attempt limit, secure sessions, CSRF, roles, tokens."""
import io
import re

import pytest

from webui import accounts
from webui.sessions import _hash

from tests.support.webclient import post, text_of

from .conftest import LOGINS, PASSWORD, english_client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, login, password):
    """Through the real form: GET it (for the CSRF token), then POST."""
    page = client.get("/login")
    return client.post("/login", data={"csrf_token": csrf_of(page.get_data(as_text=True)),
                                       "login": login, "password": password})


def test_a_tenant_administrator_signs_in_and_lands_on_the_monitor(client):
    response = sign_in(client, LOGINS["acme"], PASSWORD)
    assert response.status_code == 302 and response.location.endswith("/monitor/")
    page = client.get("/monitor/").get_data(as_text=True)
    assert "ACME SA" in page and "Reception" in page


def test_the_session_cookie_is_httponly_samesite_lax_and_changes_at_sign_in(client):
    client.set_cookie("vpbx_session", "planted-by-somebody-else-0123456789")
    response = sign_in(client, LOGINS["acme"], PASSWORD)
    cookie = next(value for value in response.headers.getlist("Set-Cookie")
                  if value.startswith("vpbx_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get_cookie("vpbx_session").value != "planted-by-somebody-else-0123456789"


def session_rows(conn) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) AS n FROM admin_sessions")
        return cur.fetchone()["n"]


def test_the_sign_in_page_stores_nothing_before_signing_in(app, conn):
    before = session_rows(conn)
    browsers = [english_client(app) for _ in range(10)]
    for browser in browsers:
        for _ in range(3):
            assert browser.get("/login").status_code == 200
    assert session_rows(conn) == before
    assert all(browser.get_cookie("vpbx_session") is None for browser in browsers)
    # the form still works, and its sign-in makes the one row
    assert sign_in(browsers[1], LOGINS["acme"], PASSWORD).status_code == 302
    assert session_rows(conn) == before + 1


def test_the_sign_in_form_needs_the_token_of_this_browsers_cookie(app, conn):
    before = session_rows(conn)
    mine, other = english_client(app), english_client(app)
    token = csrf_of(mine.get("/login").get_data(as_text=True))
    csrf_of(other.get("/login").get_data(as_text=True))
    form = {"login": LOGINS["acme"], "password": PASSWORD}
    assert mine.post("/login", data=form).status_code == 400                    # missing
    assert mine.post("/login", data={**form, "csrf_token": "forged"}).status_code == 400
    assert other.post("/login", data={**form, "csrf_token": token}).status_code == 400
    assert english_client(app).post("/login", data={**form, "csrf_token": token}
                                    ).status_code == 400                      # no cookie
    assert session_rows(conn) == before
    assert mine.post("/login", data={**form, "csrf_token": token}).status_code == 302


def test_the_language_chosen_before_signing_in_is_kept_without_a_session(app, conn):
    before = session_rows(conn)
    browser = english_client(app)
    token = csrf_of(browser.get("/login").get_data(as_text=True))
    assert browser.post("/language", data={"csrf_token": token, "language": "fr",
                                           "next": "/login"}).status_code == 302
    assert "Gérer votre Virtual PBX" in browser.get("/login").get_data(as_text=True)
    assert browser.post("/language", data={"csrf_token": token, "language": "de",
                                           "next": "/login"}).status_code == 302
    page = browser.get("/login").get_data(as_text=True)
    assert "Verwalten Sie Ihre virtuelle Telefonanlage" in page and '<html lang="de">' in page
    assert session_rows(conn) == before


def test_a_wrong_password_is_refused_without_saying_which_part_is_wrong(client, caplog):
    caplog.set_level("INFO", logger="webui")
    response = sign_in(client, LOGINS["acme"], "wrong password!")
    assert response.status_code == 401
    assert "Wrong login or password" in response.get_data(as_text=True)
    assert sign_in(client, "nobody-at-all", "whatever12345").status_code == 401
    # each attempt logged with its login and address, never with the password
    assert [record.getMessage() for record in caplog.records] == [
        f"sign-in refused: login='{LOGINS['acme']}' address=127.0.0.1",
        "sign-in refused: login='nobody-at-all' address=127.0.0.1"]
    assert "wrong password!" not in caplog.text


def test_five_failures_lock_that_login_from_that_address_for_five_minutes(client, conn):
    accounts.create_account(conn, "locked@acme", PASSWORD, tenant_id=None)
    for _ in range(accounts.MAX_FAILURES - 1):
        assert sign_in(client, "locked@acme", "not the password").status_code == 401
    assert sign_in(client, "locked@acme", "not the password").status_code == 429   # 5th
    locked = sign_in(client, "locked@acme", PASSWORD)           # even the right password
    assert locked.status_code == 429
    assert "blocked for 5 minutes" in locked.get_data(as_text=True)
    with conn.cursor() as cur:
        cur.execute("SELECT failures, locked_until > NOW() AS locked FROM admin_login_failures"
                    " WHERE login = 'locked@acme'")
        row = cur.fetchone()
    assert row["failures"] == 5 and row["locked"] == 1
    with conn.cursor() as cur:        # the lock runs out: the right password works again
        cur.execute("UPDATE admin_login_failures SET locked_until = NOW() - INTERVAL 1 SECOND")
    assert sign_in(client, "locked@acme", PASSWORD).status_code == 302


def test_failure_rows_go_once_they_neither_count_nor_lock(client, conn):
    """Made-up logins each left a row until a sign-in of the same login and address."""
    for n in range(3):
        assert sign_in(client, f"made-up-{n}@nowhere", "x").status_code == 401
    accounts.create_account(conn, "held@acme", PASSWORD, tenant_id=None)
    for _ in range(accounts.MAX_FAILURES):
        sign_in(client, "held@acme", "not the password")
    with conn.cursor() as cur:      # LOCK_SECONDS pass for the made-up logins, not the lock
        cur.execute("UPDATE admin_login_failures SET last_failure_at = last_failure_at"
                    " - INTERVAL %s SECOND WHERE login LIKE 'made-up-%%'",
                    (accounts.LOCK_SECONDS + 1,))
    assert sign_in(client, "another@nowhere", "x").status_code == 401
    with conn.cursor() as cur:                # (other tests' rows are recent: kept)
        cur.execute("SELECT login FROM admin_login_failures")
        logins = {row["login"] for row in cur.fetchall()}
    assert not [login for login in logins if login.startswith("made-up-")]
    assert {"another@nowhere", "held@acme"} <= logins
    assert sign_in(client, "held@acme", PASSWORD).status_code == 429       # still locked


def test_failures_further_apart_than_the_lock_do_not_add_up(client, conn):
    accounts.create_account(conn, "slow@acme", PASSWORD, tenant_id=None)
    for _ in range(accounts.MAX_FAILURES - 1):
        assert sign_in(client, "slow@acme", "not the password").status_code == 401
    with conn.cursor() as cur:
        cur.execute("UPDATE admin_login_failures SET last_failure_at = last_failure_at"
                    " - INTERVAL %s SECOND", (accounts.LOCK_SECONDS + 1,))
    assert sign_in(client, "slow@acme", "not the password").status_code == 401
    assert sign_in(client, "slow@acme", PASSWORD).status_code == 302


def test_passwords_are_stored_as_scrypt_hashes(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT password_hash FROM admin_accounts WHERE login = %s",
                    (LOGINS["acme"],))
        stored = cur.fetchone()["password_hash"]
    assert stored.startswith("scrypt:") and PASSWORD not in stored


def test_signing_out_kills_the_session_on_the_server(client, conn):
    sign_in(client, LOGINS["acme"], PASSWORD)
    token = client.get_cookie("vpbx_session").value
    page = client.get("/monitor/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_of(page)})
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) AS n FROM admin_sessions WHERE token_hash = %s",
                    (_hash(token),))
        assert cur.fetchone()["n"] == 0
    client.set_cookie("vpbx_session", token)             # a copied cookie is worthless
    assert client.get("/monitor/").status_code == 302


def test_every_form_post_needs_the_session_csrf_token(acme):
    response = acme.post("/groups/new", data={"name": "No token", "short_number": "777"})
    assert response.status_code == 400
    assert "form has expired" in response.get_data(as_text=True)
    wrong = acme.post("/groups/new", data={"csrf_token": "forged", "name": "X"})
    assert wrong.status_code == 400
    assert acme.post("/logout").status_code == 400


def test_pages_need_a_signed_in_account(client):
    for url in ("/monitor/", "/groups/", "/numbers/1", "/platform/", "/account"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location, url


def test_platform_pages_are_not_found_for_tenant_administrators(acme):
    assert acme.get("/platform/").status_code == 404
    assert acme.get("/platform/tenants/1").status_code == 404
    assert post(acme, "/platform/tenants/2/open").status_code == 404
    assert acme.get("/platform/bans").status_code == 404
    assert post(acme, "/platform/bans/lift", {"address": "192.0.2.7"}).status_code == 404


def test_an_operator_creates_a_tenant_and_its_administrator_who_then_signs_in(operator, app):
    created = post(operator, "/platform/", {"tenant": "initech", "name": "Initech",
                                            "domain": "initech.pbx.test",
                                            "timezone": "Europe/Zurich"})
    assert created.status_code == 302
    page = operator.get("/platform/").get_data(as_text=True)
    tenant_id = int(re.search(r'/platform/tenants/(\d+)">initech', page).group(1))
    refused = post(operator, f"/platform/tenants/{tenant_id}",
                   {"login": "boss@initech", "password": "short", "confirm": "short"})
    assert refused.status_code == 422 and "at least 10 characters" in refused.get_data(True)
    differ = post(operator, f"/platform/tenants/{tenant_id}",
                  {"login": "boss@initech", "password": PASSWORD, "confirm": PASSWORD + "x"})
    assert "differ" in differ.get_data(as_text=True)
    assert post(operator, f"/platform/tenants/{tenant_id}",
                {"login": "boss@initech", "password": PASSWORD, "confirm": PASSWORD,
                 "language": "en"}).status_code == 302
    boss = english_client(app)
    assert sign_in(boss, "boss@initech", PASSWORD).status_code == 302
    page = boss.get("/time-ranges/").get_data(as_text=True)
    assert "Initech" in page and "Office hours" in page          # made with the tenant


def test_an_operator_cannot_create_a_tenant_with_a_taken_domain(operator):
    response = post(operator, "/platform/", {"tenant": "acme2", "name": "Copy",
                                             "domain": "acme.pbx.test", "timezone": ""})
    assert response.status_code == 422
    assert "already the domain of tenant acme" in response.get_data(as_text=True)


def test_an_operator_opens_a_tenant_to_work_on_its_configuration(operator, platform):
    page = operator.get("/platform/").get_data(as_text=True)
    globex_id = int(re.search(r'/platform/tenants/(\d+)">globex', page).group(1))
    assert operator.get("/groups/").status_code == 302            # no tenant chosen yet
    post(operator, f"/platform/tenants/{globex_id}/open")
    assert "Sales" in operator.get("/groups/").get_data(as_text=True)


def test_changing_ones_password_closes_the_other_sessions(app, conn):
    accounts.create_account(conn, "changer@x", PASSWORD, tenant_id=None, language="en")
    first, second = english_client(app), english_client(app)
    sign_in(first, "changer@x", PASSWORD)
    sign_in(second, "changer@x", PASSWORD)
    page = first.get("/account").get_data(as_text=True)
    wrong = first.post("/account", data={"csrf_token": csrf_of(page), "action": "password",
                                         "current": "nope", "new": "another password 1",
                                         "confirm": "another password 1"})
    assert "not your current password" in wrong.get_data(as_text=True)
    page = first.get("/account").get_data(as_text=True)
    first.post("/account", data={"csrf_token": csrf_of(page), "action": "password",
                                 "current": PASSWORD, "new": "another password 1",
                                 "confirm": "another password 1"})
    assert first.get("/account").status_code == 200
    assert second.get("/account").status_code == 302
    assert sign_in(english_client(app), "changer@x", "another password 1").status_code == 302


def test_api_tokens_are_shown_once_stored_hashed_and_revocable(acme, conn):
    page = post(acme, "/account", {"action": "token", "name": "script"}).get_data(as_text=True)
    token = re.search(r'<code id="new-token">([^<]+)</code>', page).group(1)
    with conn.cursor() as cur:
        cur.execute("SELECT id, token_hash FROM admin_api_tokens WHERE name = 'script'")
        row = cur.fetchone()
    assert token not in row["token_hash"]
    assert accounts.account_for_token(conn, token).login == LOGINS["acme"]
    assert token not in acme.get("/account").get_data(as_text=True)
    post(acme, "/account", {"action": "revoke", "token_id": row["id"]})
    assert accounts.account_for_token(conn, token) is None


def test_the_language_is_chosen_per_user_and_kept_in_the_account(acme, conn):
    assert "Groups" in acme.get("/groups/").get_data(as_text=True)
    for lang, words in (("fr", ("Groupes", "Ajouter un groupe")),
                        ("de", ("Gruppen", "Gruppe hinzufügen"))):
        post(acme, "/language", {"language": lang, "next": "/groups/"})
        page = acme.get("/groups/").get_data(as_text=True)
        assert all(word in page for word in words)
        with conn.cursor() as cur:
            cur.execute("SELECT language FROM admin_accounts WHERE login = %s",
                        (LOGINS["acme"],))
            assert cur.fetchone()["language"] == lang
    post(acme, "/language", {"language": "en"})


def test_the_sign_in_page_follows_the_browser_language(client):
    page = client.get("/login", headers={"Accept-Language": "fr-CH,fr;q=0.9"})
    assert "Gérer votre Virtual PBX" in page.get_data(as_text=True)
    page = client.get("/login", headers={"Accept-Language": "de-CH,de;q=0.9"})
    assert "Verwalten Sie Ihre virtuelle Telefonanlage" in page.get_data(as_text=True)
    page = client.get("/login", headers={"Accept-Language": "en-GB"})
    assert "Manage your Virtual PBX" in page.get_data(as_text=True)


def test_next_after_sign_in_stays_on_this_site(client):
    page = client.get("/login?next=//evil.example/x")
    response = client.post("/login?next=//evil.example/x",
                           data={"csrf_token": csrf_of(page.get_data(as_text=True)),
                                 "login": LOGINS["acme"], "password": PASSWORD})
    assert response.location.endswith("/monitor/")


def test_create_operator_from_the_command_line(platform, monkeypatch, capsys, conn):
    monkeypatch.setattr("sys.stdin", io.StringIO("first operator pw\n"))
    assert accounts.main(["create-operator", "root-op", "--password-stdin"]) == 0
    assert "operator root-op: created" in capsys.readouterr().out
    account = accounts.find_by_login(conn, "root-op")
    assert account.is_operator
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert accounts.main(["create-operator", "root-op2", "--password-stdin"]) == 1
    assert "at least 10 characters" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("admin of globex\n"))
    assert accounts.main(["create-admin", "globex", "second@globex", "--password-stdin"]) == 0
    assert accounts.main(["create-token", "second@globex", "ci"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("vpbx_")


@pytest.mark.parametrize("header", ["", "Bearer ", "Bearer nope", "Basic abc"])
def test_the_api_refuses_requests_without_a_valid_token(client, header):
    response = client.get("/api/v1/groups", headers={"Authorization": header} if header else {})
    assert response.status_code == 401 and response.json == {
        "error": "a valid bearer token is required"}




def new_token(client, name, days) -> str:
    """A token made on the account page with that lifetime ("never": none); the token."""
    page = post(client, "/account", {"action": "token", "name": name, "days": days})
    assert page.status_code == 200
    return re.search(r'<code id="new-token">([^<]+)</code>', page.get_data(as_text=True)).group(1)


def token_row(client, conn, name) -> str:
    """The visible text of the account page's row of token `name`."""
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM admin_api_tokens WHERE name = %s", (name,))
        token_id = cur.fetchone()["id"]
    page = client.get("/account").get_data(as_text=True)
    row = re.search(rf'<tr id="token-{token_id}">(.*?)</tr>', page, re.S).group(1)
    return " ".join(text_of(row).split())


def test_an_api_token_works_until_its_expiry_then_is_refused_saying_so(acme, conn):
    token = new_token(acme, "expiring", "7")
    with conn.cursor() as cur:
        cur.execute("SELECT expires_at, DATE(NOW() + INTERVAL 7 DAY) AS due"
                    " FROM admin_api_tokens WHERE name = 'expiring'")
        row = cur.fetchone()
    assert row["expires_at"].date() == row["due"]
    assert str(row["expires_at"]) in token_row(acme, conn, "expiring")    # shown
    bearer = {"Authorization": f"Bearer {token}"}
    assert acme.get("/api/v1/groups", headers=bearer).status_code == 200
    with conn.cursor() as cur:
        cur.execute("UPDATE admin_api_tokens SET expires_at = NOW() - INTERVAL 1 MINUTE"
                    " WHERE name = 'expiring'")
        cur.execute("SELECT expires_at FROM admin_api_tokens WHERE name = 'expiring'")
        expired_at = cur.fetchone()["expires_at"]
    refused = acme.get("/api/v1/groups", headers=bearer)
    assert refused.status_code == 401
    assert refused.json == {"error": f"the token expired on {expired_at:%Y-%m-%d %H:%M}; "
                                     "make a new one on the account page"}
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert f"expired on {expired_at}" in token_row(acme, conn, "expiring")


def test_a_token_may_have_no_expiry_and_the_page_says_so_in_french(acme, conn):
    token = new_token(acme, "forever", "never")
    assert acme.get("/api/v1/groups",
                    headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert token_row(acme, conn, "forever").endswith("never Revoke")
    post(acme, "/language", {"language": "fr"})
    try:
        assert token_row(acme, conn, "forever").endswith("jamais Révoquer")
        assert "Validité" in acme.get("/account").get_data(as_text=True)
    finally:
        post(acme, "/language", {"language": "en"})
    bad = post(acme, "/account", {"action": "token", "name": "odd", "days": "12"})
    assert bad.status_code == 422 and "Choose how long the token is valid." in bad.get_data(
        as_text=True)


def test_create_token_from_the_command_line_with_a_lifetime(platform, capsys, conn):
    assert accounts.main(["create-token", LOGINS["globex"], "cli-30", "--days", "30"]) == 0
    token = capsys.readouterr().out.strip()
    with conn.cursor() as cur:
        cur.execute("SELECT DATEDIFF(expires_at, NOW()) AS days FROM admin_api_tokens"
                    " WHERE name = 'cli-30'")
        assert cur.fetchone()["days"] == 30
    assert accounts.account_for_token(conn, token).login == LOGINS["globex"]
