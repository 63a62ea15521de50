"""Migrations against a real database: applied once, recorded, re-run applies nothing."""
from vpbx.storage import migrations as migrate


def test_schema_is_migrated_and_recorded(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT version FROM vpbx_schema_migrations ORDER BY version")
        versions = [row["version"] for row in cur.fetchall()]
        cur.execute("SELECT table_version FROM version WHERE table_name = 'location'")
        location_version = cur.fetchone()["table_version"]
    assert versions == [v for v, _, _ in migrate.available()]
    assert location_version == 9            # Kamailio's own table, as Kamailio defines it


def test_running_migrations_again_changes_nothing_and_keeps_data(conn):
    with conn.cursor() as cur:
        cur.execute("INSERT INTO tenants (slug, name, domain) VALUES ('t1', 'T1', 't1.test')")
    assert migrate.migrate(conn) == []
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) AS n FROM tenants")
        assert cur.fetchone()["n"] == 1
