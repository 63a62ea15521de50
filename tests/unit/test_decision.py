"""The routing decision of a new call (vpbx.engine.decision.decide): each kind of outcome, from
the carrier's trunk and from a tenant's phone, over in-memory lookups."""
import datetime as dt
from dataclasses import dataclass

from vpbx.engine import decision as engine
from vpbx.engine.call_plan import MemberState
from vpbx.engine.caller_id import PresentationRule
from vpbx.model.tenant import (DEFAULT_OFFICE_HOURS, Destination, Group, Number, Route, Tenant,
                               User)

AT = dt.datetime(2027, 3, 24, 9, 15, tzinfo=dt.timezone.utc)        # a Wednesday, office hours


@dataclass(frozen=True)
class StoreTenant:
    id: int
    slug: str
    domain: str
    access_code: bool = True


@dataclass(frozen=True)
class StoreUser:
    tenant_id: int
    tenant_slug: str
    extension: str
    username: str
    direct_number: str | None = None


ACME = StoreTenant(1, "acme", "acme.pbx.test")
GLOBEX = StoreTenant(2, "globex", "globex.pbx.test")
JULIEN = StoreUser(1, "acme", "7956", "julien", "+41215667956")
MATHIAS = StoreUser(1, "acme", "7961", "mathias")
GINA = StoreUser(2, "globex", "7001", "gina", "+41225550001")

ACME_CONFIG = Tenant(
    "acme", "ACME SA", "acme.pbx.test", "Europe/Zurich", True,
    users=[User("7956", "Julien", "julien", direct_number="+41215667956"),
           User("7961", "Mathias", "mathias")],
    time_ranges=[DEFAULT_OFFICE_HOURS],
    groups=[Group("Reception", 401, "hierarchical", 1, 1, ("7956", "7961"),
                  Destination("voicemail", "+41215667955"))],
    numbers=[Number("+41215667955", "Reception",
                    (Route("Office hours", Destination("group", "Reception")),),
                    Destination("voicemail", "+41215667955"))])
GLOBEX_CONFIG = Tenant(
    "globex", "Globex", "globex.pbx.test", "Europe/Zurich", True,
    users=[User("7001", "Gina", "gina", direct_number="+41225550001")],
    time_ranges=[DEFAULT_OFFICE_HOURS],
    numbers=[Number("+41225559000", "Main", (), Destination("hangup"))])


class Platform:
    """The decision's lookups over two tenants, a carrier and a mailbox (in memory)."""

    def __init__(self, carrier=("127.0.0.2", 5060), mailboxes=None):
        self.trunk = carrier
        self.mailboxes = {(1, "+41215667955"): {"mode": "normal"}} if mailboxes is None \
            else mailboxes
        self.users = [JULIEN, MATHIAS, GINA]
        self.asked_state = []

    def tenant_config(self, tenant):
        return {1: ACME_CONFIG, 2: GLOBEX_CONFIG}[tenant.id]

    def tenant_by_global_number(self, number):
        return {"+41215667955": ACME, "+41225559000": GLOBEX}.get(number)

    def user_by_username(self, tenant_id, username):
        return next((u for u in self.users
                     if u.tenant_id == tenant_id and u.username == username), None)

    def user_by_extension(self, tenant_id, extension):
        return next((u for u in self.users
                     if u.tenant_id == tenant_id and u.extension == extension), None)

    def user_by_direct_number(self, number):
        return next((u for u in self.users if u.direct_number == number), None)

    def contact_number(self, tenant_id, short_code):
        return {(1, "3435"): "+41219876543"}.get((tenant_id, short_code))

    def carrier(self):
        return self.trunk

    def presentation_rules(self, tenant_id):
        return [PresentationRule("+41215667955", ("7961",))] if tenant_id == 1 else []

    def member_plan_state(self, tenant_id):
        self.asked_state.append(tenant_id)
        return MemberState()

    def mailbox(self, tenant_id, number):
        return self.mailboxes.get((tenant_id, number))


def from_carrier(dialled, platform=None):
    return engine.decide(engine.CallFacts(engine.FROM_CARRIER, dialled, AT, "+41791234567"),
                         platform or Platform())


def from_phone(dialled, caller="julien", platform=None, tenant=ACME):
    return engine.decide(engine.CallFacts(engine.FROM_USER, dialled, AT, caller, tenant),
                         platform or Platform())


# -- start a plan ---------------------------------------------------------------------------------
def test_the_carrier_calling_a_global_number_starts_its_owners_plan_at_that_time():
    platform = Platform()
    decision = from_carrier("0041215667955", platform)        # 00… is the international form
    assert decision.kind == engine.START_PLAN
    assert decision.tenant is ACME and decision.tenant_slug == "acme"
    assert decision.plan.number == "+41215667955" and decision.plan.range == "Office hours"
    assert [step["kind"] for step in decision.plan.steps] == ["group", "voicemail"]
    assert decision.label == "group:Reception" and decision.config is ACME_CONFIG
    assert decision.caller_party is None and not decision.on_net
    assert decision.log_fields == {"source": "carrier"}
    assert platform.asked_state == [1]                         # the owner's members


