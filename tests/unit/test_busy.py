"""The busy dialog profiles: the names the routing uses are the ones kamailio.cfg declares."""
import pathlib
import re

from vpbx import busy

KAMAILIO_CFG = pathlib.Path(__file__).resolve().parents[2] / "kamailio.cfg"


def declared_profiles():
    text = KAMAILIO_CFG.read_text()
    names = []
    for value in re.findall(r'^modparam\("dialog", "profiles_with_value", "([^"]*)"\)', text,
                            re.MULTILINE):
        names += value.split(";")
    return names


def test_kamailio_cfg_declares_exactly_the_busy_profiles():
    assert sorted(declared_profiles()) == sorted(busy.profile_names())


def test_a_user_always_lands_in_the_same_declared_profile():
    for tenant_id in range(1, 4):
        for extension in ("100", "101", "2345", "9"):
            value = busy.party(tenant_id, extension)
            assert busy.profile_of(value) == busy.profile_of(f"{tenant_id}:{extension}")
            assert busy.profile_of(value) in busy.profile_names()


def test_users_spread_over_every_profile():
    used = {busy.profile_of(busy.party(7, str(extension))) for extension in range(100, 1100)}
    assert used == set(busy.profile_names())
