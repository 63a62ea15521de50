"""vpbx.edge.password_guard: the keys, tables and limit of the SIP edge's password-guessing guard."""
from vpbx.edge import password_guard as authguard
from vpbx.settings import platform as config


def test_a_key_names_the_address_and_the_user_of_the_realm_tried():
    assert authguard.key("192.0.2.7", "bob", "acme.pbx.test") == "192.0.2.7 bob@acme.pbx.test"


def test_a_long_user_name_costs_no_more_than_64_characters_of_key():
    long_key = authguard.key("192.0.2.7", "x" * 5000, "acme.pbx.test")
    assert long_key == "192.0.2.7 " + "x" * 64 + "@acme.pbx.test"


def test_the_ban_starts_at_the_failure_that_reaches_the_limit():
    assert not authguard.is_banned_now(4, 5)
    assert authguard.is_banned_now(5, 5)
    assert authguard.is_banned_now(6, 5)          # (another worker counted at the same time)
    assert not authguard.is_banned_now(50, 0)     # the guard is off
    assert not authguard.is_banned_now(-255, 5)   # htable's "no value" answer


def test_the_guard_is_on_by_default_and_configurable(tmp_path):
    cfg = config.write(str(tmp_path / "vpbx.conf"), db_name="x", db_user="u", db_password="p",
                       run_dir="/r", log_dir="/l", data_dir="/d")
    assert (cfg.sip_auth_failures, cfg.sip_auth_failure_seconds,
            cfg.sip_auth_ban_seconds) == (5, 60, 600)
    assert (cfg.sip_auth_attack_failures, cfg.sip_auth_attack_seconds) == (20, 600)
    text = (tmp_path / "vpbx.conf").read_text().replace(
        "[sip]\n", "[sip]\nauth_failures = 0\nauth_ban_seconds = 30\n"
                   "auth_attack_failures = 0\nauth_attack_seconds = 90\n")
    (tmp_path / "vpbx.conf").write_text(text)
    reread = config.load(str(tmp_path / "vpbx.conf"))
    assert (reread.sip_auth_failures, reread.sip_auth_ban_seconds) == (0, 30)
    assert (reread.sip_auth_attack_failures, reread.sip_auth_attack_seconds) == (0, 90)


def test_an_attack_on_one_user_is_reported_at_the_threshold_then_at_each_doubling():
    alerts = [n for n in range(1, 200) if authguard.attack_alert_due(n, 20)]
    assert alerts == [20, 40, 80, 160]
    assert not any(authguard.attack_alert_due(n, 0) for n in range(1, 100))   # off
    assert not authguard.attack_alert_due(-255, 20)       # htable's "no value" answer
    assert authguard.user_key("bob", "acme.pbx.test") == "bob@acme.pbx.test"
    assert authguard.user_key("x" * 500, "d") == "x" * authguard.USER_CHARS + "@d"


def test_every_spelling_of_a_user_name_counts_as_one_user():
    keys = {authguard.key("192.0.2.7", spelling, "acme.pbx.test")
            for spelling in ("anna", "ANNA", "Anna", "ánna", "ÁNNA", "a\u0301nna", "anna ",
                             " Anna  ")}
    assert keys == {"192.0.2.7 anna@acme.pbx.test"}
    assert authguard.user_key("Bob.Smith", "d") == "bob.smith@d"
    assert "\x00" not in authguard.key("192.0.2.7", "ali\x00ce", "d")
