"""The routing's reads (vpbx.storage.routing_data.SipStore) against a real database: what a call reads, and
when — the members' state only when the plan needs it, addresses of record from the cached
configuration, idle times written at once only where a least-active group reads them."""
import time

import pytest

from vpbx.engine.ring_plan import ring_plan
from vpbx.model.tenant import Group
from vpbx.records.call_records import store_call_end
from vpbx.storage import routing_data as store_mod


class CountingStore(store_mod.SipStore):
    """A SipStore that counts its round trips to the database."""

    def __init__(self, cfg):
        super().__init__(cfg)
        self.queries = 0

    def _run(self, work):
        self.queries += 1
        return super()._run(work)


@pytest.fixture
def tenant(conn):
    """Tenant t: users 7001-7004; Turn (cyclic: 7001, 7002; 7002 answered last), Calm
    (least active: 7002, 7003) and Line (hierarchical: 7004)."""
    with conn.cursor() as cur:
        cur.execute("INSERT INTO tenants (slug, name, domain) VALUES ('t', 'T', 't.test')")
        tenant_id = cur.lastrowid
        cur.executemany("INSERT INTO users (tenant_id, extension, name, username)"
                        " VALUES (%s, %s, %s, %s)",
                        [(tenant_id, ext, f"User {ext}", f"u{ext}")
                         for ext in ("7001", "7002", "7003", "7004")])
        cur.execute("SELECT id, extension FROM users WHERE tenant_id = %s", (tenant_id,))
        users = {row["extension"]: row["id"] for row in cur.fetchall()}
        for name, short, distribution, members in (("Turn", 401, "cyclic", ("7001", "7002")),
                                                   ("Calm", 402, "least_active", ("7002", "7003")),
                                                   ("Line", 403, "hierarchical", ("7004",))):
            cur.execute("INSERT INTO call_groups (tenant_id, name, short_number, distribution)"
                        " VALUES (%s, %s, %s, %s)", (tenant_id, name, short, distribution))
            group_id = cur.lastrowid
            cur.executemany("INSERT INTO group_members (group_id, user_id, position)"
                            " VALUES (%s, %s, %s)",
                            [(group_id, users[ext], i) for i, ext in enumerate(members, 1)])
        cur.execute("UPDATE call_groups SET last_answered_user_id = %s WHERE name = 'Turn'",
                    (users["7002"],))
        cur.execute("UPDATE users SET last_call_end = FROM_UNIXTIME(1900000000)"
                    " WHERE extension = '7003'")
    return tenant_id


@pytest.fixture
def sip_store(throwaway_db, tenant):
    store = CountingStore(throwaway_db)
    store.begin_request(0)
    yield store
    store.close()


def test_the_members_state_is_read_on_first_use_only(sip_store, tenant):
    before = sip_store.queries
    last_answered, idle_since = sip_store.member_state(tenant)
    assert sip_store.queries == before                     # nothing read yet
    assert last_answered.get("Turn") == "7002" and last_answered.get("Line") is None
    assert sip_store.queries == before + 2                 # one per group asked for
    assert last_answered.get("Turn") == "7002" and sip_store.queries == before + 2
    assert dict(idle_since) == {"7002": None, "7003": 1900000000.0}
    assert idle_since.get("7003") == 1900000000.0 and sip_store.queries == before + 3
    # per call: the next call reads again (an answer in between moves the cyclic pointer)
    again, _ = sip_store.member_state(tenant)
    assert again.get("Turn") == "7002" and sip_store.queries == before + 4


def test_addresses_of_record_come_from_the_cached_configuration(sip_store, tenant):
    found = sip_store.tenant_by_domain("t.test")
    config = sip_store.tenant_config(found)
    before = sip_store.queries
    aors = sip_store.member_aors(found, config)
    assert sip_store.queries == before
    assert aors == {ext: sip_store.user_by_extension(tenant, ext).aor
                    for ext in ("7001", "7002", "7003", "7004")}


def test_idle_times_are_written_at_once_only_for_members_of_least_active_groups(
        sip_store, conn, tenant):
    sip_store.record_call_end([(tenant, "7001"), (tenant, "7002"), (tenant, "7004")])
    with conn.cursor() as cur:
        cur.execute("SELECT extension FROM users WHERE last_call_end IS NOT NULL"
                    " ORDER BY extension")
        written = [row["extension"] for row in cur.fetchall()]
    # 7002 is in Calm (least active); 7001 and 7004 come through the call-record spool
    assert written == ["7002", "7003"]


