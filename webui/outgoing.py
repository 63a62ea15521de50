"""The Outgoing calls tab (guide §7): the access code ("dial 0 for an external line", a
tenant-wide setting that works) and the caller-ID presentation rules (not available yet)."""
from flask import Blueprint, g, redirect, render_template, request, url_for

from vpbx import admin_config

from . import dbconn, security
from .crud import flash_outcome, read_config
from .i18n import _

bp = Blueprint("outgoing", __name__, url_prefix="/outgoing")
security.protect_blueprint(bp)


@bp.route("/", methods=["GET", "POST"])
def index():
    if request.method == "POST":
        outcome = admin_config.save_settings(
            dbconn.get_db(), g.tenant["slug"],
            {"access_code": request.form.get("access_code") == "yes"})
        flash_outcome(outcome, _("Saved."))
        return redirect(url_for(".index"))
    return render_template("tabs/outgoing.html", config=read_config())
