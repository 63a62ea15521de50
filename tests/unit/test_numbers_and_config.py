"""Number forms, HA1 digests, configuration files and migration parsing."""
import hashlib
import os

import pytest

from vpbx.settings import platform as config
from vpbx.storage import migrations as migrate
from vpbx.model import numbers
from vpbx.edge import credentials as sipauth


@pytest.mark.parametrize("dialled, expected", [
    ("+41215667956", "+41215667956"), ("0041215667956", "+41215667956"),
    ("+41 21 566 79 56", "+41215667956"), ("0215667956", None), ("+0123456789", None),
    ("7956", None), ("+4121abc", None)])
def test_international_form(dialled, expected):
    assert numbers.international_form(dialled) == expected


def test_extensions_are_two_to_six_digits():
    assert numbers.is_extension("12") and numbers.is_extension("123456")
    assert not numbers.is_extension("1") and not numbers.is_extension("1234567")
    assert not numbers.is_extension("12a")


@pytest.mark.parametrize("text", [
    "\u0665\u0661\u0660\u0663",      # Arabic-Indic 5103
    "\uff15\uff11\uff10\uff14",      # full-width 5104
    "\u09eb\u09e7",                    # Bengali 51
    "5103\n",                           # a final line break ("$" lets it in)
])
def test_only_ascii_digits_are_digits(text):
    assert not numbers.is_extension(text)
    assert not numbers.is_e164("+41" + text + "000000")
    assert numbers.international_form("0041" + text + "000000") is None
    assert numbers.external_form("0021" + text + "000", access_code=True) is None
    assert not numbers.is_ascii_digits(text)


def test_ha1_is_the_md5_of_user_realm_password():
    assert sipauth.ha1("alice", "acme.pbx.test", "pw") == hashlib.md5(b"alice:acme.pbx.test:pw").hexdigest()


def test_config_file_round_trip_is_private(tmp_path):
    cfg = config.write(str(tmp_path / "vpbx.conf"), db_name="d", db_user="u", db_password="secret",
                       run_dir="/r", log_dir="/l", data_dir="/d", sip_port=5070)
    assert cfg.sip_port == 5070 and cfg.kamailio_db_url == "mysql://u:secret@127.0.0.1:3306/d"
    assert os.stat(cfg.path).st_mode & 0o077 == 0


def test_the_media_app_listens_on_the_loopback_address_unless_told_otherwise(tmp_path):
    """Whatever the edge's public address ([sip] address), the media app is on 127.0.0.1."""
    path = tmp_path / "vpbx.conf"
    cfg = config.write(str(path), db_name="d", db_user="u", db_password="p", run_dir="/r",
                       log_dir="/l", data_dir="/d", sip_address="192.0.2.2")
    assert (cfg.sip_address, cfg.media_address) == ("192.0.2.2", "127.0.0.1")
    path.write_text(path.read_text().replace("address = 127.0.0.1", "address = 10.0.0.7"))
    assert config.load(str(path)).media_address == "10.0.0.7"
    path.write_text(path.read_text().replace("address = 10.0.0.7\n", ""))
    assert config.load(str(path)).media_address == "127.0.0.1"     # a file of before


def test_missing_config_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="vpbx configuration not found"):
        config.load(str(tmp_path / "absent.conf"))


@pytest.mark.parametrize("text, reason", [
    ("[database]\nname = d\n", "'sip' is missing (a section or a setting)"),
    ("no section here\n", "File contains no section headers"),
    ("[sip]\nport = 5060\nport = 5070\n", "option 'port' in section 'sip' already exists"),
])
def test_a_broken_config_file_is_a_clear_error_naming_the_file(tmp_path, text, reason):
    path = tmp_path / "vpbx.conf"
    path.write_text(text)
    with pytest.raises(config.ConfigError) as raised:
        config.load(str(path))
    assert str(raised.value).startswith(f"vpbx configuration {path}: ")
    assert reason in str(raised.value)


def test_a_wrong_value_is_a_clear_error_naming_the_setting(tmp_path):
    cfg = config.write(str(tmp_path / "vpbx.conf"), db_name="d", db_user="u", db_password="p",
                       run_dir="/r", log_dir="/l", data_dir="/d")
    text = open(cfg.path).read().replace("port = 5060", "port = five")
    open(cfg.path, "w").write(text)
    with pytest.raises(config.ConfigError, match="invalid literal for int.*'five'"):
        config.load(cfg.path)


def test_the_commands_say_what_is_wrong_with_the_config_instead_of_a_traceback(
        tmp_path, monkeypatch, capsys):
    from vpbx.command import main as cli
    from vpbx.stack import control as stack
    path = tmp_path / "vpbx.conf"
    path.write_text("[database]\nname = d\n")
    monkeypatch.setenv("VPBX_CONFIG", str(path))
    for main, argv in ((cli.main, ["bans"]), (stack.main, ["status"])):
        assert main(argv) == 1
        assert capsys.readouterr().err == (f"vpbx: vpbx configuration {path}: 'sip' is missing"
                                           " (a section or a setting)\n")


def test_migration_files_are_numbered_uniquely_and_split_into_statements():
    found = migrate.available()
    assert [v for v, _, _ in found] == sorted({v for v, _, _ in found})
    statements = migrate.split_statements("-- c\nCREATE TABLE a (x INT);\nINSERT INTO a VALUES (1);\n")
    assert statements == ["CREATE TABLE a (x INT)", "INSERT INTO a VALUES (1)"]


@pytest.mark.parametrize("dialled, access_code, expected", [
    ("00218790000", True, "+41218790000"),        # 0 + national 021 879 00 00
    ("0 021 879 00 00", True, "+41218790000"),
    ("00033144556677", True, "+33144556677"),     # 0 + 00 33 1 44 55 66 77
    ("0218790000", True, None),                   # the access code is missing
    ("0218790000", False, "+41218790000"),        # dialled directly
    ("0033144556677", False, "+33144556677"),
    ("+41218790000", True, "+41218790000"),       # +E.164 works either way
    ("+41218790000", False, "+41218790000"),
    ("0", True, None), ("00", True, None), ("7956", False, None), ("0abc", True, None),
])
def test_external_numbers_with_and_without_the_access_code(dialled, access_code, expected):
    assert numbers.external_form(dialled, access_code=access_code) == expected
