"""Voicemail and audio data: mailboxes, messages, the voice-to-mail outbox, PINs.

Plain SQL over a pymysql DictCursor (no KSR, no PJSUA2): used by the media application, the
KEMI routing (via the worker's store), `vpbx` and the web UI. Paths stored in the database
are relative to the platform's data folder (`abs_path` makes them absolute).

A message is stored durably: its WAV is written under a temporary name and renamed, then its
database row and its outbox row are written in one transaction; a WAV without a row (a crash
between the two) is found again at start-up by `recover_messages`, from the JSON sidecar
written next to the WAV before the rename.
"""
import datetime
import hashlib
import hmac
import json
import os
import secrets
import time

import pymysql

from vpbx.reasons import Reason

PIN_LENGTH = 4
PIN_ITERATIONS = 60000
LOCK_AFTER_FAILURES = 5          # wrong PINs in a row (across calls) that lock a mailbox
LOCK_SECONDS = 15 * 60           # for this long
WRONG_PINS_PER_CALL = 3          # the call ends after this many
MESSAGE_FOLDER = "voicemail"
RECORDING_SUFFIX = ".rec.wav"    # a message being recorded (half of one after a crash)
DEFAULT_MODE = "enabled"
DEFAULT_LANGUAGE = "fr"
MODES = ("enabled", "greeting_only", "disabled")
LANGUAGES = ("fr", "en", "de")


def abs_path(data_dir: str, relative: str) -> str:
    """The absolute path of a data-folder-relative path (refusing to leave the folder)."""
    full = os.path.normpath(os.path.join(data_dir, relative))
    if not full.startswith(os.path.normpath(data_dir) + os.sep):
        raise ValueError(f"path outside the data folder: {relative}")
    return full


# ---- PINs -------------------------------------------------------------------------------

def trivial_pin_reason(pin: str) -> Reason | None:
    """Why a 4-digit PIN is too easy to guess (0000, 1234, 4321, 1212, 1122…), or None."""
    digits = [int(c) for c in pin]
    steps = {b - a for a, b in zip(digits, digits[1:])}
    if len(set(digits)) == 1:
        return Reason("pin_repeated_digit")
    if steps in ({1}, {-1}):
        return Reason("pin_consecutive")
    if pin[:2] == pin[2:] or (pin[0] == pin[1] and pin[2] == pin[3]):
        return Reason("pin_repeated_pairs")
    return None


def hash_pin(pin: str) -> str:
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), PIN_ITERATIONS).hex()
    return f"pbkdf2_sha256${PIN_ITERATIONS}${salt}${digest}"


def check_pin(pin: str, stored: str | None) -> bool:
    """Whether `pin` matches the stored hash (False when no PIN is set)."""
    if not stored or not pin:
        return False
    try:
        scheme, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    computed = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), int(iterations)).hex()
    return hmac.compare_digest(computed, digest)


# ---- mailboxes --------------------------------------------------------------------------

_MAILBOX = ("SELECT n.id AS number_id, n.number, n.tenant_id, t.slug AS tenant, t.timezone,"
            " b.id AS box_id, COALESCE(b.mode, 'enabled') AS mode,"
            " COALESCE(b.language, 'fr') AS language, b.email, b.pin_hash,"
            " COALESCE(b.failed_pin_attempts, 0) AS failed_pin_attempts, b.locked_until,"
            " a.path AS greeting_path"
            " FROM global_numbers n JOIN tenants t ON t.id = n.tenant_id"
            " LEFT JOIN voicemail_boxes b ON b.number_id = n.id"
            " LEFT JOIN audio_files a ON a.id = b.greeting_audio_id AND a.tenant_id = n.tenant_id ")


def mailbox(cur, number: str) -> dict | None:
    """The voicemail of a global number (every global number has one: without settings it is
    enabled, in French, without PIN nor e-mail), or None if no tenant has the number."""
    cur.execute(_MAILBOX + "WHERE n.number = %s", (number,))
    return cur.fetchone()


def mailbox_of_tenant(cur, tenant_id: int, number: str) -> dict | None:
    """The same, only if the number is this tenant's."""
    cur.execute(_MAILBOX + "WHERE n.number = %s AND n.tenant_id = %s", (number, tenant_id))
    return cur.fetchone()


