"""The Melodies and Announcements tabs (guide §8, §9; SPEC F7): upload WAV or MP3 files (at
most 4 MB, at most 10 of each kind, checked by their content), listen to them, download
them, choose the music on hold, delete what nothing uses. The same over the JSON API:

    GET    /api/v1/audio                 the files (id, kind, name, selected, duration, used_by)
    POST   /api/v1/audio                 multipart: kind, name, file[, selected]  → 201 | 422
    GET    /api/v1/audio/<id>/file       the stored WAV (8 kHz mono, as calls hear it)
    DELETE /api/v1/audio/<id>            → 204 | 409 (still used)

Every change goes through vpbx.provisioning.edit_audio, i.e. through the rules of `vpbx apply`.
"""
from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, \
    send_file, url_for

from vpbx.provisioning import edit_audio
from vpbx.model.names import without_control_characters

from . import dbconn, security
from .api import bp as api_bp
from .i18n import _, problem

bp = Blueprint("audio", __name__, url_prefix="/audio")
security.protect_blueprint(bp)

PAGES = {"music_on_hold": "audio.index", "ringback": "audio.index",
         "announcement": "audio.announcements"}



def _read_upload():
    """(bytes, None) of the form's `file`, or (None, message)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return None, _("Choose a file to upload.")
    return upload.read(), None


def _files(kinds):
    return [item for item in edit_audio.list_files(dbconn.get_db(), g.tenant["slug"])
            if item["kind"] in kinds]


@bp.route("/")
def index():
    files = _files(("music_on_hold", "ringback"))
    return render_template("tabs/melodies.html",
                           music=[f for f in files if f["kind"] == "music_on_hold"],
                           ringback=[f for f in files if f["kind"] == "ringback"])


@bp.route("/announcements")
def announcements():
    return render_template("tabs/announcements.html", files=_files(("announcement",)))


@bp.route("/upload", methods=["POST"])
def upload():
    kind = request.form.get("kind", "")
    if kind not in PAGES:
        abort(400)
    name = (request.form.get("name") or "").strip()
    data, missing = _read_upload()
    if not name:
        missing = _("Give the file a name.")
    if missing:
        flash(missing, "error")
        return redirect(url_for(PAGES[kind]))
    outcome = edit_audio.upload(dbconn.get_db(), g.tenant["slug"], kind, name, data,
                                selected=request.form.get("selected") == "1")
    if outcome.ok:
        flash(_("The file was added."), "ok")
    else:
        for item in outcome.problems:
            flash(problem(item.reason), "error")
    return redirect(url_for(PAGES[kind]))


def _own_file(audio_id: int, kinds=edit_audio.KINDS) -> dict:
    row = edit_audio.find_file(dbconn.get_db(), g.tenant["id"], audio_id, kinds)
    if row is None:
        abort(404)
    return row


@bp.route("/<int:audio_id>/delete", methods=["POST"])
def delete(audio_id: int):
    row = _own_file(audio_id)
    outcome = edit_audio.delete(dbconn.get_db(), g.tenant["slug"], row["kind"], row["name"])
    if outcome.ok:
        flash(_("The file was deleted."), "ok")
    else:
        for item in outcome.problems:
            flash(problem(item.reason), "error")
    return redirect(url_for(PAGES[row["kind"]]))


@bp.route("/<int:audio_id>/select", methods=["POST"])
def select(audio_id: int):
    row = _own_file(audio_id, ("music_on_hold",))
    outcome = edit_audio.select_music(dbconn.get_db(), g.tenant["slug"], row["name"])
    flash(_("This music is now played to held parties.") if outcome.ok
          else "; ".join(problem(p.reason) for p in outcome.problems),
          "ok" if outcome.ok else "error")
    return redirect(url_for("audio.index"))


def _send(row: dict):
    """The file; its name (the download's) without control characters, which a name stored
    before they were refused may hold and an HTTP header cannot (that answered 500)."""
    download = request.args.get("download") == "1"
    name = without_control_characters(row["name"])
    return send_file(edit_audio.file_path(row), mimetype="audio/wav", as_attachment=download,
                     download_name=f"{name}.wav", max_age=0)


@bp.route("/<int:audio_id>/file")
def file(audio_id: int):
    """Listen (inline) or download (?download=1) a file, greetings included."""
    return _send(_own_file(audio_id, edit_audio.KINDS + ("greeting",)))


# ---- the JSON API -------------------------------------------------------------------------------

def _errors(outcome, status):
    return jsonify(errors=[{"field": p.field, "message": p.reason}
                           for p in outcome.problems]), status


@api_bp.route("/audio", methods=["GET"], endpoint="audio_list")
def api_list():
    return jsonify(edit_audio.list_files(dbconn.get_db(), g.tenant["slug"]))


@api_bp.route("/audio", methods=["POST"], endpoint="audio_upload")
def api_upload():
    kind = request.form.get("kind", "")
    name = (request.form.get("name") or "").strip()
    upload_ = request.files.get("file")
    errors = []
    if kind not in edit_audio.KINDS:
        errors.append({"field": "kind",
                       "message": f"must be one of {' | '.join(edit_audio.KINDS)}"})
    if not name:
        errors.append({"field": "name", "message": "required"})
    if upload_ is None:
        errors.append({"field": "file", "message": "required (multipart/form-data)"})
    if errors:
        return jsonify(errors=errors), 422
    outcome = edit_audio.upload(dbconn.get_db(), g.tenant["slug"], kind, name,
                                upload_.read(), selected=request.form.get("selected") in
                                ("1", "true"))
    if not outcome.ok:
        return _errors(outcome, 422)
    item = next(f for f in edit_audio.list_files(dbconn.get_db(), g.tenant["slug"])
                if f["kind"] == kind and f["name"] == name)
    return jsonify(item), 201


@api_bp.route("/audio/<int:audio_id>/file", methods=["GET"], endpoint="audio_file")
def api_file(audio_id: int):
    return _send(_own_file(audio_id, edit_audio.KINDS + ("greeting",)))


@api_bp.route("/audio/<int:audio_id>", methods=["DELETE"], endpoint="audio_delete")
def api_delete(audio_id: int):
    row = _own_file(audio_id)
    outcome = edit_audio.delete(dbconn.get_db(), g.tenant["slug"], row["kind"], row["name"])
    if not outcome.ok:
        return _errors(outcome, 409)
    return "", 204
