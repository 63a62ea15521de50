"""The legitimate client checked throughout a fuzz run, from LEGIT_ADDRESS (127.0.0.1):
the edge answers an OPTIONS, carol REGISTERs with digest credentials from a bare socket
(tests.support.rawsip), and alice (a PJSUA2 test phone, tests/sip/phone.py) registers
again and calls bob (another phone) through the edge: bob rings and answers, the call is
confirmed, RTP flows both ways through rtpengine, alice hangs up."""
import socket
import time
import traceback
from dataclasses import dataclass

from fuzz.platform import DOMAIN, EXTENSIONS, LEGIT_ADDRESS, PASSWORDS
from tests.support.rawsip import register_with_password
from vpbx.stack.control import sip_options_ping


@dataclass
class Check:
    after: int                   # messages sent when it began
    ok: bool
    seconds: float
    failure: str = ""


class LegitClient:
    def __init__(self, inst, log_dir: str):
        self.inst = inst
        self.log_dir = log_dir
        self.phones = {}
        self.checks = []

    def start(self) -> None:
        from tests.sip.phone import Phone
        host, port = self.inst.edge
        for name in ("alice", "bob"):
            phone = Phone(name, PASSWORDS[name], DOMAIN, port, proxy_host=host,
                          name=f"legit-{name}", log_dir=self.log_dir,
                          bind_address=LEGIT_ADDRESS, log_level=3)
            self.phones[name] = phone.start()
            code = phone.register()
            if code != 200:
                raise RuntimeError(f"the legitimate phone {name} could not register ({code})")

    def close(self) -> None:
        for phone in self.phones.values():
            try:
                phone.unregister()
            except AssertionError:
                pass
            phone.close()

    def check(self, after: int) -> Check:
        """One round of the legitimate client; never raises."""
        began = time.monotonic()
        step = "OPTIONS"
        try:
            if not any(sip_options_ping(*self.inst.edge, timeout=1.0) for _ in range(3)):
                raise AssertionError("the edge answered none of 3 OPTIONS")
            step = "raw digest REGISTER of carol"
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.bind((LEGIT_ADDRESS, 0))
                code = register_with_password(self.inst, sock, "carol", PASSWORDS["carol"],
                                              DOMAIN, expires=60, call=f"legit{after}")
                assert code == 200, f"answered {code}"
            alice, bob = self.phones["alice"], self.phones["bob"]
            step = "alice's REGISTER"
            code = alice.register()
            assert code == 200, f"answered {code}"
            step = "alice calls bob"
            alice.call(EXTENSIONS["bob"])
            bob.wait_incoming()
            bob.answer()
            alice.wait_call_state("CONFIRMED")
            step = "RTP both ways"
            alice.wait_rtp(min_packets=10)
            step = "hang-up"
            alice.hangup()
            bob.wait_call_state("DISCONNECTED")
            result = Check(after, True, time.monotonic() - began)
        except Exception as exc:         # (a phone's failure is an AssertionError)
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else \
                traceback.format_exc().splitlines()[-1]
            result = Check(after, False, time.monotonic() - began, f"{step}: {detail[:300]}")
            for phone in self.phones.values():          # leave no call up for the next round
                try:
                    if phone.current_call is not None and phone.call_state() != "DISCONNECTED":
                        phone.hangup()
                except AssertionError:
                    pass
        self.checks.append(result)
        return result
