"""Calls from the carrier's trunk (127.0.0.2, trusted by address) to global numbers."""
import datetime
import json

import pytest

from tests.sip.phone import Phone
from tests.support.ringing import ringing_order

pytestmark = pytest.mark.integration


@pytest.fixture
def carrier(platform, tmp_path):
    """A phone on the carrier's address, sending straight to the edge (no registration)."""
    phone = Phone("carrier", bind_address="127.0.0.2", name="carrier", log_dir=str(tmp_path)).start()
    yield phone
    phone.close()


def edge_uri(platform, number):
    return f"sip:{number}@{platform.cfg.sip_address}:{platform.cfg.sip_port}"


def test_a_call_from_the_carrier_to_a_global_number_rings_its_group(platform, phones, carrier):
    m1, m2, m3 = phones("m1"), phones("m2"), phones("m3")
    carrier.call(edge_uri(platform, "+41215559000"))       # Main → range Always → group Cyclic
    (extension, _), = ringing_order({"7001": m1, "7002": m2, "7003": m3}, 1, timeout=3)
    first = {"7001": m1, "7002": m2, "7003": m3}[extension]
    first.answer()
    carrier.wait_call_state("CONFIRMED")
    assert carrier.wait_rtp(20)["rx_packets"] >= 20 and first.wait_rtp(20)["rx_packets"] >= 20
    carrier.hangup()
    line = platform.wait_log("VPBX-ROUTE", tenant="initech", to="+41215559000", outcome="plan")
    assert line["range"] == "Always" and line["decision"] == "group:Cyclic"
    assert line["source"] == "carrier"


def test_the_same_call_from_another_address_is_not_accepted(platform, phones, tmp_path):
    m1 = phones("m1")
    stranger = Phone("carrier", name="stranger", log_dir=str(tmp_path)).start()   # 127.0.0.1
    try:
        stranger.call(edge_uri(platform, "+41215559000"))
        stranger.wait_call_state("DISCONNECTED")
        assert stranger.last_status() == 403
    finally:
        stranger.close()
    assert not m1.events("incoming_call")


def test_live_routing_agrees_with_vpbx_simulate(platform, phones, carrier):
    phones("m2"), phones("m3")
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    result = platform.vpbx("simulate", "initech", "+41215559001", "--at", now.isoformat(), "--json")
    assert result.returncode == 0, result.stderr
    preview = json.loads(result.stdout)
    carrier.call(edge_uri(platform, "+41215559001"))       # Office hours → Together, else voicemail
    line = platform.wait_log("VPBX-ROUTE", tenant="initech", to="+41215559001", outcome="plan")
    assert line["range"] == preview["range"]
    first = preview["steps"][0]
    assert line["decision"] == f"{first['kind']}:{first['name']}"
    if first["kind"] == "voicemail":           # outside office hours: the media app answers
        carrier.wait_call_state("CONFIRMED")
    carrier.hangup()


def test_simulate_live_leaves_out_unregistered_and_busy_members(platform, phones):
    m1, m2, m3 = phones("m1"), phones("m2"), phones("m3")
    m2.call("7003")                                   # 7002 and 7003 in a call
    m3.wait_incoming()
    m3.answer()
    m2.wait_call_state("CONFIRMED")
    result = platform.vpbx("simulate", "initech", "402", "--at", "2027-03-24T09:00", "--live",
                           "--json")
    assert result.returncode == 0, result.stderr
    steps = json.loads(result.stdout)["steps"]
    assert steps[0]["ring"] == [{"members": ["7001"], "seconds": 5}]      # 7004: no phone
    assert steps[1]["name"] == "Together" and steps[1]["ring"] == []       # both busy
    everyone = json.loads(platform.vpbx("simulate", "initech", "402", "--at",
                                        "2027-03-24T09:00", "--json").stdout)["steps"]
    assert everyone[0]["ring"][0]["members"] == ["7004"]                   # assumed available
    m2.hangup()
