"""Web UI test clients signed in without the sign-in form (which tests/webui/test_auth tests)."""
import html
import re
import time

from webui.sessions import DbSession

CSRF = "test-csrf-token"        # the CSRF token of every session made here


def sign_in_as(app, client, account) -> None:
    """Give `client` a signed-in session of `account` directly (no password hashing)."""
    with app.test_request_context():
        from flask import make_response
        session = DbSession({"account_id": account.id, "csrf": CSRF})
        response = make_response("")
        app.session_interface.save_session(app, session, response)
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
        from webui import dbconn
        dbconn.close_db()
    name, value = cookie.split("=", 1)
    client.set_cookie(name, value)


def post(client, url, data=None, **kwargs):
    """A form POST with the session's CSRF token (the token sign_in_as puts there)."""
    return client.post(url, data={"csrf_token": CSRF, **(data or {})}, **kwargs)


def text_of(page: str) -> str:
    """The visible text of a page, roughly."""
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def page_showing(client, url: str, text: str, timeout: float) -> str:
    """The visible text of page `url` (blanks squeezed), once it shows `text` or `timeout`
    seconds have passed (for pages showing state read a few seconds ago)."""
    deadline = time.monotonic() + timeout
    while True:
        page = re.sub(r"\s+", " ", text_of(client.get(url).get_data(as_text=True)))
        if text in page or time.monotonic() > deadline:
            return page
        time.sleep(0.5)


def signed_in_client(app, cfg, slug: str | None):
    """A test client of `app` signed in as a new administrator of tenant `slug`, or as a
    new platform operator when `slug` is None (accounts on `cfg`'s database)."""
    from vpbx.storage import connection as db
    from webui import accounts
    conn = db.connect(cfg)
    try:
        tenant_id = None
        if slug is not None:
            with conn.cursor() as cur:
                cur.execute("SELECT id FROM tenants WHERE slug = %s", (slug,))
                tenant_id = cur.fetchone()["id"]
        account = accounts.create_account(conn, f"{slug or 'operator'}-{time.monotonic_ns()}",
                                          "a long password!", tenant_id=tenant_id,
                                          language="en")
    finally:
        conn.close()
    client = app.test_client()
    sign_in_as(app, client, account)
    return client
