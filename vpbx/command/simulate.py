"""`vpbx simulate`: the decision engine run on a stored tenant, without placing a call.

The call is decided by vpbx.engine.decision.decide, the very function the live routing asks
(kemi/new_calls.py), so the preview cannot drift from what a real call does: a global number
is called as from the carrier, anything else (a group's short number) as from one of the
tenant's phones.
"""
import datetime

from vpbx.engine import call_plan, decision, plan_runner, schedule
from vpbx.live import state as live_state
from vpbx.model.numbers import international_form
from vpbx.provisioning.read import read_tenant
from vpbx.storage.routing_data import Tenant, member_state_rows


class SimulateError(ValueError):
    """The tenant, the number or the time given to simulate is not usable."""


def parse_at(text: str) -> datetime.datetime:
    """The moment `--at` names: `now` (the default), or an ISO date-time, the tenant's wall-clock
    time unless it carries an offset."""
    if text.strip().lower() == "now":
        return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError as exc:
        raise SimulateError(f"--at {text!r} is not an ISO date-time (e.g. 2027-03-24T09:15, or now)") from exc


class TenantLookups:
    """The decision's lookups (vpbx.engine.decision.Lookups) for a simulated call to one
    tenant: its own global numbers and groups; no user, directory contact, mailbox, other
    tenant or carrier is found (a simulation shows a number's or a group's plan)."""

    def __init__(self, tenant: Tenant, config, member_state: call_plan.MemberState):
        self.tenant, self.config, self.state = tenant, config, member_state
        self.numbers = {number.number for number in config.numbers or []}

    def tenant_config(self, tenant):
        return self.config

    def tenant_by_global_number(self, number):
        return self.tenant if number in self.numbers else None

    def member_plan_state(self, tenant_id):
        return self.state

    def contact_number(self, tenant_id, short_code):
        return None

    def user_by_username(self, tenant_id, username):
        return None

    def user_by_extension(self, tenant_id, extension):
        return None

    def user_by_direct_number(self, number):
        return None

    def carrier(self):
        return None

    def presentation_rules(self, tenant_id):
        return []

    def mailbox(self, tenant_id, number):
        return None


def simulate(conn, slug: str, number: str, at_text: str = "now", *, live_cfg=None) -> call_plan.CallPlan:
    """The plan of a call to `number` (a global number or a group short number) at `at`.

    Rings that the live routing makes wait first carry "wait" (plan_runner.with_waits).
    Every member is assumed available, unless `live_cfg` (the platform's Config) is given:
    then the members' real registration and call state are asked of its Kamailio. The
    cyclic pointer and idle times are the real ones from the database in both cases.
    """
    at = parse_at(at_text)
    with conn.cursor() as cur:
        stored = read_tenant(cur, slug)
        if stored is None:
            raise SimulateError(f"no tenant named {slug!r}")
        last_answered, idle_since = member_state_rows(cur, stored.id)
    available = None
    if live_cfg is not None:
        try:
            can_ring = live_state.availability(live_cfg, stored.id, stored.config)
        except live_state.LiveStateUnavailable as exc:
            raise SimulateError(f"--live: {exc}") from exc
        available = can_ring.get
    state = call_plan.MemberState(available=available, last_answered=last_answered,
                                 idle_since=idle_since)
    config = stored.config
    tenant = Tenant(stored.id, config.slug, config.domain, config.timezone,
                    bool(config.access_code))
    source = decision.FROM_CARRIER if international_form(number) else decision.FROM_USER
    outcome = decision.decide(decision.CallFacts(source, number, at, tenant=tenant),
                              TenantLookups(tenant, config, state))
    if outcome.kind != decision.START_PLAN or outcome.plan is None:
        raise SimulateError(f"{number} is neither a global number nor a group short number "
                            f"of tenant {slug}")
    plan = outcome.plan
    if plan.at is None:            # a group's plan: no time range applies, the time is shown
        plan.at = schedule.local_time(at, config.timezone)
    plan.steps = plan_runner.with_waits(plan.steps)
    return plan
