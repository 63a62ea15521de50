"""Who is signed in, which tenant they work on, and the CSRF check of every form.

A tenant administrator works on their own tenant only: `g.tenant` is always theirs. An
operator works on the platform pages, and on a tenant's pages after choosing it ("open").
Every data access of a tenant page names `g.tenant["id"]`, so another tenant's object is
simply not found (404). The API (/api/v1) uses bearer tokens, never the session cookie, so it
needs no CSRF token; every other POST must carry the session's token.

Before signing in there is no session on the server (a row per anonymous visit would let
anyone fill the table): the sign-in and language forms carry a token derived from a random
cookie of the browser's (ANON_COOKIE) with this process's key, so a forged form without that
cookie is refused, and nothing is stored. A restart of the web UI changes the key: a sign-in
page loaded before it is refused once, and works when loaded again.
"""
import functools
import hmac
import os
import secrets

from flask import abort, current_app, g, redirect, render_template, request, session, url_for

from . import accounts, dbconn
from .errors import error_response

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
ANON_COOKIE = "vpbx_anon"
_ANON_KEY = os.urandom(32)          # the anonymous forms' tokens of this process only


def _anonymous_token(cookie: str) -> str:
    return hmac.new(_ANON_KEY, cookie.encode(), "sha256").hexdigest()


def _anonymous_cookie() -> str:
    """The browser's random cookie of the forms before signing in (made, and sent with the
    response, on first use)."""
    cookie = g.get("anon_cookie") or request.cookies.get(ANON_COOKIE, "")
    if not 20 <= len(cookie) <= 100:
        cookie = g.anon_cookie = secrets.token_urlsafe(32)
    return cookie


def csrf_token() -> str:
    """The CSRF token every form carries: the signed-in session's, else the one of the
    browser's anonymous cookie (nothing stored on the server before signing in)."""
    if session.get("account_id"):
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        return session["csrf"]
    return _anonymous_token(_anonymous_cookie())


def _send_anonymous_cookie(response):
    """Give the browser the cookie its forms' token was made from, if new."""
    cookie = g.pop("anon_cookie", None)
    if cookie:
        response.set_cookie(ANON_COOKIE, cookie, httponly=True, path="/", samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def load_tenant(tenant_id: int) -> dict | None:
    return dbconn.query_one("SELECT id, slug, name, domain, timezone, access_code"
                            " FROM tenants WHERE id = %s", (tenant_id,))


def _load_account() -> None:
    """g.account and g.tenant from the session (for every page but the API and static)."""
    g.account, g.tenant = None, None
    account_id = session.get("account_id")
    if account_id:
        g.account = accounts.find(dbconn.get_db(), account_id)
        if g.account is None:          # the account was removed: the session is dead
            session.destroy()
            return
        tenant_id = g.account.tenant_id if not g.account.is_operator \
            else session.get("tenant_id")
        if tenant_id:
            g.tenant = load_tenant(tenant_id)


def _check_csrf() -> None:
    sent = request.form.get("csrf_token", "")
    if session.get("account_id"):
        expected = session.get("csrf")
    else:
        cookie = request.cookies.get(ANON_COOKIE, "")
        expected = _anonymous_token(cookie) if 20 <= len(cookie) <= 100 else None
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, description="csrf")


def _is_api() -> bool:
    return (request.blueprint or "") == "api" or request.path.startswith("/api/")


def _before_request():
    if request.routing_exception is not None or request.endpoint == "static" or _is_api():
        return None          # no such page (404/405 follows), a static file, or the API
    _load_account()
    if request.method in UNSAFE_METHODS:
        _check_csrf()
    return None


def sign_in(account: accounts.Account) -> None:
    """Start a signed-in session under a new token."""
    session.clear()
    session.rotate()
    session["account_id"] = account.id
    session["csrf"] = secrets.token_urlsafe(32)


def sign_out() -> None:
    session.destroy()


def tenant_required(view):
    """A page of a tenant's configuration: a signed-in account with a tenant to work on."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("account") is None:
            return redirect(url_for("auth.login", next=request.full_path))
        if g.get("tenant") is None:
            return redirect(url_for("platform.tenants"))
        return view(*args, **kwargs)
    return wrapped


def operator_required(view):
    """A platform page: operators only (anybody else gets "not found")."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("account") is None:
            return redirect(url_for("auth.login", next=request.full_path))
        if not g.account.is_operator:
            abort(404)
        return view(*args, **kwargs)
    return wrapped


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("account") is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)
    return wrapped


def protect_blueprint(bp, guard=tenant_required) -> None:
    """Every view of `bp` behind `guard` (tenant pages by default)."""
    @bp.before_request
    @guard
    def _guard():
        return None


def _error_page(error):
    code = getattr(error, "code", 500)
    if _is_api():
        return error_response(code)
    return render_template("error.html", code=code,
                           csrf=getattr(error, "description", "") == "csrf"), code


def init_app(app) -> None:
    app.before_request(_before_request)
    app.after_request(_send_anonymous_cookie)
    app.jinja_env.globals["csrf_token"] = csrf_token
    for code in (400, 403, 404, 405, 413):
        app.register_error_handler(code, _error_page)
