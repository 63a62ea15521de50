"""What to do with a new call: the routing's whole order of decisions in one pure function.

`decide(facts, lookups)` takes what is known of a call when it arrives (where it comes from,
who calls, the number dialled, the time) and returns a Decision: refuse it with a code, ring
a user, start a plan (the call_plan steps), go out through the carrier (with the caller ID
to present), or go to the media application (voicemail access). It reads the database only
through `lookups` (see Lookups), so it runs the same in Kamailio's KEMI routing (kemi/,
which reads the request, asks here, and carries the decision out), in `vpbx simulate` and
the web UI's call-flow preview (vpbx.command.simulate), and in unit tests.

The order, for a call from the carrier's trunk (trusted by its source address): one of the
platform's global numbers → its owner's plan at that time; else a user's direct number → ring
that user; else 404. For a call from an authenticated phone: 086 + one of its tenant's
global numbers → that number's mailbox; a group's short number → the group's plan; then the
dial plan (vpbx.engine.dial_plan): a global number (of any tenant) → its plan, an external
number → the carrier, a user (extension, direct number, directory code) → ring them, else
refused. What happens after the first step of a plan (who is available, the next step when
nobody answers) is vpbx.engine.plan_runner's, step by step.
"""
import datetime
from dataclasses import dataclass, field
from typing import Protocol

from vpbx.engine import call_plan, caller_id, dial_plan
from vpbx.live.busy import party
from vpbx.model.numbers import external_form, international_form

# where a call comes from
FROM_CARRIER = "carrier"      # the carrier's trunk (by its source address)
FROM_USER = "user"            # a phone whose digest authentication passed

# what to do
REFUSE = "refuse"             # answer `code` `reason`, nothing rings
RING_USER = "ring_user"       # ring every registered phone of `user`
START_PLAN = "plan"           # follow `plan` (a global number's or a group's)
TO_CARRIER = "carrier"        # out through the carrier trunk to `number`, showing `presented`
TO_MEDIA = "media"            # the media application answers, for `service`

VOICEMAIL_ACCESS_PREFIX = "086"     # 086 + a global number of the caller's tenant: its mailbox


@dataclass
class CallFacts:
    """What is known of a new call when it arrives."""
    source: str                         # FROM_CARRIER or FROM_USER
    dialled: str                        # the Request-URI's user part, as dialled
    at: datetime.datetime               # when (aware): the time ranges in force
    caller: str | None = None           # the From user: the calling phone's user name
    tenant: object | None = None        # FROM_USER: the tenant the phone authenticated in


class Lookups(Protocol):
    """What the decision reads of the platform (the live routing: its worker's SipStore,
    vpbx.storage.routing_data; `vpbx simulate`: the one tenant it simulates)."""

    def tenant_config(self, tenant): ...                        # its provisioning model Tenant
    def tenant_by_global_number(self, number: str): ...         # the owner of a global number
    def user_by_username(self, tenant_id: int, username: str): ...
    def user_by_extension(self, tenant_id: int, extension: str): ...
    def user_by_direct_number(self, number: str): ...
    def contact_number(self, tenant_id: int, short_code: str): ...   # a directory code's
    def carrier(self): ...                                      # (address, port) or None
    def presentation_rules(self, tenant_id: int): ...           # caller_id.PresentationRule
    def member_plan_state(self, tenant_id: int) -> call_plan.MemberState: ...
    def mailbox(self, tenant_id: int, number: str): ...         # {"mode": …} or None


@dataclass
class Decision:
    """What to do with a call, and what the NOC's line and the call record say of it."""
    kind: str                           # REFUSE, RING_USER, START_PLAN, TO_CARRIER, TO_MEDIA
    label: str                          # the NOC line's `decision`: how the target was found
    tenant_slug: str | None = None      # the NOC line's `tenant`
    tenant: object | None = None        # whose call it runs as (a plan: the number's owner)
    caller_party: str | None = None     # "tenant_id:extension" of a calling user (busy)
    on_net: bool = True                 # the call record's on_net (not from the carrier)
    log_fields: dict = field(default_factory=dict)   # more fields of the NOC line
    # REFUSE
    code: int | None = None
    reason: str | None = None
    outcome: object = None              # the NOC line's `outcome` of a refusal
    recorded: bool = False              # the refusal gets a call record (a user's call)
    # the other kinds
    user: object | None = None          # RING_USER: the store's User
    config: object | None = None        # START_PLAN: the owner's configuration
    plan: call_plan.CallPlan | None = None
    number: str | None = None           # TO_CARRIER: E.164 dialled; TO_MEDIA: the mailbox's
    carrier: tuple | None = None        # TO_CARRIER: the trunk's (address, port)
    presented: str | None = None        # TO_CARRIER: the caller ID shown (None: anonymous)
    service: str | None = None          # TO_MEDIA: the media application's service


def decide(facts: CallFacts, lookups: Lookups) -> Decision:
    """What to do with a new call (see the module's docstring for the order)."""
    if facts.source == FROM_CARRIER:
        return _from_carrier(facts, lookups)
    return _from_user(facts, lookups)


