"""Voice-to-mail (SPEC F5.5): each new message e-mailed with its audio attached.

The outbox (table voicemail_outbox) is filled in the same transaction as the message; the
`Mailer` thread of the media application sends what is due. A mail the SMTP server did not
accept stays in the outbox and is tried again later (the delay doubles, up to an hour), so a
server that is down loses nothing. The same thread writes the rows of messages that had to be
kept on disk while the database was away (`keep_for_retry`), as soon as it answers again.
"""
import collections
import datetime
import logging
import smtplib
import ssl
import threading
import time
import zoneinfo
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from vpbx.storage import connection
from vpbx.voicemail import store as voicemail_store
from vpbx.settings.platform import Config
from vpbx.settings.media import MediaSettings

log = logging.getLogger("vpbx.mail")
MAX_RETRY_SECONDS = 3600
RECOVERY_SECONDS = 60      # how often stored message files without a row are looked for

_TEXT = {
    "en": ("New voicemail message for {number}",
           "A new message was left on the voicemail of {number}.\n\n"
           "Caller: {caller}\nReceived: {when}\nDuration: {duration}\n\n"
           "The recording is attached ({filename}).\n"),
    "fr": ("Nouveau message vocal pour le {number}",
           "Un nouveau message a été laissé sur la boîte vocale du {number}.\n\n"
           "Appelant : {caller}\nReçu le : {when}\nDurée : {duration}\n\n"
           "L'enregistrement est joint ({filename}).\n"),
    "de": ("Neue Sprachnachricht für {number}",
           "Auf der Mailbox von {number} wurde eine neue Nachricht hinterlassen.\n\n"
           "Anrufer: {caller}\nEmpfangen: {when}\nDauer: {duration}\n\n"
           "Die Aufnahme ist angehängt ({filename}).\n"),
}


def local_time(received_at: datetime.datetime, timezone: str) -> datetime.datetime:
    """A stored (UTC) time in the tenant's time zone."""
    try:
        zone = zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = datetime.timezone.utc
    return received_at.replace(tzinfo=datetime.timezone.utc).astimezone(zone)


def duration_text(milliseconds: int) -> str:
    seconds = round(milliseconds / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


def build_message(row: dict, data_dir: str, sender: str) -> EmailMessage:
    """The mail of one outbox row: caller, time and duration in the body, the WAV attached."""
    subject, body = _TEXT.get(row.get("language") or "fr", _TEXT["fr"])
    when = local_time(row["received_at"], row.get("timezone") or "UTC")
    filename = f"voicemail-{when:%Y%m%d-%H%M%S}.wav"
    values = {"number": row["number"], "caller": row["caller"] or "?",
              "when": when.strftime("%Y-%m-%d %H:%M:%S %Z"),
              "duration": duration_text(row["duration_ms"]), "filename": filename}
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = row["recipient"]
    mail["Subject"] = subject.format(**values)
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    mail["X-VPBX-Message"] = str(row["message_id"])
    mail["X-VPBX-Caller"] = row["caller"] or ""
    mail["X-VPBX-Duration-Ms"] = str(row["duration_ms"])
    mail.set_content(body.format(**values))
    with open(voicemail_store.abs_path(data_dir, row["path"]), "rb") as handle:
        mail.add_attachment(handle.read(), maintype="audio", subtype="wav", filename=filename)
    return mail


def send(mail: EmailMessage, settings: MediaSettings) -> None:
    """Hand `mail` to the SMTP server. With STARTTLS the server's certificate and name are
    verified (the system's CAs, or the configured ca_file), so the password and the message
    never go to whoever sits between us and the server."""
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                      timeout=settings.smtp_timeout) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context(
                cafile=settings.smtp_ca_file or None))
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(mail)


def retry_delay(attempts: int, base: float) -> float:
    """The wait before the next try after `attempts` failed ones."""
    return min(MAX_RETRY_SECONDS, base * (2 ** max(0, attempts)))


def send_due(conn, data_dir: str, settings: MediaSettings) -> tuple[int, int]:
    """Send every due outbox mail once; (sent, failed)."""
    sent = failed = 0
    with conn.cursor() as cur:
        rows = voicemail_store.due_mails(cur)
    for row in rows:
        try:
            send(build_message(row, data_dir, settings.smtp_sender), settings)
        except FileNotFoundError as exc:
            with conn.cursor() as cur:          # the message was deleted meanwhile
                voicemail_store.mail_failed(cur, row["id"], f"audio missing: {exc}",
                                            MAX_RETRY_SECONDS)
            failed += 1
            continue
        except (OSError, smtplib.SMTPException) as exc:
            delay = retry_delay(row["attempts"], settings.smtp_retry_seconds)
            with conn.cursor() as cur:
                voicemail_store.mail_failed(cur, row["id"], f"{type(exc).__name__}: {exc}", delay)
            log.warning("voice-to-mail of message %d to %s failed (%s); retry in %ds",
                        row["message_id"], row["recipient"], exc, delay)
            failed += 1
            continue
        with conn.cursor() as cur:
            voicemail_store.mail_sent(cur, row["id"], row["message_id"])
        log.info("voice-to-mail of message %d sent to %s", row["message_id"], row["recipient"])
        sent += 1
    return sent, failed


def store_kept(conn, kept: collections.deque) -> list[int]:
    """Write the rows of messages kept on disk (oldest first, each removed from `kept` once
    stored); a database error leaves the rest for the next round. The new message ids."""
    stored = []
    while kept:
        row = kept[0]
        message_id = voicemail_store.add_message(
            conn, row["box_id"], row["caller"], row["received_at"], row["duration_ms"],
            row["path"], row.get("email"))
        kept.popleft()
        stored.append(message_id)
        log.warning("voicemail message %s stored once the database answered again (id %d)",
                    row["path"], message_id)
    return stored


class Mailer(threading.Thread):
    """Sends the outbox in the background; `wake()` after a new message sends at once.
    Messages kept on disk while the database was away get their row here, retried every
    `poll_seconds` until the database answers (and, should the app stop first, at its next
    start-up from their sidecar files)."""

    def __init__(self, cfg: Config, settings: MediaSettings, poll_seconds: float = 1.0):
        super().__init__(name="voice-to-mail", daemon=True)
        self.cfg, self.settings, self.poll_seconds = cfg, settings, poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._kept = collections.deque()

    def wake(self) -> None:
        self._wake.set()

    def keep_for_retry(self, row: dict) -> None:
        """A message whose row could not be written: box_id, caller, received_at,
        duration_ms, path (data-folder-relative), email. Stored as soon as possible."""
        self._kept.append(row)
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def run(self) -> None:
        conn = None
        next_recovery = time.monotonic() + RECOVERY_SECONDS
        while not self._stop.is_set():
            try:
                if conn is None:
                    conn = connection.connect(self.cfg, connect_timeout=2, read_timeout=10)
                store_kept(conn, self._kept)
                if time.monotonic() >= next_recovery:
                    # messages whose row could not be written (database down) get it now
                    next_recovery = time.monotonic() + RECOVERY_SECONDS
                    voicemail_store.recover_messages(conn, self.cfg.data_dir, log,
                                                     min_age=RECOVERY_SECONDS)
                send_due(conn, self.cfg.data_dir, self.settings)
            except Exception as exc:  # noqa: BLE001 - the thread must survive anything
                log.error("voice-to-mail: %s", exc)
                try:
                    if conn is not None:
                        conn.close()
                except Exception:  # noqa: BLE001
                    pass
                conn = None
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
        if conn is not None:
            conn.close()
