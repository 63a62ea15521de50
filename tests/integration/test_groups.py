"""Groups with real phones (SPEC F3): who rings, in which order, for how long, who answers,
what happens after the last step; busy and unregistered members are skipped at once.

Tenant `initech` (tenants/initech.yaml): every group rings each step for 1 ring = 5 s.
"""
import json
import os
import time

import pytest

from tests.integration.test_call_records import record_of
from tests.support.ringing import ringing_order
from tests.support.webclient import post, signed_in_client, text_of
from vpbx.storage import connection as db
from vpbx.engine.plan_runner import REDIAL_GUARD_SECONDS
from webui.app import create_app

pytestmark = pytest.mark.integration
RING = 5.0          # seconds of one ring
SLACK = 1.0         # "within a second"


@pytest.fixture
def members(phones):
    """cal (the caller) and registered phones of members 7001–7003 (7004 never registers)."""
    return phones("cal"), {"7001": phones("m1"), "7002": phones("m2"), "7003": phones("m3")}


def test_cyclic_rings_members_in_turn_and_next_call_starts_after_the_answerer(platform, members):
    caller, phones = members
    caller.call("401")
    (first, first_event), (second, second_event) = ringing_order(phones, 2, timeout=RING + 3)
    assert abs((second_event["mono"] - first_event["mono"]) - RING) <= SLACK
    cancel = phones[first].wait_cancelled()
    assert abs(cancel["mono"] - first_event["mono"] - RING) <= SLACK
    assert "Call completed elsewhere" not in cancel["text"]      # a real missed call
    phones[second].answer()
    caller.wait_call_state("CONFIRMED")
    caller.hangup()
    mark = time.monotonic()
    caller.call("401")
    (third, _), = ringing_order(phones, 1, timeout=3, since=mark)
    order = ["7001", "7002", "7003"]
    assert third == order[(order.index(second) + 1) % 3]        # after the last answerer
    caller.hangup()
    line = platform.wait_log("VPBX-CALL", tenant="initech", outcome="answered", group="Cyclic")
    assert line["member"] == second


def test_cyclic_runs_every_cycle_then_applies_the_no_answer_rule(platform, members):
    caller, phones = members
    mark = time.monotonic()
    caller.call("408")                    # Twice: 7001, 7002, 2 rings (10 s) each, 2 cycles
    ringing = ringing_order(phones, 4, timeout=4 * 2 * RING + 3, since=mark)
    extensions = [ext for ext, _ in ringing]
    assert extensions in (["7001", "7002"] * 2, ["7002", "7001"] * 2)
    starts = [event["mono"] for _, event in ringing]
    for earlier, later in zip(starts, starts[1:]):
        assert abs(later - earlier - 2 * RING) <= SLACK
    caller.wait_call_state("DISCONNECTED", timeout=2 * RING + 3)
    assert caller.last_status() == 480                        # then: end the call
    assert abs(time.monotonic() - starts[-1] - 2 * RING) <= 2 * SLACK
    platform.wait_log("VPBX-ROUTE", tenant="initech", to="408", decision="hangup",
                      outcome="480:hangup")


