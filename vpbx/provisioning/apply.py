"""Configuration as code: what `vpbx apply`, `vpbx export` and `vpbx delete` do.

The file formats and the behaviour are a public contract (../shared/CONFIG-FORMAT.md):
`apply_file` checks everything first and reports each problem as `FILE: path: reason`; only
a file without any problem is stored, in one transaction, and only what differs from the
database is written, so applying the same file twice changes nothing the second time.

The work is split by concern:
  provision_model   the configuration as plain values
  provision_doc     reading YAML with paths, and the value validators
  provision_check   the rules of platform and tenant files
  provision_read    the stored configuration, and what other tenants own
  provision_write   storing the difference, with change lines
  provision_export  printing a stored tenant as a tenant file (and the platform file)
  assignments       the numbers the carrier assigned to each tenant (platform file numbers:)
"""
from contextlib import contextmanager
from dataclasses import dataclass, field

import pymysql

from vpbx.provisioning import assignments
from vpbx.provisioning import rules as check
from vpbx.provisioning.document import Node, Problems, load_yaml
from vpbx.provisioning.export import platform_text, tenant_text
from vpbx.provisioning.read import OtherTenants, find_tenant_id, read_platform, read_tenant
from vpbx.provisioning.write import delete_tenant as _delete_tenant_rows
from vpbx.provisioning.write import write_assignments, write_platform, write_tenant
from vpbx.reasons import Reason

_LOCK_SECONDS = 30


class ConfigurationBusy(RuntimeError):
    """Another vpbx command held the provisioning lock for too long."""


@dataclass
class ApplyResult:
    """What `apply_file` did: change lines (empty: nothing changed), or the problems found
    (then nothing was changed)."""
    changes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@contextmanager
def transaction(conn):
    """A cursor in one transaction, committed at the end and rolled back on any exception.
    Runs of vpbx on the same database take turns (a named lock), so that what was checked
    is still true when it is written."""
    with conn.cursor() as cur:
        cur.execute("SELECT GET_LOCK(CONCAT('vpbx-provision:', DATABASE()), %s) AS locked",
                    (_LOCK_SECONDS,))
        if cur.fetchone()["locked"] != 1:
            raise ConfigurationBusy("another vpbx command is changing the configuration; "
                                    "try again")
        try:
            conn.begin()
            try:
                yield cur
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
        finally:
            _release_lock(cur)


def _release_lock(cur) -> None:
    """Release the provisioning lock; a connection that is gone has released it already."""
    try:
        cur.execute("DO RELEASE_LOCK(CONCAT('vpbx-provision:', DATABASE()))")
    except pymysql.err.Error:
        pass    # the lock dies with its connection; the original error is the one to see


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
    parsed = check.parse_platform(root)
    if root.problems:
        return []
    check.check_platform(parsed, assignments.uses(cur), root.problems)
    if root.problems:
        return []
    changes = write_platform(cur, parsed.settings)
    if changes:
        mark_changed(cur)
    if parsed.assignments is not None:
        changes += write_assignments(cur, parsed.assignments)
    return changes


def apply_tenant(cur, root: Node) -> list[str]:
    """Check a tenant file against the database, and store it only if it has no problem."""
    parsed = check.parse_tenant(root)
    if parsed.tenant.slug is None:
        return []
    stored = read_tenant(cur, parsed.tenant.slug)
    others = OtherTenants(cur, stored.id if stored else 0, parsed.tenant.slug)
    tenant = check.check_tenant(parsed, stored, others, root.problems)
    if root.problems:
        return []
    changes = write_tenant(cur, tenant, stored)
    if changes:
        mark_changed(cur, tenant.slug)
    return changes


def mark_changed(cur, slug: str | None = None, *, tenant_id: int | None = None) -> None:
    """Every writer of configuration calls this in its transaction: the tenant's (by slug or
    id) config_version and the platform's generation move on, so the routing's caches are
    refreshed (call `notify_routing` after the commit to make it immediate)."""
    if slug is not None:
        cur.execute("UPDATE tenants SET config_version = config_version + 1 WHERE slug = %s",
                    (slug,))
    if tenant_id is not None:
        cur.execute("UPDATE tenants SET config_version = config_version + 1 WHERE id = %s",
                    (tenant_id,))
    cur.execute("UPDATE platform_settings SET value = value + 1"
                " WHERE name = 'config_generation'")


def notify_routing(conn) -> None:
    """Tell the running Kamailio (if any) that the configuration changed; without this it
    notices within a second anyway."""
    from vpbx.settings import platform as config_mod
    from vpbx.live import state as live    # the platform config of this command
    with conn.cursor() as cur:
        cur.execute("SELECT value FROM platform_settings WHERE name = 'config_generation'")
        row = cur.fetchone()
    if row is not None:
        live.announce_generation(config_mod.load(), int(row["value"]))


def apply_file(conn, path) -> ApplyResult:
    """Create or update what a platform or tenant file describes (see the module doc)."""
    problems = Problems(str(path))
    document = load_yaml(str(path), problems)
    root = Node(problems, "", document)
    kind = check.document_kind(root) if not problems else None
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


def delete_tenant(conn, slug: str) -> bool:
    """Remove the tenant named `slug`, its SIP accounts and registrations and everything it
    owns, in one transaction; False when there is no such tenant."""
    with transaction(conn) as cur:
        tenant_id = find_tenant_id(cur, slug)
        if tenant_id is None:
            return False
        _delete_tenant_rows(cur, tenant_id)
        mark_changed(cur)
    notify_routing(conn)
    return True
