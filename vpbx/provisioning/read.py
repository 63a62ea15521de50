"""Reading a tenant's configuration, and what other tenants own, from the database.

Every query names its tenant explicitly (tenant id, or "another tenant than this id").
"""
from collections import defaultdict

from vpbx.model.tenant import (DAYS, AudioFile, Contact, Destination, Group, Holiday, Number,
                              PresentationRule, Route, StoredTenant, Tenant, TimeRange, User,
                              Voicemail)
from vpbx.provisioning import assignments


def _rows(cur, sql: str, args: tuple) -> list[dict]:
    """The rows of a parameterised query."""
    cur.execute(sql, args)
    return list(cur.fetchall())


def _by_parent(rows: list[dict], parent: str) -> dict[object, list[dict]]:
    """Child rows grouped by their parent's column (rows keep their order)."""
    grouped = defaultdict(list)
    for row in rows:
        grouped[row[parent]].append(row)
    return grouped


def _destination(kind: str, target: str | None) -> Destination:
    """A destination from its kind and target columns."""
    return Destination(kind, target if kind != "hangup" else None)


def _users(cur, tenant_id: int) -> list[User]:
    """The tenant's users, in creation order (without passwords: only digests are stored)."""
    return [User(row["extension"], row["name"], row["username"], row["direct_number"])
            for row in _rows(cur, "SELECT extension, name, username, direct_number FROM users"
                                  " WHERE tenant_id = %s ORDER BY id", (tenant_id,))]


def _ha1_by_username(cur, tenant_id: int) -> dict[str, str]:
    """The SIP accounts of the tenant: Kamailio's subscriber rows in the tenant's domain."""
    return {row["username"]: row["ha1"] for row in _rows(
        cur, "SELECT s.username, s.ha1 FROM subscriber s JOIN tenants t ON t.domain = s.domain"
             " WHERE t.id = %s", (tenant_id,))}


def _weekdays(value) -> tuple[str, ...]:
    """A SET('mon',…,'sun') column (a string "mon,tue" or a set) as days in week order."""
    chosen = set(value.split(",")) if isinstance(value, str) else set(value)
    return tuple(day for day in DAYS if day in chosen)


def _time_ranges(cur, tenant_id: int) -> list[TimeRange]:
    """The tenant's time ranges, "Office hours" first, with their periods."""
    periods = _by_parent(_rows(
        cur, "SELECT p.time_range_id, p.start_minute, p.end_minute FROM time_range_periods p"
             " JOIN time_ranges r ON r.id = p.time_range_id WHERE r.tenant_id = %s"
             " ORDER BY p.start_minute", (tenant_id,)), "time_range_id")
    return [TimeRange(row["name"], _weekdays(row["days"]),
                      tuple((p["start_minute"], p["end_minute"]) for p in periods[row["id"]]))
            for row in _rows(cur, "SELECT id, name, days FROM time_ranges WHERE tenant_id = %s"
                                  " ORDER BY is_default DESC, id", (tenant_id,))]


def _holidays(cur, tenant_id: int) -> list[Holiday]:
    """The tenant's holidays, by date."""
    return [Holiday(row["name"], row["first_day"], row["last_day"])
            for row in _rows(cur, "SELECT name, first_day, last_day FROM holidays"
                                  " WHERE tenant_id = %s ORDER BY first_day, id", (tenant_id,))]


def _groups(cur, tenant_id: int) -> list[Group]:
    """The tenant's groups with their members in ringing order."""
    members = _by_parent(_rows(
        cur, "SELECT m.group_id, u.extension FROM group_members m"
             " JOIN call_groups g ON g.id = m.group_id JOIN users u ON u.id = m.user_id"
             " WHERE g.tenant_id = %s AND u.tenant_id = %s ORDER BY m.position",
        (tenant_id, tenant_id)), "group_id")
    return [Group(row["name"], row["short_number"], row["distribution"], row["rings"],
                  row["cycles"], tuple(m["extension"] for m in members[row["id"]]),
                  _destination(row["no_answer_kind"], row["no_answer_target"]),
                  row["ringback"])
            for row in _rows(cur, "SELECT g.id, g.name, g.short_number, g.distribution, g.rings,"
                                  " g.cycles, g.no_answer_kind, g.no_answer_target,"
                                  " a.name AS ringback FROM call_groups g"
                                  " LEFT JOIN audio_files a ON a.id = g.ringback_audio_id"
                                  " AND a.tenant_id = g.tenant_id"
                                  " WHERE g.tenant_id = %s ORDER BY g.id", (tenant_id,))]