def test_a_member_rung_again_moments_after_their_last_ring_rings_after_a_pause(platform, members):
    caller, phones = members
    mark = time.monotonic()
    caller.call("411")                    # Again: 7001, 7002, 1 ring (5 s) each, 2 cycles
    ringing = ringing_order(phones, 4, timeout=4 * RING + REDIAL_GUARD_SECONDS + 3, since=mark)
    extensions = [ext for ext, _ in ringing]
    assert extensions in (["7001", "7002"] * 2, ["7002", "7001"] * 2)
    starts = [event["mono"] for _, event in ringing]
    assert abs(starts[1] - starts[0] - RING) <= SLACK
    # the first member's phone would refuse the call within 5 s of its CANCEL (482, merged
    # request): it rings again once the guard after its first ring is over
    assert abs(starts[2] - (starts[0] + RING + REDIAL_GUARD_SECONDS)) <= SLACK
    assert abs(starts[3] - starts[2] - RING) <= SLACK       # the second's guard is over by then
    # and `vpbx simulate` shows that very wait
    result = platform.vpbx("simulate", "initech", "411", "--at", "2027-03-24T09:00", "--json")
    rings = json.loads(result.stdout)["steps"][0]["ring"]
    planned = [sum(r["seconds"] + r.get("wait", 0) for r in rings[:i]) + rings[i].get("wait", 0)
               for i in range(len(rings))]
    assert [r.get("wait", 0) for r in rings] == [0, 0, 1, 0]
    assert all(abs(start - starts[0] - offset) <= SLACK for start, offset in zip(starts, planned))
    for extension, event in ringing:
        cancel = phones[extension].wait_cancelled(event["call"])
        assert abs(cancel["mono"] - event["mono"] - RING) <= SLACK   # each rang its 5 s
    caller.wait_call_state("DISCONNECTED", timeout=RING + 3)
    assert caller.last_status() == 480
    call_id = ringing[0][1]["sip_call_id"]
    platform.wait_log("VPBX-ROUTE", call_id=call_id, outcome="pause")
    # one pause only: the second member's guard was over when its turn came again, even if
    # a timer of Kamailio fired a tick early (no "pause" of hundredths of a second)
    assert [line["waiting"] for line in platform.log_lines("VPBX-ROUTE", call_id=call_id,
                                                           outcome="pause")] == [extensions[0]]


def test_a_caller_who_hangs_up_during_a_pause_ends_the_call_and_nothing_rings_again(platform,
                                                                                    members):
    caller, phones = members
    caller.call("412")                    # Solo: 7003 alone, 1 ring (5 s), 2 cycles
    incoming = phones["7003"].wait_incoming()
    phones["7003"].wait_cancelled(incoming["call"], timeout=RING + 2)
    line = platform.wait_log("VPBX-ROUTE", call_id=incoming["sip_call_id"], outcome="pause")
    assert line["waiting"] == "7003" and abs(float(line["seconds"]) - REDIAL_GUARD_SECONDS) < 0.5
    time.sleep(2)
    caller.hangup()                       # CANCEL while nothing rings: 487 at once
    assert caller.last_status() == 487
    platform.wait_log("VPBX-CALL", call_id=incoming["sip_call_id"], outcome="cancelled")
    platform.wait_no_media_sessions()
    assert len(platform.log_lines("VPBX-CALL", call_id=incoming["sip_call_id"])) == 1
    record = record_of(platform, incoming["sip_call_id"])
    assert (record["final_code"], record["outcome"]) == (487, "missed")
    time.sleep(REDIAL_GUARD_SECONDS - 2 + SLACK)
    assert not [e for e in phones["7003"].events("incoming_call")
                if e["mono"] > incoming["ring_mono"]]       # the held ring was dropped


def test_hierarchical_skips_the_unregistered_then_the_no_answer_rule_rings_a_group(platform, members):
    caller, phones = members
    started = time.monotonic()
    caller.call("402")                       # Priority: 7004 (never registered), then 7001
    (first, first_event), = ringing_order(phones, 1, timeout=3)
    assert first == "7001" and first_event["mono"] - started < SLACK   # 7004 cost no time
    missed = phones["7001"].wait_cancelled(timeout=RING + 2)
    assert abs(missed["mono"] - first_event["mono"] - RING) <= SLACK
    assert "Call completed elsewhere" not in missed["text"]            # a real missed call
    # the no-answer rule: group Together rings 7002 and 7003 at once
    ringing = ringing_order(phones, 3, timeout=3)[1:]
    assert sorted(ext for ext, _ in ringing) == ["7002", "7003"]
    assert abs(ringing[0][1]["mono"] - ringing[1][1]["mono"]) < SLACK
    assert abs(ringing[0][1]["mono"] - first_event["mono"] - RING) <= SLACK
    phones["7003"].answer()
    caller.wait_call_state("CONFIRMED")
    elsewhere = phones["7002"].wait_cancelled()
    assert "cause=200" in elsewhere["text"] and "Call completed elsewhere" in elsewhere["text"]
    caller.wait_rtp(20)
    caller.hangup()
    log = platform.log_lines("VPBX-ROUTE", tenant="initech", to="402")
    assert any(line.get("skipped") == "7004" and line.get("strategy") == "hierarchical"
               for line in log)
    assert any(line.get("decision") == "group:Together" and line.get("ringing") == "7002,7003"
               for line in log)


