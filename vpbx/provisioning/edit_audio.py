"""Audio files and mailboxes edited one at a time (the web UI and its JSON API).

As vpbx.provisioning.edit does for the other sections, every change is made to the tenant's
document (its `vpbx export`) and goes through vpbx.provisioning.apply.apply_tenant in one
transaction: an upload is checked (content, 4 MB, 10 per kind) and converted by the very
rules of `vpbx apply`, a file still used cannot be removed, a voicemail used as a
destination cannot be disabled. Problems come back as vpbx.provisioning.edit.Problem
(field, reason).
"""
import os
import re
import tempfile

import pymysql

from vpbx.audio import files as audio_files
from vpbx.settings import platform
from vpbx.voicemail import store as voicemail_store
from vpbx.provisioning.apply import apply_tenant
from vpbx.provisioning.changes import ConfigurationBusy, notify_routing, transaction
from vpbx.provisioning.edit import CollectedProblems, Outcome, Problem, document_of
from vpbx.provisioning.document import Node
from vpbx.provisioning.read import read_tenant
from vpbx.reasons import Reason, item_name

KINDS = tuple(audio_files.FILE_KINDS.values())


_FIELD = re.compile(r"\.(?P<field>[a-z_]+)$")
_UPLOAD_NAME = re.compile(r"^(?:\S*/)?\.upload-")


def _apply(conn, slug: str, change, field_prefix: str | None) -> Outcome:
    """change(document, stored) edits the document; apply it as `vpbx apply` would."""
    collected = CollectedProblems()
    changes = []
    try:
        with transaction(conn) as cur:
            stored = read_tenant(cur, slug)
            if stored is None:
                return Outcome(problems=[Problem(None, Reason("no_tenant", tenant=slug))])
            document = document_of(stored)
            change(document, stored)
            changes = apply_tenant(cur, Node(collected, "", document))
    except pymysql.err.IntegrityError as exc:
        collected.add("", Reason("database_refused", error=exc.args[-1]))
    except ConfigurationBusy:
        collected.add("", Reason("configuration_busy"))
    if collected.found:
        problems = []
        for path, reason in collected.found:
            if getattr(reason, "code", None) == "named_file" \
                    and _UPLOAD_NAME.match(reason.params["name"]):
                reason = reason.params["reason"]    # the temporary file's name says nothing
            match = _FIELD.search(path or "")
            mine = field_prefix is not None and (path or "").startswith(field_prefix)
            problems.append(Problem(match["field"] if mine and match else None, reason))
        return Outcome(problems=problems)
    if changes:
        notify_routing(conn)
    return Outcome(changes=changes)


