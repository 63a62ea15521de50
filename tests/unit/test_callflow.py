"""The decision engine end to end: range → group → no-answer chain, loops, simulate output."""
import dataclasses
import datetime as dt
import json

from vpbx.engine import call_plan as callflow
from vpbx.model.tenant import (DEFAULT_OFFICE_HOURS, Destination, Group, Holiday, Number,
                                  Route, Tenant, User)

TENANT = Tenant(
    "acme", "ACME SA", "acme.pbx.test", "Europe/Zurich", True,
    users=[User("7956", "Julien", "julien"), User("7961", "Mathias", "mathias")],
    time_ranges=[DEFAULT_OFFICE_HOURS],
    holidays=[Holiday("Easter", dt.date(2027, 3, 26), dt.date(2027, 3, 29))],
    groups=[Group("Reception", 401, "cyclic", 3, 2, ("7956", "7961"),
                  Destination("voicemail", "+41215667955")),
            Group("Ping", 402, "hierarchical", 1, 1, ("7956",), Destination("group", "Pong")),
            Group("Pong", 403, "simultaneous", 2, 1, ("7961",), Destination("group", "Ping"))],
    numbers=[Number("+41215667955", "Reception",
                    (Route("Office hours", Destination("group", "Reception")),),
                    Destination("voicemail", "+41215667955")),
             Number("+41215667999", "Loop", (Route("Office hours", Destination("group", "Ping")),),
                    Destination("number", "0215550000"))])


def test_simulate_output_matches_the_documented_example():
    state = callflow.MemberState(last_answered={"Reception": "7956"})
    plan = callflow.plan_number(TENANT, "+41215667955", dt.datetime(2027, 3, 24, 9, 15), state)
    assert json.loads(json.dumps(plan.as_dict())) == {
        "tenant": "acme", "number": "+41215667955", "at": "2027-03-24T09:15:00+01:00",
        "range": "Office hours",
        "steps": [
            {"kind": "group", "name": "Reception", "distribution": "cyclic",
             "ring": [{"members": ["7961"], "seconds": 15}, {"members": ["7956"], "seconds": 15},
                      {"members": ["7961"], "seconds": 15}, {"members": ["7956"], "seconds": 15}]},
            {"kind": "voicemail", "name": "+41215667955"}]}


def test_outside_hours_and_holidays_use_the_outside_hours_destination():
    night = callflow.plan_number(TENANT, "+41215667955", dt.datetime(2027, 3, 24, 22, 0))
    assert night.range == "outside hours"
    assert night.steps == [{"kind": "voicemail", "name": "+41215667955"}]
    easter = callflow.plan_number(TENANT, "+41215667955", dt.datetime(2027, 3, 29, 10, 0))
    assert easter.range == "holiday: Easter" and easter.steps[0]["kind"] == "voicemail"


def test_an_offset_in_the_time_is_converted_to_the_tenants_zone():
    plan = callflow.plan_number(TENANT, "+41215667955",
                                dt.datetime(2027, 3, 24, 7, 30, tzinfo=dt.timezone.utc))
    assert plan.at.isoformat() == "2027-03-24T08:30:00+01:00" and plan.range == "Office hours"


def test_a_loop_between_groups_ends_the_call():
    plan = callflow.plan_number(TENANT, "+41215667999", dt.datetime(2027, 3, 24, 9, 0))
    assert [s["kind"] for s in plan.steps] == ["group", "group", "hangup"]
    assert plan.steps[-1] == {"kind": "hangup", "reason": "loop"}


def test_unavailable_members_are_left_out_and_an_empty_group_goes_straight_on():
    state = callflow.MemberState(available=lambda m: False)
    plan = callflow.plan_number(TENANT, "+41215667955", dt.datetime(2027, 3, 24, 9, 0), state)
    assert plan.steps[0]["ring"] == [] and plan.steps[1]["kind"] == "voicemail"


def test_group_short_number_and_unknown_numbers():
    plan = callflow.plan_group(TENANT, "403")
    assert plan.steps[0]["name"] == "Pong" and plan.steps[0]["ring"] == [{"members": ["7961"], "seconds": 10}]
    assert callflow.plan_group(TENANT, "499") is None
    assert callflow.plan_number(TENANT, "+41000000000", dt.datetime(2027, 3, 24, 9, 0)) is None


def test_describe_reads_like_plain_language():
    text = callflow.describe(callflow.plan_number(TENANT, "+41215667999", dt.datetime(2027, 3, 24, 9, 0)))
    assert "range in force: Office hours" in text and "end the call (loop)" in text


def test_describe_says_when_a_ring_waits_first():
    plan = callflow.CallPlan("acme", "455", None, None, [
        {"kind": "group", "name": "Lone", "distribution": "cyclic",
         "ring": [{"members": ["7961"], "seconds": 5},
                  {"members": ["7961"], "seconds": 5, "wait": 6}]},
        {"kind": "hangup"}])
    assert callflow.describe(plan).splitlines()[2:4] == \
        ["    ring 7961 for 5 s", "    wait 6 s, then ring 7961 for 5 s"]


