"""Caller ID presentation of external calls."""
from vpbx.engine.caller_id import presented_number
from vpbx.model.tenant import Number, PresentationRule, Tenant, User

TENANT = Tenant("acme", users=[User("7956", "Julien", "julien", "+41215667956"),
                               User("7961", "Marie", "marie")],
                numbers=[Number("+41215667955", "Reception"), Number("+41215667999", "Sales")])


def test_a_user_shows_their_direct_number_else_the_main_number():
    assert presented_number(TENANT, "7956") == "+41215667956"
    assert presented_number(TENANT, "7961") == "+41215667955"


def test_a_presentation_rule_overrides_for_its_users_only():
    rules = [PresentationRule("+41215667999", ("7956",))]
    assert presented_number(TENANT, "7956", rules) == "+41215667999"
    assert presented_number(TENANT, "7961", rules) == "+41215667955"


def test_a_tenant_without_numbers_presents_nothing():
    assert presented_number(Tenant("bare", users=[User("10", "A", "a")], numbers=[]), "10") is None
