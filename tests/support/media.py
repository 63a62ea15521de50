"""Test helpers for the media features: prompts for a throwaway instance, a real SMTP server
(minimal, in a thread) that keeps what it receives, and test audio files."""
import email
import email.policy
import os
import socket
import socketserver
import subprocess
import threading
import time

from media import prompts
from tests.support.instance import free_port
from vpbx.settings import media as media_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROMPT_CACHE = os.path.join(ROOT, "tests", "artifacts", "prompt-cache")


def prepare(cfg, **media) -> int:
    """Before the media app starts: its prompts (spoken ones cached across runs) and an SMTP
    port of its own for voice-to-mail (retried every second); `media`: keys of the [media]
    section (e.g. max_message_seconds=3). Returns the SMTP port."""
    prompts.generate(cfg.data_dir, cache_dir=PROMPT_CACHE)
    port = free_port(socket.SOCK_STREAM)
    media_config.write_smtp(cfg, host="127.0.0.1", port=port, sender="voicemail@pbx.test",
                            retry_seconds=1, timeout=3)
    if media:
        media_config.write_section(cfg, "media", **media)
    return port


class _Session(socketserver.StreamRequestHandler):
    """One SMTP session (RFC 5321, the commands smtplib uses)."""

    def handle(self):
        self._send("220 test-smtp ready")
        sender, recipients = None, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("ascii", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._send("250-test-smtp" if verb == "EHLO" else "250 test-smtp")
                if verb == "EHLO":
                    self._send("250 8BITMIME")
            elif verb == "MAIL":
                sender, recipients = command[10:].strip(" <>"), []
                self._send("250 OK")
            elif verb == "RCPT":
                recipients.append(command[8:].strip(" <>"))
                self._send("250 OK")
            elif verb == "DATA":
                self._send("354 end with <CRLF>.<CRLF>")
                data = bytearray()
                while True:
                    chunk = self.rfile.readline()
                    if not chunk or chunk in (b".\r\n", b".\n"):
                        break
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                message = email.message_from_bytes(bytes(data), policy=email.policy.default)
                self.server.sink.received(sender, recipients, message)
                self._send("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                self._send("250 OK")
            elif verb == "QUIT":
                self._send("221 bye")
                return
            else:
                self._send("502 not implemented")

    def _send(self, text):
        self.wfile.write(text.encode() + b"\r\n")


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


class SmtpSink:
    """A real SMTP server on 127.0.0.1:`port` keeping every mail it accepts."""

    def __init__(self, port: int):
        self.port = port
        self.mails = []          # (sender, recipients, email.message.EmailMessage)
        self._changed = threading.Condition()
        self._server = None

    def start(self) -> "SmtpSink":
        self._server = _Server(("127.0.0.1", self.port), _Session)
        self._server.sink = self
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def received(self, sender, recipients, message):
        with self._changed:
            self.mails.append((sender, recipients, message))
            self._changed.notify_all()

    def wait_mail(self, recipient: str, timeout: float = 10.0, message: str | None = None):
        """The first mail to `recipient` (about voicemail `message` if given), waiting for it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for _sender, recipients, mail in self.mails:
                    if recipient in recipients and message in (None, mail["X-VPBX-Message"]):
                        return mail
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no mail to {recipient} within {timeout}s "
                                         f"({len(self.mails)} others)")
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
