"""Running a plan live: steps in order, unavailable members skipped, state survives JSON."""
from vpbx.engine.plan_runner import FlowRun

STEPS = [
    {"kind": "group", "name": "Reception", "distribution": "cyclic",
     "ring": [{"members": ["7956"], "seconds": 15}, {"members": ["7961"], "seconds": 15},
              {"members": ["7956", "7965"], "seconds": 10}]},
    {"kind": "group", "name": "Backup", "distribution": "simultaneous", "ring": []},
    {"kind": "voicemail", "name": "+41215667955"},
]


def new_run(steps=STEPS):
    return FlowRun("acme", 1, "+41799999999", "+41215667955", "Office hours", list(steps))


def test_actions_follow_the_plan_and_skip_unavailable_members_at_once():
    run = new_run()
    first = run.next_action(lambda m: m != "7956")
    assert (first.kind, first.members, first.group) == ("ring", ("7961",), "Reception")
    assert run.skipped == ["7956"]
    second = run.next_action(lambda m: True)
    assert second.members == ("7956", "7965") and second.seconds == 10
    final = run.next_action(lambda m: True)     # Backup has nobody: straight to voicemail
    assert (final.kind, final.target) == ("voicemail", "+41215667955")
    assert run.next_action(lambda m: True).kind == "hangup"


def test_state_survives_a_round_trip_through_json():
    run = new_run()
    run.next_action(lambda m: True)
    again = FlowRun.loads(run.dumps())
    assert again == run
    assert again.next_action(lambda m: True).members == ("7961",)


def test_a_loop_step_ends_with_its_reason():
    run = new_run([{"kind": "hangup", "reason": "loop"}])
    action = run.next_action(lambda m: True)
    assert (action.kind, action.reason) == ("hangup", "loop")


def test_the_member_who_answered_is_found_by_its_contact():
    from vpbx.engine.plan_runner import contact_key
    run = new_run()
    run.contacts = {contact_key("sip:bob@127.0.0.1:5072;ob"): "7961",
                    contact_key("<sip:carol@127.0.0.1:5080>"): "7965"}
    assert run.answer_state().answered_by("<sip:bob@127.0.0.1:5072;transport=udp>") == "7961"
    assert run.answer_state().answered_by("sip:someone@10.0.0.9:5060") is None
    run.contacts = {contact_key("sip:bob@127.0.0.1:5072"): "7961"}
    assert run.answer_state().answered_by("sip:elsewhere@10.0.0.9") == "7961"   # one member rang


def test_the_answer_state_tells_the_ringing_group_and_survives_json():
    from vpbx.engine.plan_runner import AnswerState, contact_key
    run = new_run()
    run.caller_party = "1:7950"
    run.next_action(lambda m: True)                        # Reception (cyclic) rings 7956
    run.contacts = {contact_key("sip:alice@127.0.0.1:5070"): "7956",
                    contact_key("sip:bob@127.0.0.1:5072"): "7961"}
    state = AnswerState.loads(run.answer_state().dumps())
    assert (state.tenant, state.tenant_id, state.group, state.cyclic, state.caller_party) == \
        ("acme", 1, "Reception", True, "1:7950")
    assert state.answered_by("<sip:bob@127.0.0.1:5072;transport=udp>") == "7961"
    while run.next_action(lambda m: True).kind == "ring":
        pass                                               # Backup is empty: voicemail
    assert run.answer_state().group is None and not run.answer_state().cyclic
    direct = FlowRun("acme", 1, "7950", "7961", None, [], contacts={"bob@h": "7961"})
    assert (direct.answer_state().group, direct.answer_state().answered_by("x")) == (None, "7961")