def _audio_file(row: dict) -> AudioFile:
    return AudioFile(row["kind"], row["name"], row["sha256"], bool(row["selected"]),
                     path=row["path"], source_sha256=row["source_sha256"],
                     duration_ms=row["duration_ms"])


_AUDIO_COLUMNS = "kind, name, sha256, selected, path, source_sha256, duration_ms"


def _audio(cur, tenant_id: int) -> list[AudioFile]:
    """The tenant's audio files (not the voicemail greetings), by kind then creation."""
    return [_audio_file(row) for row in _rows(
        cur, f"SELECT {_AUDIO_COLUMNS} FROM audio_files WHERE tenant_id = %s"
             " AND kind <> 'greeting' ORDER BY FIELD(kind, 'announcement', 'music_on_hold',"
             " 'ringback'), id", (tenant_id,))]


def _voicemail(cur, tenant_id: int) -> list[Voicemail]:
    """The voicemail settings stored for the tenant's numbers, in the numbers' order."""
    greetings = {row["name"]: _audio_file(row) for row in _rows(
        cur, f"SELECT {_AUDIO_COLUMNS} FROM audio_files WHERE tenant_id = %s"
             " AND kind = 'greeting'", (tenant_id,))}
    rows = _rows(cur, "SELECT n.number, b.mode, b.email, b.language, b.pin_hash,"
                      " b.greeting_audio_id FROM voicemail_boxes b"
                      " JOIN global_numbers n ON n.id = b.number_id"
                      " WHERE b.tenant_id = %s AND n.tenant_id = %s ORDER BY n.id",
                 (tenant_id, tenant_id))
    return [Voicemail(row["number"], row["mode"], row["email"], row["language"],
                      greetings.get(row["number"]) if row["greeting_audio_id"] else None,
                      pin_hash=row["pin_hash"])
            for row in rows]


def _numbers(cur, tenant_id: int) -> list[Number]:
    """The tenant's global numbers with their routes in order."""
    routes = _by_parent(_rows(
        cur, "SELECT rt.number_id, r.name, rt.dest_kind, rt.dest_target FROM number_routes rt"
             " JOIN global_numbers n ON n.id = rt.number_id"
             " JOIN time_ranges r ON r.id = rt.time_range_id"
             " WHERE n.tenant_id = %s AND r.tenant_id = %s ORDER BY rt.position",
        (tenant_id, tenant_id)), "number_id")
    return [Number(row["number"], row["label"],
                   tuple(Route(rt["name"], _destination(rt["dest_kind"], rt["dest_target"]))
                         for rt in routes[row["id"]]),
                   _destination(row["outside_kind"], row["outside_target"]))
            for row in _rows(cur, "SELECT id, number, label, outside_kind, outside_target"
                                  " FROM global_numbers WHERE tenant_id = %s ORDER BY id",
                             (tenant_id,))]


def _presentation(cur, tenant_id: int) -> list[PresentationRule]:
    """The tenant's caller ID presentation rules, one per number (the web UI may have stored
    several rules for one number: they are one rule here), users sorted; a rule that no
    user has any more shows nothing to anybody and is left out."""
    users_by_number = {}
    for row in _rows(cur, "SELECT r.number, u.extension FROM presentation_rules r"
                          " JOIN presentation_rule_users ru ON ru.rule_id = r.id"
                          " JOIN users u ON u.id = ru.user_id AND u.tenant_id = r.tenant_id"
                          " WHERE r.tenant_id = %s ORDER BY r.id, u.extension", (tenant_id,)):
        users_by_number.setdefault(row["number"], set()).add(row["extension"])
    return [PresentationRule(number, tuple(sorted(users)))
            for number, users in users_by_number.items()]


