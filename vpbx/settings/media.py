"""Settings of the media features, from the platform's configuration file (vpbx.conf).

    [media]
    address = 127.0.0.1             # (read by vpbx.settings.platform) where the media app listens
    sip_port = 5090                 # (read by vpbx.settings.platform)
    max_message_seconds = 120       # longest voicemail message
    [smtp]                          # voice-to-mail (F5.5)
    host = 127.0.0.1
    port = 25
    sender = voicemail@pbx.invalid
    starttls = no                   # yes: the server's certificate is verified (system CAs)
    ca_file =                       # optional PEM file of the CAs to trust instead
    user =                          # optional SMTP authentication
    password =
    retry_seconds = 60              # first retry after a failure; doubles up to an hour
"""
import configparser
from dataclasses import dataclass

from vpbx.settings.platform import Config


@dataclass(frozen=True)
class MediaSettings:
    max_message_seconds: int = 120
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_sender: str = "voicemail@pbx.invalid"
    smtp_starttls: bool = False
    smtp_ca_file: str = ""
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_retry_seconds: float = 60.0
    smtp_timeout: float = 10.0


def load(cfg: Config) -> MediaSettings:
    parser = configparser.ConfigParser()
    parser.read(cfg.path)
    defaults = MediaSettings()
    return MediaSettings(
        max_message_seconds=parser.getint("media", "max_message_seconds",
                                          fallback=defaults.max_message_seconds),
        smtp_host=parser.get("smtp", "host", fallback=defaults.smtp_host),
        smtp_port=parser.getint("smtp", "port", fallback=defaults.smtp_port),
        smtp_sender=parser.get("smtp", "sender", fallback=defaults.smtp_sender),
        smtp_starttls=parser.getboolean("smtp", "starttls", fallback=defaults.smtp_starttls),
        smtp_ca_file=parser.get("smtp", "ca_file", fallback=defaults.smtp_ca_file),
        smtp_user=parser.get("smtp", "user", fallback=defaults.smtp_user),
        smtp_password=parser.get("smtp", "password", fallback=defaults.smtp_password),
        smtp_retry_seconds=parser.getfloat("smtp", "retry_seconds",
                                           fallback=defaults.smtp_retry_seconds),
        smtp_timeout=parser.getfloat("smtp", "timeout", fallback=defaults.smtp_timeout),
    )


def write_section(cfg: Config, section: str, **values) -> None:
    """Set keys of a section ([media], [smtp]) of the configuration file (tests, set-up)."""
    parser = configparser.ConfigParser()
    parser.read(cfg.path)
    if not parser.has_section(section):
        parser.add_section(section)
    for key, value in values.items():
        parser.set(section, key, str(value))
    with open(cfg.path, "w") as handle:
        parser.write(handle)


def write_smtp(cfg: Config, **values) -> None:
    """Set keys of the [smtp] section of the configuration file (tests, set-up)."""
    write_section(cfg, "smtp", **values)
