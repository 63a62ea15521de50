"""What callers hear and do, as generators of actions (media/actions.py).

    voicemail(ctx, box)       greeting, beep, message recorded (F5.1, F5.2); * → remote access
    remote_access(ctx, box)   PIN (with lock-out), new-message count, 0 to record the
                              greeting (F5.4), each message (F5.3)
    announcement(ctx, path)   plays the announcement, then the call ends (F7.3)

`ctx` (media.app.FlowContext) gives the data folder, the database, the caller and the log.
"""
import datetime
import os
import uuid

import pymysql

from vpbx.provisioning import edit_audio
from vpbx.voicemail import mail as voicemail_mail
from vpbx.voicemail import store as voicemail_store

from . import prompts
from .actions import Background, CloseRecording, Collect, Hangup, Play, Record

MIN_MESSAGE_SECONDS = 0.5      # shorter than this is no message (the caller hung up at once)
GREETING_KEY = "0"             # in remote access, after the message count: record the greeting
GREETING_KEY_SECONDS = 1.5     # how long the key is waited for once its prompt has played
MAX_GREETING_SECONDS = 60
MIN_GREETING_SECONDS = 1.0     # shorter than this leaves the greeting as it was


def _say(ctx, language, *names) -> list[str]:
    return [prompts.spoken(ctx.data_dir, name, language) for name in names]


def greeting_file(ctx, box) -> str:
    """The uploaded greeting, else the default one in the mailbox's language."""
    if box.get("greeting_path"):
        try:
            path = voicemail_store.abs_path(ctx.data_dir, box["greeting_path"])
            if os.path.isfile(path):
                return path
        except ValueError:
            pass
    name = "greeting_only" if box["mode"] == "greeting_only" else "greeting"
    return prompts.spoken(ctx.data_dir, name, box["language"])


def announcement(ctx, path):
    yield Play([path])
    ctx.event("announcement", "played")
    yield Hangup()


def voicemail(ctx, box):
    """A call to a number's voicemail."""
    key = yield Play([greeting_file(ctx, box)], interrupt="*")
    if key != "*" and box["mode"] != "greeting_only":
        key = yield Play([prompts.resolve(ctx.data_dir, "beep")], interrupt="*")
    if key == "*":
        ctx.event("access", "star", number=box["number"])
        yield from remote_access(ctx, box["number"])
        return
    if box["mode"] == "greeting_only":
        ctx.event("greeting", "played", number=box["number"], mode="greeting_only")
        yield Hangup()
        return
    yield from record_message(ctx, box)


def record_message(ctx, box):
    """Record until the caller hangs up or the maximum length, then store the message:
    WAV under a temporary name, its sidecar, the rename, then the database rows."""
    box_id = ctx.db(lambda cur: voicemail_store.ensure_box(cur, box["tenant_id"], box["number_id"]))
    folder_relative = voicemail_store.message_folder(box_id)
    folder = voicemail_store.abs_path(ctx.data_dir, folder_relative)
    os.makedirs(folder, exist_ok=True)
    received_at = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
    name = f"{received_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}"
    recording = os.path.join(folder, f"{name}{voicemail_store.RECORDING_SUFFIX}")
    final = os.path.join(folder, f"{name}.wav")
    ctx.event("message", "recording", number=box["number"])
    how = yield Record(recording, ctx.settings.max_message_seconds)
    complete = yield CloseRecording()
    seconds = prompts.wav_seconds(recording) if complete else 0.0
    if seconds < MIN_MESSAGE_SECONDS:
        try:
            os.unlink(recording)
        except FileNotFoundError:
            pass
        ctx.event("message", "too_short", number=box["number"], seconds=f"{seconds:.1f}")
    else:
        with open(recording, "rb") as handle:
            os.fsync(handle.fileno())
        duration_ms = int(seconds * 1000)
        voicemail_store.write_sidecar(final, {"caller": ctx.caller,
                                              "received_at": received_at.isoformat(),
                                              "duration_ms": duration_ms, "call_id": ctx.call_id})
        os.replace(recording, final)
        _fsync_folder(folder)
        try:
            message_id = voicemail_store.add_message(
                ctx.connection(), box_id, ctx.caller, received_at, duration_ms,
                os.path.join(folder_relative, f"{name}.wav"), box.get("email"))
        except pymysql.err.Error as exc:      # kept on disk: stored when the database is back
            ctx.event("message", "kept_on_disk", number=box["number"], warning=True,
                      error=str(exc)[:120], file=f"{name}.wav")
            ctx.reset_connection()
            ctx.message_kept(box_id=box_id, caller=ctx.caller, received_at=received_at,
                             duration_ms=duration_ms, email=box.get("email"),
                             path=os.path.join(folder_relative, f"{name}.wav"))
        else:
            ctx.event("message", "stored", number=box["number"], id=message_id,
                      duration_ms=duration_ms, ended_by=how, emailed_to=box.get("email") or None)
            ctx.message_stored(message_id)
    if how == "max":
        yield Play(_say(ctx, box["language"], "goodbye"))
        yield Hangup()


