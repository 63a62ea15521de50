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


def test_times_are_the_tenants_own_with_their_offset(app, platform, acme, records):
    """acme is in Europe/Zurich: a call at 08:00 UTC in January started at 09:00 there."""
    page = acme.get("/calls/").get_data(as_text=True)
    assert "2027-01-15 09:00:00" in page and "08:00:00" not in page
    assert "Europe/Zurich" in page
    rows = list(csv.DictReader(io.StringIO(
        acme.get("/calls/export.csv?number=7961").get_data(as_text=True))))
    assert [(r["started_at"], r["answered_at"], r["ended_at"]) for r in rows] == [
        ("2027-01-15T09:00:00+01:00", "2027-01-15T09:00:02+01:00", "2027-01-15T09:01:02+01:00")]
    from webui import accounts
    from vpbx.storage import connection as db
    conn = db.connect(platform[0])
    token = accounts.create_token(conn, platform[1]["acme"].id, "records-zone")
    conn.close()
    api = app.test_client().get("/api/v1/calls?number=7961",
                                headers={"Authorization": f"Bearer {token}"}).get_json()
    assert api[0]["started_at"] == "2027-01-15T09:00:00+01:00"


def test_the_date_filter_is_the_tenants_day(acme, conn, records):
    """00:30 in Zurich on the 15th is 23:30 UTC on the 14th: it belongs to the 15th."""
    with_late = {"kind": "start", "call_id": "a3", "ts": 1_799_969_400,
                 "tenant_id": records["acme"], "caller": "night-owl", "dialled": "7961",
                 "on_net": 1}
    with conn.cursor() as cur:
        cdr.store_event(cur, with_late)
    assert "night-owl" in acme.get("/calls/?from=2027-01-15&to=2027-01-15").get_data(as_text=True)
    assert "night-owl" not in acme.get("/calls/?to=2027-01-14").get_data(as_text=True)


def test_voicemail_and_announcement_calls_have_their_own_filter(acme, conn, records):
    for event in ({"kind": "start", "call_id": "a4", "ts": 1_800_000_300,
                   "tenant_id": records["acme"], "callee_tenant_id": records["acme"],
                   "caller": "0791234567", "dialled": "+41215550100", "on_net": 0},
                  {"kind": "answer", "call_id": "a4", "ts": 1_800_000_301,
                   "callee": "+41215550100"},
                  {"kind": "end", "call_id": "a4", "ts": 1_800_000_321, "final_code": 200,
                   "outcome": "voicemail"},
                  {"kind": "start", "call_id": "a5", "ts": 1_800_000_400,
                   "tenant_id": records["acme"], "callee_tenant_id": records["acme"],
                   "caller": "0797654321", "dialled": "+41215550101", "on_net": 0},
                  {"kind": "answer", "call_id": "a5", "ts": 1_800_000_401, "callee": "Closed"},
                  {"kind": "end", "call_id": "a5", "ts": 1_800_000_405, "final_code": 200,
                   "outcome": "announcement"}):
        with conn.cursor() as cur:
            cdr.store_event(cur, event)
    voicemail = acme.get("/calls/?outcome=voicemail").get_data(as_text=True)
    assert "0791234567" in voicemail and "0797654321" not in voicemail and "julien" not in voicemail
    announcement = acme.get("/calls/?outcome=announcement").get_data(as_text=True)
    assert "0797654321" in announcement and "Closed" in announcement
    assert "0791234567" not in announcement


def test_totals_pages_and_durations_as_minutes_and_seconds(acme, conn, records):
    """120 answered calls of 75 s each besides the fixture's two: totals of all the
    matching calls, 50 a page, the filters kept from page to page."""
    with conn.cursor() as cur:
        for i in range(120):
            start = 1_700_000_000 + i * 600
            for event in ({"kind": "start", "call_id": f"many-{i}", "ts": start,
                           "tenant_id": records["acme"], "callee_tenant_id": records["acme"],
                           "caller": f"caller-{i:03d}", "dialled": "7961", "on_net": 1},
                          {"kind": "answer", "call_id": f"many-{i}", "ts": start + 1,
                           "callee": "7961", "member": "7961"},
                          {"kind": "end", "call_id": f"many-{i}", "ts": start + 76,
                           "final_code": 200, "outcome": "answered"}):
                cdr.store_event(cur, event)
    page = acme.get("/calls/").get_data(as_text=True)
    assert "122 calls · total duration 2:31:00" in page        # 120 × 75 s + 60 s, busy 0 s
    assert page.count("<td>1:15</td>") == 48 and "<td>1:00</td>" in page
    assert "Page 1 of 3" in page and 'rel="prev"' not in page
    answered = acme.get("/calls/?outcome=answered").get_data(as_text=True)
    assert "121 calls" in answered and "Page 1 of 3" in answered
    assert '/calls/?page=2&amp;outcome=answered' in answered
    last = acme.get("/calls/?outcome=answered&page=3").get_data(as_text=True)
    assert "Page 3 of 3" in last and 'rel="next"' not in last
    assert last.count("<td>1:15</td>") == 21 and "caller-000" in last and "caller-119" not in last
    assert "Page 3 of 3" in acme.get("/calls/?outcome=answered&page=99").get_data(as_text=True)
    one = acme.get("/calls/?user=julien").get_data(as_text=True)
    assert "1 call · total duration 1:00" in one and "Page 1 of" not in one
