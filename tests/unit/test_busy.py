"""The busy dialog profiles: the names the routing uses are the ones kamailio.cfg declares."""
import pathlib
import re

from vpbx import busy

KAMAILIO_CFG = pathlib.Path(__file__).resolve().parents[2] / "kamailio.cfg"


def declared_profiles():
    """The profiles of kamailio.cfg's one profiles_with_value (its adjacent strings joined,
    as Kamailio's config parser does; a second modparam would replace the first)."""
    text = KAMAILIO_CFG.read_text()
    params = re.findall(r'^modparam\("dialog", "profiles_with_value",((?:\s*"[^"]*")+)\s*\)',
                        text, re.MULTILINE)
    assert len(params) == 1, "profiles_with_value must be set exactly once"
    return "".join(re.findall(r'"([^"]*)"', params[0])).split(";")


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
