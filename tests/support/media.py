"""Test helpers for the media features: prompts for a throwaway instance, a real SMTP server
(aiosmtpd, with STARTTLS and AUTH as a provider's) that keeps what it receives, and test audio
files."""
import atexit
import dataclasses
import email
import email.policy
import functools
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from media import prompts
from tests.support.instance import free_port
from vpbx.settings import media as media_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROMPT_CACHE = os.path.join(ROOT, "tests", "artifacts", "prompt-cache")


@dataclasses.dataclass(frozen=True)
class SmtpAccount:
    """The voice-to-mail server a test platform's media app is set to use: STARTTLS, then
    AUTH as `user` with `password`."""
    port: int
    user: str = "voicemail-relay"
    password: str = "relay-s3cret!"


def prepare(cfg, **media) -> SmtpAccount:
    """Before the media app starts: its prompts (spoken ones cached across runs) and an SMTP
    server of its own for voice-to-mail (STARTTLS and AUTH, retried every second); `media`:
    keys of the [media] section (e.g. max_message_seconds=3)."""
    prompts.generate(cfg.data_dir, cache_dir=PROMPT_CACHE)
    account = SmtpAccount(free_port(socket.SOCK_STREAM))
    media_config.write_smtp(cfg, host="127.0.0.1", port=account.port, sender="voicemail@pbx.test",
                            starttls="true", ca_file=self_signed_certificate("trusted")[0],
                            user=account.user, password=account.password,
                            retry_seconds=1, timeout=3)
    if media:
        media_config.write_section(cfg, "media", **media)
    return account


@functools.lru_cache(maxsize=None)
def self_signed_certificate(name: str) -> tuple[str, str]:
    """(certificate, key) files of a self-signed certificate for 127.0.0.1, made once per
    test session and `name`: the "trusted" one is the platform's smtp ca_file; any other
    plays a server (or a man in the middle) the platform has no reason to trust."""
    folder = tempfile.mkdtemp(prefix=f"vpbx-test-smtp-{name}-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    certificate, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate],
                   check=True, capture_output=True)
    return certificate, key


@dataclasses.dataclass
class Received:
    """One mail the test server accepted, and how it came."""
    sender: str
    recipients: list
    message: email.message.EmailMessage
    over_tls: bool
    login: str


class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1:`account.port`: STARTTLS with a self-signed
    certificate, then AUTH (PLAIN or LOGIN) required before any mail; it keeps every mail it
    accepts. `password` (default the account's) is the one it accepts: another one plays a
    server whose password was changed. `certificate` names the certificate it shows (see
    self_signed_certificate)."""

    def __init__(self, account: SmtpAccount, password: str | None = None,
                 certificate: str = "trusted"):
        self.account = account
        self.certificate = certificate
        self.password = account.password if password is None else password
        self.mails: list[Received] = []
        self.refused_logins = 0
        self.logins: list[str] = []           # every user that tried to log in, as received
        self._changed = threading.Condition()
        self._controller = None

    def start(self) -> "SmtpSink":
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(*self_signed_certificate(self.certificate))
        self._controller = Controller(
            self, hostname="127.0.0.1", port=self.account.port, server_hostname="test-smtp",
            tls_context=tls, require_starttls=True, auth_required=True,
            auth_require_tls=True, authenticator=self.authenticate)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        """aiosmtpd's authenticator: the account's user with the password this server takes."""
        with self._changed:
            self.logins.append(getattr(auth_data, "login", b"").decode(errors="replace"))
        if isinstance(auth_data, LoginPassword) and \
                auth_data.login == self.account.user.encode() and \
                auth_data.password == self.password.encode():
            return AuthResult(success=True, auth_data=auth_data)
        with self._changed:
            self.refused_logins += 1
            self._changed.notify_all()
        return AuthResult(success=False, handled=False)

    async def handle_DATA(self, server, session, envelope):
        """aiosmtpd's handler: keep the mail."""
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        login = session.auth_data.login.decode() if session.authenticated else ""
        with self._changed:
            self.mails.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message,
                                       session.ssl is not None, login))
            self._changed.notify_all()
        return "250 OK queued"

    def wait_received(self, recipient: str, timeout: float = 10.0,
                      message: str | None = None) -> Received:
        """The first mail to `recipient` (about voicemail `message` if given) as received,
        waiting for it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for received in self.mails:
                    if recipient in received.recipients and \
                            message in (None, received.message["X-VPBX-Message"]):
                        return received
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no mail to {recipient} within {timeout}s "
                                         f"({len(self.mails)} others)")
                self._changed.wait(remaining)

    def wait_mail(self, recipient: str, timeout: float = 10.0, message: str | None = None):
        """The first mail to `recipient` (about voicemail `message` if given), waiting for it."""
        return self.wait_received(recipient, timeout, message).message

    def wait_refused_logins(self, count: int, timeout: float = 10.0) -> None:
        """Wait until the server has refused `count` logins."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.refused_logins < count:
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"{self.refused_logins} logins refused, not {count}"
                self._changed.wait(remaining)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def tone_file(path: str, frequency: float, seconds: float = 2.0, rate: int = 16000,
              channels: int = 1) -> str:
    """A test audio file (WAV or MP3 by its extension) holding one tone."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if path.endswith(".mp3"):
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"sine=frequency={frequency}:duration={seconds}:sample_rate={rate}",
                        "-ac", str(channels), "-b:a", "64k", path], check=True)
    else:
        subprocess.run(["sox", "-D", "-n", "-r", str(rate), "-c", str(channels), "-b", "16", path,
                        "synth", str(seconds), "sine", str(frequency), "vol", "0.5"], check=True)
    return path