class _Refuses(dict):
    """Members' state the plan must not read."""

    def get(self, key, default=None):
        raise AssertionError(f"read {key!r}")

    def __getitem__(self, key):
        raise AssertionError(f"read {key!r}")

    def __len__(self):
        raise AssertionError("read")

    def __iter__(self):
        raise AssertionError("read")


def test_the_members_state_is_read_only_for_the_distributions_that_use_it():
    # the live routing reads it from the database on first use: a plan through groups that
    # are neither cyclic nor least active costs no query
    state = callflow.MemberState(last_answered=_Refuses(), idle_since=_Refuses())
    plan = callflow.plan_number(TENANT, "+41215667999", dt.datetime(2027, 3, 24, 9, 0), state)
    assert [s["kind"] for s in plan.steps] == ["group", "group", "hangup"]
    idle = {"7961": None, "7956": 5.0}
    tenant = Tenant("t", "T", "t.test", "Europe/Zurich", True, groups=[
        Group("Calm", 401, "least_active", 1, 1, ("7956", "7961"), Destination("hangup", None))])
    plan = callflow.plan_group(tenant, "401", callflow.MemberState(last_answered=_Refuses(),
                                                                   idle_since=idle))
    assert [r["members"] for r in plan.steps[0]["ring"]] == [["7961"], ["7956"]]


def test_ring_plans_built_once_per_configuration_still_follow_the_state():
    """The live routing plans every call: a group's ring plan that depends only on the group
    (and, cyclic, on the last answerer) is built once per configuration, without changing
    any plan."""
    at = dt.datetime(2027, 3, 24, 9, 15)
    def ring(last):
        plan = callflow.plan_number(TENANT, "+41215667955", at,
                                    callflow.MemberState(last_answered={"Reception": last}))
        return plan.steps[0]["ring"]
    after_julien, after_mathias = ring("7956"), ring("7961")
    assert [r["members"] for r in after_julien[:2]] == [["7961"], ["7956"]]
    assert [r["members"] for r in after_mathias[:2]] == [["7956"], ["7961"]]
    assert ring("7956") is after_julien and ring("7956") == after_julien
    # a predicate on who can ring now is never answered from what another call saw
    nobody = callflow.plan_number(TENANT, "+41215667955", at,
                                  callflow.MemberState(last_answered={"Reception": "7956"},
                                                       available=lambda m: False))
    assert nobody.steps[0]["ring"] == []
    assert ring("7956") == after_julien
    # another configuration (a new Tenant) is planned afresh
    renamed = dataclasses.replace(TENANT, groups=[dataclasses.replace(
        TENANT.groups[0], members=("7961",))] + TENANT.groups[1:])
    plan = callflow.plan_number(renamed, "+41215667955", at,
                                callflow.MemberState(last_answered={"Reception": "7956"}))
    assert [r["members"] for r in plan.steps[0]["ring"]] == [["7961"], ["7961"]]


def test_steps_that_depend_on_the_configuration_alone_are_shared_between_calls():
    fixed = dataclasses.replace(TENANT, groups=[dataclasses.replace(g, distribution="hierarchical")
                                                if g.name == "Reception" else g
                                                for g in TENANT.groups])
    first = callflow.plan_number(fixed, "+41215667955", dt.datetime(2027, 3, 24, 9, 15))
    again = callflow.plan_number(fixed, "+41215667955", dt.datetime(2027, 3, 25, 10, 0))
    assert isinstance(first.steps, callflow.SharedSteps) and again.steps is first.steps
    # cyclic (the last answerer), or members ruled out: built for each call
    cyclic = callflow.plan_number(TENANT, "+41215667955", dt.datetime(2027, 3, 24, 9, 15))
    assert not isinstance(cyclic.steps, callflow.SharedSteps)
    nobody = callflow.MemberState(available=lambda m: True)
    assert not isinstance(callflow.plan_number(fixed, "+41215667955",
                                               dt.datetime(2027, 3, 24, 9, 15), nobody).steps,
                          callflow.SharedSteps)


def test_what_is_derived_from_shared_steps_is_computed_once_per_object_it_comes_along():
    steps = callflow.SharedSteps([{"kind": "hangup"}])
    computed = []

    def count(along):
        return lambda s: computed.append(along) or len(computed)

    first, second = {}, {}
    assert callflow.derived(steps, "n", count(first), along=first) == 1
    assert callflow.derived(steps, "n", count(first), along=first) == 1
    assert callflow.derived(steps, "n", count(second), along=second) == 2
    assert callflow.derived([{"kind": "hangup"}], "n", count(None)) == 3   # not shared: each time
