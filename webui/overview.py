"""The landing page (each account goes to its own home) and the health check."""
from flask import Blueprint, g, jsonify, redirect, url_for

from . import dbconn

bp = Blueprint("overview", __name__)


@bp.route("/")
def index():
    if g.account is None:
        return redirect(url_for("auth.login"))
    if g.account.is_operator and g.tenant is None:
        return redirect(url_for("platform.tenants"))
    return redirect(url_for("monitor.index"))


@bp.route("/healthz")
def healthz():
    """For the supervisor: the database answers (no tenant's data is shown here)."""
    try:
        counts = dbconn.query_one("SELECT (SELECT COUNT(*) FROM tenants) AS tenants,"
                                  " (SELECT COUNT(*) FROM users) AS users")
    except Exception as exc:  # the page must say the database is down, not crash
        return jsonify(status="database unavailable", error=str(exc.args[-1])), 503
    return jsonify(status="ok", **counts)
