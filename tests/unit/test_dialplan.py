"""Where a dialled string goes: extension in the caller's tenant, full number platform-wide."""
from dataclasses import dataclass

from vpbx.engine import dial_plan as dialplan


@dataclass(frozen=True)
class FakeUser:
    tenant_id: int
    extension: str
    direct_number: str | None


@dataclass(frozen=True)
class FakeTenant:
    id: int
    access_code: bool = True


class Directory:
    """An in-memory stand-in for the store's lookups (pure logic under test)."""

    def __init__(self, users):
        self.users = users

    def user_by_extension(self, tenant_id, extension):
        return next((u for u in self.users if u.tenant_id == tenant_id and u.extension == extension), None)

    def user_by_direct_number(self, number):
        return next((u for u in self.users if u.direct_number == number), None)

    def tenant_by_global_number(self, number):
        return GLOBAL_NUMBERS.get(number)

    def contact_number(self, tenant_id, short_code):
        return {(1, "3435"): "+41219876543", (1, "12"): "+41225550001"}.get((tenant_id, short_code))


ALICE = FakeUser(1, "7956", "+41215550001")
BOB = FakeUser(1, "7961", None)
GINA = FakeUser(2, "7956", "+41225550001")
IVAN = FakeUser(2, "7990", None)
DIRECTORY = Directory([ALICE, BOB, GINA, IVAN])
GLOBAL_NUMBERS = {"+41215559000": FakeTenant(1), "+41225559000": FakeTenant(2)}


def test_extension_is_looked_up_in_the_callers_tenant_only():
    assert dialplan.resolve_user_call(DIRECTORY, FakeTenant(1), "7956").user is ALICE
    assert dialplan.resolve_user_call(DIRECTORY, FakeTenant(2), "7956").user is GINA
    refused = dialplan.resolve_user_call(DIRECTORY, FakeTenant(1), "7990")
    assert refused.refused and refused.code == 404 and refused.decision == "unknown_extension"


def test_full_number_reaches_its_owner_in_any_tenant():
    own = dialplan.resolve_user_call(DIRECTORY, FakeTenant(1), "+41215550001")
    assert own.user is ALICE and own.decision == "direct_number"
    other = dialplan.resolve_user_call(DIRECTORY, FakeTenant(1), "00041225550001")   # 0 + 0041…
    assert other.user is GINA and other.decision == "on_net"
    national = dialplan.resolve_user_call(DIRECTORY, FakeTenant(1, access_code=False), "0225550001")
    assert national.user is GINA


def test_a_global_number_of_any_tenant_stays_on_net():
    own = dialplan.resolve_user_call(DIRECTORY, FakeTenant(1), "00215559000")
    assert own.decision == "global_number" and own.number == "+41215559000" and not own.external
    other = dialplan.resolve_user_call(DIRECTORY, FakeTenant(1), "+41225559000")
    assert other.decision == "on_net_number" and other.number_tenant.id == 2


def test_other_numbers_go_out_through_the_carrier_in_e164():
    target = dialplan.resolve_user_call(DIRECTORY, FakeTenant(1), "00219999999")
    assert target.external and target.number == "+41219999999" and not target.refused
    direct = dialplan.resolve_user_call(DIRECTORY, FakeTenant(1, access_code=False), "0033144556677")
    assert direct.external and direct.number == "+33144556677"


def test_unknown_extensions_and_malformed_numbers_are_refused():
    assert dialplan.resolve_user_call(DIRECTORY, FakeTenant(1), "7999").code == 404
    for junk in ("", "abc", "7", "+", "0218790000", "12345678"):
        target = dialplan.resolve_user_call(DIRECTORY, FakeTenant(1), junk)
        assert target.refused and target.code in (404, 484), junk


def test_carrier_calls_reach_direct_numbers_only():
    assert dialplan.resolve_carrier_call(DIRECTORY, "+41225550001").user is GINA
    assert dialplan.resolve_carrier_call(DIRECTORY, "7956").refused
    assert dialplan.resolve_carrier_call(DIRECTORY, "+41215559999").code == 404


def test_directory_short_codes_reach_the_contacts_number():
    plumber = dialplan.resolve_user_call(DIRECTORY, FakeTenant(1), "##3435")
    assert plumber.external and plumber.number == "+41219876543"
    on_net = dialplan.resolve_user_call(DIRECTORY, FakeTenant(1), "##12")
    assert on_net.user is GINA                           # a contact that is on the platform
    assert dialplan.resolve_user_call(DIRECTORY, FakeTenant(2), "##3435").code == 404   # not theirs
    assert dialplan.resolve_user_call(DIRECTORY, FakeTenant(1), "##99").code == 404
