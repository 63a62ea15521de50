"""Editing a tenant's configuration one item at a time (the web UI and its JSON API).

Every change goes through the very path of `vpbx apply`: the tenant as stored is turned into
a tenant document (the `vpbx export` of it), the one item is replaced, added or removed in
that document, and the document is checked and written by
vpbx.provisioning.apply.apply_tenant in one transaction under the provisioning lock. So the UI has exactly the rules of the files, only
the difference is written, and tenants.config_version is bumped the same way (the SIP
routing uses the change on the next call).

The edited item is put last in its section, so that a rule between two items (a short
number used twice…) is reported on it. Problems come back as `Problem`s: the item's field
they are about, or another item ("group Reception") when that one is in the way — which is
how deleting something still in use is refused with the place where it is used.

Renaming a group, a time range or a number (or changing a user's extension) rewrites the
references to it in the same document, so nothing is left pointing at the old name.
"""
import re
from dataclasses import dataclass, field

import pymysql
import yaml

from vpbx.provisioning.apply import apply_tenant
from vpbx.provisioning.changes import ConfigurationBusy, notify_routing, transaction
from vpbx.provisioning.document import Node, Problems
from vpbx.provisioning.export import tenant_text
from vpbx.model.tenant import OFFICE_HOURS, Holiday, StoredTenant, key_of
from vpbx.provisioning.read import read_tenant
from vpbx.reasons import Reason, item_name

# section -> (table, key column); a holiday's key is the whole holiday
TABLES = {"users": ("users", "extension"), "time_ranges": ("time_ranges", "name"),
          "holidays": ("holidays", None), "groups": ("call_groups", "name"),
          "numbers": ("global_numbers", "number")}
_KEY_FIELDS = {"users": "extension", "time_ranges": "name", "groups": "name",
               "numbers": "number"}
_PATH = re.compile(r"^(?P<section>[a-z_]+)\[(?P<index>\d+)\](?:\.(?P<field>[a-z_]+))?")
_ITEM_PATH = re.compile(r"(users|time_ranges|holidays|groups|numbers)\[(\d+)\]")


class NotFound(LookupError):
    """The tenant or the item does not exist (or is another tenant's)."""


@dataclass(frozen=True)
class Problem:
    """Why a change was refused. `field` is the edited item's field it is about (None: the
    item as a whole, or a tenant setting's name); `other` names another item in the way."""
    field: str | None
    reason: Reason
    other: Reason | None = None


@dataclass
class Outcome:
    """What a change did: change lines (empty: nothing to change), or the problems (then
    nothing was changed)."""
    changes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class CollectedProblems(Problems):
    """Problems kept as (path, reason) pairs, as well as lines."""

    def __init__(self):
        super().__init__("ui")
        self.found: list[tuple[str, Reason]] = []

    def add(self, path: str, reason: Reason) -> None:
        self.found.append((path, reason))
        super().add(path, reason)


# ---- reading ---------------------------------------------------------------------------------

def read_config(conn, slug: str) -> StoredTenant | None:
    """The tenant named `slug` as stored, read in one consistent snapshot; None if absent."""
    with conn.cursor() as cur:
        conn.begin()
        try:
            return read_tenant(cur, slug)
        finally:
            conn.rollback()


def _key_of_row(section: str, row: dict):
    """The provisioning key of an item from its row (a holiday: the Holiday itself)."""
    if section == "holidays":
        return Holiday(row["name"], row["first_day"], row["last_day"])
    return row["k"]


def _select_keys(section: str) -> str:
    table, column = TABLES[section]
    what = "name, first_day, last_day" if column is None else f"{column} AS k"
    return f"SELECT id, {what} FROM {table} WHERE tenant_id = %s"   # names from TABLES only


def item_ids(conn, tenant_id: int, section: str) -> dict:
    """The database id of each item of a section of the tenant, by provisioning key."""
    with conn.cursor() as cur:
        cur.execute(_select_keys(section) + " ORDER BY id", (tenant_id,))
        return {_key_of_row(section, row): row["id"] for row in cur.fetchall()}


