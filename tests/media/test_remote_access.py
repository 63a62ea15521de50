"""Remote access to a mailbox (SPEC F5.3): 086 + the global number, * during the greeting,
the PIN, then the messages; wrong PINs end the call and lock the mailbox; the owner records
the greeting by phone (F5.4)."""
import datetime
import os
import time

import pytest

from media import prompts
from vpbx.voicemail import store as media_store

from .conftest import (GUARDED, GUARDED_PIN, OWNER, OWNER_PIN, edge_uri, first_time, query,
                       seconds_of, tone_timeline, wait_media_line)

pytestmark = pytest.mark.integration


def national(number: str) -> str:
    return "0" + number[3:]          # +41215558007 → 0215558007


def start_access(platform, phone, number, record_to=None) -> str:
    """Dial 086 + the number, press * during the greeting; the call's SIP Call-ID."""
    phone.call("086" + national(number), record_to=record_to)
    call_id = phone.wait_call_state("CONFIRMED", timeout=5)["sip_call_id"]
    phone.wait_rtp(10, timeout=8)             # the media path is up (digits travel in it)
    phone.send_dtmf("*")
    wait_media_line(platform, decision="access", outcome="star", call_id=call_id)
    return call_id


MESSAGE_HZ = 1850


def put_message(platform, dbconn, number, seconds=2.0) -> tuple[int, str]:
    """A message as the media app stores one (leaving one by phone is tested elsewhere):
    (its id, its path)."""
    box = query(dbconn, "SELECT n.id, n.tenant_id FROM global_numbers n WHERE n.number = %s",
                number)[0]
    with dbconn.cursor() as cur:
        box_id = media_store.ensure_box(cur, box["tenant_id"], box["id"])
    relative = os.path.join(media_store.message_folder(box_id), f"test-{time.time_ns()}.wav")
    prompts.tone_wav(media_store.abs_path(platform.cfg.data_dir, relative), MESSAGE_HZ, seconds)
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
    return media_store.add_message(dbconn, box_id, "8002", now, int(seconds * 1000), relative,
                                   None), relative


def test_the_owner_listens_to_a_message_and_deletes_it(platform, voxco, vx, dbconn, tmp_path):
    message_id, path = put_message(platform, dbconn, OWNER)
    owner = vx("vx1")
    heard = tmp_path / "owner.wav"
    call_id = start_access(platform, owner, OWNER, record_to=heard)
    owner.send_dtmf(OWNER_PIN)
    wait_media_line(platform, timeout=15, decision="access", outcome="granted", call_id=call_id)
    wait_media_line(platform, timeout=30, decision="message", outcome="played",
                    call_id=call_id, id=str(message_id))     # after the count and the offer
                                                             # to record the greeting
    owner.send_dtmf("7")                                          # delete
    wait_media_line(platform, decision="message", outcome="deleted", call_id=call_id,
                    id=str(message_id))
    owner.wait_call_state("DISCONNECTED", timeout=10)             # "no more messages, goodbye"
    assert query(dbconn, "SELECT id FROM voicemail_messages WHERE id = %s", message_id) == []
    assert not os.path.exists(media_store.abs_path(platform.cfg.data_dir, path))
    timeline = tone_timeline(owner.wait_recording(), [MESSAGE_HZ, owner.tone_hz])
    assert 0.5 <= seconds_of(timeline, MESSAGE_HZ) <= 2.3        # the 2 s message, played back
    platform.wait_log("VPBX-ROUTE", tenant="voxco", to="086" + national(OWNER),
                      decision=f"voicemail_access:{OWNER}", outcome="media")


def test_9_keeps_a_message_and_6_goes_to_the_next_one_leaving_it_new(platform, voxco, vx,
                                                                      dbconn):
    kept_id, _path = put_message(platform, dbconn, OWNER)
    skipped_id, _path = put_message(platform, dbconn, OWNER)
    box_id = query(dbconn, "SELECT box_id FROM voicemail_messages WHERE id = %s",
                   kept_id)[0]["box_id"]
    try:
        owner = vx("vx1")
        call_id = start_access(platform, owner, OWNER)
        owner.send_dtmf(OWNER_PIN)
        wait_media_line(platform, timeout=15, decision="access", outcome="granted",
                        call_id=call_id)
        wait_media_line(platform, timeout=30, decision="message", outcome="played",
                        call_id=call_id, id=str(kept_id))
        owner.send_dtmf("9")                                          # keep
        wait_media_line(platform, decision="message", outcome="kept", call_id=call_id,
                        id=str(kept_id))
        wait_media_line(platform, timeout=30, decision="message", outcome="played",
                        call_id=call_id, id=str(skipped_id))                # (after its header)
        owner.send_dtmf("6")                                          # next
        wait_media_line(platform, decision="message", outcome="skipped", call_id=call_id,
                        id=str(skipped_id))
        owner.wait_call_state("DISCONNECTED", timeout=10)             # "no more messages"
        left = query(dbconn, "SELECT id, is_new FROM voicemail_messages WHERE id IN (%s, %s)"
                             " ORDER BY id", kept_id, skipped_id)
        assert [(row["id"], row["is_new"]) for row in left] == [(kept_id, 0), (skipped_id, 1)]
        assert not platform.log_lines("VPBX-MEDIA", "media", call_id=call_id,
                                      outcome="deleted")
    finally:
        with dbconn.cursor() as cur:                  # leave the owner's mailbox as it was
            for message_id in (kept_id, skipped_id):
                media_store.delete_message(cur, platform.cfg.data_dir, box_id, message_id)


