"""The landing page and the health check."""
from flask import Blueprint, current_app, jsonify, render_template

from vpbx import db

bp = Blueprint("overview", __name__)


def _platform_counts() -> dict:
    """How many tenants and users the platform serves (no tenant's data is shown here)."""
    conn = db.connect(current_app.config["VPBX"])
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT (SELECT COUNT(*) FROM tenants) AS tenants,"
                        " (SELECT COUNT(*) FROM users) AS users")
            return cur.fetchone()
    finally:
        conn.close()


@bp.route("/")
def index():
    cfg = current_app.config["VPBX"]
    return render_template("index.html", counts=_platform_counts(), cfg=cfg)


@bp.route("/healthz")
def healthz():
    try:
        counts = _platform_counts()
    except Exception as exc:  # the page must say the database is down, not crash
        return jsonify(status="database unavailable", error=str(exc.args[-1])), 503
    return jsonify(status="ok", **counts)