def find_item(conn, tenant_id: int, section: str, item_id: int):
    """The key of the tenant's item with this id, or None when the tenant has no such item
    (whether it does not exist or is another tenant's)."""
    with conn.cursor() as cur:
        cur.execute(_select_keys(section) + " AND id = %s", (tenant_id, item_id))
        row = cur.fetchone()
    return _key_of_row(section, row) if row else None


# ---- changing --------------------------------------------------------------------------------

# Sections with tabs of their own that write them directly (vpbx.provisioning.presentation, vpbx.provisioning.directory,
# by the same rules): an edit of another section leaves them as they are, as a file without them
# would (a removed user leaves its presentation rule, a presented number cannot be removed).
_EDITED_ELSEWHERE = ("outgoing", "directory")


def document_of(stored: StoredTenant) -> dict:
    """The stored tenant as a tenant document (what `vpbx export` prints, loaded), without
    the sections other tabs edit (_EDITED_ELSEWHERE)."""
    document = yaml.load(tenant_text(stored),
                         Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    for section in _EDITED_ELSEWHERE:
        document.pop(section, None)
    return document


def _entry_key(section: str, entry: dict):
    """The key an entry of a document declares (None when it has none that is usable)."""
    name = _KEY_FIELDS.get(section)
    value = entry.get(name) if name and isinstance(entry, dict) else None
    return value if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def _rename_destinations(document: dict, kind: str, old, new) -> None:
    """Point every destination {kind: old} of the document at `new`."""
    def renamed(destination):
        if isinstance(destination, dict) and destination.get(kind) == old:
            return {kind: new}
        return destination
    for group in document.get("groups") or []:
        group["no_answer"] = renamed(group.get("no_answer"))
    for number in document.get("numbers") or []:
        number["outside_hours"] = renamed(number.get("outside_hours"))
        for route in number.get("routes") or []:
            route["to"] = renamed(route.get("to"))


def _rename_references(document: dict, section: str, old, new) -> None:
    """Rewrite the document's references to an item whose key changes from old to new."""
    if section == "groups":
        _rename_destinations(document, "group", old, new)
    elif section == "numbers":
        _rename_destinations(document, "voicemail", old, new)
    elif section == "time_ranges":
        for number in document.get("numbers") or []:
            for route in number.get("routes") or []:
                if route.get("range") == old:
                    route["range"] = new
    elif section == "users":
        for group in document.get("groups") or []:
            group["members"] = [new if member == old else member
                                for member in group.get("members") or []]


def _place(document: dict, stored: StoredTenant | None, section: str, old_key,
           entry: dict | None) -> int | None:
    """Replace (old_key given), add (old_key None) or remove (entry None) one item of the
    document's section; the index of the edited entry (last of its section), or None."""
    entries = document.setdefault(section, [])
    if old_key is not None:
        keys = [key_of(section, item) for item in getattr(stored.config, section)]
        if old_key not in keys:
            raise NotFound(f"no {item_name(section, old_key)}")
        entries.pop(keys.index(old_key))
    if entry is None:
        return None
    entries.append(entry)
    new_key = _entry_key(section, entry)
    if old_key is not None and new_key is not None and new_key != old_key:
        _rename_references(document, section, old_key, new_key)
    return len(entries) - 1


def _label(document: dict, section: str, index: int) -> Reason | str:
    """How a problem names an item of the document: "group Reception"."""
    try:
        entry = document[section][index]
    except (KeyError, IndexError, TypeError):
        return f"{section}[{index}]"
    key = _entry_key(section, entry) if section != "holidays" else entry.get("name")
    return item_name(section, key)


def _for_the_page(reason: Reason, document: dict) -> Reason:
    """The reason as a tenant's page says it: an item's path among its parameters
    ("users[2]") is the item's name ("user 201"), and a number taken by another tenant does
    not say by which."""
    params = {}
    for name, value in reason.params.items():
        if isinstance(value, Reason):
            value = _for_the_page(value, document)
        elif isinstance(value, str) and _ITEM_PATH.fullmatch(value):
            section, index = _ITEM_PATH.fullmatch(value).groups()
            value = _label(document, section, int(index))
        params[name] = value
    if reason.code == "number_of_tenant":
        return Reason("number_of_other_subscriber", number=params["number"])
    return Reason(reason.code, **params)


def _problems(found, document: dict, section: str | None, position: int | None,
              deleted: Reason | None) -> list[Problem]:
    """The collected (path, reason) pairs as Problems of the edited item (see module doc)."""
    problems = []
    for path, reason in found:
        reason = _for_the_page(reason, document)
        match = _PATH.match(path)
        if match is None:
            problems.append(Problem(path or None, reason))
        elif match["section"] == section and int(match["index"]) == position:
            problems.append(Problem(match["field"], reason))
        else:
            other = _label(document, match["section"], int(match["index"]))
            if position is not None and reason.code == "already_used" \
                    and reason.params["by"] == _label(document, section, position):
                # a value of the edited item is another item's: say it on the edited item
                value = reason.params["value"]
                entry = document[section][position]
                name = next((key for key, given in entry.items() if str(given) == str(value)),
                            None)
                problem = Problem(name, Reason("already_used", value=value, by=other))
            elif deleted is not None:
                problem = Problem(None, Reason("cannot_delete_still_used", item=deleted,
                                               by=other), other)
            else:
                problem = Problem(None, Reason("with_other", other=other, reason=reason), other)
            if problem not in problems:
                problems.append(problem)
    return problems


def _apply(conn, slug: str, build) -> Outcome:
    """Check and store the document `build(stored)` returns (document, section, position,
    deleted label) in one transaction, as `vpbx apply` does."""
    collected = CollectedProblems()
    document, section, position, deleted = {}, None, None, None
    try:
        with transaction(conn) as cur:
            stored = read_tenant(cur, slug)
            document, section, position, deleted = build(stored)
            changes = apply_tenant(cur, Node(collected, "", document))
    except pymysql.err.IntegrityError as exc:   # a concurrent change from elsewhere
        collected.add("", Reason("database_refused", error=exc.args[-1]))
    except ConfigurationBusy:
        collected.add("", Reason("configuration_busy"))
    if collected.found:
        return Outcome(problems=_problems(collected.found, document, section, position,
                                          deleted))
    if changes:
        notify_routing(conn)   # as apply_file does after commit
    return Outcome(changes=changes)


def save_item(conn, slug: str, section: str, old_key, entry: dict) -> Outcome:
    """Create (old_key None) or replace the item `old_key` of a section with `entry` (a
    tenant-file entry: {"name": …, "short_number": 401, …}). NotFound when the tenant or the
    item does not exist."""
    if section == "time_ranges" and old_key == OFFICE_HOURS \
            and _entry_key(section, entry) != OFFICE_HOURS:
        return Outcome(problems=[Problem("name", Reason("office_hours_name"))])

    def build(stored):
        if stored is None:
            raise NotFound(f"no tenant {slug}")
        document = document_of(stored)
        return document, section, _place(document, stored, section, old_key, entry), None
    return _apply(conn, slug, build)


def delete_item(conn, slug: str, section: str, key) -> Outcome:
    """Remove an item; refused, naming what still uses it, when something does."""
    if section == "time_ranges" and key == OFFICE_HOURS:
        return Outcome(problems=[Problem(None, Reason("office_hours_delete"))])

    def build(stored):
        if stored is None:
            raise NotFound(f"no tenant {slug}")
        document = document_of(stored)
        label = item_name(section, key.name if section == "holidays" else key)
        _place(document, stored, section, key, None)
        return document, section, None, label
    return _apply(conn, slug, build)


def save_settings(conn, slug: str, settings: dict) -> Outcome:
    """Change tenant settings (name, domain, timezone, access_code), or create the tenant
    when there is none named `slug` (then name and domain are required)."""
    def build(stored):
        return {"tenant": slug, **settings}, None, None, None
    return _apply(conn, slug, build)
