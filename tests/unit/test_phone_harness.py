"""Self-test of the SIP test phones (tests/sip), peer to peer on loopback.

No Kamailio is needed: the phones call each other's contact URIs directly,
and registration is checked against a tiny registrar stub in this file.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import subprocess
import sys
import threading

import pytest

from tests.sip.audio import tone_fractions
from tests.sip.phone import AGENT_PATH, TONE_FREQUENCIES_HZ, Phone, PhoneError


@pytest.fixture
def make_phone(tmp_path):
    """Create started phones (logs in tmp_path); check each stops cleanly and without agent errors."""
    phones = []

    def make(username, **kwargs):
        # each test's phones get the same tones whatever ran before in this process
        kwargs.setdefault("tone_hz", TONE_FREQUENCIES_HZ[len(phones) % len(TONE_FREQUENCIES_HZ)])
        phone = Phone(username, log_dir=tmp_path, **kwargs).start()
        phones.append(phone)
        return phone

    yield make
    for phone in phones:
        phone.close()
    for phone in phones:
        assert phone.agent_errors == [], f"{phone.name}: {phone.agent_errors}"
        assert phone.exit_code == 0, f"{phone.name} exited with {phone.exit_code}, see {phone.agent_log_path}"


def start_answered_call(caller, callee, **answer_kwargs):
    """Make caller call callee directly; callee answers; return (caller's call, callee's incoming dict)."""
    call_id = caller.call(callee.contact_uri)
    incoming = callee.wait_incoming()
    caller.wait_call_state("EARLY", call_id)
    callee.answer(**answer_kwargs)
    caller.wait_call_state("CONFIRMED", call_id)
    callee.wait_call_state("CONFIRMED", incoming["call"])
    return call_id, incoming


def test_direct_call_has_two_way_media_survives_hold_and_hangs_up(make_phone, tmp_path):
    alice, bob = make_phone("alice"), make_phone("bob")
    recording = tmp_path / "bob-hears.wav"

    call_id, incoming = start_answered_call(alice, bob, record_to=recording)

    assert incoming["remote_uri"] == f"<{alice.account_uri}>"
    assert incoming["invite_text"].startswith(f"INVITE {bob.contact_uri} SIP/2.0")
    assert incoming["ring_mono"] <= bob.events("call_state", call=incoming["call"], state="CONFIRMED")[0]["mono"]
    assert alice.last_status(call_id) == 200

    alice_stats = alice.wait_rtp(min_packets=20, timeout=3)
    bob_stats = bob.wait_rtp(min_packets=20, timeout=3)
    assert alice_stats["remote_rtp_address"].startswith("127.0.0.1:")
    assert alice_stats["codec"] == "PCMU"
    assert bob_stats["remote_rtp_address"].startswith("127.0.0.1:")

    alice.hold()
    bob.wait_media_state("REMOTE_HOLD")
    held = bob.received_messages(method="INVITE")[-1]["text"]
    assert "a=sendonly" in held
    alice.unhold()
    bob.wait_media_state("ACTIVE")
    assert "a=sendrecv" in bob.received_messages(method="INVITE")[-1]["text"]
    received_before = alice.rtp_stats()["rx_packets"]
    alice.wait_rtp(min_packets=received_before + 10, timeout=3)

    alice.hangup()
    bob.wait_call_state("DISCONNECTED")
    assert bob.wait_request("BYE")["text"].startswith("BYE ")
    final = alice.rtp_stats(call_id)
    assert final["state"] == "DISCONNECTED"
    assert final["rx_packets"] >= received_before + 10

    levels = tone_fractions(bob.wait_recording(), [alice.tone_hz, bob.tone_hz])
    assert levels[alice.tone_hz] > 0.5, levels
    assert levels[bob.tone_hz] < 0.05, levels


def test_cancelled_ringing_call_shows_the_cancel(make_phone):
    alice, bob = make_phone("alice"), make_phone("bob")
    call_id = alice.call(bob.contact_uri)
    incoming = bob.wait_incoming()
    alice.wait_call_state("EARLY")

    alice.hangup()

    cancel = bob.wait_cancelled()
    assert cancel["text"].startswith(f"CANCEL {bob.contact_uri} SIP/2.0")
    assert cancel["mono"] >= incoming["ring_mono"]
    ended = bob.wait_call_state("DISCONNECTED")
    assert ended["last_status"] == 487
    assert alice.last_status(call_id) == 487
    assert alice.rtp_stats(call_id)["rx_packets"] == 0


def test_rejected_call_reports_busy_and_waits_fail_fast(make_phone):
    alice, bob = make_phone("alice"), make_phone("bob")
    call_id = alice.call(bob.contact_uri)
    bob.wait_incoming()
    bob.reject(486)

    with pytest.raises(PhoneError, match="486 Busy Here.*without reaching state CONFIRMED"):
        alice.wait_call_state("CONFIRMED", call_id, timeout=3)
    assert alice.last_status(call_id) == 486


def test_blind_transfer_moves_the_caller_to_the_target(make_phone):
    alice, bob, carol = make_phone("alice"), make_phone("bob"), make_phone("carol")
    first_call, incoming = start_answered_call(alice, bob)

    bob.transfer(carol.contact_uri)

    refer = alice.wait_transfer_request()
    assert refer["call"] == first_call and refer["accepted"] and refer["target"] == carol.contact_uri
    at_carol = carol.wait_incoming()
    assert at_carol["remote_uri"] == f"<{alice.account_uri}>"
    carol.answer()
    alice.wait_call_state("CONFIRMED", refer["new_call"])
    assert bob.wait_transfer_result() == 200
    bob.hangup()
    alice.wait_call_state("DISCONNECTED", first_call)

    assert alice.current_call == refer["new_call"]
    assert alice.wait_rtp(min_packets=10, timeout=3)["call"] == refer["new_call"]
    assert carol.wait_rtp(min_packets=10, timeout=3)["rx_packets"] >= 10


def test_refused_transfer_keeps_the_call(make_phone):
    alice, bob = make_phone("alice", accept_transfers=False), make_phone("bob")
    start_answered_call(alice, bob)

    bob.transfer("sip:carol@127.0.0.1:9")

    assert alice.wait_transfer_request()["accepted"] is False
    assert bob.wait_transfer_result() == 603
    assert alice.call_state() == bob.call_state() == "CONFIRMED"


class RegistrarStub:
    """A minimal UDP registrar on 127.0.0.1: digest challenge, then 200 or 403.

    Stands in for the outbound proxy so that the phone's REGISTER routing
    and digest answer can be checked without Kamailio.
    """

    REALM = "acme.pbx.test"
    NONCE = "f00dcafe"

    def __init__(self, passwords: dict):
        self.passwords = passwords
        self.requests: list[str] = []
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def close(self):
        self.socket.close()

    def _serve(self):
        while True:
            try:
                data, source = self.socket.recvfrom(65535)
            except OSError:
                return
            request = data.decode(errors="replace")
            if not request.startswith("REGISTER "):
                continue            # a stray datagram on this ephemeral port (RTP of an old call)
            self.requests.append(request)
            self.socket.sendto(self._respond(request).encode(), source)

    def _respond(self, request: str) -> str:
        head = request.split("\r\n\r\n", 1)[0].split("\r\n")
        headers = [line for line in head[1:] if line]
        copied = [h for h in headers if h.split(":", 1)[0].lower() in ("via", "from", "call-id", "cseq")]
        to = next(h for h in headers if h.lower().startswith("to:")) + ";tag=stub"
        authorization = next((h for h in headers if h.lower().startswith("authorization:")), None)
        if authorization is None:
            status = "401 Unauthorized"
            extra = [f'WWW-Authenticate: Digest realm="{self.REALM}", nonce="{self.NONCE}", algorithm=MD5']
        elif self._digest_is_valid(authorization):
            status = "200 OK"
            contact = next(h for h in headers if h.lower().startswith("contact:"))
            expires = re.search(r"^Expires:\s*(\d+)", "\n".join(headers), re.M | re.I)
            extra = [] if expires and expires.group(1) == "0" else [f"{contact};expires={expires.group(1)}"]
        else:
            status = "403 Forbidden"
            extra = []
        return "\r\n".join([f"SIP/2.0 {status}", *copied, to, *extra, "Content-Length: 0", "", ""])

    def _digest_is_valid(self, authorization: str) -> bool:
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', authorization.split(" ", 2)[2]))
        password = self.passwords.get(fields.get("username"))
        if password is None:
            return False
        md5 = lambda text: hashlib.md5(text.encode()).hexdigest()  # noqa: E731
        ha1 = md5(f"{fields['username']}:{self.REALM}:{password}")
        expected = md5(f"{ha1}:{fields['nonce']}:{md5('REGISTER:' + fields['uri'])}")
        return fields.get("response") == expected


@pytest.fixture
def registrar():
    stub = RegistrarStub({"1001": "right"})
    yield stub
    stub.close()


def test_register_goes_through_the_outbound_proxy_and_answers_the_challenge(make_phone, registrar):
    phone = make_phone("1001", password="right", domain="acme.pbx.test", proxy_port=registrar.port)

    assert phone.register(expires=120) == 200
    assert registrar.requests[0].startswith("REGISTER sip:acme.pbx.test SIP/2.0")
    assert "Expires: 120" in registrar.requests[0]
    assert "Authorization: Digest" in registrar.requests[-1]
    assert phone.events("reg_state")[-1]["expiration"] == 120
    assert phone.unregister() == 200
    assert "Expires: 0" in registrar.requests[-1]

    assert phone.register() == 200
    phone.close()
    assert "Expires: 0" in registrar.requests[-1], "a phone closed while registered must unregister"

    intruder = make_phone("1001", password="wrong", domain="acme.pbx.test", proxy_port=registrar.port)
    assert intruder.register() == 403


def test_agent_stops_cleanly_at_end_of_input_and_writes_only_json(tmp_path):
    finished = subprocess.run(
        [sys.executable, str(AGENT_PATH), "--username", "eve", "--log-file", str(tmp_path / "eve.log")],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert finished.returncode == 0, finished.stderr
    events = [json.loads(line)["event"] for line in finished.stdout.splitlines()]
    assert events == ["ready", "stopped"]


def test_a_call_carries_the_headers_and_display_name_given(make_phone):
    """What the identity tests forge: extra headers of one INVITE, a From display name."""
    alice, bob = make_phone("alice", display_name="+41215559999"), make_phone("bob")
    alice.call(bob.contact_uri, headers=[("P-Asserted-Identity", "<sip:+41215559999@x.test>"),
                                         ("Remote-Party-ID", "<sip:+41215559999@x.test>")])
    invite = bob.wait_incoming()["invite_text"]
    assert re.search(r'^From: "\+41215559999" <sip:alice@127\.0\.0\.1>', invite, re.M)
    assert re.search(r"^P-Asserted-Identity: <sip:\+41215559999@x\.test>\r?$", invite, re.M)
    assert re.search(r"^Remote-Party-ID: <sip:\+41215559999@x\.test>\r?$", invite, re.M)
    alice.hangup()