def ensure_box(cur, tenant_id: int, number_id: int) -> int:
    """The voicemail_boxes row of a number, created with the defaults if it has none."""
    cur.execute("INSERT IGNORE INTO voicemail_boxes (tenant_id, number_id) VALUES (%s, %s)",
                (tenant_id, number_id))
    cur.execute("SELECT id FROM voicemail_boxes WHERE number_id = %s AND tenant_id = %s",
                (number_id, tenant_id))
    return cur.fetchone()["id"]


def record_pin_failure(cur, box_id: int, now: datetime.datetime) -> tuple[int, datetime.datetime | None]:
    """Count a wrong PIN; the box is locked when LOCK_AFTER_FAILURES are reached. Returns
    (failures in a row, locked until or None)."""
    cur.execute("UPDATE voicemail_boxes SET failed_pin_attempts = failed_pin_attempts + 1"
                " WHERE id = %s", (box_id,))
    cur.execute("SELECT failed_pin_attempts FROM voicemail_boxes WHERE id = %s", (box_id,))
    failures = cur.fetchone()["failed_pin_attempts"]
    locked_until = None
    if failures >= LOCK_AFTER_FAILURES:
        locked_until = now + datetime.timedelta(seconds=LOCK_SECONDS)
        cur.execute("UPDATE voicemail_boxes SET locked_until = %s, failed_pin_attempts = 0"
                    " WHERE id = %s", (locked_until, box_id))
    return failures, locked_until


def reset_pin_failures(cur, box_id: int) -> None:
    cur.execute("UPDATE voicemail_boxes SET failed_pin_attempts = 0, locked_until = NULL"
                " WHERE id = %s", (box_id,))


# ---- messages ---------------------------------------------------------------------------

def message_folder(box_id: int) -> str:
    """The data-folder-relative folder of a mailbox's messages."""
    return os.path.join(MESSAGE_FOLDER, str(int(box_id)))


def add_message(conn, box_id: int, caller: str, received_at: datetime.datetime,
                duration_ms: int, relative_path: str, email: str | None) -> int:
    """The message's row and (when the box has an e-mail address) its outbox row, in one
    transaction; returns the message id. A path already stored is not stored twice."""
    with conn.cursor() as cur:
        conn.begin()
        try:
            cur.execute("SELECT id FROM voicemail_messages WHERE path = %s", (relative_path,))
            row = cur.fetchone()
            if row:
                conn.rollback()
                return row["id"]
            try:
                cur.execute("INSERT INTO voicemail_messages (box_id, caller, received_at,"
                            " duration_ms, path) VALUES (%s, %s, %s, %s, %s)",
                            (box_id, caller[:128], received_at, duration_ms, relative_path))
            except pymysql.err.IntegrityError:      # stored meanwhile by the other side
                conn.rollback()
                cur.execute("SELECT id FROM voicemail_messages WHERE path = %s",
                            (relative_path,))
                return cur.fetchone()["id"]
            message_id = cur.lastrowid
            if email:
                cur.execute("INSERT INTO voicemail_outbox (message_id, recipient,"
                            " next_attempt_at) VALUES (%s, %s, UTC_TIMESTAMP())",
                            (message_id, email))
            conn.commit()
            return message_id
        except BaseException:
            conn.rollback()
            raise


def messages(cur, box_id: int) -> list[dict]:
    """The box's messages: new ones first, each kind oldest first."""
    cur.execute("SELECT id, caller, received_at, duration_ms, path, is_new FROM voicemail_messages"
                " WHERE box_id = %s ORDER BY is_new DESC, received_at, id", (box_id,))
    return list(cur.fetchall())


def count_new(cur, box_id: int) -> int:
    cur.execute("SELECT COUNT(*) AS n FROM voicemail_messages WHERE box_id = %s AND is_new = 1",
                (box_id,))
    return cur.fetchone()["n"]


def keep_message(cur, box_id: int, message_id: int) -> None:
    cur.execute("UPDATE voicemail_messages SET is_new = 0 WHERE id = %s AND box_id = %s",
                (message_id, box_id))


