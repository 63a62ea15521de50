"""Voicemail (SPEC F5) and announcements (F7.3) with real phones: what the caller hears is
measured in what its phone recorded; what it says is found in the stored message."""
import os
import time
import wave

import pytest

from tests.support.media import SmtpSink
from vpbx.voicemail import store as media_store

from .conftest import (ANNOUNCEMENT_HZ, CLOSED, DESK, EMAIL, GREETING_HZ, LATER,
                       edge_uri, first_time, query, seconds_of, tone_timeline, wait_media_line)

pytestmark = pytest.mark.integration


def wav_seconds(path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def test_an_announcement_is_heard_then_the_call_ends(platform, voxco, carrier, tmp_path):
    heard = tmp_path / "announcement.wav"
    carrier.call(edge_uri(platform, CLOSED), record_to=heard)
    carrier.wait_call_state("CONFIRMED", timeout=5)
    carrier.wait_call_state("DISCONNECTED", timeout=8)        # the media app hangs up
    timeline = tone_timeline(carrier.wait_recording(), [ANNOUNCEMENT_HZ, carrier.tone_hz])
    # the 2 s announcement (a loaded machine may drop some of the phone's audio)
    assert 0.8 <= seconds_of(timeline, ANNOUNCEMENT_HZ) <= 2.3
    assert 1.5 < wav_seconds(heard) < 4.5
    platform.wait_log("VPBX-ROUTE", tenant="voxco", to=CLOSED, decision="announcement:Closed",
                      outcome="media")


def test_a_message_is_left_after_the_greeting_and_stored(platform, voxco, carrier, dbconn,
                                                          tmp_path):
    heard = tmp_path / "caller.wav"
    carrier.call(edge_uri(platform, DESK), record_to=heard)
    carrier.wait_call_state("CONFIRMED", timeout=5)
    answered = time.monotonic()
    carrier.wait_rtp(10, timeout=4)
    wait_media_line(platform, decision="message", outcome="recording", to=DESK)
    assert 1.5 < time.monotonic() - answered < 4.0              # greeting 1.5 s, beep 0.45 s
    time.sleep(3.0)                                             # the caller speaks (its tone)
    carrier.hangup()
    stored = wait_media_line(platform, decision="message", outcome="stored", to=DESK)
    row, = query(dbconn, "SELECT m.*, n.number FROM voicemail_messages m"
                         " JOIN voicemail_boxes b ON b.id = m.box_id"
                         " JOIN global_numbers n ON n.id = b.number_id WHERE m.id = %s",
                 int(stored["id"]))
    assert row["number"] == DESK and row["caller"] == "carrier" and row["is_new"] == 1
    assert 2000 <= row["duration_ms"] <= 4500
    path = media_store.abs_path(platform.cfg.data_dir, row["path"])
    assert os.path.isfile(path) and not path.endswith(media_store.RECORDING_SUFFIX)
    said = tone_timeline(path, [carrier.tone_hz, GREETING_HZ])     # the caller, not us
    assert seconds_of(said, carrier.tone_hz) >= 0.4 * row["duration_ms"] / 1000
    assert seconds_of(said, GREETING_HZ) == 0
    timeline = tone_timeline(carrier.wait_recording(), [GREETING_HZ, 1000])
    assert 0.6 <= seconds_of(timeline, GREETING_HZ) <= 1.8      # the 1.5 s greeting,
    assert 0.1 <= seconds_of(timeline, 1000) <= 0.6             # then the beep
    assert first_time(timeline, GREETING_HZ) < first_time(timeline, 1000)
    outbox, = query(dbconn, "SELECT recipient FROM voicemail_outbox WHERE message_id = %s",
                    row["id"])
    assert outbox["recipient"] == EMAIL


def test_greeting_only_plays_and_hangs_up(platform, voxco, carrier, dbconn, tmp_path):
    before = query(dbconn, "SELECT COUNT(*) AS n FROM voicemail_messages")[0]["n"]
    carrier.call(edge_uri(platform, LATER), record_to=tmp_path / "later.wav")
    carrier.wait_call_state("CONFIRMED", timeout=5)
    carrier.wait_call_state("DISCONNECTED", timeout=12)        # German default greeting
    assert wav_seconds(carrier.wait_recording()) > 2.0
    assert query(dbconn, "SELECT COUNT(*) AS n FROM voicemail_messages")[0]["n"] == before
    wait_media_line(platform, decision="greeting", outcome="played", to=LATER)


def leave_message(platform, carrier, number, seconds=2.0) -> dict:
    """The carrier calls `number`, waits for the beep, speaks (its tone), hangs up; the
    media app's "stored" line."""
    carrier.call(edge_uri(platform, number))
    carrier.wait_call_state("CONFIRMED", timeout=5)
    call_id = carrier.wait_call_state("CONFIRMED")["sip_call_id"]
    wait_media_line(platform, decision="message", outcome="recording", call_id=call_id)
    time.sleep(seconds)
    carrier.hangup()
    return wait_media_line(platform, decision="message", outcome="stored", call_id=call_id)


def outbox_row(dbconn, message_id: int, until, timeout: float = 5.0) -> dict:
    """The voice-to-mail outbox row of a message, once `until(row)` holds (or at the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        row, = query(dbconn, "SELECT attempts, sent_at, last_error FROM voicemail_outbox"
                             " WHERE message_id = %s", message_id)
        if until(row) or time.monotonic() > deadline:
            return row
        time.sleep(0.1)


def test_each_message_is_emailed_and_retried_while_the_server_is_down(platform, voxco, carrier,
                                                                       dbconn):
    stored = leave_message(platform, carrier, DESK)             # nobody listens on SMTP yet
    message_id = int(stored["id"])
    outbox = outbox_row(dbconn, message_id, until=lambda row: row["attempts"] >= 1)
    assert outbox["attempts"] >= 1 and outbox["sent_at"] is None and outbox["last_error"]
    with SmtpSink(platform.smtp) as smtp:                  # the server comes back
        received = smtp.wait_received(EMAIL, timeout=15, message=str(message_id))
    assert received.over_tls and received.login == platform.smtp.user     # STARTTLS, AUTH
    mail = received.message
    assert mail["To"] == EMAIL and DESK in mail["Subject"]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "carrier" in body and "Duration: 0:02" in body and "Received:" in body
    attachment, = list(mail.iter_attachments())
    assert attachment.get_content_type() == "audio/wav"
    row, = query(dbconn, "SELECT path, emailed_at FROM voicemail_messages WHERE id = %s",
                 message_id)
    with open(media_store.abs_path(platform.cfg.data_dir, row["path"]), "rb") as handle:
        assert attachment.get_content() == handle.read()        # the very message
    deadline = time.monotonic() + 3
    while row["emailed_at"] is None and time.monotonic() < deadline:
        time.sleep(0.1)
        row, = query(dbconn, "SELECT path, emailed_at FROM voicemail_messages WHERE id = %s",
                     message_id)
    assert row["emailed_at"] is not None


def test_a_mail_refused_for_a_wrong_smtp_password_stays_queued_until_it_is_accepted(
        platform, voxco, carrier, dbconn):
    """The provider changed the relay's password: the server refuses the login, the mail
    stays in the outbox (nothing lost) and goes out once the password is right again."""
    with SmtpSink(platform.smtp, password="changed-at-the-provider") as smtp:
        message_id = int(leave_message(platform, carrier, DESK)["id"])
        smtp.wait_refused_logins(1)
        outbox = outbox_row(dbconn, message_id, until=lambda row: row["attempts"] >= 1)
        assert outbox["attempts"] >= 1 and outbox["sent_at"] is None
        assert "SMTPAuthenticationError" in outbox["last_error"] and "535" in outbox["last_error"]
        assert smtp.mails == []
    with SmtpSink(platform.smtp) as smtp:                    # the password is right again
        received = smtp.wait_received(EMAIL, timeout=20, message=str(message_id))
    assert received.over_tls and received.login == platform.smtp.user
    assert outbox_row(dbconn, message_id, until=lambda row: row["sent_at"])["sent_at"]


def test_no_password_nor_mail_goes_to_a_server_whose_certificate_is_not_trusted(
        platform, voxco, carrier, dbconn):
    """STARTTLS verifies the server: one showing a certificate the platform does not trust (a
    man in the middle) gets neither the SMTP password nor the message, which stays queued
    and goes out to the real server."""
    with SmtpSink(platform.smtp, certificate="stranger") as smtp:
        message_id = int(leave_message(platform, carrier, DESK)["id"])
        outbox = outbox_row(dbconn, message_id, until=lambda row: row["attempts"] >= 1)
        assert outbox["sent_at"] is None
        assert "CERTIFICATE_VERIFY_FAILED" in outbox["last_error"]
        assert smtp.mails == [] and smtp.refused_logins == 0 and smtp.logins == []
    with SmtpSink(platform.smtp) as smtp:
        received = smtp.wait_received(EMAIL, timeout=20, message=str(message_id))
    assert received.over_tls and received.login == platform.smtp.user


def test_every_call_of_a_long_series_is_answered(platform, voxco, carrier):
    """The media app reuses its call slots (32 of them, in turn): a call it answered long
    ago and that the caller ended must never end a later call that got the same slot."""
    for attempt in range(45):
        carrier.call(edge_uri(platform, CLOSED))
        try:
            carrier.wait_call_state("CONFIRMED", timeout=5)
        except Exception as exc:
            raise AssertionError(f"call {attempt + 1} of the series was not answered") from exc
        carrier.hangup()                              # during the announcement
        carrier.wait_call_state("DISCONNECTED", timeout=5)
