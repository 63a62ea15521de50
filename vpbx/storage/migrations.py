"""Versioned schema migrations: sql/migrations/NNNN_name.sql applied in order, each once.

Applied versions are recorded in `vpbx_schema_migrations`; re-running applies only the new
ones, so an upgrade never drops data. A migration file is plain SQL, statements ending with
a semicolon at the end of a line.
"""
import hashlib
import os
import re

from vpbx import PROJECT_ROOT

MIGRATIONS_DIR = os.path.join(PROJECT_ROOT, "sql", "migrations")
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


def available(directory: str = MIGRATIONS_DIR) -> list[tuple[int, str, str]]:
    """(version, name, path) of every migration file, in version order."""
    found = []
    for entry in sorted(os.listdir(directory)):
        match = _NAME.match(entry)
        if match:
            found.append((int(match.group(1)), match.group(2), os.path.join(directory, entry)))
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"two migrations share a version number in {directory}")
    return found


def split_statements(sql: str) -> list[str]:
    """The statements of a migration file (comments dropped, split on ';' ending a line)."""
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in re.split(r";\s*$", "\n".join(lines), flags=re.M) if s.strip()]


def applied_versions(conn) -> set[int]:
    with conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS vpbx_schema_migrations ("
            " version INT UNSIGNED PRIMARY KEY NOT NULL, name VARCHAR(128) NOT NULL,"
            " sha256 CHAR(64) NOT NULL,"
            " applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)")
        cur.execute("SELECT version FROM vpbx_schema_migrations")
        return {row["version"] for row in cur.fetchall()}


def migrate(conn, directory: str = MIGRATIONS_DIR) -> list[str]:
    """Apply the migrations not applied yet; returns the names of those applied now."""
    done = applied_versions(conn)
    applied = []
    for version, name, path in available(directory):
        if version in done:
            continue
        with open(path, encoding="utf-8") as handle:
            sql = handle.read()
        with conn.cursor() as cur:
            for statement in split_statements(sql):
                cur.execute(statement)
            cur.execute("INSERT INTO vpbx_schema_migrations (version, name, sha256)"
                        " VALUES (%s, %s, %s)",
                        (version, name, hashlib.sha256(sql.encode()).hexdigest()))
        conn.commit()
        applied.append(f"{version:04d}_{name}")
    return applied
