"""The live state of a platform instance, asked of its Kamailio over the RPC control socket:
which users have a phone registered, and which are in a call. Used by `vpbx simulate --live`
and the activity monitor."""
import os
import re
import subprocess
import threading
import time

from vpbx.edge import password_guard
from vpbx.live import busy
from vpbx.edge import flood_guard
from vpbx.settings.platform import Config


class LiveStateUnavailable(RuntimeError):
    """Kamailio's control socket does not answer (the platform is not running)."""


def control_socket(cfg: Config) -> str:
    return os.path.join(cfg.run_dir, "kamailio", "kamailio_ctl")


def kamcmd(cfg: Config, *args: str) -> str:
    """One RPC command; its output. Raises LiveStateUnavailable when Kamailio is not there."""
    try:
        result = subprocess.run(["kamcmd", "-s", "unix:" + control_socket(cfg), *args],
                                capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LiveStateUnavailable(f"kamcmd failed: {exc}") from exc
    if result.returncode != 0 or "connect" in result.stderr.lower():
        raise LiveStateUnavailable(f"Kamailio's control socket does not answer: "
                                   f"{(result.stderr or result.stdout).strip()}")
    return result.stdout


def is_registered(cfg: Config, username: str, domain: str) -> bool:
    return "Contact:" in kamcmd(cfg, "ul.lookup", "location", f"{username}@{domain}")


def is_busy(cfg: Config, tenant_id: int, extension: str) -> bool:
    """In a call now (the routing's busy dialog profiles, vpbx.live.busy)."""
    value = busy.party(tenant_id, extension)
    output = kamcmd(cfg, "dlg.profile_get_size", busy.profile_of(value), value)
    return output.strip().isdigit() and int(output.strip()) > 0


def availability(cfg: Config, tenant_id: int, tenant) -> dict[str, bool]:
    """Extension → can ring now (a phone registered and not in a call), for every user."""
    return {user.extension: is_registered(cfg, user.username, tenant.domain)
            and not is_busy(cfg, tenant_id, user.extension)
            for user in tenant.users or []}


def announce_generation(cfg: Config, generation: int) -> bool:
    """Set the routing's shared configuration generation ($shv(vpbx_gen)) so every Kamailio
    worker drops its cached configuration before the next call. False when no Kamailio
    of this platform answers (nothing to tell)."""
    try:
        kamcmd(cfg, "pv.shvSet", "vpbx_gen", "int", str(generation))
        return True
    except LiveStateUnavailable:
        return False


# -- the SIP edge's bans (vpbx.edge.password_guard, vpbx.edge.flood_guard) ---------------------------------------
_DUMPED_ITEM = re.compile(r"name: (.*)\n\s*value: (\S+)")
BAN_TABLES = {"password": password_guard.BANS_TABLE, "flood": flood_guard.BANS_TABLE}


def bans(cfg: Config) -> list[tuple[str, str, str]]:
    """The edge's bans now: (kind, key, value) — kind "password" (key "ADDRESS USER@DOMAIN",
    value the failures counted) or "flood" (key the address)."""
    found = []
    for kind, table in BAN_TABLES.items():
        for key, value in _DUMPED_ITEM.findall(kamcmd(cfg, "htable.dump", table)):
            found.append((kind, key.strip(), value))
    return found


def lift_bans(cfg: Config, address: str) -> list[tuple[str, str, str]]:
    """Lift every ban of `address` (its flood ban and its password bans, whatever the
    user); the bans lifted."""
    lifted = [ban for ban in bans(cfg)
              if ban[1] == address or ban[1].startswith(address + " ")]
    for kind, key, _value in lifted:
        kamcmd(cfg, "htable.delete", BAN_TABLES[kind], key)
    _forget_bans(cfg)
    return lifted


# Every open activity monitor asks for its tenant's lockouts every few seconds: one dump of
# the guard's tables (which an attack can make long) serves them all for a few seconds, so
# that Kamailio's single RPC process is not kept busy by the web UI.
BANS_REUSED_SECONDS = 5.0
_recent_dumps: dict = {}        # (configuration path, what) -> (monotonic time, rows)
_recent_dumps_lock = threading.Lock()


def _reused(cfg: Config, what, fetch):
    """fetch(cfg), as fetched at most BANS_REUSED_SECONDS ago."""
    with _recent_dumps_lock:
        taken, rows = _recent_dumps.get((cfg.path, what), (None, None))
        if taken is None or time.monotonic() - taken > BANS_REUSED_SECONDS:
            rows = fetch(cfg)
            _recent_dumps[(cfg.path, what)] = (time.monotonic(), rows)
        return rows


def _forget_bans(cfg: Config) -> None:
    with _recent_dumps_lock:
        _recent_dumps.pop((cfg.path, "bans"), None)


def recent_bans(cfg: Config) -> list[tuple[str, str, str]]:
    """bans(cfg), as dumped at most BANS_REUSED_SECONDS ago."""
    return _reused(cfg, "bans", bans)


def user_failures(cfg: Config) -> list[tuple[str, int]]:
    """("USER@DOMAIN", failed authentications from all addresses) of the users who failed
    lately (vpbx.edge.password_guard's attack count; each expires after a pause)."""
    dumped = kamcmd(cfg, "htable.dump", password_guard.USER_FAILURES_TABLE)
    return [(key.strip(), int(value)) for key, value in _DUMPED_ITEM.findall(dumped)
            if value.lstrip("-").isdigit()]


def attacked_users(cfg: Config, domain: str, failures: int) -> list[tuple[str, int]]:
    """(user, failures) of the users of `domain` whose password was failed at least
    `failures` times lately from all addresses (a few seconds ago, see recent_bans)."""
    found = []
    for key, count in _reused(cfg, "user failures", user_failures):
        user, at, realm = key.rpartition("@")
        if at and realm == domain and count >= failures:
            found.append((user, count))
    return found


def password_bans(cfg: Config, domain: str, recent: bool = False) -> list[tuple[str, str]]:
    """(address, user) of each password ban on a user of `domain` (a tenant's) now — or a
    few seconds ago, if `recent` (see recent_bans): the phones and guessers that failed that
    user's password too often (vpbx.edge.password_guard)."""
    found = []
    for kind, key, _failures in (recent_bans(cfg) if recent else bans(cfg)):
        address, _, user_at = key.partition(" ")
        user, at, realm = user_at.rpartition("@")
        if kind == "password" and at and realm == domain:
            found.append((address, user))
    return found


def lift_password_ban(cfg: Config, address: str, user: str, domain: str) -> bool:
    """Lift the ban of `address` on `user`@`domain`; False when there is none (it ran out,
    or never was)."""
    if (address, user) not in password_bans(cfg, domain):
        return False
    kamcmd(cfg, "htable.delete", BAN_TABLES["password"], password_guard.key(address, user, domain))
    _forget_bans(cfg)
    return True
