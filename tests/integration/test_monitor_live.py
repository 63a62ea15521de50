"""The activity monitor against the real platform: registered, absent and busy members."""
import time

import pytest

from vpbx import db
from webui import accounts, create_app

pytestmark = pytest.mark.integration


@pytest.fixture
def monitor_api(platform):
    """GET the monitor of tenant initech through the JSON API, with a real token."""
    conn = db.connect(platform.cfg)
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM tenants WHERE slug = 'initech'")
        tenant_id = cur.fetchone()["id"]
    login = f"monitor-{time.monotonic_ns()}"
    account = accounts.create_account(conn, login, "a long password!", tenant_id=tenant_id)
    token = accounts.create_token(conn, account.id, "integration test")
    client = create_app(platform.cfg).test_client()

    def get():
        response = client.get("/api/v1/monitor", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.data
        body = response.get_json()
        return body, {m["extension"]: m["state"] for g in body["groups"] for m in g["members"]}

    yield get
    conn.close()


def wait_for(get, predicate, timeout=8.0):
    deadline = time.monotonic() + timeout
    while True:
        body, states = get()
        if predicate(states) or time.monotonic() > deadline:
            return body, states
        time.sleep(0.3)


def test_monitor_shows_registered_absent_and_busy_members(platform, phones, monitor_api):
    m1, m2, m3 = phones("m1"), phones("m2"), phones("m3")
    # usrloc writes the location table back on its timer, binding by binding in the order of
    # its hash table: m3's row can be there before m1's
    body, states = wait_for(monitor_api, lambda s: all(s.get(extension) == "registered"
                                                       for extension in ("7001", "7002", "7003")))
    assert body["busy_known"] is True
    assert states["7004"] == "absent" and states["7001"] == "registered"
    m1.call("7002")
    m2.wait_incoming()
    m2.answer()
    m1.wait_call_state("CONFIRMED")
    body, states = wait_for(monitor_api, lambda s: s.get("7002") == "busy")
    assert states["7001"] == "busy" and states["7002"] == "busy" and states["7003"] == "registered"
    assert body["absent_users"] >= 1 and body["unavailable_phones"] == 2
    m1.hangup()
    body, states = wait_for(monitor_api, lambda s: s.get("7001") == "registered")
    assert states["7002"] == "registered"
