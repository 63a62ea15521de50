"""Signing in and out, the language switch, and one's own account (password, API tokens)."""
from urllib.parse import urlsplit

from flask import (Blueprint, current_app, flash, g, redirect, render_template, request,
                   url_for)

from . import accounts, dbconn, security
from .i18n import LANGUAGE_COOKIE, LANGUAGES, _

bp = Blueprint("auth", __name__)
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def _local(target: str | None, default: str) -> str:
    """`target` when it is a path of this site (no open redirect), else `default`."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//"):
            return target
    return default


def home_of(account) -> str:
    return url_for("platform.tenants") if account.is_operator else url_for("monitor.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if g.account is not None:
        return redirect(home_of(g.account))
    error, status = None, 200
    if request.method == "POST":
        login_name = request.form.get("login", "").strip()
        account, locked = accounts.authenticate(dbconn.get_db(), login_name,
                                                request.form.get("password", ""),
                                                request.remote_addr or "-")
        # (the login as typed, quoted: it may hold anything; never the password)
        current_app.logger.info("sign-in %s: login=%r address=%s",
                                "accepted" if account else "locked" if locked else "refused",
                                login_name[:128], request.remote_addr or "-")
        if account is not None:
            security.sign_in(account)
            return redirect(_local(request.args.get("next"), home_of(account)))
        if locked:
            minutes = max(1, round(locked / 60))
            error = _("Too many failed attempts: signing in is blocked for {n} minutes.",
                      n=minutes)
            status = 429
        else:
            error, status = _("Wrong login or password."), 401
    return render_template("auth/login.html", error=error), status


@bp.route("/logout", methods=["POST"])
def logout():
    security.sign_out()
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def language():
    """Switch between French, German and English (kept in the account, or in a cookie before
    signing in: no session is stored for it)."""
    chosen = request.form.get("language")
    response = redirect(_local(request.form.get("next"), url_for("auth.login")))
    if chosen in LANGUAGES:
        if g.account is not None:
            accounts.set_language(dbconn.get_db(), g.account.id, chosen)
        else:
            response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=LANGUAGE_COOKIE_SECONDS,
                                httponly=True, path="/", samesite="Lax",
                                secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@bp.route("/account", methods=["GET", "POST"])
@security.login_required
def account():
    """Change one's password; create (with an expiry) and revoke API tokens."""
    conn = dbconn.get_db()
    errors, new_token, status = {}, None, 200
    action = request.form.get("action")
    if action == "password":
        if not accounts.verify_password(conn, g.account.id, request.form.get("current", "")):
            errors["current"] = [_("This is not your current password.")]
        reason = accounts.check_password_rules(request.form.get("new", ""),
                                               request.form.get("confirm", ""))
        if reason:
            errors["new"] = [_(reason)]
        if not errors:
            accounts.set_password(conn, g.account.id, request.form["new"])
            security.sign_in(g.account)     # the other sessions were closed; keep this one
            flash(_("Your password was changed; your other sessions were closed."), "ok")
            return redirect(url_for(".account"))
        status = 422
    elif action == "token":
        days = _token_days(request.form.get("days", str(accounts.DEFAULT_TOKEN_DAYS)))
        if not request.form.get("name", "").strip():
            errors["name"] = [_("Give the token a name.")]
        if days == "":
            errors["days"] = [_("Choose how long the token is valid.")]
        if errors:
            status = 422
        else:
            try:
                new_token = accounts.create_token(conn, g.account.id, request.form["name"], days)
            except accounts.AccountError:
                errors["name"] = [_("Give the token a name.")]
                status = 422
    elif action == "revoke":
        accounts.revoke_token(conn, g.account.id, request.form.get("token_id", type=int) or 0)
        flash(_("The token was revoked."), "ok")
        return redirect(url_for(".account"))
    return render_template("auth/account.html", errors=errors, new_token=new_token,
                           tokens=accounts.tokens(conn, g.account.id),
                           token_days=accounts.TOKEN_DAYS,
                           default_days=accounts.DEFAULT_TOKEN_DAYS), status


def _token_days(chosen: str | None):
    """The token lifetime chosen on the account page: days, None for "no expiry", or ""
    when it is none of those offered."""
    if chosen == "never":
        return None
    if chosen and chosen.isdigit() and int(chosen) in accounts.TOKEN_DAYS:
        return int(chosen)
    return ""
