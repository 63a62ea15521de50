"""The request's database connection: opened on first use, closed when the request ends."""
from flask import current_app, g

from vpbx.storage import connection


def get_db():
    """The connection of this request (autocommit; vpbx.provisioning.edit opens its own
    transactions)."""
    if "db" not in g:
        g.db = connection.connect(current_app.config["VPBX"])
    return g.db


def close_db(_exc=None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        try:
            conn.close()
        except Exception:  # a connection that broke is being thrown away anyway
            pass


def query(sql: str, args: tuple = ()) -> list[dict]:
    """The rows of a parameterised query on the request's connection."""
    with get_db().cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


def query_one(sql: str, args: tuple = ()) -> dict | None:
    rows = query(sql, args)
    return rows[0] if rows else None


def execute(sql: str, args: tuple = ()) -> int:
    """Run a statement; the number of rows it changed."""
    with get_db().cursor() as cur:
        return cur.execute(sql, args)
