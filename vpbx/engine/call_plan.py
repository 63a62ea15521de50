"""Where a call goes, step by step, until something ends it: the decision engine.

Pure logic over a tenant's configuration (vpbx.model.tenant.Tenant) and the members' state.
The live KEMI routing, `vpbx simulate` and the UI's preview all reach `plan_number` or
`plan_group` through vpbx.engine.decision, so a preview can never disagree with what a real
call does. The result is the `steps` list of CONFIG-FORMAT's simulate output.
"""
import datetime
import random
from dataclasses import dataclass, field

from vpbx.engine import ring_plan
from vpbx.engine import schedule
from vpbx.model.tenant import Destination, Tenant


@dataclass
class MemberState:
    """What the engine knows about members now.

    available: predicate on an extension (None: everybody available, as `simulate` assumes);
    last_answered: group name → extension of the member who answered its last call (read
    for cyclic groups only);
    idle_since: extension → end of the member's last call (epoch seconds), None if never
    (read for least-active groups only). Both may be mappings that load on first use.
    """
    available: object = None
    last_answered: dict = field(default_factory=dict)
    idle_since: dict = field(default_factory=dict)
    rng: random.Random | None = None        # None: a fresh one where a random group needs it


@dataclass
class CallPlan:
    tenant: str
    number: str
    at: datetime.datetime | None
    range: str | None
    steps: list[dict]

    def as_dict(self) -> dict:
        out = {"tenant": self.tenant, "number": self.number}
        if self.at is not None:
            out["at"] = self.at.isoformat()
        if self.range is not None:
            out["range"] = self.range
        out["steps"] = self.steps
        return out


@dataclass
class _Index:
    """A configuration's numbers, groups and time ranges by name: built once per Tenant
    object (the live routing keeps one per configuration generation), not per call."""
    built_from: tuple
    numbers: dict
    groups: dict
    groups_by_short_number: dict
    ranges: dict
    rings: dict = field(default_factory=dict)   # see _ring_entries
    plans: dict = field(default_factory=dict)   # destination → SharedSteps, see follow


class SharedSteps(list):
    """A plan's steps that depend on the configuration alone, built once per configuration
    and shared by every call that follows them (see follow): never to be modified. What
    is derived from them for each call (their JSON, log texts) is remembered with them
    (see `derived`)."""

    def __init__(self, steps):
        super().__init__(steps)
        self.memo = {}


def derived(steps: list, name: str, compute, along=None):
    """compute(steps), remembered under `name` when `steps` are SharedSteps; with `along`
    (an object the value is computed from), for as long as it comes with the same object."""
    if not isinstance(steps, SharedSteps):
        return compute(steps)
    known = steps.memo.get(name)
    if known is None or known[0] is not along:
        known = steps.memo[name] = (along, compute(steps))
    return known[1]


# distributions whose ring plan depends only on the group (and, cyclic, the last answerer)
_STATELESS = ("hierarchical", "simultaneous", "cyclic")
# distributions whose ring plan depends on the group alone
_FIXED = ("hierarchical", "simultaneous")


def _index(tenant: Tenant) -> _Index:
    # rebuilt when a list was replaced or resized since; nothing edits a Tenant's lists in
    # place (a change builds a new Tenant), and groups and numbers are frozen
    lists = (tenant.numbers, tenant.groups, tenant.time_ranges)
    built_from = tuple((id(items), len(items or ())) for items in lists)
    index = tenant.__dict__.get("_call_plan_index")
    if index is None or index.built_from != built_from:
        groups = tenant.groups or []
        index = _Index(built_from,
                       numbers={n.number: n for n in reversed(tenant.numbers or [])},
                       groups={g.name: g for g in groups},
                       groups_by_short_number={str(g.short_number): g for g in reversed(groups)},
                       ranges={r.name: r for r in tenant.time_ranges or []})
        tenant.__dict__["_call_plan_index"] = index
    return index


