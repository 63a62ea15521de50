"""Tenant isolation on every route: an id of another tenant's object is "not found" (404), in
pages, forms, deletes, print views and the API, and nothing of the other tenant changes.

The routes are taken from the application's URL map, so a route added later without an
entry here fails `test_every_route_with_an_id_is_covered`.
"""
import pytest

from vpbx.provisioning import apply as provision
from webui import accounts

from tests.support.webclient import post

# endpoint prefix (or exact endpoint) -> the table whose globex row id goes in the URL
TABLE_OF = {
    "users.": "users", "groups.": "call_groups", "numbers.": "global_numbers",
    "timeranges.delete_holiday": "holidays", "timeranges.": "time_ranges",
    "api.users_": "users", "api.groups_": "call_groups", "api.numbers_": "global_numbers",
    "api.time_ranges_": "time_ranges", "api.holidays_": "holidays",
    "platform.": "tenants", "directory.": "directory_contacts",
    "outgoing.": "presentation_rules",
    "audio.": "audio_files", "api.audio_": "audio_files",
    "api_platform.": "number_assignments",
}


def table_for(endpoint: str) -> str | None:
    for prefix, table in sorted(TABLE_OF.items(), key=lambda item: -len(item[0])):
        if endpoint == prefix or (prefix.endswith(("." , "_")) and endpoint.startswith(prefix)):
            return table
    return None


def routes_with_ids(app) -> list:
    """(endpoint, rule, methods) of every rule that takes an integer id."""
    found = []
    for rule in app.url_map.iter_rules():
        if any(type(conv).__name__ == "IntegerConverter" for conv in rule._converters.values()):
            methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
            found.append((rule.endpoint, rule, methods))
    return found


def globex_ids(conn) -> dict:
    """table -> the id of one of globex's rows (for platform.*: globex's tenant id)."""
    ids = {}
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM tenants WHERE slug = 'globex'")
        tenant_id = cur.fetchone()["id"]
        ids["tenants"] = tenant_id
        for table in ("users", "call_groups", "global_numbers", "time_ranges", "holidays"):
            cur.execute(f"SELECT id FROM {table} WHERE tenant_id = %s ORDER BY id LIMIT 1",
                        (tenant_id,))
            ids[table] = cur.fetchone()["id"]
        cur.execute("SELECT id FROM admin_accounts WHERE tenant_id = %s", (tenant_id,))
        ids["admin_accounts"] = cur.fetchone()["id"]
        cur.execute("SELECT id FROM directory_contacts WHERE tenant_id = %s", (tenant_id,))
        row = cur.fetchone()
        if row is None:
            cur.execute("INSERT INTO directory_contacts (tenant_id, name, number)"
                        " VALUES (%s, 'Globex supplier', '+41225559999')", (tenant_id,))
        ids["directory_contacts"] = row["id"] if row else cur.lastrowid
        cur.execute("SELECT id FROM presentation_rules WHERE tenant_id = %s", (tenant_id,))
        row = cur.fetchone()
        if row is None:
            cur.execute("INSERT INTO presentation_rules (tenant_id, number)"
                        " VALUES (%s, '+41225550000')", (tenant_id,))
        ids["presentation_rules"] = row["id"] if row else cur.lastrowid
        cur.execute("SELECT id FROM audio_files WHERE tenant_id = %s", (tenant_id,))
        row = cur.fetchone()
        if row is None:
            cur.execute("INSERT INTO audio_files (tenant_id, kind, name, path, sha256)"
                        " VALUES (%s, 'announcement', 'Globex closed', 'audio/00/none.wav',"
                        " REPEAT('0', 64))", (tenant_id,))
        ids["audio_files"] = row["id"] if row else cur.lastrowid
        cur.execute("SELECT id FROM number_assignments WHERE tenant_slug = 'globex'")
        ids["number_assignments"] = cur.fetchone()["id"]
    return ids


def url_for_rule(rule, ids: dict, table: str) -> str:
    values = {}
    for name in rule.arguments:
        values[name] = ids["admin_accounts"] if name == "account_id" else ids[table]
    return rule.build(values)[1]


