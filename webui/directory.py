"""The company directory (guide §11, SPEC F9): external contacts added one by one or
imported from CSV (nothing half-imported), with optional ##short codes; the tenant's users
are the internal contacts. Every phone reads it at /phonebook/<domain>.xml (webui.phonebook)."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from vpbx.provisioning import directory
from vpbx.reasons import Reason

from . import dbconn, security
from .crud import read_config
from .i18n import gettext as _

bp = Blueprint("directory", __name__, url_prefix="/directory")
security.protect_blueprint(bp)
MAX_CSV_BYTES = 1024 * 1024


def _page(problems=(), values=None, status=200):
    return render_template("directory/list.html", config=read_config(),
                           contacts=directory.contacts(dbconn.get_db(), g.tenant["id"]),
                           problems=problems, values=values or {}), status


@bp.route("/")
def index():
    return _page()


@bp.route("/", methods=["POST"])
def add():
    form = request.form
    contact, problems = directory.check_contact(form.get("name", ""), form.get("number", ""),
                                                form.get("short", ""))
    if contact is not None:
        problems = directory.add_contact(dbconn.get_db(), g.tenant["id"], contact)
    if problems:
        return _page([Reason("field_reason", field=field, reason=reason)
                      for field, reason in problems], form, 400)
    flash(_("Saved."), "ok")
    return redirect(url_for("directory.index"))


@bp.route("/<int:contact_id>/delete", methods=["POST"])
def delete(contact_id: int):
    if not directory.delete_contact(dbconn.get_db(), g.tenant["id"], contact_id):
        abort(404)
    flash(_("Deleted."), "ok")
    return redirect(url_for("directory.index"))


@bp.route("/import", methods=["POST"])
def import_csv():
    upload = request.files.get("file")
    data = upload.read(MAX_CSV_BYTES + 1) if upload else b""
    if not data:
        return _page([_("Choose a CSV file.")], status=400)
    if len(data) > MAX_CSV_BYTES:
        return _page([_("The file is larger than 1 MB.")], status=400)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _page([_("The file is not UTF-8 text.")], status=400)
    count, problems = directory.import_csv(dbconn.get_db(), g.tenant["id"], text)
    if problems:
        return _page([_("Nothing was imported:")] + problems, status=400)
    flash(_("{n} contacts imported.", n=count), "ok")
    return redirect(url_for("directory.index"))
