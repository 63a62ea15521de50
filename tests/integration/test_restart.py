"""Kamailio restarts (an upgrade, a crash): what the platform must remember across it, for
real — the phones' registrations (usrloc written back to the database, preloaded at start)
and each cyclic group's pointer (the member who answered its last call)."""

import pytest

from tests.integration.conftest import DOMAINS, PASSWORDS, module_platform
from tests.sip.phone import Phone
from tests.support.platform_logs import KAMAILIO_STOPPING
from tests.support.ringing import ringing_order
from vpbx.stack.control import Stack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def own_platform(platform_config, tmp_path_factory):
    """A platform of this module's own: restarting its Kamailio disturbs no other test."""
    with module_platform(platform_config, str(tmp_path_factory.mktemp("restart")),
                         "initech.yaml") as plat:
        yield plat


@pytest.fixture
def phones(own_platform, tmp_path):
    made = {}
    for username, extension in (("cal", "7000"), ("m1", "7001"), ("m2", "7002"),
                                ("m3", "7003")):
        phone = Phone(username, PASSWORDS[username], DOMAINS[username],
                      own_platform.cfg.sip_port, name=f"{username}-restart",
                      log_dir=str(tmp_path)).start()
        assert phone.register(expires=600) == 200
        made[extension] = phone
    yield made
    for phone in made.values():
        phone.close()


@pytest.mark.expect_log_errors(KAMAILIO_STOPPING)       # (the restart)
def test_registrations_and_the_cyclic_pointer_survive_a_restart(own_platform, phones):
    caller = phones.pop("7000")
    caller.call("401")                      # Cyclic: 7001, 7002, 7003, 1 ring each
    (first, _), = ringing_order(phones, 1, timeout=3)
    phones[first].answer()
    caller.wait_call_state("CONFIRMED")
    caller.hangup()
    own_platform.wait_log("VPBX-CALL", group="Cyclic", member=first, outcome="answered")
    own_platform.wait_no_media_sessions()

    kamailio = Stack(own_platform.cfg, components=("kamailio",))
    before = kamailio.pid("kamailio")
    kamailio.stop()
    kamailio.start()
    assert kamailio.pid("kamailio") not in (None, before)

    # no phone registers again: their bindings come back from the database
    order = ["7001", "7002", "7003"]
    caller.call("401")
    (after_restart, _), = ringing_order(phones, 1, timeout=3,
                                        since=max(e["mono"] for p in phones.values()
                                                  for e in p.events("incoming_call")))
    assert after_restart == order[(order.index(first) + 1) % 3]   # after the last answerer
    phones[after_restart].answer()
    caller.wait_call_state("CONFIRMED")
    caller.hangup()
    own_platform.wait_no_media_sessions()
