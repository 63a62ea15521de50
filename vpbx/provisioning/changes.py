"""How every writer of configuration changes it: in one locked transaction, then telling the
routing. `vpbx apply`, the web UI's edits (vpbx.provisioning.edit, edit_audio) and the
smaller writers (number assignments, the directory, presentation rules) all use these.
"""
from contextlib import contextmanager

import pymysql

from vpbx.live import state as live_state
from vpbx.settings import platform

_LOCK_SECONDS = 30


class ConfigurationBusy(RuntimeError):
    """Another vpbx command held the provisioning lock for too long."""


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
    """Tell the running Kamailio (if any) of the platform configuration this process runs
    with that the configuration changed; without this it notices within a second anyway."""
    with conn.cursor() as cur:
        cur.execute("SELECT value FROM platform_settings WHERE name = 'config_generation'")
        row = cur.fetchone()
    if row is not None:
        live_state.announce_generation(platform.load(), int(row["value"]))
