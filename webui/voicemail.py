"""The Voicemail tab (guide §6; SPEC F5): each global number's mailbox — mode (enabled,
greeting only, disabled), language of the system prompts, e-mail for voice-to-mail, the
4-digit PIN (entered twice) and the greeting (WAV or MP3, at most 4 MB). The same over the
JSON API:

    GET /api/v1/voicemail               every number's mailbox (never the PIN)
    PUT /api/v1/voicemail/<number>      JSON {mode, language, email, pin} → 200 | 422 | 404

A voicemail used as a destination cannot be disabled, and trivial PINs are refused: the
rules of `vpbx apply` (vpbx.provisioning.edit_audio)."""
from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, \
    url_for

from vpbx.provisioning import edit_audio
from vpbx.model.tenant import VOICEMAIL_LANGUAGES, VOICEMAIL_MODES

from . import dbconn, security
from .api import bp as api_bp
from .crud import read_config
from .i18n import _, problem

bp = Blueprint("voicemail", __name__, url_prefix="/voicemail")
security.protect_blueprint(bp)
FIELDS = ("mode", "language", "email", "pin", "pin_again", "greeting")



def _mailboxes():
    return edit_audio.list_mailboxes(dbconn.get_db(), g.tenant["slug"])


@bp.route("/")
def index():
    return render_template("tabs/voicemail.html", config=read_config(), boxes=_mailboxes())


def _mailbox(number: str) -> dict:
    box = next((b for b in _mailboxes() if b["number"] == number), None)
    if box is None:
        abort(404)
    return box


@bp.route("/<number>", methods=["GET", "POST"])
def edit(number: str):
    box = _mailbox(number)
    errors, values, status = {}, dict(box), 200
    if request.method == "POST":
        greeting = request.files.get("greeting")
        data = greeting.read() if greeting is not None and greeting.filename else None
        pin = request.form.get("pin") or None
        outcome = edit_audio.save_mailbox(
            dbconn.get_db(), g.tenant["slug"], number, mode=request.form.get("mode"),
            language=request.form.get("language"), email=request.form.get("email", "").strip(),
            pin=pin, pin_again=request.form.get("pin_again") or None, greeting=data,
            remove_greeting=request.form.get("remove_greeting") == "1")
        if outcome.ok:
            flash(_("The mailbox was saved."), "ok")
            return redirect(url_for("voicemail.index"))
        for item in outcome.problems:
            errors.setdefault(item.field if item.field in FIELDS else None, []).append(
                problem(item.reason))
        values.update({key: request.form.get(key, "") for key in ("mode", "language", "email")})
        status = 422
    return render_template("tabs/voicemail_form.html", box=box, values=values, errors=errors,
                           modes=VOICEMAIL_MODES, languages=VOICEMAIL_LANGUAGES), status


# ---- the JSON API -------------------------------------------------------------------------------

@api_bp.route("/voicemail", methods=["GET"], endpoint="voicemail_list")
def api_list():
    return jsonify(_mailboxes())


@api_bp.route("/voicemail/<number>", methods=["GET"], endpoint="voicemail_get")
def api_get(number: str):
    return jsonify(_mailbox(number))


@api_bp.route("/voicemail/<number>", methods=["PUT"], endpoint="voicemail_put")
def api_put(number: str):
    _mailbox(number)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(415 if not request.is_json else 400)
    unknown = [key for key in body if key not in ("number", "mode", "language", "email", "pin")]
    if unknown:
        return jsonify(errors=[{"field": key, "message": "unknown field (expected mode, "
                                "language, email, pin)"} for key in unknown]), 422
    pin = body.get("pin")
    outcome = edit_audio.save_mailbox(
        dbconn.get_db(), g.tenant["slug"], number, mode=body.get("mode"),
        language=body.get("language"), email=body.get("email"), pin=pin, pin_again=pin)
    if not outcome.ok:
        return jsonify(errors=[{"field": p.field, "message": p.reason}
                               for p in outcome.problems]), 422
    return jsonify(_mailbox(number))