def record_greeting(ctx, box):
    """The owner records the mailbox's greeting by phone (F5.4): the instructions and the
    beep, then what they say until # (or hang-up, or MAX_GREETING_SECONDS), stored as an
    uploaded greeting is (vpbx.provisioning.edit_audio.save_mailbox: checked, converted, the tenant's
    rules) so that the next caller hears it."""
    language = box["language"]
    recording = os.path.join(ctx.tmp_dir, f"greeting-{uuid.uuid4().hex}.wav")
    try:
        yield Play(_say(ctx, language, "record_greeting")
                   + [prompts.resolve(ctx.data_dir, "beep")])
        ctx.event("greeting", "recording", number=box["number"])
        how = yield Record(recording, MAX_GREETING_SECONDS, stop_keys="#")
        complete = yield CloseRecording()
        seconds = prompts.wav_seconds(recording) if complete else 0.0
        if seconds < MIN_GREETING_SECONDS:
            ctx.event("greeting", "too_short", number=box["number"], seconds=f"{seconds:.1f}")
            yield Play(_say(ctx, language, "greeting_unchanged"), interrupt="any")
            return
        try:
            problems = yield Background(
                lambda conn: save_greeting(conn, box["tenant"], box["number"], recording))
        except (pymysql.err.Error, OSError) as exc:
            problems = [f"{type(exc).__name__}: {exc}"]
        if problems:
            ctx.event("greeting", "not_saved", number=box["number"], warning=True,
                      reason="; ".join(problems)[:160])
            yield Play(_say(ctx, language, "greeting_not_saved"), interrupt="any")
        else:
            ctx.event("greeting", "saved", number=box["number"], ended_by=how,
                      duration_ms=int(seconds * 1000))
            yield Play(_say(ctx, language, "greeting_saved"), interrupt="any")
    finally:
        try:
            os.unlink(recording)
        except FileNotFoundError:
            pass


def save_greeting(conn, tenant: str, number: str, recording: str) -> list[str]:
    """Make the WAV at `recording` the greeting of the tenant's `number`, as an upload in
    the Voicemail tab does; the reasons it was refused (empty when it was saved)."""
    with open(recording, "rb") as handle:
        data = handle.read()
    try:
        outcome = edit_audio.save_mailbox(conn, tenant, number, greeting=data)
    except LookupError:
        return [f"{number} is no longer a number of {tenant}"]
    return [problem.reason for problem in outcome.problems]


