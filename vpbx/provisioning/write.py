"""Storing a checked configuration: only the difference with what is stored, as change lines.

Each section has a writer (vpbx.provisioning.writer.Writer) saying how its rows are inserted,
updated and deleted: the users, time ranges, holidays, groups and numbers here, the audio
files and mailboxes in vpbx.provisioning.media_write, the presentation rules and the
directory in vpbx.provisioning.outgoing_write. `write_tenant` runs them in the order the
rows refer to each other. Every statement names the tenant.
"""
from dataclasses import dataclass

from vpbx.edge import credentials
from vpbx.model.tenant import (DEFAULT_OFFICE_HOURS, OFFICE_HOURS, SETTINGS, StoredTenant,
                              Tenant, time_ranges_with_office_hours)
from vpbx.provisioning import assignments, media_write, outgoing_write
from vpbx.provisioning.read import read_platform
from vpbx.provisioning.writer import Writer, remove, sync


@dataclass(frozen=True)
class _Children:
    """The ordered child rows of an item (group members, number routes, range periods),
    rewritten as a whole. `delete` takes (tenant id, parent key); `insert` takes (*row values,
    tenant id, parent key, *row lookup) and finds the parent (and child) ids itself."""
    delete: str
    insert: str

    def replace(self, cur, tenant_id: int, parent_key, rows: list[tuple[tuple, tuple]]) -> None:
        """Make the parent's children exactly `rows`: (values, lookup) pairs, in order."""
        cur.execute(self.delete, (tenant_id, parent_key))
        for values, lookup in rows:
            cur.execute(self.insert, (*values, tenant_id, parent_key, *lookup))


_MEMBERS = _Children(
    delete="DELETE m FROM group_members m JOIN call_groups g ON g.id = m.group_id"
           " WHERE g.tenant_id = %s AND g.name = %s",
    insert="INSERT INTO group_members (group_id, user_id, position)"
           " SELECT g.id, u.id, %s FROM call_groups g JOIN users u ON u.tenant_id = g.tenant_id"
           " WHERE g.tenant_id = %s AND g.name = %s AND u.extension = %s")
_ROUTES = _Children(
    delete="DELETE rt FROM number_routes rt JOIN global_numbers n ON n.id = rt.number_id"
           " WHERE n.tenant_id = %s AND n.number = %s",
    insert="INSERT INTO number_routes (number_id, position, time_range_id, dest_kind,"
           " dest_target) SELECT n.id, %s, r.id, %s, %s FROM global_numbers n"
           " JOIN time_ranges r ON r.tenant_id = n.tenant_id"
           " WHERE n.tenant_id = %s AND n.number = %s AND r.name = %s")
_PERIODS = _Children(
    delete="DELETE p FROM time_range_periods p JOIN time_ranges r ON r.id = p.time_range_id"
           " WHERE r.tenant_id = %s AND r.name = %s",
    insert="INSERT INTO time_range_periods (time_range_id, start_minute, end_minute)"
           " SELECT id, %s, %s FROM time_ranges WHERE tenant_id = %s AND name = %s")


# ---- users and their SIP accounts -----------------------------------------------------------

def _save_sip_account(cur, username: str, domain: str, password: str) -> None:
    """Kamailio's subscriber row for username@domain: HA1 digests, the password column empty."""
    cur.execute("INSERT INTO subscriber (username, domain, password, ha1, ha1b)"
                " VALUES (%s, %s, '', %s, %s)"
                " ON DUPLICATE KEY UPDATE password = '', ha1 = VALUES(ha1), ha1b = VALUES(ha1b)",
                (username, domain, credentials.ha1(username, domain, password),
                 credentials.ha1b(username, domain, domain, password)))


_FORGET_SIP_ACCOUNT = ("DELETE FROM subscriber WHERE username = %s AND domain = %s",
                       "DELETE FROM location WHERE username = %s AND domain = %s",
                       "DELETE FROM location_attrs WHERE username = %s AND domain = %s")