def enter_wrong_pins(platform, phone, call_id, pins) -> None:
    for count, pin in enumerate(pins, 1):
        phone.send_dtmf(pin)
        wait_media_line(platform, timeout=15, decision="access", outcome="wrong_pin",
                        call_id=call_id, in_call=str(count))


def test_wrong_pins_end_the_call_then_lock_the_mailbox(platform, voxco, vx, dbconn):
    phone = vx("vx2")
    call_id = start_access(platform, phone, GUARDED)
    enter_wrong_pins(platform, phone, call_id, ["1111", "2222", "3333"])
    phone.wait_call_state("DISCONNECTED", timeout=10)              # three wrong: call ended
    wait_media_line(platform, decision="access", outcome="too_many_wrong_pins", call_id=call_id)

    call_id = start_access(platform, phone, GUARDED)
    enter_wrong_pins(platform, phone, call_id, ["4444", "5555"])   # five in a row: locked
    lockout = wait_media_line(platform, decision="access", outcome="lockout", call_id=call_id)
    phone.wait_call_state("DISCONNECTED", timeout=10)
    box, = query(dbconn, "SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), b.locked_until) AS"
                         " seconds_left FROM voicemail_boxes b JOIN global_numbers n"
                         " ON n.id = b.number_id WHERE n.number = %s", GUARDED)
    assert 15 * 60 - 30 <= box["seconds_left"] <= 15 * 60       # locked for 15 minutes
    assert lockout["until"]

    call_id = start_access(platform, phone, GUARDED)               # even the right PIN…
    wait_media_line(platform, decision="access", outcome="locked", call_id=call_id)
    phone.send_dtmf(GUARDED_PIN)
    phone.wait_call_state("DISCONNECTED", timeout=10)
    assert not query(dbconn, "SELECT 1 FROM voicemail_boxes b JOIN global_numbers n"
                             " ON n.id = b.number_id WHERE n.number = %s"
                             " AND b.failed_pin_attempts > 0", GUARDED)
    with dbconn.cursor() as cur:                                    # unlock for other runs
        cur.execute("UPDATE voicemail_boxes b JOIN global_numbers n ON n.id = b.number_id"
                    " SET b.locked_until = NULL WHERE n.number = %s", (GUARDED,))


def test_the_owner_records_a_greeting_that_the_next_caller_hears(platform, voxco, vx, carrier,
                                                                  dbconn, tmp_path):
    """F5.4 by phone: 086 + number, *, PIN, 0 after the message count, the beep, the owner
    speaks (its phone's tone) then #; "greeting saved"; a caller to the voicemail then hears
    that tone as the greeting, before the beep."""
    owner = vx("vx1")
    call_id = start_access(platform, owner, OWNER)
    owner.send_dtmf(OWNER_PIN)
    wait_media_line(platform, timeout=15, decision="access", outcome="granted", call_id=call_id)
    owner.send_dtmf("0")                          # during "… To record your greeting, press 0"
    wait_media_line(platform, timeout=15, decision="greeting", outcome="recording",
                    call_id=call_id)
    time.sleep(3.0)                               # the owner speaks (its tone)
    owner.send_dtmf("#")
    saved = wait_media_line(platform, timeout=15, decision="greeting", outcome="saved",
                            call_id=call_id)
    assert saved["ended_by"] == "key" and 2500 <= int(saved["duration_ms"]) <= 4000
    owner.hangup()

    greeting, = query(dbconn, "SELECT a.id, a.path, a.duration_ms FROM voicemail_boxes b"
                              " JOIN global_numbers n ON n.id = b.number_id"
                              " JOIN audio_files a ON a.id = b.greeting_audio_id"
                              " AND a.tenant_id = b.tenant_id AND a.kind = 'greeting'"
                              " WHERE n.number = %s", OWNER)
    stored = media_store.abs_path(platform.cfg.data_dir, greeting["path"])
    assert 2500 <= greeting["duration_ms"] <= 4000
    assert seconds_of(tone_timeline(stored, [owner.tone_hz]), owner.tone_hz) >= 2.0

    newest = query(dbconn, "SELECT COALESCE(MAX(id), 0) AS id FROM voicemail_messages")[0]["id"]
    heard = tmp_path / "caller.wav"
    try:
        carrier.call(edge_uri(platform, OWNER), record_to=heard)
        caller_id = carrier.wait_call_state("CONFIRMED", timeout=5)["sip_call_id"]
        wait_media_line(platform, timeout=10, decision="message", outcome="recording",
                        call_id=caller_id)
        carrier.hangup()                          # no message: only the greeting mattered
        timeline = tone_timeline(carrier.wait_recording(), [owner.tone_hz, carrier.tone_hz,
                                                            1000])
        assert 2.0 <= seconds_of(timeline, owner.tone_hz) <= 4.0   # the recorded greeting,
        assert first_time(timeline, owner.tone_hz) < first_time(timeline, 1000)  # the beep
    finally:
        for message in query(dbconn, "SELECT m.id, m.box_id FROM voicemail_messages m"
                                     " JOIN voicemail_boxes b ON b.id = m.box_id"
                                     " JOIN global_numbers n ON n.id = b.number_id"
                                     " WHERE n.number = %s AND m.id > %s", OWNER, newest):
            with dbconn.cursor() as cur:          # leave the owner's mailbox as it was
                media_store.delete_message(cur, platform.cfg.data_dir, message["box_id"],
                                           message["id"])