def test_a_member_rung_again_within_the_redial_guard_waits_out_the_rest_of_it():
    from vpbx.engine.plan_runner import REDIAL_GUARD_SECONDS, contact_key
    run = new_run()
    first = run.next_action(lambda m: True)                 # 7956 rings
    assert run.pause_before(first, 100.0) == 0              # nobody rang before in this call
    run.contacts = {contact_key("sip:alice@127.0.0.1:5070"): "7956"}
    run.end_ring(100.0)                                     # its 15 s are over at t=100
    second = run.next_action(lambda m: True)                # 7961: never rang, at once
    assert run.pause_before(second, 100.0) == 0
    run.contacts = {contact_key("sip:bob@127.0.0.1:5072"): "7961"}
    run.end_ring(102.0)
    third = run.next_action(lambda m: True)                 # 7956 and 7965, 2 s after 7961
    assert third.members == ("7956", "7965")
    assert run.pause_before(third, 102.0) == REDIAL_GUARD_SECONDS - 2
    assert run.pause_before(third, 100.0 + REDIAL_GUARD_SECONDS + 0.5) == 0
    # a timer that fired a tick early leaves hundredths of a second: no wait for that
    assert run.pause_before(third, 100.0 + REDIAL_GUARD_SECONDS - 0.06) == 0
    assert run.pause_before(third, 100.0 + REDIAL_GUARD_SECONDS - 0.3) > 0


def test_a_held_action_rings_once_after_its_pause_and_survives_json():
    run = new_run()
    action = run.next_action(lambda m: True)
    run.contacts = {"alice@h": "7956"}
    run.hold(action)
    assert run.contacts == {}                               # nothing rings during the pause
    again = FlowRun.loads(run.dumps())
    assert again.take_held() == action
    assert again.take_held() is None
    assert again.next_action(lambda m: True).members == ("7961",)


def ring(members, seconds=5, **extra):
    return {"members": list(members), "seconds": seconds, **extra}


def test_with_waits_marks_the_rings_the_live_routing_makes_wait():
    from vpbx.engine.plan_runner import with_waits
    again = [{"kind": "group", "name": "Again", "distribution": "cyclic",
              "ring": [ring(["7001"]), ring(["7002"]), ring(["7001"]), ring(["7002"])]},
             {"kind": "group", "name": "Solo", "distribution": "cyclic",
              "ring": [ring(["7002"]), ring(["7003"], 10), ring(["7003"], 10)]},
             {"kind": "hangup"}]
    before = repr(again)
    marked = with_waits(again)
    # 7001 stopped at 5 s, rings again at 10 s: 1 s left of its guard; 7002 (10 → 16) is
    # clear; 7002 again in the no-answer group at once after its last ring: the whole 6 s;
    # 7003 right after its own ring: 6 s again
    assert [[entry.get("wait", 0) for entry in step.get("ring", [])] for step in marked] == \
        [[0, 0, 1, 0], [6, 0, 6], []]
    assert repr(again) == before                            # the plan given is not changed
    assert marked[2] is again[2]


def test_with_waits_leaves_a_plan_without_waits_as_it_is():
    from vpbx.engine.plan_runner import with_waits
    steps = [{"kind": "group", "name": "Reception", "distribution": "cyclic",
              "ring": [ring(["7961"], 15), ring(["7956"], 15), ring(["7961"], 15)]},
             {"kind": "voicemail", "name": "+41215667955"}]
    assert with_waits(steps) is steps
    assert with_waits([]) == []


def test_a_run_on_shared_steps_encodes_its_own_addresses():
    from vpbx.engine.call_plan import SharedSteps
    steps = SharedSteps([{"kind": "group", "name": "Sales", "distribution": "hierarchical",
                          "ring": [{"members": ["201"], "seconds": 10}]}, {"kind": "hangup"}])
    one = FlowRun("acme", 1, "alice", "401", None, steps, aors={"201": "sip:bob@acme.test"})
    other = FlowRun("acme", 1, "carol", "401", None, steps, aors={"201": "sip:dan@acme.test"})
    for run in (one, other, one):
        again = FlowRun.loads(run.dumps())
        assert again == run and again.aors == run.aors


def test_a_call_sent_to_the_media_app_tells_its_answer_what_it_reached():
    from vpbx.engine.plan_runner import AnswerState
    run = FlowRun("acme", 1, "7950", "0215550100", None, [])
    assert run.answer_state().media is None
    run.media = "voicemail:+41215550100"
    again = FlowRun.loads(run.dumps())
    assert AnswerState.loads(again.answer_state().dumps()).media == "voicemail:+41215550100"
