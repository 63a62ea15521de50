"""Running a plan live: steps in order, unavailable members skipped, state survives JSON."""
from vpbx.flowrun import FlowRun

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
    from vpbx.flowrun import contact_key
    run = new_run()
    run.contacts = {contact_key("sip:bob@127.0.0.1:5072;ob"): "7961",
                    contact_key("<sip:carol@127.0.0.1:5080>"): "7965"}
    assert run.answered_by("<sip:bob@127.0.0.1:5072;transport=udp>") == "7961"
    assert run.answered_by("sip:someone@10.0.0.9:5060") is None
    run.contacts = {contact_key("sip:bob@127.0.0.1:5072"): "7961"}
    assert run.answered_by("sip:elsewhere@10.0.0.9") == "7961"   # only one member rang
