"""Call records of the calls the media application answers (SPEC F11): a call that reached a
voicemail or an announcement says so, and the Call records filter finds it."""
import time

import pytest

from tests.integration.test_call_records import record_of
from vpbx.records import call_records as cdr

from .conftest import CLOSED, DESK, OWNER, SALES, edge_uri, query, wait_media_line

pytestmark = pytest.mark.integration


def voxco_records(dbconn, outcome):
    tenant, = query(dbconn, "SELECT id FROM tenants WHERE slug = 'voxco'")
    return [r["call_id"] for r in cdr.query_records(dbconn, tenant["id"], outcome=outcome)]


def test_a_message_left_on_a_voicemail_is_a_voicemail_call(platform, voxco, carrier, dbconn):
    carrier.call(edge_uri(platform, DESK))
    call_id = carrier.wait_call_state("CONFIRMED", timeout=5)["sip_call_id"]
    wait_media_line(platform, decision="message", outcome="recording", call_id=call_id)
    time.sleep(1.5)
    carrier.hangup()
    record = record_of(platform, call_id, until=lambda row: row["answered_at"])
    assert (record["tenant"], record["outcome"], record["callee"], record["member"]) == \
        ("voxco", "voicemail", DESK, None)
    assert record["duration_s"] >= 2 and record["final_code"] == 200
    assert call_id in voxco_records(dbconn, "voicemail")
    assert call_id not in voxco_records(dbconn, "answered")


def test_a_group_nobody_answers_ends_on_its_voicemail(platform, voxco, carrier, dbconn):
    carrier.call(edge_uri(platform, SALES))            # 8002 is not registered: the voicemail
    call_id = carrier.wait_call_state("CONFIRMED", timeout=10)["sip_call_id"]
    wait_media_line(platform, decision="message", outcome="recording", call_id=call_id)
    carrier.hangup()
    record = record_of(platform, call_id, until=lambda row: row["answered_at"])
    assert (record["outcome"], record["callee"]) == ("voicemail", DESK)


def test_an_announcement_is_an_announcement_call(platform, voxco, carrier, dbconn):
    carrier.call(edge_uri(platform, CLOSED))
    call_id = carrier.wait_call_state("CONFIRMED", timeout=5)["sip_call_id"]
    carrier.wait_call_state("DISCONNECTED", timeout=8)        # the media app hangs up
    record = record_of(platform, call_id, until=lambda row: row["answered_at"])
    assert (record["tenant"], record["outcome"], record["callee"]) == \
        ("voxco", "announcement", "Closed")
    assert call_id in voxco_records(dbconn, "announcement")


def test_a_voicemail_remote_access_call_is_in_the_tenants_records(platform, voxco, vx,
                                                                     dbconn):
    owner = vx("vx1")
    dialled = "086" + "0" + OWNER[3:]
    owner.call(dialled)
    call_id = owner.wait_call_state("CONFIRMED", timeout=5)["sip_call_id"]
    owner.wait_rtp(10, timeout=8)
    time.sleep(1.2)
    owner.hangup()
    record = record_of(platform, call_id, until=lambda row: row["answered_at"])
    assert (record["tenant"], record["callee_tenant"], record["caller"], record["dialled"]) == \
        ("voxco", "voxco", "vx1", dialled)
    assert (record["outcome"], record["callee"], record["route"]) == \
        ("voicemail", OWNER, f"voicemail_access:{OWNER}")
    assert record["started_at"] <= record["answered_at"] <= record["ended_at"]
    assert record["duration_s"] >= 1
    assert call_id in voxco_records(dbconn, "voicemail")
