"""The public API of every section writer of `vpbx apply` (vpbx.provisioning.write and the
media and outgoing sections' writers): store a section's wanted items over its current ones,
as change lines.

Items are matched across applies by their key (extension, name, number: model.tenant.key_of);
a section's `Writer` says how its rows are inserted, updated and deleted, and `sync` runs them
in the order that keeps unique columns satisfied: removals, then `prepare` (moving values
that change hands out of the way), then creations and updates.
"""
from dataclasses import dataclass

from vpbx.model.tenant import key_of


@dataclass
class Changes:
    """How a section's wanted items differ from its current ones (matched by key)."""
    current: list
    wanted: list
    created: list
    updated: list[tuple]    # (old, new)
    removed: list


def _compare(writer, current: list, wanted: list) -> Changes:
    """Match a section's current and wanted items by key."""
    def key(item):
        return key_of(writer.section, item)

    before = {key(item): item for item in current}
    wanted_keys = {key(item) for item in wanted}
    changes = Changes(current, wanted, created=[], updated=[],
                      removed=[item for item in current if key(item) not in wanted_keys])
    for item in wanted:
        old = before.get(key(item))
        if old is None:
            changes.created.append(item)
        elif writer.needs_update(old, item):
            changes.updated.append((old, item))
    return changes


def sync(cur, tenant_id: int, writer: "Writer", current: list, wanted: list, *,
         delete_removed: bool = True) -> tuple[list[str], Changes]:
    """Make a section's rows match `wanted`; the change lines, and the changes (whose
    removals are left to the caller, see `remove`, when `delete_removed` is False)."""
    changes = _compare(writer, current, wanted)
    lines = remove(cur, tenant_id, writer, changes.removed) if delete_removed else []
    writer.prepare(cur, tenant_id, changes)
    for item in changes.created:
        lines += writer.insert(cur, tenant_id, item)
    for old, new in changes.updated:
        lines += writer.update(cur, tenant_id, old, new)
    return lines, changes


def remove(cur, tenant_id: int, writer: "Writer", items: list) -> list[str]:
    """Delete a section's `items`; their change lines."""
    lines = []
    for item in items:
        lines += writer.delete(cur, tenant_id, item)
    return lines


class Writer:
    """How one section's items are stored; subclasses give the SQL."""
    section = ""
    noun = ""

    def label(self, item) -> str:
        """How change lines name the item: "group Reception"."""
        return f"{self.noun} {key_of(self.section, item)}"

    def needs_update(self, old, new) -> bool:
        """Whether a stored item (`old`) must be rewritten as `new`."""
        return old != new

    def prepare(self, cur, tenant_id: int, changes: Changes) -> None:
        """Run after removals, before creations and updates (default: nothing to do)."""

    def insert(self, cur, tenant_id: int, item) -> list[str]:
        """Store a new item; its change lines."""
        raise NotImplementedError

    def update(self, cur, tenant_id: int, old, new) -> list[str]:
        """Rewrite a stored item (same key); its change lines."""
        raise NotImplementedError

    def delete(self, cur, tenant_id: int, item) -> list[str]:
        """Remove a stored item; its change lines."""
        raise NotImplementedError