def calm_order(sip_store, tenant) -> list[str]:
    """Who Calm (least active: 7002, 7003 in list order) rings first to last, as a call's
    plan reads it from the database."""
    _last_answered, idle_since = sip_store.member_state(tenant)
    group = Group("Calm", 402, "least_active", 1, 1, ("7002", "7003"))
    return [step.members[0] for step in ring_plan(group, idle_since=dict(idle_since))]


def test_idle_times_keep_fractions_of_a_second_through_the_call_record_spool(
        sip_store, conn, tenant):
    """7003's call ended 0.3 s before 7002's, within the same second: 7003 has been idle
    longer and rings first (to the second, they tied and list order put 7002 first)."""
    with conn.cursor() as cur:
        store_call_end(cur, f"{tenant}:7003", 2000000000.1)
        store_call_end(cur, f"{tenant}:7002", 2000000000.4)
    _last_answered, idle_since = sip_store.member_state(tenant)
    assert dict(idle_since) == {"7002": pytest.approx(2000000000.4, abs=1e-6),
                                "7003": pytest.approx(2000000000.1, abs=1e-6)}
    assert calm_order(sip_store, tenant) == ["7003", "7002"]


def test_idle_times_written_at_once_keep_fractions_of_a_second(sip_store, conn, tenant):
    """The routing's own write (at the end of a call) within one second: 7003 then 7002."""
    while time.time() % 1 > 0.5:          # both ends within the same second of the clock
        time.sleep(0.05)
    sip_store.record_call_end([(tenant, "7003")])
    time.sleep(0.05)
    sip_store.record_call_end([(tenant, "7002")])
    _last_answered, idle_since = sip_store.member_state(tenant)
    assert 0.04 < idle_since["7002"] - idle_since["7003"] < 1
    assert calm_order(sip_store, tenant) == ["7003", "7002"]


def test_a_group_s_ringback_tone_is_cached_until_the_configuration_changes(sip_store, conn,
                                                                           tenant):
    assert sip_store.group_ringback(tenant, "Turn") is None
    before = sip_store.queries
    assert sip_store.group_ringback(tenant, "Turn") is None and sip_store.queries == before
    with conn.cursor() as cur:
        cur.execute("INSERT INTO audio_files (tenant_id, kind, name, sha256, path)"
                    " VALUES (%s, 'ringback', 'Tone', %s, 'audio/tone.wav')",
                    (tenant, "0" * 64))
        cur.execute("UPDATE call_groups SET ringback_audio_id = %s WHERE name = 'Turn'",
                    (cur.lastrowid,))
        cur.execute("UPDATE platform_settings SET value = value + 1"
                    " WHERE name = 'config_generation'")
    sip_store.begin_request(1)              # the change announced: the next request sees it
    assert sip_store.group_ringback(tenant, "Turn")["path"] == "audio/tone.wav"


def test_the_known_carrier_never_asks_the_database(sip_store, conn):
    with conn.cursor() as cur:
        cur.execute("INSERT INTO platform_settings (name, value) VALUES"
                    " ('carrier_address', '127.0.0.2'), ('carrier_port', '5070')")
    before = sip_store.queries
    assert sip_store.known_carrier() is None and sip_store.queries == before   # not read yet
    assert sip_store.carrier() == ("127.0.0.2", 5070)
    before = sip_store.queries
    assert sip_store.known_carrier() == ("127.0.0.2", 5070) and sip_store.queries == before
    with conn.cursor() as cur:
        cur.execute("UPDATE platform_settings SET value = value + 1"
                    " WHERE name = 'config_generation'")
    sip_store.begin_request(1)              # a change: what the worker knew is forgotten
    assert sip_store.known_carrier() is None


def test_a_database_that_does_not_answer_in_time_is_not_asked_twice(throwaway_db):
    """A read that timed out is not retried on a new connection (it would wait again)."""
    import pymysql

    store = CountingStore(throwaway_db)
    calls = []

    def stalled(cur):
        calls.append(1)
        raise pymysql.err.OperationalError(2013, "Lost connection to MySQL server during query"
                                                 " (timed out)")
    store.ping()                            # a connection in use: a lost one would be retried
    with pytest.raises(store_mod.DatabaseUnavailable):
        store.read(stalled)
    assert len(calls) == 1
    store.ping()                            # a connection in use again

    def dropped(cur):
        calls.append(1)
        if len(calls) == 2:
            raise pymysql.err.OperationalError(2006, "MySQL server has gone away")
        return "read again"
    assert store.read(dropped) == "read again" and len(calls) == 3
    store.close()
