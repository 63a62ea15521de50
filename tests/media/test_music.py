"""Music on hold (SPEC F7.1) and ringback tones (F7.2), played by rtpengine, measured in what
the phones record."""
import time

import pytest

from vpbx.engine.plan_runner import REDIAL_GUARD_SECONDS

from .conftest import (MUSIC_HZ, RETRY, RINGBACK_HZ, SALES, edge_uri, seconds_of,
                       tone_timeline)

pytestmark = pytest.mark.integration


def test_the_held_party_hears_the_music_until_the_call_is_resumed(platform, voxco, vx, tmp_path):
    caller, callee = vx("vx1"), vx("vx3")
    caller.call("8003")
    callee.wait_incoming()
    callee.answer(record_to=tmp_path / "held.wav")
    caller.wait_call_state("CONFIRMED")
    callee.wait_rtp(20)
    time.sleep(1.0)
    caller.hold()                                   # a=sendonly: vx3 is held
    time.sleep(3.0)
    caller.unhold()
    time.sleep(2.0)
    caller.hangup()
    timeline = tone_timeline(callee.wait_recording(), [caller.tone_hz, MUSIC_HZ])
    assert seconds_of(timeline, MUSIC_HZ) >= 1.0                 # the tenant's music…
    music = [i for i, f in enumerate(timeline) if f == MUSIC_HZ]
    before, after = timeline[:music[0]], timeline[music[-1] + 1:]
    assert seconds_of(before, caller.tone_hz) >= 0.4             # …after the conversation…
    assert seconds_of(after, caller.tone_hz) >= 0.8              # …and it stops on resume
    assert seconds_of(timeline[music[0]:music[-1]], caller.tone_hz) <= 0.3


def test_the_caller_hears_the_groups_ringback_tone_until_a_member_answers(
        platform, voxco, vx, carrier, tmp_path):
    member = vx("vx2")
    carrier.call(edge_uri(platform, SALES), record_to=tmp_path / "caller.wav")
    member.wait_incoming(timeout=5)
    carrier.wait_call_state("EARLY")
    time.sleep(3.0)                                  # ringing: the caller hears "Bells"
    member.answer()
    carrier.wait_call_state("CONFIRMED")
    time.sleep(2.0)
    carrier.hangup()
    timeline = tone_timeline(carrier.wait_recording(), [RINGBACK_HZ, member.tone_hz])
    assert seconds_of(timeline, RINGBACK_HZ) >= 1.2               # while it rang…
    last_ringback = max(i for i, f in enumerate(timeline) if f == RINGBACK_HZ)
    after = timeline[last_ringback + 1:]
    assert seconds_of(after, member.tone_hz) >= 0.8               # …then the member,
    assert RINGBACK_HZ not in after                               # and the tone is gone
    assert not [c for c in platform.rtpengine.call_ids() if c.endswith("-rbt")]


def test_the_ringback_tone_goes_on_while_the_plan_pauses_before_ringing_a_member_again(
        platform, voxco, vx, carrier, tmp_path):
    member = vx("vx2")
    carrier.call(edge_uri(platform, RETRY), record_to=tmp_path / "caller.wav")
    first = member.wait_incoming(timeout=5)
    member.wait_cancelled(first["call"], timeout=5 + 2)          # its 1 ring is over
    second = member.wait_incoming(timeout=REDIAL_GUARD_SECONDS + 2)   # after the pause
    assert abs(second["ring_mono"] - first["ring_mono"] - 5 - REDIAL_GUARD_SECONDS) <= 1
    time.sleep(2.0)
    member.answer()
    carrier.wait_call_state("CONFIRMED")
    time.sleep(2.0)
    carrier.hangup()
    timeline = tone_timeline(carrier.wait_recording(), [RINGBACK_HZ, member.tone_hz])
    # 5 s of ring, the pause, 2 s of the second ring: the tone all along (not 7 s)
    assert seconds_of(timeline, RINGBACK_HZ) >= 5 + REDIAL_GUARD_SECONDS - 1
    last_ringback = max(i for i, f in enumerate(timeline) if f == RINGBACK_HZ)
    assert seconds_of(timeline[last_ringback + 1:], member.tone_hz) >= 0.8
    assert not [c for c in platform.rtpengine.call_ids() if c.endswith("-rbt")]


def test_a_caller_who_hangs_up_during_the_pause_leaves_no_ringback_behind(
        platform, voxco, vx, carrier):
    member = vx("vx2")
    carrier.call(edge_uri(platform, RETRY))
    first = member.wait_incoming(timeout=5)
    member.wait_cancelled(first["call"], timeout=5 + 2)
    time.sleep(2.0)                                              # in the pause
    assert [c for c in platform.rtpengine.call_ids() if c.endswith("-rbt")]
    carrier.hangup()
    platform.wait_no_media_sessions()                            # the call's and the tone's
