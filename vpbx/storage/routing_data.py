"""What the SIP routing reads from the database: tenants, users, numbers, the carrier.

Every read takes the tenant explicitly where a tenant owns the object: an object of another
tenant is simply not found. Configuration reads are cached per worker for the current
configuration generation (see `begin_request`), so a call costs no query for them while a
change still takes effect on the next call. A dropped connection is re-opened once; when the database
cannot be reached the caller gets DatabaseUnavailable quickly (short timeouts) so a SIP
worker is never held for long.
"""
import time
from collections.abc import Mapping
from dataclasses import dataclass

import pymysql

from vpbx.engine.call_plan import MemberState
from vpbx.storage import connection
from vpbx.settings.platform import Config
from vpbx.model.tenant import PresentationRule
from vpbx.provisioning.read import read_tenant
from vpbx.voicemail.store import group_ringback, mailbox_of_tenant


GENERATION_RECHECK_SECONDS = 1.0   # a change nobody announced is noticed this fast
# After a request found the database unavailable, the requests that would ask it again (new
# calls, registrations) are answered 503 at once for this long, by every SIP worker
# (kemi/sip.py): a database that hangs without answering would otherwise hold each of them
# seconds per request, and the edge would stop relaying the requests of calls already up
DATABASE_BACKOFF_SECONDS = 2
MEMO_LIMIT = 20000


class DatabaseUnavailable(RuntimeError):
    """The platform database could not be reached or answered with an error."""


@dataclass(frozen=True)
class Tenant:
    id: int
    slug: str
    domain: str
    timezone: str
    access_code: bool
    config_version: int = 0


@dataclass(frozen=True)
class User:
    id: int
    tenant_id: int
    tenant_slug: str
    domain: str
    extension: str
    username: str
    name: str
    direct_number: str | None

    @property
    def aor(self) -> str:
        """The SIP address of record all of the user's phones register to."""
        return f"sip:{self.username}@{self.domain}"


_USER_COLUMNS = ("SELECT u.id, u.tenant_id, t.slug AS tenant_slug, t.domain, u.extension,"
                 " u.username, u.name, u.direct_number"
                 " FROM users u JOIN tenants t ON t.id = u.tenant_id ")


