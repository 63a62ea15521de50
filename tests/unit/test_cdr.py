"""Call records: events from the spool become one row per call, in any order, and wait in
the spool while the database is away."""
import dataclasses
import json
import os

import pytest

from vpbx.records import call_records as cdr
from vpbx.storage import connection as db


def spool(cfg, name, events, tail=""):
    folder = cdr.spool_dir(cfg.data_dir)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    with open(path, "a") as handle:
        handle.write("".join(json.dumps(e) + "\n" for e in events) + tail)
    return path


def rows(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT call_id, caller, dialled, callee, outcome, final_code, group_name,"
                    " member, on_net, route, duration_s, started_at IS NOT NULL AS started"
                    " FROM call_records ORDER BY call_id")
        return list(cur.fetchall())


@pytest.fixture
def tenant_id(conn):
    with conn.cursor() as cur:
        cur.execute("INSERT INTO tenants (slug, name, domain) VALUES ('t', 'T', 't.test')")
        return cur.lastrowid


@pytest.mark.parametrize("code, answered, voicemail, expected", [
    (200, True, False, "answered"), (200, True, True, "voicemail"), (486, False, False, "busy"),
    (487, False, False, "missed"), (480, False, False, "missed"), (503, False, False, "failed")])
def test_outcomes(code, answered, voicemail, expected):
    assert cdr.outcome_of(code, answered, voicemail) == expected


def test_events_in_any_order_make_one_record(throwaway_db, conn, tenant_id):
    spool(throwaway_db, "events-2026010100-2.jsonl", [
        {"kind": "end", "call_id": "c1", "ts": 1000.0 + 65, "final_code": 200, "outcome": "answered"},
        {"kind": "answer", "call_id": "c1", "ts": 1003.0, "callee": "7961", "member": "7961",
         "group_name": "Reception"}])
    spool(throwaway_db, "events-2026010100-1.jsonl", [
        {"kind": "start", "call_id": "c1", "ts": 1000.0, "tenant_id": tenant_id,
         "callee_tenant_id": tenant_id, "caller": "alice", "dialled": "401", "on_net": 1,
         "route": "group:Reception>hangup"}])
    assert cdr.Loader(throwaway_db).load_once() == 3
    (record,) = rows(conn)
    assert record["caller"] == "alice" and record["outcome"] == "answered"
    assert record["member"] == "7961" and record["group_name"] == "Reception"
    assert record["duration_s"] == 62 and record["on_net"] == 1 and record["started"] == 1


def test_a_partial_line_waits_for_its_end(throwaway_db, conn, tenant_id):
    path = spool(throwaway_db, "events-2026010100-1.jsonl",
                 [{"kind": "start", "call_id": "c2", "ts": 1.0, "tenant_id": tenant_id}],
                 tail='{"kind": "end", "call_id": "c2", ')
    loader = cdr.Loader(throwaway_db)
    assert loader.load_once() == 1
    with open(path, "a") as handle:
        handle.write('"ts": 2.0, "final_code": 486, "outcome": "busy"}\n')
    assert loader.load_once() == 1
    assert rows(conn)[0]["outcome"] == "busy" and rows(conn)[0]["final_code"] == 486


def test_records_wait_in_the_spool_while_the_database_is_away(throwaway_db, conn, tenant_id):
    spool(throwaway_db, "events-2026010100-1.jsonl",
          [{"kind": "start", "call_id": "c3", "ts": 1.0, "tenant_id": tenant_id}])
    away = dataclasses.replace(throwaway_db, db_port=1)          # nothing listens there
    with pytest.raises(db.pymysql.err.OperationalError):
        cdr.Loader(away).load_once()
    assert list(rows(conn)) == []
    assert cdr.Loader(throwaway_db).load_once() == 1             # nothing was lost
    assert [r["call_id"] for r in rows(conn)] == ["c3"]
    assert cdr.Loader(throwaway_db).load_once() == 0             # and nothing twice


def test_a_finished_file_of_a_past_hour_is_removed(throwaway_db, tenant_id):
    path = spool(throwaway_db, "events-2000010100-1.jsonl",
                 [{"kind": "start", "call_id": "c4", "ts": 1.0, "tenant_id": tenant_id}])
    loader = cdr.Loader(throwaway_db)
    loader.load_once()
    loader.load_once()
    assert not os.path.exists(path)


def test_an_end_carries_its_users_end_time_and_an_older_one_never_wins(throwaway_db, conn,
                                                                       tenant_id):
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO users (tenant_id, extension, name, username)"
                        " VALUES (%s, %s, %s, %s)",
                        [(tenant_id, ext, ext, f"u{ext}") for ext in ("7001", "7002", "7003")])
    spool(throwaway_db, "events-2026010100-1.jsonl", [
        {"kind": "end", "call_id": "c5", "ts": 2000000000.0, "final_code": 200,
         "outcome": "answered", "parties": f"{tenant_id}:7001,{tenant_id}:7002"},
        {"kind": "end", "call_id": "c6", "ts": 1900000000.0, "final_code": 200,
         "outcome": "answered", "parties": f"{tenant_id}:7002"}])   # older, written later
    assert cdr.Loader(throwaway_db).load_once() == 2
    with conn.cursor() as cur:
        cur.execute("SELECT extension, UNIX_TIMESTAMP(last_call_end) AS ended FROM users"
                    " ORDER BY extension")
        ended = {row["extension"]: row["ended"] for row in cur.fetchall()}
    assert ended == {"7001": 2000000000, "7002": 2000000000, "7003": None}
    assert [r["outcome"] for r in rows(conn)] == ["answered", "answered"]