def delete_message(cur, data_dir: str, box_id: int, message_id: int) -> bool:
    """Remove a message: its row, then its files. False if it was not this box's."""
    cur.execute("SELECT path FROM voicemail_messages WHERE id = %s AND box_id = %s",
                (message_id, box_id))
    row = cur.fetchone()
    if row is None:
        return False
    cur.execute("DELETE FROM voicemail_messages WHERE id = %s AND box_id = %s",
                (message_id, box_id))
    full = abs_path(data_dir, row["path"])
    for path in (full, os.path.splitext(full)[0] + ".json"):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
    return True


def tenant_box_ids(cur, tenant_id: int) -> list[int]:
    """The ids of a tenant's mailboxes (their messages live in message_folder(id))."""
    cur.execute("SELECT id FROM voicemail_boxes WHERE tenant_id = %s ORDER BY id", (tenant_id,))
    return [row["id"] for row in cur.fetchall()]


def remove_box_folders(data_dir: str, box_ids, log=None, min_age: float = 0.0) -> list[str]:
    """Remove the message files (recordings, sidecars naming the callers) of mailboxes that
    no longer exist, and their folders. A file that cannot be removed is logged and left for
    the next sweep (`recover_messages`); returns those paths. With `min_age`, files younger
    than that many seconds are left alone."""
    failed = []
    for box_id in box_ids:
        folder = os.path.join(data_dir, message_folder(box_id))
        try:
            names = sorted(os.listdir(folder))
        except FileNotFoundError:
            continue
        except OSError as exc:
            failed.append(folder)
            if log:
                log.error("voicemail folder %s of a removed mailbox could not be read: %s",
                          folder, exc)
            continue
        for name in names:
            full = os.path.join(folder, name)
            try:
                if min_age and time.time() - os.path.getmtime(full) < min_age:
                    continue
                os.unlink(full)
            except FileNotFoundError:
                pass
            except OSError as exc:
                failed.append(full)
                if log:
                    log.error("voicemail file %s of a removed mailbox could not be deleted: %s",
                              full, exc)
        try:
            os.rmdir(folder)
        except FileNotFoundError:
            pass
        except OSError:
            pass                          # not empty: what failed (or is recent) stays
    return failed


def sidecar(wav_path: str) -> str:
    return os.path.splitext(wav_path)[0] + ".json"


def write_sidecar(wav_path: str, data: dict) -> None:
    """The message's details next to its WAV, durably, before the WAV gets its final name."""
    target = sidecar(wav_path)
    with open(target + ".part", "w", encoding="utf-8") as handle:
        json.dump(data, handle, default=str)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(target + ".part", target)


def recover_messages(conn, data_dir: str, log=None, min_age: float = 0.0) -> list[int]:
    """Repair at start-up (and later, for files older than `min_age` seconds): every complete
    message WAV without a database row gets its row (from its sidecar); half-written files
    (being recorded when the app stopped) are removed at start-up; the files of mailboxes
    that no longer exist (removed with their number or their tenant, when removing the files
    then failed) are deleted. Returns the new ids."""
    root = os.path.join(data_dir, MESSAGE_FOLDER)
    recovered = []
    if not os.path.isdir(root):
        return recovered
    with conn.cursor() as cur:
        cur.execute("SELECT path FROM voicemail_messages")
        known = {row["path"] for row in cur.fetchall()}
        cur.execute("SELECT id FROM voicemail_boxes")
        boxes = {row["id"] for row in cur.fetchall()}
    for box in sorted(os.listdir(root)):
        folder = os.path.join(root, box)
        if not (box.isascii() and box.isdigit()) or not os.path.isdir(folder):
            continue
        if int(box) not in boxes:
            remove_box_folders(data_dir, [int(box)], log, min_age=min_age)
            continue
        for name in sorted(os.listdir(folder)):
            full = os.path.join(folder, name)
            if min_age and time.time() - os.path.getmtime(full) < min_age:
                continue                  # being written or stored right now
            if name.endswith((".part", RECORDING_SUFFIX)):
                if not min_age:
                    os.unlink(full)       # half of a message: never stored
                continue
            if not name.endswith(".wav"):
                continue
            relative = os.path.join(MESSAGE_FOLDER, box, name)
            if relative in known:
                continue
            try:
                with open(sidecar(full), encoding="utf-8") as handle:
                    data = json.load(handle)
                with conn.cursor() as cur:
                    cur.execute("SELECT b.id, b.email FROM voicemail_boxes b WHERE b.id = %s",
                                (int(box),))
                    row = cur.fetchone()
                if row is None:          # the mailbox was removed with its number
                    continue
                message_id = add_message(
                    conn, row["id"], data.get("caller", ""),
                    datetime.datetime.fromisoformat(data["received_at"]),
                    int(data.get("duration_ms", 0)), relative, row["email"])
                recovered.append(message_id)
                if log:
                    log.warning("voicemail message %s recovered at start-up (id %d)",
                                relative, message_id)
            except (OSError, ValueError, KeyError) as exc:
                if log:
                    log.error("voicemail message %s could not be recovered: %s", relative, exc)
    return recovered