def test_every_route_with_an_id_is_covered(app):
    for endpoint, _rule, _methods in routes_with_ids(app):
        assert table_for(endpoint), f"no isolation test for {endpoint}: add it to TABLE_OF"


@pytest.fixture
def acme_token(conn, platform):
    return accounts.create_token(conn, platform[1]["acme"].id, "isolation")


def test_another_tenants_ids_are_not_found_on_every_route(app, acme, conn, acme_token):
    ids = globex_ids(conn)
    before = provision.export_tenant(conn, "globex")
    checked = 0
    for endpoint, rule, methods in routes_with_ids(app):
        url = url_for_rule(rule, ids, table_for(endpoint))
        for method in methods:
            if endpoint.startswith(("api.", "api_platform.")):
                response = acme.open(url, method=method, json={"name": "Hijack"},
                                     headers={"Authorization": f"Bearer {acme_token}"})
                assert response.status_code == 404, (method, url, response.status_code)
                assert response.json == {"error": "not found"}
            elif method == "POST":
                response = post(acme, url, {"name": "Hijack", "confirm": "globex"})
                assert response.status_code == 404, (method, url)
            else:
                response = acme.open(url, method=method)
                assert response.status_code == 404, (method, url, response.status_code)
            checked += 1
    assert checked >= 25
    assert provision.export_tenant(conn, "globex") == before      # nothing of globex changed
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) AS n FROM number_assignments WHERE id = %s",
                    (ids["number_assignments"],))
        assert cur.fetchone()["n"] == 1, "number_assignments"
        for table in ("directory_contacts", "presentation_rules"):
            cur.execute(f"SELECT COUNT(*) AS n FROM {table} WHERE id = %s", (ids[table],))
            assert cur.fetchone()["n"] == 1, table


def test_another_tenants_objects_do_not_appear_in_lists(acme, acme_token):
    pages = {url: acme.get(url).get_data(as_text=True)
             for url in ("/users/", "/groups/", "/numbers/", "/time-ranges/",
                         "/time-ranges/holidays", "/monitor/", "/monitor/print", "/directory/",
                         "/voicemail/", "/preview/", "/groups/new", "/numbers/new")}
    for url, page in pages.items():
        for theirs in ("Gina", "Sales", "+41225550000", "Weekend", "Founders day", "Globex"):
            assert theirs not in page, (url, theirs)
    headers = {"Authorization": f"Bearer {acme_token}"}
    for path in ("users", "groups", "numbers", "time-ranges", "holidays", "monitor", "tenant"):
        text = acme.get(f"/api/v1/{path}", headers=headers).get_data(as_text=True)
        assert "Gina" not in text and "Sales" not in text and "globex" not in text.lower()


def test_another_tenants_number_cannot_be_previewed(acme, acme_token):
    page = acme.get("/preview/?number=%2B41225550000&date=2027-03-24&time=10:00")
    assert "Sales" not in page.get_data(as_text=True)
    assert "is neither a global number" in page.get_data(as_text=True)
    response = acme.get("/api/v1/simulate?number=%2B41225550000&at=2027-03-24T10:00",
                        headers={"Authorization": f"Bearer {acme_token}"})
    assert response.status_code == 404


def test_references_to_another_tenants_objects_are_refused(acme):
    """A form cannot point at another tenant's group, range, member or voicemail."""
    cases = [
        ("/groups/new", {"name": "Spy", "short_number": "470", "distribution": "cyclic",
                         "rings": "1", "cycles": "1", "members": "500",
                         "no_answer": "group:Sales"}),
        ("/numbers/new", {"number": "+41215667980", "route-0-range": "Weekend",
                          "route-0-to": "voicemail:+41225550000"}),
    ]
    for url, data in cases:
        assert post(acme, url, data).status_code == 422


def test_a_tenant_administrator_works_on_their_own_tenant_whatever_the_session_says(
        acme, globex, conn):
    """Only operators choose a tenant; a session value cannot move an administrator."""
    with acme.session_transaction() as session:
        session["tenant_id"] = globex_ids(conn)["tenants"]
    assert "Sales" not in acme.get("/groups/").get_data(as_text=True)
    assert "Reception" in acme.get("/groups/").get_data(as_text=True)