def test_every_phone_of_a_member_rings_together_and_the_one_that_answers_counts(platform,
                                                                               members, phones):
    caller, group_phones = members
    desk, mobile = group_phones["7001"], phones("m1")        # member 7001 has two phones
    started = time.monotonic()
    caller.call("402")                      # Priority: 7004 (never registered), then 7001
    rang = [desk.wait_incoming(), mobile.wait_incoming()]
    assert abs(rang[0]["ring_mono"] - rang[1]["ring_mono"]) < SLACK   # together
    assert all(event["ring_mono"] - started < SLACK for event in rang)
    mobile.answer()
    caller.wait_call_state("CONFIRMED")
    elsewhere = desk.wait_cancelled(rang[0]["call"])
    assert "cause=200" in elsewhere["text"] and "Call completed elsewhere" in elsewhere["text"]
    caller.wait_rtp(20)
    caller.hangup()
    line = platform.wait_log("VPBX-CALL", call_id=rang[0]["sip_call_id"], outcome="answered")
    assert (line["group"], line["member"]) == ("Priority", "7001")
    ring = platform.wait_log("VPBX-ROUTE", call_id=rang[0]["sip_call_id"], outcome="ring")
    assert ring["ringing"] == "7001" and ring["skipped"] == "7004"


def test_a_members_phone_forwarding_counts_as_no_answer_and_the_group_goes_on(platform,
                                                                            members):
    """A group's call stays the group's: a member's phone that redirects it (its own call
    forwarding) does not take it out of the group; the plan goes on at once."""
    caller, phones = members
    caller.call("402")                       # Priority: 7004 (never registered), then 7001
    incoming = phones["7001"].wait_incoming()
    forwarded = time.monotonic()
    phones["7001"].redirect("7003")
    ringing = ringing_order({"7002": phones["7002"], "7003": phones["7003"]}, 2, timeout=3)
    assert sorted(ext for ext, _ in ringing) == ["7002", "7003"]       # Together, at once
    assert all(event["mono"] - forwarded < SLACK for _, event in ringing)
    phones["7002"].answer()
    caller.wait_call_state("CONFIRMED")
    caller.hangup()
    call_id = incoming["sip_call_id"]
    line = platform.wait_log("VPBX-ROUTE", call_id=call_id, decision="group:Priority",
                             outcome="no_answer:302")
    assert line["rang"] == "7001"
    assert not [line for line in platform.log_lines("VPBX-ROUTE", call_id=call_id)
                if line["decision"].startswith("redirect")]


def test_a_member_already_in_a_call_is_skipped(platform, members):
    caller, group_phones = members
    group_phones["7002"].call("7003")               # 7002 calls 7003: both in a call
    group_phones["7003"].wait_incoming()
    group_phones["7003"].answer()
    group_phones["7002"].wait_call_state("CONFIRMED")
    caller.call("403")                              # Together: 7002 and 7003, both busy
    caller.wait_call_state("DISCONNECTED", timeout=3)     # skipped at once: no ring time
    assert caller.last_status() == 480
    assert len(group_phones["7002"].events("incoming_call")) == 0
    assert len(group_phones["7003"].events("incoming_call")) == 1   # only the call it took
    group_phones["7002"].hangup()
    time.sleep(0.3)
    caller.call("403")                              # free again: both ring
    ringing_order({"7002": group_phones["7002"], "7003": group_phones["7003"]}, 3, 3)
    caller.hangup()