def _directory(cur, tenant_id: int) -> list[Contact]:
    """The tenant's directory contacts by name (without their ids: a contact is all it says)."""
    return [Contact(None, row["name"], row["number"], row["short_code"])
            for row in _rows(cur, "SELECT name, number, short_code FROM directory_contacts"
                                  " WHERE tenant_id = %s ORDER BY name, id", (tenant_id,))]


def find_tenant_id(cur, slug: str) -> int | None:
    """The id of the tenant named `slug`, or None."""
    rows = _rows(cur, "SELECT id FROM tenants WHERE slug = %s", (slug,))
    return rows[0]["id"] if rows else None


def read_tenant(cur, slug: str) -> StoredTenant | None:
    """The tenant named `slug` with every section of its configuration, or None."""
    rows = _rows(cur, "SELECT id, slug, name, domain, timezone, access_code FROM tenants"
                      " WHERE slug = %s", (slug,))
    if not rows:
        return None
    row = rows[0]
    tenant_id = row["id"]
    config = Tenant(slug=row["slug"], name=row["name"], domain=row["domain"],
                    timezone=row["timezone"], access_code=bool(row["access_code"]),
                    users=_users(cur, tenant_id), time_ranges=_time_ranges(cur, tenant_id),
                    holidays=_holidays(cur, tenant_id), groups=_groups(cur, tenant_id),
                    numbers=_numbers(cur, tenant_id), audio=_audio(cur, tenant_id),
                    voicemail=_voicemail(cur, tenant_id),
                    presentation=_presentation(cur, tenant_id),
                    directory=_directory(cur, tenant_id))
    return StoredTenant(tenant_id, config, _ha1_by_username(cur, tenant_id))


class OtherTenants:
    """What the tenants other than `tenant_id` (0 for a new tenant) own that must be unique
    platform-wide: SIP domains, and numbers (direct numbers and global numbers alike); and
    which numbers the platform operator assigned to this tenant (`slug`)."""

    def __init__(self, cur, tenant_id: int, slug: str | None = None):
        self._cur, self._tenant_id, self._slug = cur, tenant_id, slug

    def unassigned(self, numbers: list[str]) -> list[str]:
        """Those of `numbers` that are not assigned to this tenant (vpbx.provisioning.assignments)."""
        return assignments.unassigned(self._cur, self._slug, numbers) if numbers else []

    def domain_owner(self, domain: str) -> str | None:
        """The slug of another tenant whose domain this is, or None."""
        rows = _rows(self._cur, "SELECT slug FROM tenants WHERE domain = %s AND id <> %s",
                     (domain, self._tenant_id))
        return rows[0]["slug"] if rows else None

    def number_owners(self, numbers: list[str]) -> dict[str, str]:
        """number -> slug of the other tenant using it, for those of `numbers` in use."""
        if not numbers:
            return {}
        rows = _rows(self._cur,
                     "SELECT u.direct_number AS number, t.slug FROM users u"
                     " JOIN tenants t ON t.id = u.tenant_id"
                     " WHERE u.tenant_id <> %s AND u.direct_number IN %s"
                     " UNION SELECT n.number, t.slug FROM global_numbers n"
                     " JOIN tenants t ON t.id = n.tenant_id"
                     " WHERE n.tenant_id <> %s AND n.number IN %s",
                     (self._tenant_id, tuple(numbers), self._tenant_id, tuple(numbers)))
        return {row["number"]: row["slug"] for row in rows}


def read_platform(cur) -> dict[str, str]:
    """The platform_settings rows as name -> value."""
    return {row["name"]: row["value"]
            for row in _rows(cur, "SELECT name, value FROM platform_settings", ())}