def _upload_file(data: bytes) -> str:
    """The upload in a temporary file of the data folder (checked before anything else)."""
    folder = os.path.join(platform.load().data_dir, audio_files.AUDIO_FOLDER)
    os.makedirs(folder, exist_ok=True)
    handle, path = tempfile.mkstemp(dir=folder, prefix=".upload-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    return path


def _check_upload(data: bytes) -> Outcome | None:
    try:
        audio_files.check_bytes(len(data), data[:64])
    except audio_files.AudioError as exc:
        return Outcome(problems=[Problem("file", exc.reason)])
    return None


# ---- audio files --------------------------------------------------------------------------------

def usage(stored) -> dict:
    """(kind, name) → where the file is used: groups' ringback tones, destinations of
    announcements, the selected music on hold."""
    used = {}
    config_ = stored.config
    for group in config_.groups or []:
        if group.ringback:
            used.setdefault(("ringback", group.ringback), []).append(
                item_name("groups", group.name))
        if group.no_answer.kind == "announcement":
            used.setdefault(("announcement", group.no_answer.target), []).append(
                item_name("groups", group.name))
    for number in config_.numbers or []:
        for route in number.routes:
            if route.to.kind == "announcement":
                used.setdefault(("announcement", route.to.target), []).append(
                    item_name("numbers", number.number))
        if number.outside_hours.kind == "announcement":
            used.setdefault(("announcement", number.outside_hours.target), []).append(
                item_name("numbers", number.number))
    for item in config_.audio or []:
        if item.kind == "music_on_hold" and item.selected:
            used.setdefault(("music_on_hold", item.name), []).append(Reason("the_music_on_hold"))
    return used


def list_files(conn, slug: str) -> list[dict]:
    """The tenant's audio files with their id, duration and what uses them."""
    with conn.cursor() as cur:
        stored = read_tenant(cur, slug)
        if stored is None:
            return []
        cur.execute("SELECT id, kind, name FROM audio_files WHERE tenant_id = %s"
                    " AND kind <> 'greeting'", (stored.id,))
        ids = {(row["kind"], row["name"]): row["id"] for row in cur.fetchall()}
    used = usage(stored)
    return [{"id": ids.get((item.kind, item.name)), "kind": item.kind, "name": item.name,
             "selected": item.selected, "duration_ms": item.duration_ms,
             "used_by": sorted(set(used.get((item.kind, item.name), [])))}
            for item in stored.config.audio or []]


def find_file(conn, tenant_id: int, audio_id: int, kinds=KINDS + ("greeting",)) -> dict | None:
    """An audio file of this tenant (None when it is another tenant's or does not exist)."""
    with conn.cursor() as cur:
        cur.execute("SELECT id, kind, name, path FROM audio_files WHERE id = %s AND tenant_id = %s",
                    (audio_id, tenant_id))
        row = cur.fetchone()
    return row if row and row["kind"] in kinds else None


def file_path(row: dict) -> str:
    return voicemail_store.abs_path(platform.load().data_dir, row["path"])


def _section(document: dict, kind: str) -> list:
    return document.setdefault("audio", {}).setdefault(audio_files.KIND_KEYS[kind], [])


def upload(conn, slug: str, kind: str, name: str, data: bytes, selected: bool = False) -> Outcome:
    """Add a file (or replace the file of that name)."""
    if kind not in KINDS:
        return Outcome(problems=[Problem("kind", Reason("one_of", choices=" | ".join(KINDS)))])
    refused = _check_upload(data)
    if refused:
        return refused
    path = _upload_file(data)
    try:
        def change(document, stored):
            entries = _section(document, kind)
            entry = next((e for e in entries if e.get("name") == name), None)
            if entry is None:
                entry = {"name": name}
                entries.append(entry)
            entry["file"] = path
            if selected and kind == "music_on_hold":
                for other in entries:
                    other.pop("selected", None)
                entry["selected"] = True
        return _apply(conn, slug, change, "audio")
    finally:
        os.unlink(path)


def delete(conn, slug: str, kind: str, name: str) -> Outcome:
    """Remove a file, unless something uses it."""
    with conn.cursor() as cur:
        stored = read_tenant(cur, slug)
    used = usage(stored).get((kind, name)) if stored else None
    if used:
        return Outcome(problems=[Problem(None, Reason("cannot_delete_used", item=name,
                                                      by=sorted(set(used))))])

    def change(document, stored_):
        entries = _section(document, kind)
        entries[:] = [e for e in entries if e.get("name") != name]
    return _apply(conn, slug, change, None)


def select_music(conn, slug: str, name: str) -> Outcome:
    """Make this music on hold the one held parties hear."""
    def change(document, stored):
        for entry in _section(document, "music_on_hold"):
            entry.pop("selected", None)
            if entry.get("name") == name:
                entry["selected"] = True
    return _apply(conn, slug, change, None)


# ---- mailboxes ----------------------------------------------------------------------------------

def list_mailboxes(conn, slug: str) -> list[dict]:
    """Every global number's mailbox: settings (never the PIN), greeting, message counts."""
    with conn.cursor() as cur:
        stored = read_tenant(cur, slug)
        if stored is None:
            return []
        cur.execute("SELECT n.number, COUNT(m.id) AS total, COALESCE(SUM(m.is_new), 0) AS new,"
                    " b.locked_until FROM global_numbers n"
                    " LEFT JOIN voicemail_boxes b ON b.number_id = n.id"
                    " LEFT JOIN voicemail_messages m ON m.box_id = b.id"
                    " WHERE n.tenant_id = %s GROUP BY n.number, b.locked_until", (stored.id,))
        counts = {row["number"]: row for row in cur.fetchall()}
        cur.execute("SELECT id, name FROM audio_files WHERE tenant_id = %s AND kind = 'greeting'",
                    (stored.id,))
        greetings = {row["name"]: row["id"] for row in cur.fetchall()}
    boxes = {box.number: box for box in stored.config.voicemail or []}
    result = []
    for number in stored.config.numbers or []:
        box = boxes.get(number.number)
        count = counts.get(number.number) or {}
        result.append({
            "number": number.number, "label": number.label,
            "mode": box.mode if box else "enabled",
            "email": box.email if box else None,
            "language": box.language if box else "fr",
            "pin_set": bool(box and box.pin_hash),
            "greeting_id": greetings.get(number.number) if box and box.greeting else None,
            "messages": {"total": int(count.get("total") or 0), "new": int(count.get("new") or 0)},
            "locked_until": count["locked_until"].isoformat() if count.get("locked_until")
            else None})
    return result


def save_mailbox(conn, slug: str, number: str, *, mode=None, email=None, language=None,
                 pin=None, pin_again=None, greeting: bytes | None = None,
                 remove_greeting=False) -> Outcome:
    """Change a number's voicemail settings; a PIN must be given twice, identically.
    LookupError when the number is not the tenant's."""
    if pin is not None and pin != pin_again:
        return Outcome(problems=[Problem("pin_again", Reason("pins_differ"))])
    if greeting is not None:
        refused = _check_upload(greeting)
        if refused:
            return Outcome(problems=[Problem("greeting", refused.problems[0].reason)])
    path = _upload_file(greeting) if greeting is not None else None
    try:
        def change(document, stored):
            if number not in {n.number for n in stored.config.numbers or []}:
                raise LookupError(number)
            entries = document.setdefault("voicemail", [])
            entry = next((e for e in entries if e.get("number") == number), None)
            if entry is None:
                entry = {"number": number}
                entries.append(entry)
            for key, value in (("mode", mode), ("language", language), ("pin", pin)):
                if value is not None:
                    entry[key] = value
            if email is not None:
                if email:
                    entry["email"] = email
                else:
                    entry.pop("email", None)
            if path:
                entry["greeting"] = path
            elif remove_greeting:
                entry.pop("greeting", None)
        return _apply(conn, slug, change, "voicemail")
    finally:
        if path:
            os.unlink(path)
