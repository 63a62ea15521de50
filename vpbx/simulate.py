"""`vpbx simulate`: the decision engine run on a stored tenant, without placing a call."""
import datetime

from . import callflow
from .provision_read import read_tenant
from .store import member_state_rows


class SimulateError(ValueError):
    """The tenant, the number or the time given to simulate is not usable."""


def parse_at(text: str) -> datetime.datetime:
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError as exc:
        raise SimulateError(f"--at {text!r} is not an ISO date-time (e.g. 2027-03-24T09:15)") from exc


def simulate(conn, slug: str, number: str, at_text: str, *, live: bool = False,
             availability=None) -> callflow.CallPlan:
    """The plan of a call to `number` (a global number or a group short number) at `at`.

    Every member is assumed available unless `live` is set, in which case `availability`
    (a predicate on an extension) says who is; the cyclic pointer and idle times are the
    real ones from the database in both cases.
    """
    at = parse_at(at_text)
    with conn.cursor() as cur:
        stored = read_tenant(cur, slug)
        if stored is None:
            raise SimulateError(f"no tenant named {slug!r}")
        last_answered, idle_since = member_state_rows(cur, stored.id)
    if live and availability is None:
        raise SimulateError("--live needs the platform's live registration state")
    state = callflow.MemberState(available=availability if live else None,
                                 last_answered=last_answered, idle_since=idle_since)
    plan = callflow.plan_number(stored.config, number, at, state)
    if plan is None:
        plan = callflow.plan_group(stored.config, number, state)
        if plan is not None:
            plan.at = callflow.schedule.local_time(at, stored.config.timezone)
    if plan is None:
        raise SimulateError(f"{number} is neither a global number nor a group short number "
                            f"of tenant {slug}")
    return plan
