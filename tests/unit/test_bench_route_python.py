"""bench.route_python: the stand-in KSR routes `make bench`'s group call through the real kemi/
and vpbx/ code, end to end, with no error (else its figures would time an error path)."""
import pytest

from bench import route_python
from kemi.stubs import known
from tests.support import instance


def test_a_group_call_rings_a_member_and_ends_without_error(platform_config, tmp_path):
    code, cfg_path, numbers, db_name = route_python.prepare(".", str(tmp_path), platform_config)
    try:
        outcome = route_python.measure(".", code, cfg_path, numbers, calls=20)
    finally:
        instance.drop_database(platform_config, db_name)
    counted = outcome["ksr_per_call"]
    assert "err" not in counted and "warn" not in counted, outcome["stderr"]
    # INVITE to the member, ACK and BYE relayed; offer, 180, answer and ACK to rtpengine;
    # the NOC's plan and ring lines and the final "answered" line
    assert counted["tm.t_relay"] == 3
    assert counted["rtpengine.rtpengine_manage"] == 4
    assert counted["registrar.lookup"] == 1 and counted["dialog.dlg_manage"] == 1
    assert counted["info"] == 3
    assert outcome["us_per_call"] > 0
    assert set(outcome["entry_us"]) == set(route_python.ENTRY_POINTS)


def test_the_stand_in_answers_as_for_the_message_routed():
    ksr = route_python.FakeKSR()
    ksr.method = "BYE"
    assert ksr.is_BYE() and not ksr.is_INVITE()
    assert ksr.is_method_in("BA") == 1 and ksr.is_method_in("IU") == -1
    assert ksr.siputils.has_totag() == -1
    ksr.in_dialog = True
    assert ksr.siputils.has_totag() == 1
    ksr.dialog.var_sets("vpbx_parties", "1:7001")
    assert ksr.pv.get("$dlg_var(vpbx_parties)") == "1:7001"
    assert ksr.tm.t_relay() == 1 and ksr.tm.t_is_canceled() == -1


def test_the_stand_in_has_only_the_functions_of_kamailios_ksr():
    ksr = route_python.FakeKSR()
    for misspelt in (lambda: ksr.tm.t_relayy(), lambda: ksr.is_INVTE(),
                     lambda: ksr.tmm.t_relay(), lambda: ksr.pv.gett("$ru")):
        with pytest.raises(AttributeError, match="kemi/stubs/KSR.pyi"):
            misspelt()
    ksr.counting = True                   # (the counted pass checks the arguments too)
    with pytest.raises(TypeError, match="takes 2 arguments, not 1"):
        ksr.sl.sl_send_reply(404)
    without = route_python.FakeKSR({path: arity for path, arity in known.functions().items()
                                    if path != "tm.t_relay"})
    with pytest.raises(AttributeError, match="t_relay"):
        without.tm.t_relay()