class SipStore:
    """Reads for the routing, over one lazily opened connection (one per Kamailio worker)."""

    def __init__(self, cfg: Config):
        self._cfg = cfg
        self._conn = None
        self._configs = {}      # tenant id → (config_version, vpbx.model.tenant.Tenant)
        self._memo = {}         # (query, key) → result, for the current generation
        self._generation = None
        self._checked_at = float("-inf")

    def begin_request(self, announced: int) -> int | None:
        """Called once per new request with the generation Kamailio's workers share.

        Cached reads are dropped when the configuration changed: at once when the change
        was announced (shared generation differs), within GENERATION_RECHECK_SECONDS when it
        was not. Returns the database's generation when the shared one is behind it (the
        caller then announces it to the other workers), else None.
        """
        now = time.monotonic()
        if announced == self._generation and now - self._checked_at < GENERATION_RECHECK_SECONDS:
            return None
        rows = self._query("SELECT value FROM platform_settings WHERE name = 'config_generation'", ())
        stored = int(rows[0]["value"]) if rows else 0
        self._checked_at = now
        if stored != self._generation:
            self._memo.clear()
            self._configs.clear()
            self._generation = stored
        return stored if stored != announced else None

    def _cached(self, key, load):
        """A read of configuration, remembered until the generation changes."""
        if key not in self._memo:
            if len(self._memo) >= MEMO_LIMIT:       # e.g. a flood of unknown domains
                self._memo.clear()
            self._memo[key] = load()
        return self._memo[key]

    def _run(self, work):
        """work(cursor) on the worker's connection. A connection that was lost since its
        last use is re-opened once; a database that cannot be reached fails at once."""
        reused = self._conn is not None
        try:
            if self._conn is None:
                self._conn = connection.connect(self._cfg, connect_timeout=1, read_timeout=1)
            with self._conn.cursor() as cur:
                return work(cur)
        except (pymysql.err.OperationalError, pymysql.err.InterfaceError) as exc:
            self.close()
            # a connection the server dropped is re-opened once; one that timed out belongs
            # to a database that does not answer: a new one would only wait again
            if reused and "timed out" not in str(exc):
                return self._run(work)
            raise DatabaseUnavailable(f"database unavailable: {exc.args[0]}") from exc

    def read(self, work):
        """work(cursor) on the worker's connection, with the same handling of a lost or absent
        database, for the routing's reads of other tables (mailboxes, audio files)."""
        return self._run(work)

    def _query(self, sql: str, args: tuple) -> list[dict]:
        def fetch(cur):
            cur.execute(sql, args)
            return cur.fetchall()
        return self._run(fetch)

    def ping(self) -> None:
        """Raise DatabaseUnavailable when the database cannot be reached now."""
        self._query("SELECT 1", ())

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # the connection is being thrown away anyway
                pass
            self._conn = None

    def tenant_by_domain(self, domain: str) -> Tenant | None:
        domain = domain.lower()
        return self._cached(("domain", domain),
                            lambda: self._tenant("WHERE domain = %s", (domain,)))

    def tenant_by_id(self, tenant_id: int) -> Tenant | None:
        return self._cached(("id", tenant_id),
                            lambda: self._tenant("WHERE id = %s", (tenant_id,)))

    def tenant_by_global_number(self, number: str) -> Tenant | None:
        """The tenant that owns this global number."""
        return self._cached(("global", number), lambda: self._tenant(
            "WHERE id = (SELECT tenant_id FROM global_numbers WHERE number = %s)", (number,)))

    def _tenant(self, where: str, args: tuple) -> Tenant | None:
        rows = self._query("SELECT id, slug, domain, timezone, access_code, config_version"
                           " FROM tenants " + where, args)
        return Tenant(**{**rows[0], "access_code": bool(rows[0]["access_code"])}) if rows else None

    def tenant_config(self, tenant: Tenant):
        """The tenant's whole configuration (vpbx.model.tenant.Tenant), cached per worker and
        re-read when its config_version changed: a change is used by the very next call."""
        cached = self._configs.get(tenant.id)
        if cached is None or cached[0] != tenant.config_version:
            stored = self._run(lambda cur: read_tenant(cur, tenant.slug))
            if stored is None:
                return None
            cached = (tenant.config_version, stored.config)
            self._configs[tenant.id] = cached
        return cached[1]

    def contact_number(self, tenant_id: int, short_code: str) -> str | None:
        """The number of the tenant's directory contact dialled as ##short_code."""
        def load():
            rows = self._query("SELECT number FROM directory_contacts"
                               " WHERE tenant_id = %s AND short_code = %s", (tenant_id, short_code))
            return rows[0]["number"] if rows else None
        return self._cached(("contact", tenant_id, short_code), load)

    def presentation_rules(self, tenant_id: int) -> list:
        """The tenant's caller ID presentation rules (vpbx.model.tenant.PresentationRule)."""
        def load():
            rows = self._query("SELECT r.id, r.number, u.extension FROM presentation_rules r"
                               " LEFT JOIN presentation_rule_users ru ON ru.rule_id = r.id"
                               " LEFT JOIN users u ON u.id = ru.user_id"
                               " WHERE r.tenant_id = %s ORDER BY r.id", (tenant_id,))
            rules = {}
            for row in rows:
                number, users = rules.setdefault(row["id"], (row["number"], []))
                if row["extension"]:
                    users.append(row["extension"])
            return [PresentationRule(number, tuple(users)) for number, users in rules.values()]
        return self._cached(("presentation", tenant_id), load)

    def member_state(self, tenant_id: int) -> tuple[Mapping, Mapping]:
        """(group → last answering extension, extension → end of last call), read from the
        database when the plan first needs them (per call, never cached): a call that
        reaches no cyclic and no least-active group costs no query for them."""
        def last_answered(group):
            rows = self._query("SELECT u.extension FROM call_groups g"
                               " JOIN users u ON u.id = g.last_answered_user_id"
                               " WHERE g.tenant_id = %s AND g.name = %s", (tenant_id, group))
            return rows[0]["extension"] if rows else None
        return (_LazyByKey(last_answered),
                _Lazy(lambda: self._run(lambda cur: idle_times(cur, tenant_id))))

    def member_plan_state(self, tenant_id: int) -> MemberState:
        """member_state as the decision engine takes it (vpbx.engine.decision.Lookups): every
        member taken as available (the routing asks who can ring at each step)."""
        last_answered, idle_since = self.member_state(tenant_id)
        return MemberState(last_answered=last_answered, idle_since=idle_since)

    def mailbox(self, tenant_id: int, number: str) -> dict | None:
        """The mailbox of the tenant's global `number` (its mode), or None; read each time."""
        return self._run(lambda cur: mailbox_of_tenant(cur, tenant_id, number))

    def member_aors(self, tenant: Tenant, config) -> dict[str, str]:
        """extension → SIP address of record of every user of the tenant, from its cached
        configuration (no query per member)."""
        def load():
            return {user.extension: f"sip:{user.username}@{tenant.domain}"
                    for user in config.users or []}
        return self._cached(("aors", tenant.id, tenant.config_version), load)

    def group_ringback(self, tenant_id: int, group: str) -> dict | None:
        """The group's ringback tone (id, path), or None; cached like the configuration."""
        return self._cached(("ringback", tenant_id, group),
                            lambda: self._run(lambda cur: group_ringback(cur, tenant_id, group)))

    def least_active_members(self, tenant_id: int) -> frozenset:
        """Extensions of the members of the tenant's least-active groups (cached)."""
        def load():
            rows = self._query("SELECT DISTINCT u.extension FROM users u"
                               " JOIN group_members m ON m.user_id = u.id"
                               " JOIN call_groups g ON g.id = m.group_id"
                               " WHERE g.tenant_id = %s AND g.distribution = 'least_active'",
                               (tenant_id,))
            return frozenset(row["extension"] for row in rows)
        return self._cached(("least_active", tenant_id), load)

    def record_answer(self, tenant_id: int, group: str, extension: str) -> None:
        """Remember who answered the group's call (the cyclic distribution starts after them)."""
        self._query("UPDATE call_groups g JOIN users u ON u.tenant_id = g.tenant_id"
                    " SET g.last_answered_user_id = u.id"
                    " WHERE g.tenant_id = %s AND g.name = %s AND u.extension = %s",
                    (tenant_id, group, extension))

    def record_call_end(self, parties: list[tuple[int, str]]) -> None:
        """The users (tenant id, extension) of a call that just ended are idle from now.

        Only members of least-active groups, whose idle time the very next call may read,
        are written at once; everybody's end time also travels in the call-record spool
        (the `end` event's parties), which vpbx.records.call_records writes to `users` within a second,
        off the SIP worker."""
        for tenant_id, extension in parties:
            if extension in self.least_active_members(tenant_id):
                self._query("UPDATE users SET last_call_end = NOW(6)"
                            " WHERE tenant_id = %s AND extension = %s", (tenant_id, extension))

    def _user(self, key, where: str, args: tuple) -> User | None:
        def load():
            rows = self._query(_USER_COLUMNS + where, args)
            return User(**rows[0]) if rows else None
        return self._cached(key, load)

    def user_by_extension(self, tenant_id: int, extension: str) -> User | None:
        return self._user(("extension", tenant_id, extension),
                          "WHERE u.tenant_id = %s AND u.extension = %s", (tenant_id, extension))

    def user_by_username(self, tenant_id: int, username: str) -> User | None:
        return self._user(("username", tenant_id, username),
                          "WHERE u.tenant_id = %s AND u.username = %s", (tenant_id, username))

    def user_by_direct_number(self, number: str) -> User | None:
        """The platform subscriber (of any tenant) that owns this direct number (on-net)."""
        return self._user(("direct", number), "WHERE u.direct_number = %s", (number,))

    def carrier(self) -> tuple[str, int] | None:
        """The carrier trunk's (address, port), or None when no platform file set it."""
        def load():
            rows = self._query("SELECT name, value FROM platform_settings"
                               " WHERE name IN ('carrier_address', 'carrier_port')", ())
            settings = {row["name"]: row["value"] for row in rows}
            if "carrier_address" not in settings:
                return None
            return settings["carrier_address"], int(settings.get("carrier_port", 5060))
        return self._cached(("carrier",), load)

    def carrier_if_known(self) -> tuple[bool, tuple[str, int] | None]:
        """(True, the carrier trunk or None) when this worker has read it since the last
        change, else (False, None): without asking the database."""
        key = ("carrier",)
        return (True, self._memo[key]) if key in self._memo else (False, None)

    def known_carrier(self) -> tuple[str, int] | None:
        """The carrier trunk as this worker last read it, without asking the database (None
        when it has not read it since the last change)."""
        return self._memo.get(("carrier",))


