"""The busy dialog profiles: the names the routing uses are the ones kamailio.cfg declares."""
import os
import pathlib
import re
import subprocess
import sys

from vpbx.live import busy

ROOT = pathlib.Path(__file__).resolve().parents[2]
KAMAILIO_CFG = ROOT / "kamailio.cfg"


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


def test_every_process_puts_a_user_in_the_same_declared_profile():
    """Kamailio's workers fill the profiles, `vpbx` and the web UI read them: each process
    must find a user where the routing put them (no per-process hash seed)."""
    values = [busy.party(tenant_id, extension)
              for tenant_id in range(1, 4) for extension in ("100", "101", "2345", "9")]
    script = ("import sys; from vpbx.live import busy; "
              "print(' '.join(busy.profile_of(v) for v in sys.argv[1:]))")
    for seed in ("1", "2"):
        other = subprocess.run([sys.executable, "-c", script, *values], check=True, text=True,
                               capture_output=True, cwd=ROOT,
                               env={**os.environ, "PYTHONHASHSEED": seed}).stdout.split()
        assert other == [busy.profile_of(value) for value in values]
    assert all(busy.profile_of(value) in busy.profile_names() for value in values)


def test_users_spread_over_every_profile():
    used = {busy.profile_of(busy.party(7, str(extension))) for extension in range(100, 1100)}
    assert used == set(busy.profile_names())