def _from_carrier(facts: CallFacts, lookups: Lookups) -> Decision:
    number = international_form(facts.dialled)
    owner = lookups.tenant_by_global_number(number) if number else None
    log_fields = {"source": FROM_CARRIER}
    if owner is not None:
        config, plan = plan_of_number(owner, number, facts.at, lookups)
        return Decision(START_PLAN, _plan_label(plan), owner.slug, owner, None, on_net=False,
                        log_fields=log_fields, config=config, plan=plan)
    target = dial_plan.resolve_carrier_call(lookups, facts.dialled)
    return _to_target(target, target.user.tenant_slug if target.user else None, None,
                      on_net=False, log_fields=log_fields)


def _from_user(facts: CallFacts, lookups: Lookups) -> Decision:
    tenant, dialled = facts.tenant, facts.dialled
    config = lookups.tenant_config(tenant)
    caller = lookups.user_by_username(tenant.id, facts.caller) if facts.caller else None
    caller_party = party(tenant.id, caller.extension) if caller else None
    if is_voicemail_access(dialled):
        return _voicemail_access(tenant, config, dialled, caller_party, lookups)
    plan = call_plan.plan_group(config, dialled, lookups.member_plan_state(tenant.id))
    if plan is not None:
        return Decision(START_PLAN, _plan_label(plan), tenant.slug, tenant, caller_party,
                        config=config, plan=plan)
    target = dial_plan.resolve_user_call(lookups, tenant, dialled)
    if target.number_tenant is not None:             # a global number of the platform
        owner = target.number_tenant
        owner_config, plan = plan_of_number(owner, target.number, facts.at, lookups)
        return Decision(START_PLAN, _plan_label(plan), owner.slug, owner, caller_party,
                        log_fields={"on_net": 1, "caller_tenant": tenant.slug},
                        config=owner_config, plan=plan)
    if target.external:
        return _to_carrier(target.number, tenant, config, caller, caller_party, lookups)
    return _to_target(target, tenant.slug, caller_party)


def plan_of_number(owner, number: str, at: datetime.datetime, lookups: Lookups) -> tuple:
    """(configuration, plan) of `owner`'s global `number` at `at`: the time range in force,
    the members' state now."""
    config = lookups.tenant_config(owner)
    return config, call_plan.plan_number(config, number, at, lookups.member_plan_state(owner.id))


def _plan_label(plan) -> str:
    """A plan's decision in the NOC line: its first step (kind:name or kind:reason)."""
    first = plan.steps[0]
    return f"{first['kind']}:{first.get('name') or first.get('reason') or ''}".rstrip(":")


def _to_target(target: dial_plan.CallTarget, tenant_slug, caller_party, on_net=True,
               log_fields=None) -> Decision:
    """A user to ring, or the dial plan's refusal."""
    if target.refused:
        return Decision(REFUSE, target.decision, tenant_slug, None, caller_party, on_net,
                        log_fields or {}, code=target.code, reason=target.reason,
                        outcome=target.code, recorded=caller_party is not None)
    return Decision(RING_USER, f"{target.decision}:{target.user.extension}", tenant_slug, None,
                    caller_party, on_net, log_fields or {}, user=target.user)


def _to_carrier(number, tenant, config, caller, caller_party, lookups: Lookups) -> Decision:
    """An external call: out through the carrier trunk, showing a number the tenant owns
    (never what the phone claims)."""
    carrier = lookups.carrier()
    if carrier is None:
        return Decision(REFUSE, "external", tenant.slug, tenant, caller_party,
                        log_fields={"number": number}, code=503,
                        reason="No Carrier Configured", outcome="503:no_carrier")
    presented = caller_id.presented_number(config, caller.extension if caller else None,
                                           lookups.presentation_rules(tenant.id))
    return Decision(TO_CARRIER, "external", tenant.slug, tenant, caller_party, number=number,
                    carrier=carrier, presented=presented)


def is_voicemail_access(dialled: str) -> bool:
    """Whether `dialled` is 086 followed by a number (remote access to a mailbox)."""
    return dialled.startswith(VOICEMAIL_ACCESS_PREFIX) and \
        len(dialled) > len(VOICEMAIL_ACCESS_PREFIX) + 6


def _voicemail_access(tenant, config, dialled, caller_party, lookups: Lookups) -> Decision:
    """086 + a global number: that number's mailbox, if it is one of the tenant's own."""
    rest = dialled[len(VOICEMAIL_ACCESS_PREFIX):]
    number = international_form(rest) or external_form(rest, access_code=False)
    if number is None or number not in {n.number for n in config.numbers or []}:
        return Decision(REFUSE, "voicemail_access", tenant.slug, tenant, caller_party,
                        code=404, reason="Not Found", outcome=404)
    label = f"voicemail_access:{number}"
    box = lookups.mailbox(tenant.id, number)
    if box is None or box["mode"] == "disabled":
        return Decision(REFUSE, label, tenant.slug, tenant, caller_party, code=480,
                        reason="Voicemail Disabled", outcome="480:voicemail_disabled")
    return Decision(TO_MEDIA, label, tenant.slug, tenant, caller_party, number=number,
                    service="vm-" + number.lstrip("+"))