def follow(tenant: Tenant, destination: Destination, state: MemberState) -> list[dict]:
    """The steps from `destination` on: each group with its ring plan, then its no-answer
    rule, and so on until a destination that ends the call. A group reached twice ends the
    call with {"kind": "hangup", "reason": "loop"}.

    Steps that depend on nothing but the configuration (every group hierarchical or
    simultaneous, nobody ruled out beforehand) are built once per configuration and
    shared (SharedSteps): not to be modified."""
    index = _index(tenant)
    shareable = state.available is None
    if shareable and destination in index.plans:
        return index.plans[destination]
    steps = _follow(index, destination, state)
    if shareable and all(step.get("distribution") in _FIXED for step in steps
                         if step["kind"] == "group"):
        if len(index.plans) >= 4096:
            index.plans.clear()
        steps = index.plans[destination] = SharedSteps(steps)
    return steps


def _follow(index: _Index, destination: Destination, state: MemberState) -> list[dict]:
    groups = index.groups
    steps, visited = [], set()
    while destination.kind == "group":
        group = groups.get(destination.target)
        if group is None:
            steps.append({"kind": "hangup", "reason": "unknown group"})
            return steps
        if group.name in visited:
            steps.append({"kind": "hangup", "reason": "loop"})
            return steps
        visited.add(group.name)
        # the members' state only where the distribution uses it: the live routing reads it
        # from the database on first use (cyclic: the last answerer; least active: idle times)
        steps.append({"kind": "group", "name": group.name, "distribution": group.distribution,
                      "ring": _ring_entries(index, group, state)})
        destination = group.no_answer
    if destination.kind == "hangup":
        steps.append({"kind": "hangup"})
    else:
        steps.append({"kind": destination.kind, "name": destination.target})
    return steps


def _ring_entries(index: _Index, group, state: MemberState) -> list[dict]:
    """The group's ring plan as the steps' "ring" list. Where it depends on nothing but the
    group (hierarchical, simultaneous; cyclic: and the last answerer) and nobody is ruled
    out beforehand, it is built once per configuration and shared: not to be modified."""
    last_answered = (state.last_answered.get(group.name)
                     if group.distribution == "cyclic" else None)
    key = (group.name, last_answered)
    shareable = state.available is None and group.distribution in _STATELESS
    cache = index.rings if shareable else None
    if cache is not None and key in cache:
        return cache[key]
    plan = ring_plan.ring_plan(
        group, available=state.available, last_answered=last_answered,
        idle_since=state.idle_since if group.distribution == "least_active" else None,
        rng=state.rng)
    entries = [step.as_dict() for step in plan]
    if cache is not None:
        if len(cache) >= 4096:      # cyclic groups: one entry per last answerer
            cache.clear()
        cache[key] = entries
    return entries


def plan_number(tenant: Tenant, number: str, at: datetime.datetime,
                state: MemberState | None = None) -> CallPlan | None:
    """A call to one of the tenant's global numbers at `at`; None if it is not theirs."""
    index = _index(tenant)
    entry = index.numbers.get(number)
    if entry is None:
        return None
    local = schedule.local_time(at, tenant.timezone)
    decision = schedule.decide_range(entry, index.ranges, tenant.holidays or [], local)
    return CallPlan(tenant.slug, number, local, decision.range,
                    follow(tenant, decision.destination, state or MemberState()))


def plan_group(tenant: Tenant, short_number: str, state: MemberState | None = None) -> CallPlan | None:
    """An internal call to a group's short number (no time range applies); None if no
    group has it."""
    group = _index(tenant).groups_by_short_number.get(str(short_number))
    if group is None:
        return None
    return CallPlan(tenant.slug, str(short_number), None, None,
                    follow(tenant, Destination("group", group.name), state or MemberState()))


def describe(plan: CallPlan) -> str:
    """The plan in plain words, one line per step (the text output of `vpbx simulate`)."""
    lines = [f"{plan.number} ({plan.tenant})" + (f" at {plan.at.isoformat()}" if plan.at else "")]
    if plan.range is not None:
        lines.append(f"  range in force: {plan.range}")
    for step in plan.steps:
        if step["kind"] == "group":
            lines.append(f"  group {step['name']} ({step['distribution']}):")
            if not step["ring"]:
                lines.append("    nobody available")
            for ring in step["ring"]:
                wait = f"wait {ring['wait']} s, then " if ring.get("wait") else ""
                lines.append(f"    {wait}ring {', '.join(ring['members'])} for {ring['seconds']} s")
        elif step["kind"] == "hangup":
            lines.append("  end the call" + (f" ({step['reason']})" if step.get("reason") else ""))
        else:
            lines.append(f"  {step['kind']} {step['name']}")
    return "\n".join(lines)
