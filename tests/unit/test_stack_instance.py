"""The defines vpbx.stack.control writes for kamailio.cfg (instance.cfg), from the configuration."""
import dataclasses
import os

from vpbx.edge import password_guard as authguard
from vpbx.settings import platform as config
from vpbx.edge import flood_guard as floodguard
from vpbx.stack.control import Stack, expiring_htable


def test_guard_tables_expire_on_their_own_and_count_from_zero():
    assert expiring_htable("t", 60) == "t=>size=12;autoexpire=60;initval=0"


def test_instance_defines_carry_the_configured_guard_times(tmp_path):
    cfg = config.write(str(tmp_path / "vpbx.conf"), db_name="x", db_user="u", db_password="p",
                       run_dir="/r", log_dir="/l", data_dir="/d", sip_auth_ban_seconds=900,
                       sip_flood_ban_seconds=120)
    cfg = dataclasses.replace(cfg, sip_auth_failure_seconds=45, sip_flood_requests=0,
                              sip_auth_attack_seconds=300)
    run = tmp_path / "run"
    os.makedirs(run)
    Stack(cfg)._write_kamailio_instance(str(run))
    defines = (run / "instance.cfg").read_text().splitlines()
    assert (f'#!define AUTH_FAILURES_HTABLE "{authguard.FAILURES_TABLE}=>size=12;'
            'autoexpire=45;initval=0"') in defines
    assert (f'#!define AUTH_BANS_HTABLE "{authguard.BANS_TABLE}=>size=12;'
            'autoexpire=900;initval=0"') in defines
    assert (f'#!define AUTH_USERS_HTABLE "{authguard.USER_FAILURES_TABLE}=>size=12;'
            'autoexpire=300;initval=0"') in defines
    assert (f'#!define FLOOD_BANS_HTABLE "{floodguard.BANS_TABLE}=>size=12;'
            'autoexpire=120;initval=0"') in defines
    assert (f'#!define FLOOD_COUNTS_HTABLE "{floodguard.COUNTS_TABLE}=>size=12;'
            'autoexpire=3;initval=0"') in defines
    assert oct((run / "instance.cfg").stat().st_mode & 0o777) == "0o600"