def test_the_same_number_at_night_follows_the_outside_hours_destination():
    night = engine.decide(engine.CallFacts(engine.FROM_CARRIER, "+41215667955",
                                           dt.datetime(2027, 3, 24, 22, 0, tzinfo=dt.timezone.utc)),
                          Platform())
    assert night.plan.range == "outside hours" and night.label == "voicemail:+41215667955"


def test_a_phone_dialling_a_groups_short_number_starts_the_groups_plan():
    decision = from_phone("401")
    assert decision.kind == engine.START_PLAN and decision.plan.range is None
    assert decision.plan.steps[0]["name"] == "Reception" and decision.caller_party == "1:7956"
    assert decision.on_net and decision.log_fields == {}


def test_a_phone_dialling_another_tenants_global_number_stays_on_net_with_its_plan():
    decision = from_phone("00041225559000")      # 0 + 0041…
    assert decision.kind == engine.START_PLAN and decision.tenant is GLOBEX
    assert decision.tenant_slug == "globex" and decision.caller_party == "1:7956"
    assert decision.log_fields == {"on_net": 1, "caller_tenant": "acme"}
    assert decision.label == "hangup" and decision.config is GLOBEX_CONFIG


# -- ring a user ---------------------------------------------------------------------------------
def test_an_extension_rings_that_user_of_the_callers_tenant():
    decision = from_phone("7961")
    assert decision.kind == engine.RING_USER and decision.user is MATHIAS
    assert decision.label == "extension:7961" and decision.tenant_slug == "acme"


def test_the_carrier_calling_a_direct_number_rings_its_user():
    decision = from_carrier("+41225550001")
    assert decision.kind == engine.RING_USER and decision.user is GINA
    assert decision.label == "direct_number:7001" and decision.tenant_slug == "globex"
    assert decision.log_fields == {"source": "carrier"} and not decision.on_net


# -- refuse -----------------------------------------------------------------------------------------
def test_an_unknown_extension_is_refused_and_recorded_for_a_calling_user():
    decision = from_phone("7999")
    assert (decision.kind, decision.code, decision.reason) == (engine.REFUSE, 404, "Not Found")
    assert decision.label == "unknown_extension" and decision.outcome == 404
    assert decision.recorded and decision.caller_party == "1:7956"


def test_the_carrier_calling_a_number_nobody_has_is_refused_without_a_record():
    decision = from_carrier("+41215550999")
    assert (decision.kind, decision.code, decision.label) == (engine.REFUSE, 404,
                                                              "unknown_number")
    assert decision.tenant_slug is None and not decision.recorded


def test_an_external_call_without_a_carrier_is_refused_503():
    decision = from_phone("000442071234567", platform=Platform(carrier=None))
    assert (decision.kind, decision.code, decision.outcome) == (engine.REFUSE, 503,
                                                                "503:no_carrier")
    assert decision.label == "external" and decision.log_fields == {"number": "+442071234567"}
    assert not decision.recorded


# -- the carrier --------------------------------------------------------------------------------------
def test_an_external_call_goes_to_the_carrier_showing_the_users_number():
    decision = from_phone("000442071234567")
    assert decision.kind == engine.TO_CARRIER and decision.number == "+442071234567"
    assert decision.carrier == ("127.0.0.2", 5060) and decision.tenant is ACME
    assert decision.presented == "+41215667956"              # Julien's direct number
    assert from_phone("000442071234567", caller="mathias").presented == "+41215667955"  # rule


def test_a_directory_code_is_dialled_as_its_number():
    decision = from_phone("##3435")
    assert decision.kind == engine.TO_CARRIER and decision.number == "+41219876543"


# -- the media application ---------------------------------------------------------------------------
def test_086_and_an_own_global_number_reach_its_mailbox():
    decision = from_phone("086+41215667955")
    assert decision.kind == engine.TO_MEDIA and decision.service == "vm-41215667955"
    assert decision.label == "voicemail_access:+41215667955" and decision.number == "+41215667955"


def test_086_and_a_number_not_the_tenants_or_a_disabled_mailbox_are_refused():
    other = from_phone("086+41225559000")
    assert (other.kind, other.code, other.label) == (engine.REFUSE, 404, "voicemail_access")
    disabled = from_phone("0860215667955", platform=Platform(
        mailboxes={(1, "+41215667955"): {"mode": "disabled"}}))
    assert (disabled.kind, disabled.code, disabled.outcome) == (
        engine.REFUSE, 480, "480:voicemail_disabled")
    assert disabled.label == "voicemail_access:+41215667955" and not disabled.recorded
