"""The platform's one configuration source, read by KEMI, the web UI, the media app and `vpbx`.

An INI file (stdlib only, so Kamailio's embedded interpreter can read it too). Its path is
$VPBX_CONFIG, else /etc/vpbx/vpbx.conf. Each running instance of the platform (the one
`make run` starts, each test run, each benchmark) has its own file, ports and run folder.
"""
import configparser
import os
from dataclasses import dataclass

from vpbx.edge import flood_guard

DEFAULT_PATH = "/etc/vpbx/vpbx.conf"
# [sip] overload_queue_kb: new calls and registrations are refused (503) once more than
# this has waited in the edge's UDP receive queue for a moment (vpbx.edge.backlog.QueueGauge; at
# most a quarter of the socket's buffer): ~450 messages, a fraction of SIP's 500 ms
# retransmission timer at the rates routed here (2 MB let retransmissions start and kept
# less of the capacity past the limit: bench results of 39a7f03 vs 3077991); 0: never
OVERLOAD_QUEUE_KB = 1024
# [sip] password guessing (vpbx.edge.password_guard): after auth_failures failed authentications of
# one user from one address, each within auth_failure_seconds of the previous one, that
# pair is refused for auth_ban_seconds; auth_failures 0: never
AUTH_FAILURES = 5
AUTH_FAILURE_SECONDS = 60
AUTH_BAN_SECONDS = 600
# ... and an alert line when one user's failures from all addresses reach auth_attack_failures
# (then each doubling) with no pause of auth_attack_seconds; 0: never
AUTH_ATTACK_FAILURES = 20
AUTH_ATTACK_SECONDS = 600
# [sip] request floods (vpbx.edge.flood_guard): a source sending more than flood_requests requests
# within 2 s is dropped for flood_ban_seconds (0: never), except the carrier and the
# addresses of flood_exempt; 200 in 2 s is ten times what an office of 100 phones behind one
# address sends at its busiest; at most 65535 (more would be no guard at all)
FLOOD_REQUESTS = 200
FLOOD_REQUESTS_MAX = 65535
FLOOD_BAN_SECONDS = 300
# [media] address: where the media application listens (its SIP port and its RTP). Only the
# SIP edge may reach it, and the edge reaches the loopback address from its own: 127.0.0.1
# unless the media app runs on another machine (then a private address of that machine)
MEDIA_ADDRESS = "127.0.0.1"


@dataclass(frozen=True)
class Config:
    path: str
    db_host: str
    db_port: int
    db_name: str
    db_user: str
    db_password: str
    sip_address: str
    sip_port: int
    sip_children: int
    rtp_ng_port: int
    rtp_port_min: int
    rtp_port_max: int
    media_port: int
    webui_port: int
    run_dir: str
    log_dir: str
    data_dir: str
    sip_overload_queue_kb: int
    sip_auth_failures: int = AUTH_FAILURES
    sip_auth_failure_seconds: int = AUTH_FAILURE_SECONDS
    sip_auth_ban_seconds: int = AUTH_BAN_SECONDS
    sip_auth_attack_failures: int = AUTH_ATTACK_FAILURES
    sip_auth_attack_seconds: int = AUTH_ATTACK_SECONDS
    sip_flood_requests: int = FLOOD_REQUESTS
    sip_flood_ban_seconds: int = FLOOD_BAN_SECONDS
    sip_flood_exempt: frozenset = frozenset()
    media_address: str = MEDIA_ADDRESS

    @property
    def kamailio_db_url(self) -> str:
        return (f"mysql://{self.db_user}:{self.db_password}@{self.db_host}:{self.db_port}/"
                f"{self.db_name}")

    @property
    def kamailio_log(self) -> str:
        return os.path.join(self.log_dir, "kamailio.log")


def config_path() -> str:
    return os.environ.get("VPBX_CONFIG") or DEFAULT_PATH


class ConfigError(ValueError):
    """The configuration file lacks something or holds a value the platform cannot use; the
    message names the file and what is wrong."""


