"""Calls from the carrier's trunk (127.0.0.2, trusted by address) to global numbers."""
import datetime
import json
import os
import re
import socket
import time
import uuid
import zoneinfo

import pytest
import yaml

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
        # challenged as any caller of any domain is (a stranger cannot tell a tenant's domain
        # from an unknown one); it has no credentials to give
        assert stranger.last_status() == 407
    finally:
        stranger.close()
    assert not m1.events("incoming_call")


def test_a_number_nobody_was_assigned_cannot_be_claimed_and_its_calls_are_refused(
        platform, phones, carrier, tmp_path):
    """Security issue 21: the carrier assigned +41215557000 to nobody. initech's file claims
    it as a global number and as a user's direct number: vpbx apply refuses the file, naming
    the number, and changes nothing; a call from the carrier to it rings nobody (404)."""
    m1 = phones("m1")
    before = platform.vpbx("export", "initech").stdout
    document = yaml.safe_load(before)
    document["numbers"].append({"number": "+41215557000", "routes": [
        {"range": "Always", "to": {"group": "Cyclic"}}], "outside_hours": "hangup"})
    document["users"][4]["direct_number"] = "+41215557001"
    path = tmp_path / "initech-claims.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    result = platform.vpbx("apply", str(path))
    rule = "is not assigned to this tenant (the platform operator assigns the numbers a " \
           "tenant may use)"
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{path}: users[4].direct_number: +41215557001 {rule}",
        f"{path}: numbers[{len(document['numbers']) - 1}].number: +41215557000 {rule}"]
    assert platform.vpbx("export", "initech").stdout == before
    for number in ("+41215557000", "+41215557001"):
        call = carrier.call(edge_uri(platform, number))
        carrier.wait_call_state("DISCONNECTED", call)
        assert carrier.last_status(call) == 404
    time.sleep(0.5)
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


def carrier_request(platform, sock, method, number, call_id, *, cseq=1, to_tag="", body=""):
    """A request of the carrier's trunk as raw SIP from `sock` (bound on the carrier's
    address), for what its phone cannot do on purpose (send the very same INVITE twice).
    Branch and tags derive from the Call-ID."""
    host = f"{platform.cfg.sip_address}:{platform.cfg.sip_port}"
    trunk, port = sock.getsockname()
    tag = f";tag={to_tag}" if to_tag else ""
    lines = [f"{method} sip:{number}@{host} SIP/2.0",
             f"Via: SIP/2.0/UDP {trunk}:{port};branch=z9hG4bK{call_id.split('@')[0]}",
             "Max-Forwards: 70", f"From: <sip:+41790000001@{trunk}>;tag=c{call_id[:8]}",
             f"To: <sip:{number}@{host}>{tag}", f"Call-ID: {call_id}",
             f"CSeq: {cseq} {method}",
             f"Contact: <sip:+41790000001@{trunk}:{port}>"]
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def replies_until(sock, final, timeout=3.0):
    """The status lines read from `sock` until one with code `final` (or the timeout)."""
    texts, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            texts.append(sock.recv(65535).decode(errors="replace"))
        except socket.timeout:
            break
        if texts[-1].startswith(f"SIP/2.0 {final} "):
            break
    return texts


def test_a_retransmitted_invite_is_routed_once_and_answered_100_at_once(platform, phones):
    """The carrier's INVITE arrives twice (a UDP retransmission; here the second copy comes
    while the first is still being routed): one routing, one member rings, and a 100 Trying
    goes back before anything rings, which stops the carrier's retransmissions."""
    members = [phones("m1"), phones("m2"), phones("m3")]
    call_id = f"{uuid.uuid4().hex}@127.0.0.2"
    sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
           "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
    edge = (platform.cfg.sip_address, platform.cfg.sip_port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.2", 0))                    # the carrier's address
        invite = carrier_request(platform, sock, "INVITE", "+41215559000", call_id, body=sdp)
        sock.sendto(invite, edge)
        sock.sendto(invite, edge)
        first = replies_until(sock, 180)
        assert first and first[0].startswith("SIP/2.0 100 ")
        time.sleep(1)                                  # a second routing would ring by now
        rang = [m for m in members for _ in m.events("incoming_call")]
        sock.sendto(carrier_request(platform, sock, "CANCEL", "+41215559000", call_id), edge)
        final = replies_until(sock, 487)
        assert final and final[-1].startswith("SIP/2.0 487 ")
        to_tag = re.search(r"^To:.*;tag=([^;\r]+)", final[-1], re.M | re.I).group(1)
        sock.sendto(carrier_request(platform, sock, "ACK", "+41215559000", call_id,
                                    to_tag=to_tag), edge)
    assert len(rang) == 1
    assert len(platform.log_lines("VPBX-ROUTE", call_id=call_id, outcome="plan")) == 1


def test_a_holiday_closes_the_whole_day_from_the_next_call_on(platform, phones, carrier,
                                                               tmp_path):
    """A holiday added with `vpbx apply` sends the very next call to the number's outside-hours
    destination, whatever its ranges say (Main: range Always → group Cyclic; outside hours:
    end the call); removed again, the next call rings the group."""
    m1, m2, m3 = phones("m1"), phones("m2"), phones("m3")
    source = os.path.join(os.path.dirname(__file__), "tenants", "initech.yaml")
    today = datetime.datetime.now(zoneinfo.ZoneInfo("Europe/Zurich")).date()
    with open(source) as handle:
        text = handle.read()
    days = [today - datetime.timedelta(days=1), today + datetime.timedelta(days=1)]
    closed, opened = tmp_path / "closed.yaml", tmp_path / "opened.yaml"
    closed.write_text(text + "holidays:\n"
                      f"  - {{name: Inventory, from: {days[0]}, to: {days[1]}}}\n")
    opened.write_text(text + "holidays: []\n")
    try:
        result = platform.vpbx("apply", str(closed))
        assert result.returncode == 0 and "holiday Inventory" in result.stdout, result.stdout
        carrier.call(edge_uri(platform, "+41215559000"))
        carrier.wait_call_state("DISCONNECTED", timeout=3)
        assert carrier.last_status() == 480
        line = platform.wait_log("VPBX-ROUTE", tenant="initech", to="+41215559000",
                                 outcome="plan")
        assert (line["range"], line["decision"]) == ("holiday: Inventory", "hangup")
        assert not any(phone.events("incoming_call") for phone in (m1, m2, m3))
    finally:
        assert platform.vpbx("apply", str(opened)).returncode == 0
    carrier.call(edge_uri(platform, "+41215559000"))
    ringing_order({"7001": m1, "7002": m2, "7003": m3}, 1, timeout=3)
    carrier.hangup()
    line = platform.wait_log("VPBX-ROUTE", tenant="initech", to="+41215559000", outcome="plan")
    assert line["range"] == "Always"
