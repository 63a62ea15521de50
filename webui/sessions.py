"""Server-side sessions: the cookie holds a random token, the database its SHA-256 and data.

Signing out deletes the row (a copied cookie is then worthless), signing in gives a new token
(no session fixation), a session dies after IDLE without a request or LIFETIME in all, and an
administrator's sessions die with their account. The cookie is HttpOnly and SameSite=Lax
(Secure when [webui] secure_cookies is set).

Only a sign-in makes a row: an anonymous visitor's session is never stored (the sign-in
form's CSRF token needs none, webui.security), so fetching the sign-in page costs no row.
"""
import datetime
import hashlib
import json
import secrets

from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from . import dbconn

IDLE = datetime.timedelta(hours=2)
LIFETIME = datetime.timedelta(hours=12)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class DbSession(CallbackDict, SessionMixin):
    """A session's data. `rotate()` before storing a sign-in; `destroy()` to sign out."""

    def __init__(self, data=None, token_hash=None):
        def on_update(session):
            session.modified = True
        super().__init__(data or {}, on_update)
        self.token_hash = token_hash
        self.modified = False
        self.rotating = False
        self.destroyed = False

    def rotate(self) -> None:
        self.rotating = True
        self.modified = True

    def destroy(self) -> None:
        self.clear()
        self.destroyed = True


class DbSessionInterface(SessionInterface):
    """Flask's session stored in admin_sessions."""

    def open_session(self, app, request):
        token = request.cookies.get(app.config["SESSION_COOKIE_NAME"])
        if not token or len(token) > 100:
            return DbSession()
        row = dbconn.query_one(
            "SELECT token_hash, data FROM admin_sessions WHERE token_hash = %s"
            " AND expires_at > NOW() AND created_at > NOW() - INTERVAL %s SECOND",
            (_hash(token), int(LIFETIME.total_seconds())))
        if row is None:
            return DbSession()
        return DbSession(json.loads(row["data"]), row["token_hash"])

    def save_session(self, app, session, response):
        name = app.config["SESSION_COOKIE_NAME"]
        if session.destroyed or (session.token_hash and not session and session.modified):
            if session.token_hash:
                dbconn.execute("DELETE FROM admin_sessions WHERE token_hash = %s",
                               (session.token_hash,))
            response.delete_cookie(name, path="/")
            return
        data = json.dumps(dict(session))
        idle = int(IDLE.total_seconds())
        if session.token_hash is None or session.rotating:
            if not session.get("account_id"):
                return       # before signing in nothing is kept: no row, no cookie
            if session.token_hash:
                dbconn.execute("DELETE FROM admin_sessions WHERE token_hash = %s",
                               (session.token_hash,))
            token = secrets.token_urlsafe(32)
            dbconn.execute("INSERT INTO admin_sessions (token_hash, account_id, data, expires_at)"
                           " VALUES (%s, %s, %s, NOW() + INTERVAL %s SECOND)",
                           (_hash(token), session.get("account_id"), data, idle))
            if session.get("account_id"):
                _forget_expired()
            response.set_cookie(name, token, httponly=True, path="/",
                                samesite=app.config["SESSION_COOKIE_SAMESITE"],
                                secure=app.config["SESSION_COOKIE_SECURE"])
        elif session.modified:
            dbconn.execute("UPDATE admin_sessions SET data = %s, account_id = %s,"
                           " expires_at = NOW() + INTERVAL %s SECOND WHERE token_hash = %s",
                           (data, session.get("account_id"), idle, session.token_hash))
        elif session.get("account_id"):
            dbconn.execute("UPDATE admin_sessions SET expires_at = NOW() + INTERVAL %s SECOND"
                           " WHERE token_hash = %s", (idle, session.token_hash))


def _forget_expired() -> None:
    """Remove dead sessions (run at each sign-in, so the table stays small)."""
    dbconn.execute("DELETE FROM admin_sessions WHERE expires_at <= NOW()"
                   " OR created_at <= NOW() - INTERVAL %s SECOND",
                   (int(LIFETIME.total_seconds()),))
