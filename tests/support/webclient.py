"""Web UI test clients signed in without the sign-in form (which tests/webui/test_auth tests)."""
import html
import re

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