def _forget_sip_account(cur, username: str, domain: str) -> None:
    """Remove the SIP account username@domain and its registrations."""
    for statement in _FORGET_SIP_ACCOUNT:
        cur.execute(statement, (username, domain))


class _Users(Writer):
    """Users rows and their subscriber rows. An account moves (is rewritten under its new
    username or domain) with the password the checks made sure the file gives."""
    section, noun = "users", "user"
    _FIELDS = ("name", "username", "direct_number")

    def __init__(self, old_domain: str | None, new_domain: str, ha1: dict[str, str]):
        self.old_domain, self.new_domain, self.ha1 = old_domain, new_domain, ha1

    def _moves(self, old, new) -> bool:
        """Whether the user's SIP account changes its username@domain."""
        return old.username != new.username or self.old_domain != self.new_domain

    def needs_update(self, old, new) -> bool:
        return old != new or new.password is not None or self._moves(old, new)

    def prepare(self, cur, tenant_id, changes):
        """Free the usernames and direct numbers that change, so users may swap them."""
        for old, new in changes.updated:
            if self._moves(old, new):
                _forget_sip_account(cur, old.username, self.old_domain)
            if old.username != new.username or old.direct_number != new.direct_number:
                cur.execute("UPDATE users SET username = %s, direct_number = NULL"
                            " WHERE tenant_id = %s AND extension = %s",
                            (f"#moving-{old.extension}", tenant_id, old.extension))

    def insert(self, cur, tenant_id, user):
        cur.execute("INSERT INTO users (tenant_id, extension, name, username, direct_number)"
                    " VALUES (%s, %s, %s, %s, %s)",
                    (tenant_id, user.extension, user.name, user.username, user.direct_number))
        _save_sip_account(cur, user.username, self.new_domain, user.password)
        return [f"user {user.extension} ({user.username}): created"]

    def update(self, cur, tenant_id, old, new):
        lines = []
        changed = [name for name in self._FIELDS if getattr(old, name) != getattr(new, name)]
        if changed:
            cur.execute("UPDATE users SET name = %s, username = %s, direct_number = %s"
                        " WHERE tenant_id = %s AND extension = %s",
                        (new.name, new.username, new.direct_number, tenant_id, new.extension))
            lines.append(f"{self.label(new)}: updated ({', '.join(changed)})")
        if new.password is not None:
            _save_sip_account(cur, new.username, self.new_domain, new.password)
            before = self.ha1.get(old.username)
            if before != credentials.ha1(old.username, self.old_domain, new.password):
                lines.append(f"{self.label(new)}: password changed")
        return lines

    def delete(self, cur, tenant_id, user):
        cur.execute("DELETE FROM users WHERE tenant_id = %s AND extension = %s",
                    (tenant_id, user.extension))
        _forget_sip_account(cur, user.username, self.old_domain)
        return [f"{self.label(user)}: removed"]


# ---- time ranges, holidays, groups, numbers -------------------------------------------------

class _TimeRanges(Writer):
    """time_ranges rows and their periods; "Office hours" (is_default) is never deleted."""
    section, noun = "time_ranges", "time range"

    @staticmethod
    def _periods(cur, tenant_id, time_range):
        _PERIODS.replace(cur, tenant_id, time_range.name,
                         [(period, ()) for period in time_range.periods])

    def insert(self, cur, tenant_id, time_range):
        cur.execute("INSERT INTO time_ranges (tenant_id, name, days, is_default)"
                    " VALUES (%s, %s, %s, %s)",
                    (tenant_id, time_range.name, ",".join(time_range.days),
                     time_range.name == OFFICE_HOURS))
        self._periods(cur, tenant_id, time_range)
        return [f"{self.label(time_range)}: created"]

    def update(self, cur, tenant_id, old, new):
        cur.execute("UPDATE time_ranges SET days = %s WHERE tenant_id = %s AND name = %s",
                    (",".join(new.days), tenant_id, new.name))
        if old.periods != new.periods:
            self._periods(cur, tenant_id, new)
        return [f"{self.label(new)}: updated"]

    def delete(self, cur, tenant_id, time_range):
        cur.execute("DELETE FROM time_ranges WHERE tenant_id = %s AND name = %s"
                    " AND is_default = 0", (tenant_id, time_range.name))
        return [f"{self.label(time_range)}: removed"]


