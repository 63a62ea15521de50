"""Caller ID presentation rules on the Outgoing calls tab: only the tenant's own numbers,
a summary of every rule, isolation."""
import html
import re

import pytest

from tests.support.webclient import post

from .conftest import config_versions


@pytest.fixture
def no_rules(conn):
    with conn.cursor() as cur:
        cur.execute("DELETE r FROM presentation_rules r JOIN tenants t ON t.id = r.tenant_id"
                    " WHERE t.slug = 'acme'")
    yield
    with conn.cursor() as cur:
        cur.execute("DELETE r FROM presentation_rules r JOIN tenants t ON t.id = r.tenant_id"
                    " WHERE t.slug = 'acme'")


def rule_ids(client):
    return re.findall(r'id="rule-(\d+)"', client.get("/outgoing/").get_data(as_text=True))


def test_a_rule_shows_a_number_the_tenant_owns_for_the_chosen_users(acme, no_rules):
    page = acme.get("/outgoing/").get_data(as_text=True)
    assert "+41215667955" in page and "+41225550000" not in page      # globex's is not offered
    response = post(acme, "/outgoing/presentation", {"number": "+41215667955",
                                                     "users": ["7956", "7961"]})
    assert response.status_code == 302
    summary = acme.get("/outgoing/").get_data(as_text=True)
    assert re.search(r"<td>\+41215667955</td><td>7956, 7961</td>", summary)


def test_a_number_of_another_tenant_or_a_user_twice_is_refused(acme, no_rules):
    stolen = post(acme, "/outgoing/presentation", {"number": "+41225550000", "users": ["7956"]})
    assert stolen.status_code == 400
    assert "is not one of your company's numbers" in html.unescape(stolen.get_data(as_text=True))
    assert post(acme, "/outgoing/presentation", {"number": "+41215667955",
                                                 "users": ["7956"]}).status_code == 302
    twice = post(acme, "/outgoing/presentation", {"number": "+41215667961", "users": ["7956"]})
    assert twice.status_code == 400 and "already has a rule" in twice.get_data(as_text=True)
    assert len(rule_ids(acme)) == 1


def test_another_tenant_cannot_delete_a_rule(acme, globex, no_rules, conn):
    before = config_versions(conn)
    post(acme, "/outgoing/presentation", {"number": "+41215667955", "users": ["7956"]})
    (rule,) = rule_ids(acme)
    assert post(globex, f"/outgoing/presentation/{rule}/delete").status_code == 404
    assert post(acme, f"/outgoing/presentation/{rule}/delete").status_code == 302
    assert rule_ids(acme) == []
    # each change moves acme's configuration version on, and only acme's
    assert config_versions(conn) == {**before, "acme": before["acme"] + 2}