def _fsync_folder(folder: str) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def remote_access(ctx, number):
    """The mailbox's owner: PIN, then the messages. Three wrong PINs end the call; wrong
    PINs in a row (across calls) lock the mailbox for a while."""
    box = ctx.db(lambda cur: voicemail_store.mailbox(cur, number))
    language = box["language"]
    if not box["pin_hash"] or not box["box_id"]:
        ctx.event("access", "no_pin", number=number)
        yield Play(_say(ctx, language, "no_access", "goodbye"))
        yield Hangup()
        return
    box_id = box["box_id"]
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    if box["locked_until"] and box["locked_until"] > now:
        ctx.event("access", "locked", number=number, until=box["locked_until"].isoformat(),
                  warning=True)
        yield Play(_say(ctx, language, "locked"))
        yield Hangup()
        return
    wrong = 0
    while True:
        pin = yield Collect(voicemail_store.PIN_LENGTH, prompt=_say(ctx, language, "enter_pin"),
                            timeout=10)
        if voicemail_store.check_pin(pin, box["pin_hash"]):
            ctx.db(lambda cur: voicemail_store.reset_pin_failures(cur, box_id))
            ctx.event("access", "granted", number=number)
            break
        wrong += 1
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        failures, locked_until = ctx.db(
            lambda cur: voicemail_store.record_pin_failure(cur, box_id, now))
        ctx.event("access", "wrong_pin", number=number, in_call=wrong, in_a_row=failures,
                  warning=True)
        if locked_until is not None:
            ctx.event("access", "lockout", number=number, until=locked_until.isoformat(),
                      warning=True)
            yield Play(_say(ctx, language, "wrong_pin", "locked"))
            yield Hangup()
            return
        if wrong >= voicemail_store.WRONG_PINS_PER_CALL:
            ctx.event("access", "too_many_wrong_pins", number=number, warning=True)
            yield Play(_say(ctx, language, "wrong_pin", "goodbye"))
            yield Hangup()
            return
        yield Play(_say(ctx, language, "wrong_pin"), interrupt="any")
    yield from listen(ctx, box)


def message_header(ctx, box, message) -> list[str]:
    """"Message received on 24 March at 9 hours 15 from 0 2 1 …" as prompt files."""
    language = box["language"]
    when = voicemail_mail.local_time(message["received_at"], box["timezone"])
    names = ["message_received", f"n{when.day}", f"month{when.month}", "at", f"n{when.hour}"]
    if language != "en":
        names.append("hours")
    names.append(f"n{when.minute}")
    digits = [c for c in (message["caller"] or "") if c in "0123456789"]   # not str.isdigit:
    # a caller ID from outside may hold other scripts' digits, which have no prompt
    if digits:
        names += ["from"] + [f"n{d}" for d in digits]
    else:
        names.append("unknown_caller")
    return _say(ctx, language, *names)


def listen(ctx, box):
    """The owner, once the PIN is right: how many new messages, the offer to record the
    greeting, then each message with its menu."""
    box_id, language = box["box_id"], box["language"]
    found = ctx.db(lambda cur: voicemail_store.messages(cur, box_id))
    new = sum(1 for message in found if message["is_new"])
    if new:
        count = _say(ctx, language, "you_have",
                     *prompts.number_words(new), "new_message" if new == 1 else "new_messages")
    else:
        count = _say(ctx, language, "no_new_messages")
    yield Play(count + _say(ctx, language, "greeting_option"), interrupt="any")
    if (yield Collect(1, timeout=GREETING_KEY_SECONDS)) == GREETING_KEY:
        yield from record_greeting(ctx, box)
    for message in found:
        try:
            audio = voicemail_store.abs_path(ctx.data_dir, message["path"])
        except ValueError:
            continue
        if not os.path.isfile(audio):
            continue
        yield Play(message_header(ctx, box, message) + [audio], interrupt="any")
        ctx.event("message", "played", number=box["number"], id=message["id"])
        choice = yield Collect(1, prompt=_say(ctx, language, "menu"), timeout=8)
        if not choice:
            choice = yield Collect(1, prompt=_say(ctx, language, "menu"), timeout=8)
        if choice == "7":
            ctx.db(lambda cur: voicemail_store.delete_message(cur, ctx.data_dir, box_id,
                                                              message["id"]))
            ctx.event("message", "deleted", number=box["number"], id=message["id"])
            yield Play(_say(ctx, language, "deleted"), interrupt="any")
        elif choice == "6":
            ctx.event("message", "skipped", number=box["number"], id=message["id"])
        else:
            ctx.db(lambda cur: voicemail_store.keep_message(cur, box_id, message["id"]))
            ctx.event("message", "kept", number=box["number"], id=message["id"])
            yield Play(_say(ctx, language, "kept"), interrupt="any")
    yield Play(_say(ctx, language, "no_more_messages", "goodbye"))
    yield Hangup()
