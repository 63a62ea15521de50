"""Each distribution's ring order (SPEC F3.2) and the skipping of unavailable members."""
import random
from collections import Counter

from vpbx.model.tenant import Group
from vpbx.engine.ring_plan import ring_plan

MEMBERS = ("7956", "7961", "7965", "7969")


def group(distribution, rings=3, cycles=2, members=MEMBERS):
    return Group("Reception", 401, distribution, rings, cycles, members)


def order(plan):
    return [step.members for step in plan]


def test_cyclic_starts_after_the_member_who_answered_last_and_runs_every_cycle():
    plan = ring_plan(group("cyclic"), last_answered="7961")
    assert order(plan) == [("7965",), ("7969",), ("7956",), ("7961",)] * 2
    assert {step.seconds for step in plan} == {15}
    assert order(ring_plan(group("cyclic", cycles=1)))[0] == ("7956",)          # no last answer
    assert order(ring_plan(group("cyclic", cycles=1), last_answered="7969"))[0] == ("7956",)


def test_hierarchical_is_one_pass_in_list_order_skipping_the_unavailable():
    plan = ring_plan(group("hierarchical", rings=2), available=lambda m: m != "7956")
    assert order(plan) == [("7961",), ("7965",), ("7969",)]
    assert plan[0].seconds == 10


def test_simultaneous_rings_every_available_member_at_once():
    plan = ring_plan(group("simultaneous", rings=4), available=lambda m: m != "7965")
    assert order(plan) == [("7956", "7961", "7969")] and plan[0].seconds == 20


def test_least_active_rings_the_longest_idle_first():
    idle = {"7956": 1000.0, "7961": 500.0, "7965": None, "7969": 2000.0}
    plan = ring_plan(group("least_active"), idle_since=idle)
    assert order(plan) == [("7965",), ("7961",), ("7956",), ("7969",)]


def test_least_active_tells_apart_calls_that_ended_within_the_same_second():
    """Idle times are kept to the microsecond: the member whose call ended 0.3 s earlier
    rings first, whatever the list order."""
    idle = {"7956": 1900000000.4, "7961": 1900000000.1, "7965": 1900000000.400001,
            "7969": 1900000000.25}
    plan = ring_plan(group("least_active"), idle_since=idle)
    assert order(plan) == [("7961",), ("7969",), ("7956",), ("7965",)]


def test_random_orders_each_cycle_and_eventually_covers_every_member_first():
    rng = random.Random(7)
    firsts = Counter()
    for _ in range(200):
        plan = ring_plan(group("random", cycles=3), rng=rng)
        assert len(plan) == 12
        for cycle in range(3):
            assert sorted(m for step in plan[cycle * 4:cycle * 4 + 4] for m in step.members) == sorted(MEMBERS)
        firsts[plan[0].members[0]] += 1
    assert set(firsts) == set(MEMBERS)


def test_nobody_available_gives_an_empty_plan():
    for distribution in ("cyclic", "hierarchical", "simultaneous", "least_active", "random"):
        assert ring_plan(group(distribution), available=lambda m: False) == []
