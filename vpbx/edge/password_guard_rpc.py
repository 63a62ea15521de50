"""The SIP edge's password guard (vpbx.edge.password_guard) for credentials checked outside Kamailio:
the web UI's phonebook takes the same SIP user names and passwords, so it must not be a
second, unguarded door to them.

It counts failures and keeps bans in Kamailio's own tables, over the RPC control socket:
a guesser banned over SIP is refused over HTTP and the other way round, failures over both
add up, and the NOC sees and lifts one set of bans (`vpbx bans`, the monitor). The thresholds
are the edge's ([sip] auth_failures, auth_attack_failures…); the tables expire their items
themselves (vpbx.stack.control.expiring_htable).

The RPC has no increment: an increment is a read and a write, serialised within this process
(the web UI's threads) but not against Kamailio's workers. A SIP failure counted between the
two may be lost; the ban then comes one failure later, never not at all.

When Kamailio does not answer, GuardUnavailable: the caller must refuse to check any
password (fail closed) rather than check it unguarded.
"""
import re
import threading

from vpbx.edge import password_guard
from vpbx.live import state as live_state
from vpbx.settings.platform import Config

GuardUnavailable = live_state.LiveStateUnavailable
_VALUE = re.compile(r"^\s*value: (-?\d+)\s*$", re.M)
_MISSING = "Key name doesn't exist"


class KamailioTables:
    """Integer items of Kamailio's htables over its RPC socket."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self._lock = threading.Lock()

    def _rpc(self, *args: str) -> str:
        output = live_state.kamcmd(self.cfg, *args)
        if output.lower().startswith("error") and _MISSING not in output \
                and "not found" not in output.lower():
            raise GuardUnavailable(f"Kamailio refused {args[0]}: {output.strip()}")
        return output

    def get(self, table: str, key: str) -> int:
        """The item's value; 0 when there is none (never set, or expired)."""
        # "s:" makes kamcmd send the key as a string whatever it looks like
        found = _VALUE.search(self._rpc("htable.get", table, "s:" + key))
        return int(found.group(1)) if found else 0

    def set(self, table: str, key: str, value: int) -> None:
        self._rpc("htable.seti", table, "s:" + key, str(value))

    def increment(self, table: str, key: str) -> int:
        """The item plus one, stored (which restarts its expiry, as sht_inc does)."""
        with self._lock:
            value = self.get(table, key) + 1
            self.set(table, key, value)
            return value

    def delete(self, table: str, key: str) -> None:
        self._rpc("htable.delete", table, "s:" + key)


class PasswordGuard:
    """vpbx.edge.password_guard's policy on `tables` (KamailioTables, or a stand-in in unit tests),
    as kemi/digest.py applies it at the SIP edge."""

    def __init__(self, cfg: Config, tables):
        self.cfg = cfg
        self.tables = tables

    def is_banned(self, source: str, user: str, realm: str) -> bool:
        """Whether `source` is refused for user@realm now (before checking any password)."""
        if not user or self.cfg.sip_auth_failures <= 0:
            return False
        key = password_guard.key(source, user, realm)
        return self.tables.get(password_guard.BANS_TABLE, key) > 0

    def succeeded(self, source: str, user: str, realm: str) -> None:
        """The user got it right from `source`: its failures in a row start again."""
        if user and self.cfg.sip_auth_failures > 0:
            self.tables.delete(password_guard.FAILURES_TABLE,
                               password_guard.key(source, user, realm))

    def failed(self, source: str, user: str, realm: str) -> list[tuple[str, dict]]:
        """Count one failed guess; the NOC lines it calls for, as (outcome, fields):
        ("banned", …) when it starts a ban of the pair, ("under_attack", …) when the user's
        failures from every address reach an alert threshold."""
        cfg, lines = self.cfg, []
        if not user:
            return lines
        if cfg.sip_auth_failures > 0:
            pair = password_guard.key(source, user, realm)
            failures = self.tables.increment(password_guard.FAILURES_TABLE, pair)
            if password_guard.is_banned_now(failures, cfg.sip_auth_failures):
                self.tables.set(password_guard.BANS_TABLE, pair, failures)
                self.tables.delete(password_guard.FAILURES_TABLE, pair)
                lines.append(("banned", {"failures": failures,
                                         "ban_seconds": cfg.sip_auth_ban_seconds}))
        if cfg.sip_auth_attack_failures > 0:
            failures = self.tables.increment(password_guard.USER_FAILURES_TABLE,
                                             password_guard.user_key(user, realm))
            if password_guard.attack_alert_due(failures, cfg.sip_auth_attack_failures):
                lines.append(("under_attack", {"failures": failures,
                                               "window_seconds": cfg.sip_auth_attack_seconds}))
        return lines
