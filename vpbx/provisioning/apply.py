"""Configuration as code: what `vpbx apply`, `vpbx export` and `vpbx delete` do.

The file formats and the behaviour are a public contract (../shared/CONFIG-FORMAT.md):
`apply_file` checks everything first and reports each problem as `FILE: path: reason`; only
a file without any problem is stored, in one transaction, and only what differs from the
database is written, so applying the same file twice changes nothing the second time.

The work is split by concern (modules of vpbx.provisioning unless named in full):
  vpbx.model.tenant  the configuration as plain values
  document           reading YAML with paths, and the value validators
  rules              the rules of platform and tenant files (with media_rules, outgoing_rules)
  read               the stored configuration, and what other tenants own
  write              storing the difference, with change lines (writer: the sections' API)
  changes            the locked transaction every writer uses, and telling the routing
  export             printing a stored tenant as a tenant file (and the platform file)
  assignments        the numbers the carrier assigned to each tenant (platform file numbers:)
"""
from contextlib import contextmanager
from dataclasses import dataclass, field

import pymysql

from vpbx.provisioning import assignments, rules, write
from vpbx.provisioning.changes import ConfigurationBusy, mark_changed, notify_routing, transaction
from vpbx.provisioning.document import Node, Problems, load_yaml
from vpbx.provisioning.export import platform_text, tenant_text
from vpbx.provisioning.read import OtherTenants, find_tenant_id, read_platform, read_tenant
from vpbx.reasons import Reason
from vpbx.voicemail import store as voicemail_store


@dataclass
class ApplyResult:
    """What `apply_file` did: change lines (empty: nothing changed), or the problems found
    (then nothing was changed)."""
    changes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@contextmanager
def _snapshot(conn):
    """A cursor reading one consistent state of the database (a transaction rolled back)."""
    with conn.cursor() as cur:
        conn.begin()
        try:
            yield cur
        finally:
            conn.rollback()


def _apply_platform(cur, root: Node) -> list[str]:
    """Check and store a platform file; its change lines (none when it has problems)."""
    parsed = rules.parse_platform(root)
    if root.problems:
        return []
    rules.check_platform(parsed, assignments.uses(cur), root.problems)
    if root.problems:
        return []
    changes = write.write_platform(cur, parsed.settings)
    if changes:
        mark_changed(cur)
    if parsed.assignments is not None:
        changes += write.write_assignments(cur, parsed.assignments)
    return changes


def apply_tenant(cur, root: Node) -> list[str]:
    """Check a tenant file against the database, and store it only if it has no problem."""
    parsed = rules.parse_tenant(root)
    if parsed.tenant.slug is None:
        return []
    stored = read_tenant(cur, parsed.tenant.slug)
    others = OtherTenants(cur, stored.id if stored else 0, parsed.tenant.slug)
    tenant = rules.check_tenant(parsed, stored, others, root.problems)
    if root.problems:
        return []
    changes = write.write_tenant(cur, tenant, stored)
    if changes:
        mark_changed(cur, tenant.slug)
    return changes


def apply_file(conn, path) -> ApplyResult:
    """Create or update what a platform or tenant file describes (see the module doc)."""
    problems = Problems(str(path))
    document = load_yaml(str(path), problems)
    root = Node(problems, "", document)
    kind = rules.document_kind(root) if not problems else None
    if kind is None:
        return ApplyResult(problems=problems.lines)
    apply = _apply_platform if kind == "platform" else apply_tenant
    try:
        with transaction(conn) as cur:
            changes = apply(cur, root)
    except pymysql.err.IntegrityError as exc:   # a concurrent change from outside vpbx
        problems.add("", Reason("database_refused", error=exc.args[-1]))
    except ConfigurationBusy:
        problems.add("", Reason("configuration_busy"))
    if problems:
        return ApplyResult(problems=problems.lines)
    if changes:
        notify_routing(conn)
    return ApplyResult(changes=changes)


def export_tenant(conn, slug: str) -> str | None:
    """The tenant named `slug` as a tenant file (users without password), or None."""
    with _snapshot(conn) as cur:
        stored = read_tenant(cur, slug)
    return tenant_text(stored) if stored else None


def export_platform(conn) -> str:
    """The platform as a platform file: the carrier and every number assignment."""
    with _snapshot(conn) as cur:
        return platform_text(read_platform(cur), assignments.read(cur))


def delete_tenant(conn, slug: str, data_dir: str | None = None, log=None) -> bool:
    """Remove the tenant named `slug`, its SIP accounts and registrations and everything it
    owns, in one transaction; False when there is no such tenant. With `data_dir`, its voice
    messages' files (recordings, callers' numbers) are then deleted from the data folder: the
    database goes first, so the tenant is never half deleted; a file that cannot be deleted
    is logged, and the media application's sweep (voicemail recover_messages) deletes it
    later since its mailbox no longer exists."""
    with transaction(conn) as cur:
        tenant_id = find_tenant_id(cur, slug)
        if tenant_id is None:
            return False
        box_ids = voicemail_store.tenant_box_ids(cur, tenant_id)
        write.delete_tenant(cur, tenant_id)
        mark_changed(cur)
    notify_routing(conn)
    if data_dir is not None:
        voicemail_store.remove_box_folders(data_dir, box_ids, log)
    return True
