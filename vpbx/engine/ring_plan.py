"""Who rings, in which order and for how long: the five distributions of SPEC F3.2.

Pure logic. A plan is a list of steps; the members of a step ring together (each with all
of their phones) for `seconds`. The live routing skips, at each step, members that are
unavailable at that moment (no phone registered, or already in a call).
"""
import random as random_module
from dataclasses import dataclass

from vpbx.model.tenant import Group

RING_SECONDS = 5          # one ring = 5 seconds (guide §4)


@dataclass(frozen=True)
class RingStep:
    members: tuple[str, ...]
    seconds: int

    def as_dict(self) -> dict:
        return {"members": list(self.members), "seconds": self.seconds}


def order_after(members, last_answered: str | None) -> list[str]:
    """The member list rotated to start just after `last_answered` (cyclic distribution)."""
    members = list(members)
    if last_answered in members:
        start = members.index(last_answered) + 1
        return members[start:] + members[:start]
    return members


def order_by_idle(members, idle_since: dict) -> list[str]:
    """Longest idle first: never-called members (no end time) first, then oldest last call;
    ties keep the list order."""
    position = {m: i for i, m in enumerate(members)}
    return sorted(members, key=lambda m: (idle_since.get(m) is not None,
                                          idle_since.get(m) or 0, position[m]))


def ring_plan(group: Group, *, available=None, last_answered: str | None = None,
              idle_since: dict | None = None, rng: random_module.Random | None = None) -> list[RingStep]:
    """The group's ring steps.

    available: a predicate on an extension (default: everybody is available); unavailable
    members are left out without costing ring time. last_answered: the member who answered
    the group's last call (cyclic). idle_since: extension → end time of the member's last
    call, None if never (least_active). rng: the random source (random).
    """
    is_available = available or (lambda extension: True)
    seconds = group.rings * RING_SECONDS
    members = [m for m in group.members]
    if group.distribution == "simultaneous":
        ringing = tuple(m for m in members if is_available(m))
        return [RingStep(ringing, seconds)] if ringing else []
    if group.distribution == "cyclic":
        cycles = [order_after(members, last_answered)] * group.cycles
    elif group.distribution == "random":
        rng = rng or random_module.Random()
        cycles = [rng.sample(members, len(members)) for _ in range(group.cycles)]
    elif group.distribution == "least_active":
        cycles = [order_by_idle(members, idle_since or {})]
    elif group.distribution == "hierarchical":
        cycles = [members]
    else:
        raise ValueError(f"unknown distribution {group.distribution!r}")
    return [RingStep((m,), seconds) for cycle in cycles for m in cycle if is_available(m)]