def member_state_rows(cur, tenant_id: int) -> tuple[dict, dict]:
    """The dynamic state the decision engine needs for a tenant's groups: group name →
    extension of the member who answered its last call (cyclic), and, for the members of
    least-active groups only, extension → end of their last call in epoch seconds, None if
    never."""
    cur.execute("SELECT g.name, u.extension FROM call_groups g"
                " JOIN users u ON u.id = g.last_answered_user_id WHERE g.tenant_id = %s",
                (tenant_id,))
    last_answered = {row["name"]: row["extension"] for row in cur.fetchall()}
    return last_answered, idle_times(cur, tenant_id)


def idle_times(cur, tenant_id: int) -> dict:
    """extension → end of the last call (epoch seconds, None if never) of the members of
    the tenant's least-active groups."""
    cur.execute("SELECT DISTINCT u.extension, UNIX_TIMESTAMP(u.last_call_end) AS ended"
                " FROM users u JOIN group_members m ON m.user_id = u.id"
                " JOIN call_groups g ON g.id = m.group_id"
                " WHERE g.tenant_id = %s AND g.distribution = 'least_active'", (tenant_id,))
    return {row["extension"]: (float(row["ended"]) if row["ended"] is not None else None)
            for row in cur.fetchall()}


class _Lazy(Mapping):
    """A mapping loaded by `load()` on first use."""

    def __init__(self, load):
        self._load, self._data = load, None

    def _loaded(self) -> dict:
        if self._data is None:
            self._data = self._load()
        return self._data

    def __getitem__(self, key):
        return self._loaded()[key]

    def __iter__(self):
        return iter(self._loaded())

    def __len__(self):
        return len(self._loaded())


class _LazyByKey(Mapping):
    """A mapping whose values `load(key)` reads one key at a time, on first use of that key
    (a None value counts as missing)."""

    def __init__(self, load):
        self._load, self._data = load, {}

    def __getitem__(self, key):
        if key not in self._data:
            self._data[key] = self._load(key)
        if self._data[key] is None:
            raise KeyError(key)
        return self._data[key]

    def __iter__(self):
        return iter(k for k, v in self._data.items() if v is not None)

    def __len__(self):
        return sum(1 for v in self._data.values() if v is not None)
