"""The call records page: a tenant sees its own calls only, filtered, and exports them."""
import csv
import io

import pytest

from vpbx.records import call_records as cdr


@pytest.fixture
def records(conn):
    """Two calls of acme (one internal answered, one external busy) and one of globex."""
    with conn.cursor() as cur:
        cur.execute("SELECT slug, id FROM tenants")
        ids = {row["slug"]: row["id"] for row in cur.fetchall()}
        cur.execute("DELETE FROM call_records")
    for event in (
            {"kind": "start", "call_id": "a1", "ts": 1_800_000_000, "tenant_id": ids["acme"],
             "callee_tenant_id": ids["acme"], "caller": "julien", "dialled": "7961", "on_net": 1},
            {"kind": "answer", "call_id": "a1", "ts": 1_800_000_002, "callee": "7961",
             "member": "7961"},
            {"kind": "end", "call_id": "a1", "ts": 1_800_000_062, "final_code": 200,
             "outcome": "answered"},
            {"kind": "start", "call_id": "a2", "ts": 1_800_000_100, "tenant_id": ids["acme"],
             "caller": "marie", "dialled": "00219876543", "on_net": 0, "route": "carrier"},
            {"kind": "end", "call_id": "a2", "ts": 1_800_000_105, "final_code": 486,
             "outcome": "busy"},
            {"kind": "start", "call_id": "g1", "ts": 1_800_000_200, "tenant_id": ids["globex"],
             "callee_tenant_id": ids["globex"], "caller": "secret-globex-caller",
             "dialled": "555", "on_net": 1}):
        with conn.cursor() as cur:
            cdr.store_event(cur, event)
    yield ids
    with conn.cursor() as cur:
        cur.execute("DELETE FROM call_records")


def test_a_tenant_sees_only_its_own_calls(acme, globex, records):
    page = acme.get("/calls/").get_data(as_text=True)
    assert "julien" in page and "00219876543" in page
    assert "secret-globex-caller" not in page
    assert "julien" not in globex.get("/calls/").get_data(as_text=True)


def test_filters_and_csv_export(acme, records):
    busy = acme.get("/calls/?outcome=busy").get_data(as_text=True)
    assert "00219876543" in busy and "julien" not in busy
    by_user = acme.get("/calls/?user=julien").get_data(as_text=True)
    assert "julien" in by_user and "marie" not in by_user
    assert "julien" not in acme.get("/calls/?from=2030-01-01").get_data(as_text=True)
    response = acme.get("/calls/export.csv?number=7961")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["caller"], r["outcome"], r["duration_s"], r["on_net"]) for r in rows] \
        == [("julien", "answered", "60", "1")]


def test_the_page_needs_a_signed_in_administrator(client, records):
    assert client.get("/calls/").status_code in (302, 303, 401)
    assert client.get("/calls/export.csv").status_code in (302, 303, 401)


def test_the_api_gives_the_same_records(app, platform, records):
    from webui import accounts
    from vpbx.storage import connection as db
    conn = db.connect(platform[0])
    admin = platform[1]["acme"]
    token = accounts.create_token(conn, admin.id, "records")
    conn.close()
    response = app.test_client().get("/api/v1/calls?outcome=answered",
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert [(r["caller"], r["on_net"], r["duration_s"]) for r in response.get_json()] \
        == [("julien", True, 60)]


def test_unusable_filters_are_refused_with_their_reason(acme, records):
    page = acme.get("/calls/?from=yesterday&outcome=lost")
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "must be a date like 2027-03-24" in text and "must be one of answered" in text
    assert acme.get("/calls/export.csv?to=31/12/2027").status_code == 400