def set_idle(platform, seconds_by_extension):
    """initech's members idle for these seconds (None: never in a call)."""
    conn = db.connect(platform.cfg)
    with conn.cursor() as cur:
        cur.executemany("UPDATE users u JOIN tenants t ON t.id = u.tenant_id"
                        " SET u.last_call_end = NOW() - INTERVAL %s SECOND"
                        " WHERE t.slug = 'initech' AND u.extension = %s",
                        [(seconds, extension)
                         for extension, seconds in seconds_by_extension.items()])
    conn.close()


def test_least_active_rings_the_longest_idle_member_first(platform, members):
    caller, phones = members
    set_idle(platform, {"7001": 100, "7002": None, "7003": 10})
    caller.call("404")
    (first, _), = ringing_order(phones, 1, timeout=3)
    assert first == "7002"                      # never called: idle the longest
    phones["7002"].answer()
    caller.wait_call_state("CONFIRMED")
    caller.hangup()
    time.sleep(0.5)
    mark = time.monotonic()
    caller.call("404")
    (first_again, _), = ringing_order(phones, 1, timeout=3, since=mark)
    assert first_again == "7001"                # 7002 has just been in a call
    caller.hangup()


def test_least_active_counts_a_call_the_member_made_themselves(platform, members):
    """Idle time counts a member's calls of any kind: a call 7001 made to a colleague puts
    them behind 7002, though 7001 had been idle longer before it."""
    caller, phones = members
    set_idle(platform, {"7001": 300, "7002": 200, "7003": 100})
    phones["7001"].call("7000")             # 7001 calls the caller's extension
    caller.wait_incoming()
    caller.answer()
    phones["7001"].wait_call_state("CONFIRMED")
    phones["7001"].hangup()
    caller.wait_call_state("DISCONNECTED")
    platform.wait_no_media_sessions()
    mark = time.monotonic()
    caller.call("404")                      # Idlest: least active of 7001, 7002, 7003
    (first, _), = ringing_order(phones, 1, timeout=3, since=mark)
    assert first == "7002"
    caller.hangup()


def test_random_rings_each_member_once_per_cycle_then_the_rule_ends_the_call(platform, members):
    caller, phones = members
    caller.call("405")                          # Shuffle: 7001, 7002 in random order, 1 cycle
    ringing = ringing_order({"7001": phones["7001"], "7002": phones["7002"]}, 2, RING + 3)
    assert sorted(ext for ext, _ in ringing) == ["7001", "7002"]
    caller.wait_call_state("DISCONNECTED", timeout=2 * RING + 3)
    assert caller.last_status() == 480          # no-answer rule: end the call
    assert not phones["7003"].events("incoming_call")


def test_a_loop_between_groups_ends_the_call(platform, members):
    caller, phones = members
    caller.call("406")                           # Ping → Pong → Ping: a loop
    caller.wait_call_state("DISCONNECTED", timeout=2 * RING + 4)
    assert caller.last_status() == 480
    assert len(phones["7001"].events("incoming_call")) == 1
    assert len(phones["7002"].events("incoming_call")) == 1
    platform.wait_log("VPBX-ROUTE", tenant="initech", to="406", decision="hangup:loop")


