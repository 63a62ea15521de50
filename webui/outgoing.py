"""The Outgoing calls tab (guide §7): the access code ("dial 0 for an external line", a
tenant-wide setting) and the caller-ID presentation rules with their summary."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from vpbx.provisioning import edit
from vpbx.provisioning import presentation

from . import dbconn, security
from .crud import flash_outcome, read_config
from .i18n import _

bp = Blueprint("outgoing", __name__, url_prefix="/outgoing")
security.protect_blueprint(bp)


@bp.route("/", methods=["GET", "POST"])
def index():
    if request.method == "POST":
        outcome = edit.save_settings(
            dbconn.get_db(), g.tenant["slug"],
            {"access_code": request.form.get("access_code") == "yes"})
        flash_outcome(outcome, _("Saved."))
        return redirect(url_for(".index"))
    return _page()


def _page(problems=(), status=200):
    conn = dbconn.get_db()
    return render_template("tabs/outgoing.html", config=read_config(), problems=problems,
                           rules=presentation.rules(conn, g.tenant["id"]),
                           numbers=presentation.owned_numbers(conn, g.tenant["id"])), status


@bp.route("/presentation", methods=["POST"])
def add_rule():
    problems = presentation.add_rule(dbconn.get_db(), g.tenant["id"],
                                     request.form.get("number", ""),
                                     [e.strip() for e in request.form.getlist("users") if e.strip()])
    if problems:
        return _page(problems, 400)
    flash(_("Saved."), "ok")
    return redirect(url_for(".index"))


@bp.route("/presentation/<int:rule_id>/delete", methods=["POST"])
def delete_rule(rule_id: int):
    if not presentation.delete_rule(dbconn.get_db(), g.tenant["id"], rule_id):
        abort(404)
    flash(_("Deleted."), "ok")
    return redirect(url_for(".index"))
