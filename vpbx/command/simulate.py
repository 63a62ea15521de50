"""`vpbx simulate`: the decision engine run on a stored tenant, without placing a call."""
import datetime

from vpbx.engine import call_plan, plan_runner, schedule
from vpbx.live import state as live_state
from vpbx.provisioning.read import read_tenant
from vpbx.storage.routing_data import member_state_rows


class SimulateError(ValueError):
    """The tenant, the number or the time given to simulate is not usable."""


def parse_at(text: str) -> datetime.datetime:
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError as exc:
        raise SimulateError(f"--at {text!r} is not an ISO date-time (e.g. 2027-03-24T09:15)") from exc


def simulate(conn, slug: str, number: str, at_text: str, *, live_cfg=None) -> call_plan.CallPlan:
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
    plan = call_plan.plan_number(stored.config, number, at, state)
    if plan is None:
        plan = call_plan.plan_group(stored.config, number, state)
        if plan is not None:
            plan.at = schedule.local_time(at, stored.config.timezone)
    if plan is None:
        raise SimulateError(f"{number} is neither a global number nor a group short number "
                            f"of tenant {slug}")
    plan.steps = plan_runner.with_waits(plan.steps)
    return plan