def test_a_change_applied_with_vpbx_is_used_by_the_very_next_call(platform, members, tmp_path):
    caller, phones = members
    source = os.path.join(os.path.dirname(__file__), "tenants", "initech.yaml")
    with open(source) as handle:
        changed = handle.read().replace(
            'distribution: simultaneous, rings: 1, members: ["7002", "7003"]',
            'distribution: simultaneous, rings: 1, members: ["7001"]')
    (tmp_path / "initech.yaml").write_text(changed)
    try:
        result = platform.vpbx("apply", str(tmp_path / "initech.yaml"))
        assert result.returncode == 0 and "group Together" in result.stdout, result.stdout
        caller.call("403")
        (first, _), = ringing_order(phones, 1, timeout=3)
        assert first == "7001"
        time.sleep(0.5)
        assert not phones["7002"].events("incoming_call")
        assert not phones["7003"].events("incoming_call")
        caller.hangup()
    finally:
        assert platform.vpbx("apply", source).returncode == 0


def test_a_change_saved_in_the_web_ui_is_used_by_the_very_next_call(platform, members,
                                                                    monkeypatch):
    """An administrator saves group Together (7002, 7003) with 7001 alone on its page; the
    call placed right after the save rings 7001, though the workers had the old group cached
    from the call before."""
    caller, phones = members
    monkeypatch.setenv("VPBX_CONFIG", platform.cfg.path)    # (the UI's configuration file)
    client = signed_in_client(create_app(platform.cfg, {"TESTING": True}), platform.cfg,
                              "initech")
    conn = db.connect(platform.cfg)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT g.id FROM call_groups g JOIN tenants t ON t.id = g.tenant_id"
                        " WHERE t.slug = 'initech' AND g.name = 'Together'")
            group_id = cur.fetchone()["id"]
        caller.call("403")                                   # the old group, cached
        assert {member for member, _event in ringing_order(phones, 2, timeout=3)} == \
            {"7002", "7003"}
        caller.hangup()
        saved = post(client, f"/groups/{group_id}", {
            "name": "Together", "short_number": "403", "distribution": "simultaneous",
            "rings": "1", "members": "7001", "no_answer": "hangup"})
        assert saved.status_code == 302, text_of(saved.get_data(as_text=True))
        mark = time.monotonic()
        caller.call("403")
        (first, _), = ringing_order(phones, 1, timeout=3, since=mark)
        assert first == "7001"
        time.sleep(0.5)
        assert len(phones["7002"].events("incoming_call")) == 1      # the call before only
        assert len(phones["7003"].events("incoming_call")) == 1
        caller.hangup()
    finally:
        conn.close()
        source = os.path.join(os.path.dirname(__file__), "tenants", "initech.yaml")
        assert platform.vpbx("apply", source).returncode == 0


def test_a_change_nobody_announced_is_used_within_a_second(platform, members):
    """A writer whose notification to Kamailio was lost: the database's generation moved on,
    the shared one did not; the routing notices by itself within a second."""
    caller, phones = members
    conn = db.connect(platform.cfg)
    try:
        with conn.cursor() as cur:
            cur.execute("UPDATE group_members m JOIN call_groups g ON g.id = m.group_id"
                        " JOIN tenants t ON t.id = g.tenant_id JOIN users u ON u.id = m.user_id"
                        " SET m.position = IF(u.extension = '7003', 0, 1)"
                        " WHERE t.slug = 'initech' AND g.name = 'Together'")
            cur.execute("DELETE m FROM group_members m JOIN call_groups g ON g.id = m.group_id"
                        " JOIN tenants t ON t.id = g.tenant_id JOIN users u ON u.id = m.user_id"
                        " WHERE t.slug = 'initech' AND g.name = 'Together' AND u.extension = '7002'")
            cur.execute("UPDATE platform_settings SET value = value + 1"
                        " WHERE name = 'config_generation'")
        time.sleep(1.2)
        caller.call("403")
        (first, _), = ringing_order(phones, 1, timeout=3)
        assert first == "7003"
        time.sleep(0.5)
        assert not phones["7002"].events("incoming_call")
        caller.hangup()
    finally:
        conn.close()
        source = os.path.join(os.path.dirname(__file__), "tenants", "initech.yaml")
        assert platform.vpbx("apply", source).returncode == 0