# ---- voice-to-mail outbox ---------------------------------------------------------------

def due_mails(cur, limit: int = 20) -> list[dict]:
    """Outbox rows to send now, with what the mail says."""
    cur.execute("SELECT o.id, o.recipient, o.attempts, m.id AS message_id, m.caller,"
                " m.received_at, m.duration_ms, m.path, n.number, t.timezone, b.language"
                " FROM voicemail_outbox o JOIN voicemail_messages m ON m.id = o.message_id"
                " JOIN voicemail_boxes b ON b.id = m.box_id"
                " JOIN global_numbers n ON n.id = b.number_id JOIN tenants t ON t.id = b.tenant_id"
                " WHERE o.sent_at IS NULL AND o.next_attempt_at <= UTC_TIMESTAMP()"
                " ORDER BY o.id LIMIT %s", (limit,))
    return list(cur.fetchall())


def mail_sent(cur, outbox_id: int, message_id: int) -> None:
    cur.execute("UPDATE voicemail_outbox SET sent_at = UTC_TIMESTAMP(),"
                " attempts = attempts + 1, last_error = NULL WHERE id = %s", (outbox_id,))
    cur.execute("UPDATE voicemail_messages SET emailed_at = UTC_TIMESTAMP() WHERE id = %s",
                (message_id,))


def mail_failed(cur, outbox_id: int, error: str, retry_seconds: float) -> None:
    cur.execute("UPDATE voicemail_outbox SET attempts = attempts + 1, last_error = %s,"
                " next_attempt_at = UTC_TIMESTAMP() + INTERVAL %s SECOND WHERE id = %s",
                (error[:255], int(max(1, retry_seconds)), outbox_id))


# ---- audio files ------------------------------------------------------------------------

def audio_file(cur, audio_id: int, kind: str | None = None) -> dict | None:
    cur.execute("SELECT a.id, a.tenant_id, t.slug AS tenant, a.kind, a.name, a.path, a.selected"
                " FROM audio_files a JOIN tenants t ON t.id = a.tenant_id WHERE a.id = %s"
                + (" AND a.kind = %s" if kind else ""), (audio_id, kind) if kind else (audio_id,))
    return cur.fetchone()


def audio_by_name(cur, tenant_id: int, kind: str, name: str) -> dict | None:
    cur.execute("SELECT id, tenant_id, kind, name, path, selected FROM audio_files"
                " WHERE tenant_id = %s AND kind = %s AND name = %s", (tenant_id, kind, name))
    return cur.fetchone()


def selected_music(cur, tenant_id: int) -> dict | None:
    """The tenant's selected music on hold (None: the platform's default)."""
    cur.execute("SELECT id, path FROM audio_files WHERE tenant_id = %s AND kind = 'music_on_hold'"
                " AND selected = 1 ORDER BY id LIMIT 1", (tenant_id,))
    return cur.fetchone()


def group_ringback(cur, tenant_id: int, group: str) -> dict | None:
    """The ringback tone assigned to a group, or None."""
    cur.execute("SELECT a.id, a.path FROM call_groups g JOIN audio_files a"
                " ON a.id = g.ringback_audio_id AND a.tenant_id = g.tenant_id"
                " WHERE g.tenant_id = %s AND g.name = %s", (tenant_id, group))
    return cur.fetchone()