def load(path: str | None = None) -> Config:
    """Read the configuration file; a missing file (FileNotFoundError), section, key or a
    wrong value (ConfigError) is a clear error."""
    path = path or config_path()
    parser = configparser.ConfigParser()
    try:
        if not parser.read(path):
            raise FileNotFoundError(f"vpbx configuration not found: {path} (set VPBX_CONFIG)")
        return _parse(parser, path)
    except configparser.Error as exc:
        raise ConfigError(f"vpbx configuration {path}: {exc.message}") from None
    except KeyError as exc:
        raise ConfigError(f"vpbx configuration {path}: {exc.args[0]!r} is missing (a section or"
                          " a setting)") from None
    except ValueError as exc:
        raise ConfigError(f"vpbx configuration {path}: {exc}") from None


def _parse(parser: configparser.ConfigParser, path: str) -> Config:
    db, sip, rtp, paths = parser["database"], parser["sip"], parser["rtpengine"], parser["paths"]
    return Config(
        path=os.path.abspath(path),
        db_host=db.get("host", "127.0.0.1"),
        db_port=db.getint("port", 3306),
        db_name=db["name"],
        db_user=db["user"],
        db_password=db["password"],
        sip_address=sip.get("address", "127.0.0.1"),
        sip_port=sip.getint("port", 5060),
        sip_children=sip.getint("children", 4),
        rtp_ng_port=rtp.getint("ng_port", 2223),
        rtp_port_min=rtp.getint("port_min", 30000),
        rtp_port_max=rtp.getint("port_max", 40000),
        media_port=parser.getint("media", "sip_port", fallback=5090),
        webui_port=parser.getint("webui", "port", fallback=8080),
        run_dir=paths["run_dir"],
        log_dir=paths["log_dir"],
        data_dir=paths["data_dir"],
        sip_overload_queue_kb=sip.getint("overload_queue_kb", OVERLOAD_QUEUE_KB),
        sip_auth_failures=sip.getint("auth_failures", AUTH_FAILURES),
        sip_auth_failure_seconds=sip.getint("auth_failure_seconds", AUTH_FAILURE_SECONDS),
        sip_auth_ban_seconds=sip.getint("auth_ban_seconds", AUTH_BAN_SECONDS),
        sip_auth_attack_failures=sip.getint("auth_attack_failures", AUTH_ATTACK_FAILURES),
        sip_auth_attack_seconds=sip.getint("auth_attack_seconds", AUTH_ATTACK_SECONDS),
        sip_flood_requests=min(sip.getint("flood_requests", FLOOD_REQUESTS), FLOOD_REQUESTS_MAX),
        sip_flood_ban_seconds=sip.getint("flood_ban_seconds", FLOOD_BAN_SECONDS),
        sip_flood_exempt=flood_guard.parse_exempt(sip.get("flood_exempt", "")),
        media_address=parser.get("media", "address", fallback=MEDIA_ADDRESS),
    )


def write(path: str, *, db_name: str, db_user: str, db_password: str, run_dir: str,
          log_dir: str, data_dir: str, sip_port: int = 5060, sip_address: str = "127.0.0.1",
          sip_children: int = 4, rtp_ng_port: int = 2223, rtp_port_min: int = 30000,
          rtp_port_max: int = 40000, media_port: int = 5090, webui_port: int = 8080,
          db_host: str = "127.0.0.1", db_port: int = 3306,
          sip_auth_ban_seconds: int | None = None, sip_flood_exempt: str | None = None,
          sip_flood_ban_seconds: int | None = None,
          media_address: str = MEDIA_ADDRESS) -> Config:
    """Write a configuration file (mode 0600: it holds the database password) and load it."""
    parser = configparser.ConfigParser()
    parser["database"] = {"host": db_host, "port": str(db_port), "name": db_name,
                          "user": db_user, "password": db_password}
    parser["sip"] = {"address": sip_address, "port": str(sip_port),
                     "children": str(sip_children)}
    for key, value in (("auth_ban_seconds", sip_auth_ban_seconds),
                       ("flood_exempt", sip_flood_exempt),
                       ("flood_ban_seconds", sip_flood_ban_seconds)):
        if value is not None:
            parser["sip"][key] = str(value)
    parser["rtpengine"] = {"ng_port": str(rtp_ng_port), "port_min": str(rtp_port_min),
                           "port_max": str(rtp_port_max)}
    parser["media"] = {"address": media_address, "sip_port": str(media_port)}
    parser["webui"] = {"port": str(webui_port)}
    parser["paths"] = {"run_dir": run_dir, "log_dir": log_dir, "data_dir": data_dir}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        parser.write(handle)
    return load(path)
