"""One call record per call (SPEC F11), as the tenant would read it afterwards."""
import time

import pytest

from vpbx.storage import connection as db

pytestmark = pytest.mark.integration


def record_of(platform, call_id, timeout=5.0, complete=True, until=None):
    """The record of a call, once the loader has stored it (with its outcome, and what
    `until(record)` waits for: each Kamailio worker spools the events it saw, so a call's
    end may be loaded a moment before its answer)."""
    conn = db.connect(platform.cfg)
    try:
        deadline = time.monotonic() + timeout
        while True:
            with conn.cursor() as cur:
                cur.execute("SELECT r.*, t.slug AS tenant, ct.slug AS callee_tenant"
                            " FROM call_records r LEFT JOIN tenants t ON t.id = r.tenant_id"
                            " LEFT JOIN tenants ct ON ct.id = r.callee_tenant_id"
                            " WHERE r.call_id = %s", (call_id,))
                row = cur.fetchone()
            if row and (row["outcome"] or not complete) and (until is None or until(row)):
                return row
            assert time.monotonic() < deadline, f"no complete call record for {call_id}: {row}"
            time.sleep(0.2)
    finally:
        conn.close()


def test_an_answered_internal_call(platform, phones):
    alice, bob = phones("alice"), phones("bob")
    alice.call("7961")
    call_id = bob.wait_incoming()["sip_call_id"]
    bob.answer()
    alice.wait_call_state("CONFIRMED")
    time.sleep(1.2)
    hung_up = time.time()
    alice.hangup()
    record = record_of(platform, call_id)
    assert (record["tenant"], record["callee_tenant"]) == ("acme", "acme")
    assert (record["caller"], record["dialled"], record["callee"]) == ("alice", "7961", "7961")
    assert record["outcome"] == "answered" and record["duration_s"] >= 1
    assert record["on_net"] == 1 and record["route"] == "extension:7961"
    assert record["started_at"] <= record["answered_at"] <= record["ended_at"]
    # the end event also carries both users' end of call (idle times of least-active groups)
    conn = db.connect(platform.cfg)
    with conn.cursor() as cur:
        cur.execute("SELECT u.username, UNIX_TIMESTAMP(u.last_call_end) AS ended FROM users u"
                    " JOIN tenants t ON t.id = u.tenant_id"
                    " WHERE t.slug = 'acme' AND u.username IN ('alice', 'bob')")
        ended = {row["username"]: float(row["ended"] or 0) for row in cur.fetchall()}
    conn.close()
    assert len(ended) == 2 and all(hung_up - 1 <= at <= time.time() + 1 for at in ended.values()), ended


def test_busy_and_missed_calls(platform, phones):
    alice, bob = phones("alice"), phones("bob")
    alice.call("7961")
    busy_id = bob.wait_incoming()["sip_call_id"]
    bob.reject(486)
    alice.wait_call_state("DISCONNECTED")
    alice.call("7961")
    missed_id = bob.wait_incoming()["sip_call_id"]
    alice.hangup()
    assert record_of(platform, busy_id)["outcome"] == "busy"
    missed = record_of(platform, missed_id)
    assert missed["outcome"] == "missed" and missed["answered_at"] is None
    assert missed["duration_s"] == 0


def test_a_group_call_names_the_group_and_the_member_who_answered(platform, phones):
    caller, m2, m3 = phones("cal"), phones("m2"), phones("m3")
    caller.call("403")                                   # Together: 7002 and 7003
    m2.wait_incoming()
    call_id = m3.wait_incoming()["sip_call_id"]
    m3.answer()
    caller.wait_call_state("CONFIRMED")
    caller.hangup()
    record = record_of(platform, call_id, until=lambda row: row["member"])
    assert record["group_name"] == "Together" and record["member"] == "7003"
    assert record["outcome"] == "answered" and record["tenant"] == "initech"


def test_an_unregistered_callee_leaves_a_missed_record(platform, phones):
    alice = phones("alice")
    alice.call("7970")
    alice.wait_call_state("DISCONNECTED")
    call_id = alice.events("call_state")[-1]["sip_call_id"]
    record = record_of(platform, call_id)
    assert record["outcome"] == "missed" and record["final_code"] == 480