class _Holidays(Writer):
    """Holidays have no key but themselves: a changed holiday is one removed, one created."""
    section, noun = "holidays", "holiday"

    def label(self, holiday):
        days = holiday.first_day.isoformat()
        if holiday.last_day != holiday.first_day:
            days += f" to {holiday.last_day.isoformat()}"
        return f"holiday {holiday.name} ({days})"

    def insert(self, cur, tenant_id, holiday):
        cur.execute("INSERT INTO holidays (tenant_id, name, first_day, last_day)"
                    " VALUES (%s, %s, %s, %s)",
                    (tenant_id, holiday.name, holiday.first_day, holiday.last_day))
        return [f"{self.label(holiday)}: created"]

    def delete(self, cur, tenant_id, holiday):
        cur.execute("DELETE FROM holidays WHERE tenant_id = %s AND name = %s"
                    " AND first_day = %s AND last_day = %s LIMIT 1",
                    (tenant_id, holiday.name, holiday.first_day, holiday.last_day))
        return [f"{self.label(holiday)}: removed"]


class _Groups(Writer):
    """call_groups rows and their members. The ringback tone is left as it is: audio files
    cannot be given in a file yet."""
    section, noun = "groups", "group"

    @staticmethod
    def _values(group) -> tuple:
        return (group.short_number, group.distribution, group.rings, group.cycles,
                group.no_answer.kind, group.no_answer.target)

    @staticmethod
    def _members(cur, tenant_id, group):
        _MEMBERS.replace(cur, tenant_id, group.name,
                         [((position,), (extension,))
                          for position, extension in enumerate(group.members)])

    def prepare(self, cur, tenant_id, changes):
        """Park the groups whose short number changes on free numbers, so groups may swap."""
        moving = [old for old, new in changes.updated if old.short_number != new.short_number]
        taken = {group.short_number for group in changes.current + changes.wanted}
        free = (number for number in range(200, 1000) if number not in taken)
        for group, parking in zip(moving, free):
            cur.execute("UPDATE call_groups SET short_number = %s"
                        " WHERE tenant_id = %s AND name = %s", (parking, tenant_id, group.name))

    def insert(self, cur, tenant_id, group):
        cur.execute("INSERT INTO call_groups (tenant_id, name, short_number, distribution,"
                    " rings, cycles, no_answer_kind, no_answer_target)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    (tenant_id, group.name, *self._values(group)))
        self._members(cur, tenant_id, group)
        if group.ringback:
            media_write.set_ringback(cur, tenant_id, group)
        return [f"{self.label(group)}: created"]

    def update(self, cur, tenant_id, old, new):
        cur.execute("UPDATE call_groups SET short_number = %s, distribution = %s, rings = %s,"
                    " cycles = %s, no_answer_kind = %s, no_answer_target = %s"
                    " WHERE tenant_id = %s AND name = %s",
                    (*self._values(new), tenant_id, new.name))
        if old.members != new.members:
            self._members(cur, tenant_id, new)
        if old.ringback != new.ringback:
            media_write.set_ringback(cur, tenant_id, new)
        return [f"{self.label(new)}: updated"]

    def delete(self, cur, tenant_id, group):
        cur.execute("DELETE FROM call_groups WHERE tenant_id = %s AND name = %s",
                    (tenant_id, group.name))
        return [f"{self.label(group)}: removed"]


class _Numbers(Writer):
    """global_numbers rows and their ordered routes."""
    section, noun = "numbers", "number"

    @staticmethod
    def _routes(cur, tenant_id, number):
        _ROUTES.replace(cur, tenant_id, number.number,
                        [((position, route.to.kind, route.to.target), (route.range,))
                         for position, route in enumerate(number.routes)])

    def insert(self, cur, tenant_id, number):
        cur.execute("INSERT INTO global_numbers (tenant_id, number, label, outside_kind,"
                    " outside_target) VALUES (%s, %s, %s, %s, %s)",
                    (tenant_id, number.number, number.label, number.outside_hours.kind,
                     number.outside_hours.target))
        self._routes(cur, tenant_id, number)
        return [f"{self.label(number)}: created"]

    def update(self, cur, tenant_id, old, new):
        cur.execute("UPDATE global_numbers SET label = %s, outside_kind = %s,"
                    " outside_target = %s WHERE tenant_id = %s AND number = %s",
                    (new.label, new.outside_hours.kind, new.outside_hours.target, tenant_id,
                     new.number))
        if old.routes != new.routes:
            self._routes(cur, tenant_id, new)
        return [f"{self.label(new)}: updated"]

    def delete(self, cur, tenant_id, number):
        cur.execute("DELETE FROM global_numbers WHERE tenant_id = %s AND number = %s",
                    (tenant_id, number.number))
        return [f"{self.label(number)}: removed"]


# ---- a whole tenant -------------------------------------------------------------------------

def _write_settings(cur, tenant: Tenant, stored: StoredTenant | None) -> tuple[int, list[str]]:
    """Create or update the tenants row; its id and the change lines."""
    values = (tenant.name, tenant.domain, tenant.timezone, tenant.access_code)
    if stored is None:
        cur.execute("INSERT INTO tenants (slug, name, domain, timezone, access_code)"
                    " VALUES (%s, %s, %s, %s, %s)", (tenant.slug, *values))
        return cur.lastrowid, [f"tenant {tenant.slug}: created"]
    changed = [name for name in SETTINGS if getattr(tenant, name) != getattr(stored.config, name)]
    if not changed:
        return stored.id, []
    cur.execute("UPDATE tenants SET name = %s, domain = %s, timezone = %s, access_code = %s"
                " WHERE id = %s", (*values, stored.id))
    return stored.id, [f"tenant {tenant.slug}: updated ({', '.join(changed)})"]


def _wanted_time_ranges(tenant: Tenant, stored: StoredTenant | None):
    """The time ranges to store (None: leave them), "Office hours" always among them."""
    if tenant.time_ranges is None:
        return None if stored else [DEFAULT_OFFICE_HOURS]
    return time_ranges_with_office_hours(tenant.time_ranges,
                                         stored.config.time_ranges if stored else None)


def _lost_memberships(groups: list, removed_users: list) -> list[str]:
    """Change lines for the stored groups that lose removed users (ON DELETE CASCADE), when
    the file leaves the groups as they are."""
    removed = {user.extension for user in removed_users}
    return [f"group {group.name}: member {extension} removed"
            for group in groups for extension in group.members if extension in removed]


def write_tenant(cur, tenant: Tenant, stored: StoredTenant | None) -> list[str]:
    """Store a checked tenant (settings filled in) over its stored state; the change lines.
    Sections that are None are left as they are. Time ranges are removed last, once no
    route uses them any more."""
    empty = Tenant(tenant.slug, users=[], time_ranges=[], holidays=[], groups=[], numbers=[],
                   audio=[], voicemail=[], presentation=[], directory=[])
    current = stored.config if stored else empty
    tenant_id, lines = _write_settings(cur, tenant, stored)
    removed_users = []
    if tenant.users is not None:
        users = _Users(current.domain, tenant.domain, stored.ha1 if stored else {})
        user_lines, changes = sync(cur, tenant_id, users, current.users, tenant.users)
        lines += user_lines
        removed_users = changes.removed
        if tenant.groups is None:
            lines += _lost_memberships(current.groups, changes.removed)
    ranges, unused_ranges = _TimeRanges(), []
    wanted_ranges = _wanted_time_ranges(tenant, stored)
    if wanted_ranges is not None:
        range_lines, changes = sync(cur, tenant_id, ranges, current.time_ranges,
                                    wanted_ranges, delete_removed=False)
        lines += range_lines
        unused_ranges = changes.removed
    audio_lines, unused_audio = media_write.write_audio(cur, tenant_id, tenant, current)
    lines += audio_lines
    for writer, wanted in ((_Holidays(), tenant.holidays), (_Groups(), tenant.groups),
                           (_Numbers(), tenant.numbers)):
        if wanted is not None:
            lines += sync(cur, tenant_id, writer, getattr(current, writer.section), wanted)[0]
    lines += media_write.write_voicemail(cur, tenant_id, tenant, current)
    lines += outgoing_write.write_presentation(cur, tenant_id, tenant, current,
                                              removed_users)
    lines += outgoing_write.write_directory(cur, tenant_id, tenant, current)
    lines += media_write.remove_audio(cur, tenant_id, unused_audio)
    return lines + remove(cur, tenant_id, ranges, unused_ranges)


def write_platform(cur, settings: dict[str, str]) -> list[str]:
    """Store platform settings (name -> value); a change line per changed value."""
    current = read_platform(cur)
    lines = []
    for name, value in settings.items():
        if current.get(name) != value:
            cur.execute("INSERT INTO platform_settings (name, value) VALUES (%s, %s)"
                        " ON DUPLICATE KEY UPDATE value = VALUES(value)", (name, value))
            lines.append(f"platform {name.replace('_', ' ')}: {value}")
    return lines


def write_assignments(cur, wanted: list) -> list[str]:
    """Make the number assignments `wanted` (vpbx.provisioning.assignments.Assignment, the whole table);
    a change line per assignment made or removed."""
    current = {(a.tenant, a.block): a.id for a in assignments.read(cur)}
    wanted_keys = [(a.tenant, a.block) for a in wanted]
    lines = []
    for (tenant, block), assignment_id in current.items():
        if (tenant, block) not in wanted_keys:
            cur.execute("DELETE FROM number_assignments WHERE id = %s AND tenant_slug = %s",
                        (assignment_id, tenant))
            lines.append(f"platform numbers {block}: no longer assigned to {tenant}")
    for tenant, block in wanted_keys:
        if (tenant, block) not in current:
            cur.execute("INSERT INTO number_assignments (tenant_slug, block) VALUES (%s, %s)",
                        (tenant, str(block)))
            lines.append(f"platform numbers {block}: assigned to {tenant}")
    return lines


_DELETE_TENANT = (
    # Kamailio's rows have no tenant id: they are the tenant's by its SIP domain
    "DELETE FROM subscriber WHERE domain = (SELECT domain FROM tenants WHERE id = %s)",
    "DELETE FROM location WHERE domain = (SELECT domain FROM tenants WHERE id = %s)",
    "DELETE FROM location_attrs WHERE domain = (SELECT domain FROM tenants WHERE id = %s)",
    # rows referencing other rows of the tenant without ON DELETE CASCADE go first
    "DELETE rt FROM number_routes rt JOIN global_numbers n ON n.id = rt.number_id"
    " WHERE n.tenant_id = %s",
    "DELETE FROM voicemail_boxes WHERE tenant_id = %s",
    "DELETE FROM call_groups WHERE tenant_id = %s",
    # its numbers go back to the carrier (assignments name the tenant by its short name)
    "DELETE a FROM number_assignments a JOIN tenants t ON t.slug = a.tenant_slug"
    " WHERE t.id = %s",
    "DELETE FROM tenants WHERE id = %s",   # the rest follows by ON DELETE CASCADE
)


def delete_tenant(cur, tenant_id: int) -> None:
    """Remove a tenant, its SIP accounts and registrations, and everything it owns."""
    for statement in _DELETE_TENANT:
        cur.execute(statement, (tenant_id,))

