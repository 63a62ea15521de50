"""vpbx.edge.flood_guard: whose requests count towards a flood ban."""
import pytest

from vpbx.settings import platform as config
from vpbx.edge import flood_guard as floodguard

CARRIER = ("192.0.2.1", 5060)


def test_exempt_addresses_are_read_with_commas_or_spaces():
    assert floodguard.parse_exempt("192.0.2.9, 198.51.100.4  203.0.113.5") == {
        "192.0.2.9", "198.51.100.4", "203.0.113.5"}
    assert floodguard.parse_exempt("") == frozenset()


def test_exempt_networks_cover_their_addresses_and_bad_entries_are_named():
    exempt = floodguard.parse_exempt("203.0.113.5/28, 198.51.100.4, 2001:db8::/64")
    assert exempt == {"203.0.113.0/28", "198.51.100.4", "2001:db8::/64"}
    for source in ("203.0.113.0", "203.0.113.15", "198.51.100.4", "2001:db8::5"):
        assert floodguard.is_exempt(source, exempt), source
    for source in ("203.0.113.16", "198.51.100.5", "2001:db9::5", "not-an-address"):
        assert not floodguard.is_exempt(source, exempt), source
    assert not floodguard.is_counted("203.0.113.9", True, CARRIER, exempt)
    with pytest.raises(ValueError, match="'sbc.example.com' is neither an IP address nor"):
        floodguard.parse_exempt("192.0.2.9 sbc.example.com")
    with pytest.raises(ValueError, match="'192.0.2.0/33'"):
        floodguard.parse_exempt("192.0.2.0/33")


def test_a_phone_address_counts_the_carrier_and_exempt_ones_do_not():
    exempt = frozenset({"198.51.100.4"})
    assert floodguard.is_counted("203.0.113.7", True, CARRIER, exempt)
    assert not floodguard.is_counted("192.0.2.1", True, CARRIER, exempt)
    assert not floodguard.is_counted("198.51.100.4", True, CARRIER, exempt)


def test_with_no_carrier_configured_every_address_counts():
    assert floodguard.is_counted("192.0.2.1", True, None, frozenset())


def test_nothing_counts_while_the_carrier_is_not_known():
    # (after a configuration change, or with the database away: the carrier's own traffic
    # must never be mistaken for a flood)
    assert not floodguard.is_counted("203.0.113.7", False, None, frozenset())


def test_the_guard_defaults_and_its_settings(tmp_path):
    cfg = config.write(str(tmp_path / "vpbx.conf"), db_name="x", db_user="u", db_password="p",
                       run_dir="/r", log_dir="/l", data_dir="/d",
                       sip_flood_exempt="198.51.100.4,203.0.113.5", sip_flood_ban_seconds=30)
    assert cfg.sip_flood_requests == 200
    assert cfg.sip_flood_exempt == {"198.51.100.4", "203.0.113.5"}
    assert cfg.sip_flood_ban_seconds == 30


def test_a_limit_past_any_sources_need_is_cut_to_its_maximum(tmp_path):
    path = tmp_path / "vpbx.conf"
    config.write(str(path), db_name="x", db_user="u", db_password="p", run_dir="/r",
                 log_dir="/l", data_dir="/d")
    path.write_text(path.read_text().replace("[sip]\n", "[sip]\nflood_requests = 1000000\n"))
    assert config.load(str(path)).sip_flood_requests == 65535


def test_a_configuration_with_a_bad_exempt_entry_is_refused_with_its_reason(tmp_path):
    with pytest.raises(ValueError, match="flood_exempt: 'trunk-1' is neither"):
        config.write(str(tmp_path / "vpbx.conf"), db_name="x", db_user="u", db_password="p",
                     run_dir="/r", log_dir="/l", data_dir="/d", sip_flood_exempt="trunk-1")


# -- the rule: more than flood_requests within any 2 s ---------------------------------------------
def replay(times, limit):
    """The edge's counting (kemi/edge.flooding_source) over request times: the index of the
    first request judged a flood, or None."""
    counts = {}
    for index, now in enumerate(times):
        own_key, earlier = floodguard.count_keys("198.51.100.9", now)
        counts[own_key] = counts.get(own_key, 0) + 1
        if floodguard.is_flood(counts[own_key], (counts.get(k, 0) for k in earlier), limit):
            return index
    return None


def test_more_than_the_limit_within_two_seconds_is_a_flood_wherever_the_burst_falls():
    # 300 requests in 1.85 s (the burst pike let through): caught at the 201st, whatever the
    # burst's offset against the counting quarters
    for offset in (0.0, 0.1, 0.25, 0.3, 0.49, 1.0, 1.9):
        times = [1000 + offset + 1.85 * n / 300 for n in range(300)]
        assert replay(times, 200) == 200, offset
    # 201 requests spread evenly over 1.99 s
    assert replay([1000.3 + 1.99 * n / 200 for n in range(201)], 200) == 200


def test_a_source_under_the_limit_is_never_a_flood():
    # 70 requests a second for a minute: 175 within any 2.5 s
    assert replay([2000 + n / 70 for n in range(70 * 60)], 200) is None
    # 200 within 2 s, then a pause of 2.5 s, then 200 more
    burst = [3000 + 2 * n / 200 for n in range(200)]
    assert replay(burst + [t + 4.5 for t in burst], 200) is None


def test_the_counts_keys_name_the_source_and_its_quarter_second():
    own, earlier = floodguard.count_keys("198.51.100.9", 100.6)
    assert own == "198.51.100.9#201"
    assert earlier == ("198.51.100.9#197", "198.51.100.9#198", "198.51.100.9#199",
                       "198.51.100.9#200")
