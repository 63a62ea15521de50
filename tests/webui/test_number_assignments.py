"""Numbers belong to the carrier (security issue 21), in the web UI and the API: a tenant's
forms refuse a number not assigned to it, in English and French; its "Your numbers" page
shows its blocks, used (by what) and free; operators assign and take back numbers on their
Numbers page (CSRF) and through /api/v1/platform/numbers (operators' tokens only)."""
import html
import re

import pytest

from vpbx.provisioning import apply as provision
from webui import accounts

from tests.support.webclient import post, text_of

from .test_forms import USER, field_errors, flashes

NOT_ASSIGNED = ("+41215550001 is not assigned to this tenant (the platform operator assigns "
                "the numbers a tenant may use)")


def exported(conn) -> str:
    return provision.export_tenant(conn, "acme")


# ---- a tenant's forms and API ------------------------------------------------------------------

def test_the_number_form_refuses_a_number_not_assigned(acme, conn):
    before = exported(conn)
    response = post(acme, "/numbers/new", {"number": "+41215550001", "outside_hours": "hangup"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "number") == [NOT_ASSIGNED]
    assert exported(conn) == before


def test_the_user_form_refuses_a_direct_number_not_assigned(acme, conn):
    before = exported(conn)
    page = post(acme, "/users/new", {**USER, "extension": "7990", "username": "x7990",
                                     "direct_number": "+41215550001"}).get_data(True)
    assert field_errors(page, "direct_number") == [NOT_ASSIGNED]
    assert exported(conn) == before


def test_the_refusal_is_in_french_too(acme):
    post(acme, "/language", {"language": "fr"})
    try:
        page = post(acme, "/numbers/new", {"number": "+41215550001",
                                           "outside_hours": "hangup"}).get_data(True)
        assert field_errors(page, "number") == [
            "+41215550001 n'est pas attribué à votre entreprise (c'est l'opérateur de la "
            "plateforme qui attribue les numéros)"]
    finally:
        post(acme, "/language", {"language": "en"})


@pytest.fixture
def tenant_api(client, conn, platform):
    token = accounts.create_token(conn, platform[1]["acme"].id, "tests")
    return lambda method, path, json=None: client.open(
        f"/api/v1{path}", method=method, json=json, headers={"Authorization": f"Bearer {token}"})


def test_the_api_refuses_a_number_not_assigned(tenant_api, conn):
    before = exported(conn)
    response = tenant_api("POST", "/numbers", {"number": "+41215550001"})
    assert response.status_code == 422
    assert response.json == {"errors": [{"field": "number", "message": NOT_ASSIGNED}]}
    response = tenant_api("POST", "/users", {"extension": "7991", "name": "X",
                                             "username": "x7991", "password": "x-s3cret!",
                                             "direct_number": "+41215550001"})
    assert response.json == {"errors": [{"field": "direct_number", "message": NOT_ASSIGNED}]}
    assert exported(conn) == before


def test_an_assigned_number_is_accepted(acme, conn):
    assert post(acme, "/numbers/new", {"number": "+41215667980", "label": "Sales",
                                       "outside_hours": "hangup"}).status_code == 302
    assert "+41215667980" in exported(conn)


# ---- a tenant sees its numbers, used and free ----------------------------------------------

def test_your_numbers_shows_the_block_what_uses_it_and_what_is_free(acme, globex):
    source = acme.get("/numbers/assigned").get_data(as_text=True)
    page = re.sub(r"\s+", " ", text_of(source))
    assert "+41215667900-+41215667999" in page
    assert "+41215667955 global number — Reception" in page
    assert "+41215667956 direct number of user 7956 (Julien)" in page
    assert "+41215667961 direct number of user 7961 (Marie)" in page
    used = source.count('class="used-number"')
    assert used >= 3
    assert f"{100 - used} free numbers" in page
    assert "+41215667900, +41215667901" in page           # free numbers, listed
    assert "+41225550000" not in page                      # globex's block
    other = text_of(globex.get("/numbers/assigned").get_data(as_text=True))
    assert "+41225550000-+41225550099" in other and "+41215667900" not in other


def test_the_number_fields_offer_the_free_assigned_numbers(acme):
    for url in ("/numbers/new", "/users/new"):
        page = acme.get(url).get_data(as_text=True)
        offered = re.findall(r'<option value="(\+[0-9]+)">',
                             page.split('<datalist id="free-numbers">')[1].split("</datalist>")[0])
        assert offered[:2] == ["+41215667900", "+41215667901"], url
        assert "+41215667955" not in offered and "+41215667956" not in offered   # used
        assert all(number.startswith("+412156679") for number in offered)


# ---- operators --------------------------------------------------------------------------------

def rows(operator) -> dict[str, int]:
    """block → assignment id, as the operators' Numbers page lists them."""
    page = operator.get("/platform/numbers").get_data(as_text=True)
    return {html.unescape(block): int(assignment_id) for assignment_id, block in re.findall(
        r'id="assignment-(\d+)"><td>[^<]*</td>\s*<td>([^<]*)</td>', page)}


def test_operators_assign_and_take_back_numbers(operator, conn):
    assert rows(operator) == {"+41215667900-+41215667999": rows(operator)[
        "+41215667900-+41215667999"], "+41225550000-+41225550099": rows(operator)[
        "+41225550000-+41225550099"]}
    response = post(operator, "/platform/numbers", {"tenant": "globex", "block": "+4122666*"},
                    follow_redirects=True)
    assert "+4122666* assigned to globex." in flashes(response.get_data(as_text=True))
    block_id = rows(operator)["+4122666*"]
    post(operator, f"/platform/numbers/{block_id}/delete")
    assert "+4122666*" not in rows(operator)


@pytest.mark.parametrize("data, message", [
    ({"tenant": "globex", "block": "+41215667950-+41215667959"},
     "+41215667950-+41215667959 overlaps +41215667900-+41215667999 (assigned to acme)"),
    ({"tenant": "globex", "block": "+41215667*"},
     "+41215667* overlaps +41215667900-+41215667999 (assigned to acme)"),
    ({"tenant": "globex", "block": "12345"}, "must be an E.164 number"),
])
def test_an_assignment_that_breaks_a_rule_is_refused(operator, data, message):
    before = rows(operator)
    response = post(operator, "/platform/numbers", data)
    assert response.status_code == 422
    assert any(message in error for error in field_errors(response.get_data(True), "block"))
    assert rows(operator) == before


def test_a_tenants_page_shows_its_numbers(operator, conn):
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM tenants WHERE slug = 'globex'")
        tenant_id = cur.fetchone()["id"]
    page = re.sub(r"\s+", " ", text_of(operator.get(f"/platform/tenants/{tenant_id}")
                                       .get_data(as_text=True)))
    assert "+41225550000-+41225550099" in page and "+41215667900" not in page
    assert re.search(r"\+41225550000-\+41225550099 9\d free numbers", page)


def test_a_block_in_use_cannot_be_taken_back(operator, conn):
    block_id = rows(operator)["+41215667900-+41215667999"]
    page = post(operator, f"/platform/numbers/{block_id}/delete",
                follow_redirects=True).get_data(True)
    assert "+41215667955 is still used by number +41215667955" in flashes(page)
    assert "+41215667956 is still used by user 7956 (Julien)" in flashes(page)
    assert "+41215667900-+41215667999" in rows(operator)


def test_the_operators_page_needs_csrf_and_an_operator(operator, acme):
    before = rows(operator)
    response = operator.post("/platform/numbers", data={"tenant": "globex",
                                                        "block": "+4122777*"})
    assert response.status_code == 400
    assert acme.get("/platform/numbers").status_code == 404
    assert post(acme, "/platform/numbers", {"tenant": "acme",
                                            "block": "+4122777*"}).status_code == 404
    block_id = before["+41225550000-+41225550099"]
    assert post(acme, f"/platform/numbers/{block_id}/delete").status_code == 404
    assert rows(operator) == before


@pytest.fixture
def operator_api(client, conn, platform):
    token = accounts.create_token(conn, platform[1]["operator"].id, "numbers")
    return lambda method, path, json=None: client.open(
        f"/api/v1/platform{path}", method=method, json=json,
        headers={"Authorization": f"Bearer {token}"})


def test_the_operators_api(operator_api, tenant_api):
    listed = operator_api("GET", "/numbers").json
    acme_block = next(row for row in listed if row["tenant"] == "acme")
    assert acme_block["block"] == "+41215667900-+41215667999"
    assert {"number": "+41215667956", "kind": "user", "detail": "7956 (Julien)"} in \
        acme_block["used"]
    made = operator_api("POST", "/numbers", {"tenant": "globex", "block": "+41227770001"})
    assert made.status_code == 201
    assert made.json == {"id": made.json["id"], "tenant": "globex", "block": "+41227770001",
                         "free": 1, "used": []}
    refused = operator_api("POST", "/numbers", {"tenant": "acme", "block": "+41227770001"})
    assert refused.status_code == 422
    assert refused.json["errors"][0]["field"] == "block"
    assert operator_api("POST", "/numbers", {"tenant": "nobody",
                                             "block": "+41227770002"}).status_code == 422
    in_use = operator_api("DELETE", f"/numbers/{acme_block['id']}")
    assert in_use.status_code == 409
    assert operator_api("DELETE", f"/numbers/{made.json['id']}").status_code == 204
    assert operator_api("DELETE", f"/numbers/{made.json['id']}").status_code == 404
    # a tenant administrator's token: the operators' API does not exist for it
    assert tenant_api("GET", "/platform/numbers").status_code == 404
    assert tenant_api("POST", "/platform/numbers",
                      {"tenant": "acme", "block": "+41215550001"}).status_code == 404
    assert operator_api("GET", "/numbers").json == listed


def test_the_operators_api_refuses_an_expired_token_saying_so(client, conn, platform):
    """An operator's expired token gets the tenant API's answer: 401 invalid_token, the
    expiry named, nothing listed (it was a server error)."""
    token = accounts.create_token(conn, platform[1]["operator"].id, "short-lived")
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/platform/numbers", headers=bearer).status_code == 200
    with conn.cursor() as cur:
        cur.execute("UPDATE admin_api_tokens SET expires_at = NOW() - INTERVAL 1 MINUTE"
                    " WHERE name = 'short-lived'")
    refused = client.get("/api/v1/platform/numbers", headers=bearer)
    assert refused.status_code == 401
    assert refused.json["error"].startswith("the token expired on ")
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
