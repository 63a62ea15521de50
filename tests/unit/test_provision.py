"""`vpbx apply | export | delete` (CONFIG-FORMAT.md) against a real migrated MariaDB database."""
import hashlib
import os
import subprocess
import sysconfig
import wave

import pytest
import yaml

from tests.conftest import assign_fixture_numbers
from vpbx.provisioning import apply as provision

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
ACME_FILE = os.path.join(FIXTURES, "acme.yaml")
PLATFORM_FILE = os.path.join(FIXTURES, "platform.yaml")
PASSWORDS = {"julien": "Julien-s3cret!", "marie": "Marie-s3cret!", "paul": "Paul-s3cret!"}
# every table a tenant's configuration lives in, for "nothing changed" snapshots
TABLES = ("platform_settings", "tenants", "users", "subscriber", "location", "time_ranges",
          "time_range_periods", "holidays", "call_groups", "group_members", "global_numbers",
          "number_routes", "presentation_rules", "presentation_rule_users", "directory_contacts")


# ---- helpers ------------------------------------------------------------------------------

def acme() -> dict:
    """The fixture tenant file as a document to modify."""
    with open(ACME_FILE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def globex() -> dict:
    """A second, small tenant."""
    return {"tenant": "globex", "name": "Globex AG", "domain": "globex.pbx.test",
            "users": [{"extension": "7956", "name": "Gina", "username": "gina",
                       "password": "gina-s3cret", "direct_number": "+41225550001"}]}


def write(tmp_path, document, name="acme.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return str(path)


def apply(conn, tmp_path, document, name="acme.yaml") -> provision.ApplyResult:
    return provision.apply_file(conn, write(tmp_path, document, name))


def query(conn, sql, args=()) -> list[dict]:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


def snapshot(conn) -> dict[str, list]:
    """Every row of every configuration table (order-independent), without the
    configuration generation (bookkeeping for the routing's caches, see `generation`)."""
    return {table: sorted(map(repr, query(conn, f"SELECT * FROM {table}"
                                                + (" WHERE name <> 'config_generation'"
                                                   if table == "platform_settings" else ""))))
            for table in TABLES}


def generation(conn) -> int:
    """The platform's configuration generation: moves on with every change."""
    return int(query(conn, "SELECT value FROM platform_settings"
                           " WHERE name = 'config_generation'")[0]["value"])


def settings(conn) -> dict[str, str]:
    """The platform settings a platform file stores."""
    return {r["name"]: r["value"] for r in query(conn, "SELECT * FROM platform_settings")
            if r["name"] != "config_generation"}


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def subscribers(conn) -> dict[tuple[str, str], dict]:
    return {(row["username"], row["domain"]): row
            for row in query(conn, "SELECT username, domain, password, ha1, ha1b FROM subscriber")}


@pytest.fixture
def throwaway_db(throwaway_db):
    """The throwaway database with the test tenants' numbers assigned (as the fixture
    platform file assigns them): a tenant uses only numbers assigned to it."""
    assign_fixture_numbers(throwaway_db)
    return throwaway_db


@pytest.fixture
def applied(conn):
    """The database with acme.yaml applied."""
    result = provision.apply_file(conn, ACME_FILE)
    assert result.problems == []
    return conn


# ---- a valid file -------------------------------------------------------------------------

def test_full_file_creates_every_row(applied):
    conn = applied
    tenant, = query(conn, "SELECT * FROM tenants")
    assert (tenant["slug"], tenant["name"], tenant["domain"], tenant["timezone"],
            tenant["access_code"]) == ("acme", "ACME SA", "acme.pbx.test", "Europe/Zurich", 1)
    users = query(conn, "SELECT extension, name, username, direct_number FROM users"
                        " WHERE tenant_id = %s ORDER BY id", (tenant["id"],))
    assert [tuple(u.values()) for u in users] == [
        ("7956", "Julien", "julien", "+41215667956"), ("7961", "Marie", "marie", "+41215667961"),
        ("7950", "Paul", "paul", None)]
    accounts = subscribers(conn)
    assert set(accounts) == {(name, "acme.pbx.test") for name in PASSWORDS}
    for name, password in PASSWORDS.items():
        row = accounts[(name, "acme.pbx.test")]
        assert row["password"] == ""       # never clear text
        assert row["ha1"] == md5(f"{name}:acme.pbx.test:{password}")
        assert row["ha1b"] == md5(f"{name}@acme.pbx.test:acme.pbx.test:{password}")


def test_full_file_creates_ranges_holidays_groups_numbers(applied):
    conn = applied
    ranges = query(conn, "SELECT r.name, r.days, r.is_default, p.start_minute, p.end_minute"
                         " FROM time_ranges r JOIN time_range_periods p ON p.time_range_id = r.id"
                         " ORDER BY r.name, p.start_minute")
    assert [(r["name"], r["is_default"], r["start_minute"], r["end_minute"]) for r in ranges] == [
        ("Office hours", 1, 480, 720), ("Office hours", 1, 840, 1080), ("Saturday", 0, 540, 720)]
    holidays = query(conn, "SELECT name, first_day, last_day FROM holidays ORDER BY first_day")
    assert [(h["name"], str(h["first_day"]), str(h["last_day"])) for h in holidays] == [
        ("Easter", "2027-03-26", "2027-03-29"), ("National day", "2027-08-01", "2027-08-01")]
    groups = query(conn, "SELECT name, short_number, distribution, rings, cycles, no_answer_kind,"
                         " no_answer_target FROM call_groups ORDER BY name")
    assert [tuple(g.values()) for g in groups] == [
        ("Reception", 401, "cyclic", 3, 2, "voicemail", "+41215667955"),
        ("Support", 402, "hierarchical", 4, 1, "number", "+41219876543")]
    members = query(conn, "SELECT g.name, u.extension, m.position FROM group_members m"
                          " JOIN call_groups g ON g.id = m.group_id"
                          " JOIN users u ON u.id = m.user_id"
                          " ORDER BY g.name, m.position")
    assert [tuple(m.values()) for m in members] == [
        ("Reception", "7956", 0), ("Reception", "7961", 1),
        ("Support", "7950", 0), ("Support", "7956", 1)]
    number, = query(conn, "SELECT number, label, outside_kind, outside_target FROM global_numbers")
    assert tuple(number.values()) == ("+41215667955", "Reception", "voicemail", "+41215667955")
    routes = query(conn, "SELECT rt.position, r.name, rt.dest_kind, rt.dest_target"
                         " FROM number_routes rt JOIN time_ranges r ON r.id = rt.time_range_id"
                         " ORDER BY rt.position")
    assert [tuple(r.values()) for r in routes] == [
        (0, "Office hours", "group", "Reception"), (1, "Saturday", "group", "Support")]


def test_first_apply_lists_what_it_created(conn):
    changes = provision.apply_file(conn, ACME_FILE).changes
    assert changes[:4] == ["tenant acme: created", "user 7956 (julien): created",
                           "user 7961 (marie): created", "user 7950 (paul): created"]
    assert "group Reception: created" in changes
    assert "number +41215667955: created" in changes
    assert "time range Saturday: created" in changes


def test_second_apply_changes_nothing(applied):
    before, generation_before = snapshot(applied), generation(applied)
    assert provision.apply_file(applied, ACME_FILE) == provision.ApplyResult([], [])
    assert snapshot(applied) == before and generation(applied) == generation_before


def test_export_then_apply_changes_nothing(applied, tmp_path):
    text = provision.export_tenant(applied, "acme")
    document = yaml.safe_load(text)
    assert list(document) == ["tenant", "name", "domain", "timezone", "access_code", "users",
                              "time_ranges", "holidays", "groups", "numbers"]
    assert all("password" not in user for user in document["users"])
    assert "Julien-s3cret" not in text
    assert document["time_ranges"][0] == {"name": "Office hours",
                                          "days": ["mon", "tue", "wed", "thu", "fri"],
                                          "periods": ["08:00-12:00", "14:00-18:00"]}
    assert document["groups"][0]["members"] == ["7956", "7961"]
    assert "cycles" not in document["groups"][1]          # hierarchical: no cycles
    before = snapshot(applied)
    path = tmp_path / "exported.yaml"
    path.write_text(text)
    assert provision.apply_file(applied, str(path)) == provision.ApplyResult([], [])
    assert snapshot(applied) == before


def test_export_of_unknown_tenant_is_none(conn):
    assert provision.export_tenant(conn, "nobody") is None


def test_new_tenant_gets_default_office_hours(conn, tmp_path):
    result = apply(conn, tmp_path, globex(), "globex.yaml")
    assert result.problems == []
    exported = yaml.safe_load(provision.export_tenant(conn, "globex"))
    assert exported["time_ranges"] == [{"name": "Office hours",
                                        "days": ["mon", "tue", "wed", "thu", "fri"],
                                        "periods": ["08:00-12:00", "14:00-18:00"]}]
    assert exported["timezone"] == "Europe/Zurich" and exported["access_code"] is True
    assert query(conn, "SELECT is_default FROM time_ranges") == [{"is_default": 1}]


# ---- updates ------------------------------------------------------------------------------

def test_password_change_is_reported_and_rehashed(applied, tmp_path):
    document = acme()
    document["users"][1]["password"] = "Marie-n3w-pass"
    result = apply(applied, tmp_path, document)
    assert result.changes == ["user 7961: password changed"]
    row = subscribers(applied)[("marie", "acme.pbx.test")]
    assert row["ha1"] == md5("marie:acme.pbx.test:Marie-n3w-pass")
    assert row["ha1b"] == md5("marie@acme.pbx.test:acme.pbx.test:Marie-n3w-pass")
    assert row["password"] == ""


def test_absent_password_keeps_the_account(applied, tmp_path):
    document = acme()
    for user in document["users"]:
        del user["password"]
    before = subscribers(applied)
    assert apply(applied, tmp_path, document).changes == []
    assert subscribers(applied) == before


def test_users_absent_from_the_list_are_removed(applied, tmp_path):
    with applied.cursor() as cur:
        cur.execute("INSERT INTO location (ruid, username, domain, contact)"
                    " VALUES ('r1', 'paul', 'acme.pbx.test', 'sip:paul@127.0.0.1')")
    document = acme()
    del document["users"][2]
    document["groups"][1]["members"] = ["7956"]
    document["users"][0]["name"] = "Julien D."
    result = apply(applied, tmp_path, document)
    assert result.changes == ["user 7950: removed", "user 7956: updated (name)",
                              "group Support: updated"]
    assert ("paul", "acme.pbx.test") not in subscribers(applied)
    assert query(applied, "SELECT * FROM location") == []
    assert [u["extension"] for u in query(applied, "SELECT extension FROM users")] \
        == ["7956", "7961"]


def test_removed_user_leaves_the_stored_groups(applied, tmp_path):
    document = acme()
    del document["users"][2]
    del document["groups"]
    assert apply(applied, tmp_path, document).changes == ["user 7950: removed",
                                                          "group Support: member 7950 removed"]
    support = yaml.safe_load(provision.export_tenant(applied, "acme"))["groups"][1]
    assert support["members"] == ["7956"]


def test_sections_absent_from_the_file_are_left_alone(applied, tmp_path):
    before, generation_before = snapshot(applied), generation(applied)
    result = apply(applied, tmp_path, {"tenant": "acme", "name": "ACME Holding"})
    assert result.changes == ["tenant acme: updated (name)"]
    after = snapshot(applied)
    assert {table for table in TABLES if before[table] != after[table]} == {"tenants"}
    assert generation(applied) == generation_before + 1     # the routing refreshes its cache


def test_domain_change_moves_the_sip_accounts(applied, tmp_path):
    document = acme()
    document["domain"] = "ACME.example.test"
    result = apply(applied, tmp_path, document)
    assert result.changes == ["tenant acme: updated (domain)"]
    accounts = subscribers(applied)
    assert set(accounts) == {(name, "acme.example.test") for name in PASSWORDS}
    for name, password in PASSWORDS.items():
        assert accounts[(name, "acme.example.test")]["ha1"] \
            == md5(f"{name}:acme.example.test:{password}")


def test_username_change_renames_the_account(applied, tmp_path):
    document = acme()
    document["users"][2]["username"] = "paul.martin"
    assert apply(applied, tmp_path, document).changes == ["user 7950: updated (username)"]
    assert ("paul", "acme.pbx.test") not in subscribers(applied)
    assert subscribers(applied)[("paul.martin", "acme.pbx.test")]["ha1"] \
        == md5("paul.martin:acme.pbx.test:Paul-s3cret!")


def test_unique_values_can_be_swapped(applied, tmp_path):
    document = acme()
    first, second = document["users"][0], document["users"][1]
    for key in ("direct_number", "username", "password"):
        first[key], second[key] = second[key], first[key]
    reception, support = document["groups"]
    reception["short_number"], support["short_number"] = 402, 401
    result = apply(applied, tmp_path, document)
    assert result.problems == []
    assert "group Reception: updated" in result.changes
    users = query(applied, "SELECT extension, username, direct_number FROM users ORDER BY id")
    assert [tuple(u.values()) for u in users][:2] == [("7956", "marie", "+41215667961"),
                                                      ("7961", "julien", "+41215667956")]
    assert subscribers(applied)[("marie", "acme.pbx.test")]["ha1"] \
        == md5("marie:acme.pbx.test:Marie-s3cret!")     # the password went with the name
    assert {g["name"]: g["short_number"] for g in query(
        applied, "SELECT name, short_number FROM call_groups")} == {"Reception": 402,
                                                                    "Support": 401}
    assert apply(applied, tmp_path, document).changes == []


def test_office_hours_is_edited_never_removed(applied, tmp_path):
    document = acme()
    document["time_ranges"] = [{"name": "Office hours", "days": ["mon", "tue"],
                                "periods": ["07:30-24:00"]}]
    document["numbers"][0]["routes"] = [{"range": "Office hours", "to": {"group": "Reception"}}]
    result = apply(applied, tmp_path, document)
    assert result.changes == ["time range Office hours: updated",
                              "number +41215667955: updated", "time range Saturday: removed"]
    document["time_ranges"] = []
    assert apply(applied, tmp_path, document).changes == []
    office, = query(applied, "SELECT name, days, is_default FROM time_ranges")
    assert office["name"] == "Office hours" and office["is_default"] == 1


def test_holidays_and_numbers_follow_the_list(applied, tmp_path):
    document = acme()
    document["holidays"] = [{"name": "Easter", "from": "2027-03-26", "to": "2027-03-30"}]
    document["numbers"].append({"number": "+41215667900", "label": "Fax", "routes": [],
                                "outside_hours": "hangup"})
    result = apply(applied, tmp_path, document)
    assert result.changes == ["holiday Easter (2027-03-26 to 2027-03-29): removed",
                              "holiday National day (2027-08-01): removed",
                              "holiday Easter (2027-03-26 to 2027-03-30): created",
                              "number +41215667900: created"]
    document["numbers"].pop()
    assert apply(applied, tmp_path, document).changes == ["number +41215667900: removed"]


# ---- problems: one clear line each, nothing changed ----------------------------------------

def _set(path, value):
    """A change to a document: set the value at `path` (a list of keys and indexes)."""
    def change(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def _delete(path):
    def change(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return change


def _both(*changes):
    def change(document):
        for each in changes:
            each(document)
    return change


def _append(path, value):
    def change(document):
        target = document
        for key in path:
            target = target[key]
        target.append(value)
    return change


CONTROL = "must not contain control characters (line breaks, tabs, escapes…)"
NEW_USER = {"extension": "7970", "name": "New", "username": "new", "password": "new-s3cret"}
NEW_NUMBER = {"number": "+41215667956", "routes": [], "outside_hours": "hangup"}

INVALID = [
    # tenant settings
    (_set(["tenant"], "ACME"), "tenant: must be 1 to 32 characters among a-z, 0-9 and -"),
    (_set(["domain"], "acme_pbx"),
     "domain: must be a DNS name such as acme.pbx.test (letters, digits, '-', dots)"),
    (_set(["timezone"], "Europe/Zurichh"),
     "timezone: unknown time zone 'Europe/Zurichh' (use a zoneinfo name such as Europe/Zurich)"),
    (_set(["access_code"], "maybe"), "access_code: must be true or false"),
    (_set(["colour"], "blue"), "colour: unknown key (expected one of: tenant, name, domain, "
     "timezone, access_code, users, time_ranges, holidays, audio, groups, numbers, voicemail, "
     "outgoing, directory)"),
    (_set(["users"], None), "users: must be a list (write [] for none)"),
    # users
    (_append(["users"], {**NEW_USER, "extension": "7970123"}),
     "users[3].extension: must be 2 to 6 digits"),
    (_append(["users"], {**NEW_USER, "extension": 7970}),
     "users[3].extension: must be 2 to 6 digits (write it in quotes)"),
    (_append(["users"], {**NEW_USER, "extension": "7956"}),
     "users[3].extension: 7956 is already used by users[0]"),
    (_set(["users", 2, "username"], "paul martin"), "users[2].username: must be 1 to 64 "
     "characters among letters, digits, '.', '_' and '-'"),
    (_set(["users", 2, "username"], "julien"),
     "users[2].username: julien is already used by users[0]"),
    (_set(["users", 2, "password"], "short"),
     "users[2].password: must be at least 8 characters"),
    (_append(["users"], {**NEW_USER, "password": None}),
     "users[3].password: required for a new user"),
    (_set(["users", 2, "direct_number"], "0215667950"),
     "users[2].direct_number: must be an E.164 number such as \"+41215667956\""),
    (_set(["users", 2, "direct_number"], "+41215667961"),
     "users[2].direct_number: +41215667961 is already used by users[1]"),
    (_set(["users", 0, "pasword"], "x"), "users[0].pasword: unknown key (expected one of: "
     "extension, name, username, password, direct_number)"),
    (_delete(["users", 0, "name"]), "users[0].name: required"),
    # time ranges
    (_set(["time_ranges", 1, "days"], []), "time_ranges[1].days: must be a list of at least "
     "one of mon, tue, wed, thu, fri, sat, sun"),
    (_set(["time_ranges", 1, "days"], ["sat", "saturday"]), "time_ranges[1].days: unknown day "
     "'saturday' (days are mon, tue, wed, thu, fri, sat, sun)"),
    (_set(["time_ranges", 1, "days"], ["sat", "sat"]), "time_ranges[1].days: sat is given twice"),
    (_set(["time_ranges", 1, "periods"], ["08:00-12:00", "11:00-13:00"]),
     "time_ranges[1].periods: '08:00-12:00' and '11:00-13:00' overlap"),
    (_set(["time_ranges", 1, "periods"], ["12:00-08:00"]),
     "time_ranges[1].periods: '12:00-08:00': the start must be before the end"),
    (_set(["time_ranges", 1, "periods"], ["08:00-24:30"]),
     "time_ranges[1].periods: times must be 00:00 to 24:00"),
    (_set(["time_ranges", 1, "periods"], ["8-12"]),
     "time_ranges[1].periods: '8-12' is not a period \"HH:MM-HH:MM\""),
    (_set(["time_ranges", 1, "periods"], ["01:00-02:00", "03:00-04:00", "05:00-06:00",
                                          "07:00-08:00"]),
     "time_ranges[1].periods: must be a list of one to three periods \"HH:MM-HH:MM\""),
    (_append(["time_ranges"], {"name": "Saturday", "days": ["sat"], "periods": ["13:00-14:00"]}),
     "time_ranges[2].name: Saturday is already used by time_ranges[1]"),
    # holidays
    (_set(["holidays", 0, "to"], "2027-03-01"), "holidays[0].to: must not be before from"),
    (_set(["holidays", 1, "from"], "2027-08-01"), "holidays[1]: give either date (one day) "
     "or from and to (a period), not both"),
    (_set(["holidays", 1, "date"], "2027-02-30"), "holidays[1].date: must be a date YYYY-MM-DD"),
    (_append(["holidays"], {"name": "National day", "date": "2027-08-01"}),
     "holidays[2]: the same as holidays[1]"),
    # groups
    (_set(["groups", 0, "short_number"], 1000),
     "groups[0].short_number: must be a whole number from 200 to 999"),
    (_set(["groups", 1, "short_number"], 401),
     "groups[1].short_number: 401 is already used by groups[0]"),
    (_both(_set(["users", 2, "extension"], "402"), _set(["groups", 1, "members"], ["7956"])),
     "groups[1].short_number: 402 is already used by user 402"),
    (_set(["groups", 0, "distribution"], "round_robin"), "groups[0].distribution: must be one "
     "of cyclic | hierarchical | simultaneous | least_active | random"),
    (_set(["groups", 0, "rings"], 0), "groups[0].rings: must be a whole number from 1 to 20"),
    (_set(["groups", 0, "cycles"], 11), "groups[0].cycles: must be a whole number from 1 to 10"),
    (_set(["groups", 1, "cycles"], 2), "groups[1].cycles: only cyclic and random groups have "
     "cycles"),
    (_set(["groups", 0, "members"], ["7956", "7999"]),
     "groups[0].members: no user has the extension 7999"),
    (_set(["groups", 0, "members"], ["7956", "7956"]), "groups[0].members: 7956 is listed twice"),
    (_set(["groups", 0, "ringback"], "Soft"), "groups[0].ringback: no ringback tone is named "
     "'Soft'"),
    (_set(["groups", 0, "no_answer"], {"group": "Sales"}),
     "groups[0].no_answer: no group is named 'Sales'"),
    (_set(["groups", 0, "no_answer"], {"voicemail": "+41215660000"}),
     "groups[0].no_answer: +41215660000 is not one of this tenant's numbers"),
    (_set(["groups", 0, "no_answer"], {"announcement": "Closed"}),
     "groups[0].no_answer: no announcement is named 'Closed'"),
    (_set(["groups", 0, "no_answer"], {"number": "12345"}), "groups[0].no_answer: an external "
     "number is national such as \"0217211112\" or international such as \"+41217211112\" "
     "(with the 0 for an outside line where the access code is on)"),
    (_set(["groups", 0, "no_answer"], "voicemail"), "groups[0].no_answer: must be hangup or "
     "one of {group: NAME}, {voicemail: NUMBER}, {announcement: NAME}, {number: \"0XXXXXXXXX\"}"),
    (_set(["groups", 0, "no_answer"], {"group": "Support", "number": "0219876543"}),
     "groups[0].no_answer: must be hangup or one of {group: NAME}, {voicemail: NUMBER}, "
     "{announcement: NAME}, {number: \"0XXXXXXXXX\"}"),
    # numbers
    (_append(["numbers"], {**NEW_NUMBER, "number": "41215667900"}),
     "numbers[1].number: must be an E.164 number such as \"+41215667956\""),
    (_append(["numbers"], NEW_NUMBER),
     "numbers[1].number: +41215667956 is already used by user 7956"),
    (_append(["numbers"], {**NEW_NUMBER, "number": "+41215667955"}),
     "numbers[1].number: +41215667955 is already used by numbers[0]"),
    (_set(["numbers", 0, "routes", 1, "range"], "Evening"),
     "numbers[0].routes[1].range: no time range is named 'Evening'"),
    (_set(["numbers", 0, "routes", 1, "range"], "Office hours"),
     "numbers[0].routes[1].range: 'Office hours' is already routed by routes[0]"),
    (_delete(["numbers", 0, "routes", 1, "to"]), "numbers[0].routes[1].to: required"),
    (_set(["numbers", 0, "outside_hours"], {"group": "Sales"}),
     "numbers[0].outside_hours: no group is named 'Sales'"),
    # references to what the file removes while stored sections still use it
    (_both(_delete(["numbers"]), _set(["time_ranges"], [])),
     "time_ranges: time range Saturday cannot be removed: number +41215667955 still uses it"),
    (_both(_delete(["numbers"]), _set(["groups"], [])),
     "groups: group Reception cannot be removed: number +41215667955 still uses it\n"
     "groups: group Support cannot be removed: number +41215667955 still uses it"),
    (_both(_delete(["groups"]), _set(["numbers"], [])),
     "numbers: number +41215667955 cannot be removed: group Reception still uses it"),
    (_both(_delete(["groups"]), _append(["users"], {"extension": "401", "name": "Desk",
                                                   "username": "desk",
                                                   "password": "desk-s3cret"})),
     "users[3].extension: 401 is already used by group Reception"),
    # ASCII digits only: other scripts' digits look the same and cannot be dialled
    (_append(["users"], {**NEW_USER, "extension": "\u0667\u0669\u0667\u0660"}),   # ٧٩٧٠
     "users[3].extension: must be 2 to 6 digits"),
    (_append(["users"], {**NEW_USER, "extension": "\uff17\uff19\uff17\uff10"}),   # ７９７０
     "users[3].extension: must be 2 to 6 digits"),
    (_set(["users", 2, "direct_number"], "+41215667\u0669\u0665\u0660"),
     "users[2].direct_number: must be an E.164 number such as \"+41215667956\""),
    (_set(["groups", 0, "members"], ["7956", "\u0667\u0669\u0666\u0661"]),
     "groups[0].members: must be 2 to 6 digits"),
    (_set(["time_ranges", 1, "periods"], ["\u0660\u0669:00-12:00"]),
     "time_ranges[1].periods: '\u0660\u0669:00-12:00' is not a period \"HH:MM-HH:MM\""),
    (_set(["groups", 1, "no_answer"], {"number": "0\uff12\uff11\uff19876543"}),
     "groups[1].no_answer: an external number is national such as \"0217211112\" or "
     "international such as \"+41217211112\" (with the 0 for an outside line where the access "
     "code is on)"),
    (_set(["voicemail"], [{"number": "+41215667955", "pin": "\u0664\u0668\u0662\u0661"}]),
     "voicemail[0].pin: must be 4 digits in quotes, such as \"4821\""),
    (_set(["directory"], [{"name": "Plumber", "number": "+41219876543",
                           "short": "\u0663\u0664\u0663\u0665"}]),
     "directory[0].short: must be 1 to 6 digits (dialled as ##code)"),
    (_set(["outgoing"], {"presentation": [{"number": "+41215667956",
                                           "users": ["\uff17\uff19\uff15\uff16"]}]}),
     "outgoing.presentation[0].users: must be 2 to 6 digits"),
    # no control characters in names
    (_set(["users", 0, "name"], "Julien\r\nX-Injected: 1"),
     "users[0].name: " + CONTROL),
    (_set(["groups", 0, "name"], "Reception\x00"), "groups[0].name: " + CONTROL
     + "\nnumbers[0].routes[0].to: no group is named 'Reception'"),
    (_set(["time_ranges", 1, "name"], "Satur\x1b[2Jday"), "time_ranges[1].name: " + CONTROL
     + "\nnumbers[0].routes[1].range: no time range is named 'Saturday'"),
    (_set(["holidays", 1, "name"], "National\nday"), "holidays[1].name: " + CONTROL),
    (_set(["numbers", 0, "label"], "Recep\u202etion"), "numbers[0].label: " + CONTROL),
    (_set(["name"], "ACME\tSA"), "name: " + CONTROL),
    (_set(["directory"], [{"name": "Plum\r\nber", "number": "+41219876543"}]),
     "directory[0].name: " + CONTROL),
    # passwords needed to rewrite SIP accounts
    (_both(_set(["users", 2, "username"], "paul.m"), _delete(["users", 2, "password"])),
     "users[2].password: required to change the username (the SIP digest depends on it)"),
    (_both(_set(["domain"], "acme.example.test"), _delete(["users", 1, "password"]),
           _delete(["users", 2, "password"])),
     "domain: changing the domain needs every user's password (missing for 7961, 7950)"),
    (_both(_set(["domain"], "acme.example.test"), _delete(["users"])),
     "domain: changing the domain needs every user's password (list the users with their "
     "passwords)"),
]


@pytest.mark.parametrize("change, expected", INVALID, ids=[line for _, line in INVALID])
def test_invalid_file_reports_one_line_and_changes_nothing(applied, tmp_path, change, expected):
    assert_refused(applied, tmp_path, acme(), change, expected)


def assert_refused(conn, tmp_path, document, change, expected: str) -> None:
    """Applying `document` with a valid change and then `change` reports the `expected`
    lines (one per problem, "\n" between them) and changes nothing."""
    document["name"] = "ACME Renamed"          # a valid change that must not happen either
    change(document)
    before = snapshot(conn)
    result = apply(conn, tmp_path, document)
    assert result.problems == [f"{tmp_path / 'acme.yaml'}: {line}"
                               for line in expected.split("\n")]
    assert result.changes == []
    assert snapshot(conn) == before


def test_invalid_new_tenant_creates_nothing(conn, tmp_path):
    document = acme()
    document["users"][2]["password"] = "short"
    empty = snapshot(conn)
    result = apply(conn, tmp_path, document)
    assert result.problems == [f"{tmp_path / 'acme.yaml'}: users[2].password: "
                               "must be at least 8 characters"]
    assert snapshot(conn) == empty


def test_new_tenant_needs_a_name_and_domain(conn, tmp_path):
    result = apply(conn, tmp_path, {"tenant": "newco"}, "newco.yaml")
    assert result.problems == [f"{tmp_path / 'newco.yaml'}: name: required for a new tenant",
                               f"{tmp_path / 'newco.yaml'}: domain: required for a new tenant"]


def test_an_audio_name_with_control_characters_is_refused(applied, tmp_path):
    """An audio file's name becomes the download's file name: a CR/LF there broke the
    download (500); the file is refused instead, and nothing changes."""
    with wave.open(str(tmp_path / "soft.wav"), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\0\0" * 800)
    document = acme()
    document["audio"] = {"ringback": [{"name": "Soft\r\nX: 1", "file": "soft.wav"}]}
    before = snapshot(applied)
    result = apply(applied, tmp_path, document)
    assert result.problems == [f"{tmp_path / 'acme.yaml'}: audio.ringback[0].name: {CONTROL}"]
    assert snapshot(applied) == before


def test_all_problems_of_a_file_are_reported_at_once(applied, tmp_path):
    document = acme()
    document["users"][0]["extension"] = "1"
    document["groups"][0]["members"] = ["7961"]
    document["groups"][1]["members"] = ["7950", "7961"]
    document["groups"][0]["rings"] = 99
    document["audio"] = {"ringback": [{"name": "Soft", "file": "soft.wav"}]}
    lines = [line.split(": ", 1)[1] for line in apply(applied, tmp_path, document).problems]
    assert lines == ["users[0].extension: must be 2 to 6 digits",
                     "groups[0].rings: must be a whole number from 1 to 20",
                     "audio.ringback[0].file: cannot read soft.wav: No such file or directory"]


@pytest.mark.parametrize("text, expected", [
    ("tenant: acme\nname: [unclosed\n", "line 3: not valid YAML: "),
    ("tenant: acme\nname: A\nname: B\n", "line 3: not valid YAML: key 'name' is given twice"),
    ("- just\n- a list\n", "must be either a platform file (top-level key platform:) or a "
                           "tenant file (top-level key tenant:)"),
    ("tenant: acme\nplatform: {}\n", "must be either a platform file"),
    ("", "must be either a platform file"),
])
def test_unreadable_documents(conn, tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    problems = provision.apply_file(conn, str(path)).problems
    assert len(problems) == 1 and problems[0].startswith(f"{path}: {expected}")


def test_missing_file_is_a_problem(conn, tmp_path):
    problems = provision.apply_file(conn, str(tmp_path / "none.yaml")).problems
    assert problems == [f"{tmp_path / 'none.yaml'}: cannot read the file: "
                        "No such file or directory"]


# ---- platform-wide uniqueness ---------------------------------------------------------------

@pytest.mark.parametrize("change, expected", [
    (_set(["domain"], "acme.pbx.test"),
     "domain: acme.pbx.test is already the domain of tenant acme"),
    (_set(["users", 0, "direct_number"], "+41215667961"),
     "users[0].direct_number: +41215667961 is already in use by tenant acme"),
    (_set(["numbers"], [{"number": "+41215667955"}]),
     "numbers[0].number: +41215667955 is already in use by tenant acme"),
    (_set(["numbers"], [{"number": "+41215667956"}]),
     "numbers[0].number: +41215667956 is already in use by tenant acme"),
])
def test_domains_and_numbers_are_unique_across_tenants(applied, tmp_path, change, expected):
    document = globex()
    change(document)
    before = snapshot(applied)
    result = apply(applied, tmp_path, document, "globex.yaml")
    assert result.problems == [f"{tmp_path / 'globex.yaml'}: {expected}"]
    assert snapshot(applied) == before


def test_a_tenant_keeps_its_own_numbers(applied, tmp_path):
    assert apply(applied, tmp_path, globex(), "globex.yaml").problems == []
    assert provision.apply_file(applied, ACME_FILE).changes == []


# ---- delete -------------------------------------------------------------------------------

def test_delete_removes_the_tenant_and_everything_it_owns(applied, tmp_path):
    conn = applied
    assert apply(conn, tmp_path, globex(), "globex.yaml").problems == []
    with conn.cursor() as cur:
        cur.execute("INSERT INTO location (ruid, username, domain, contact) VALUES"
                    " ('r1', 'julien', 'acme.pbx.test', 'sip:julien@127.0.0.1'),"
                    " ('r2', 'gina', 'globex.pbx.test', 'sip:gina@127.0.0.1')")
    globex_before = yaml.safe_load(provision.export_tenant(conn, "globex"))
    assert provision.delete_tenant(conn, "acme") is True
    assert [t["slug"] for t in query(conn, "SELECT slug FROM tenants")] == ["globex"]
    for table in ("time_ranges", "holidays", "call_groups", "global_numbers"):
        assert query(conn, f"SELECT COUNT(*) AS n FROM {table} WHERE tenant_id <> "
                           "(SELECT id FROM tenants WHERE slug = 'globex')") == [{"n": 0}]
    assert query(conn, "SELECT COUNT(*) AS n FROM group_members") == [{"n": 0}]
    assert query(conn, "SELECT COUNT(*) AS n FROM number_routes") == [{"n": 0}]
    assert set(subscribers(conn)) == {("gina", "globex.pbx.test")}
    assert [row["username"] for row in query(conn, "SELECT username FROM location")] == ["gina"]
    assert yaml.safe_load(provision.export_tenant(conn, "globex")) == globex_before
    assert provision.delete_tenant(conn, "acme") is False


# ---- platform file --------------------------------------------------------------------------

def test_platform_file_stores_the_carrier(conn, tmp_path):
    result = provision.apply_file(conn, PLATFORM_FILE)
    assert result.changes == ["platform carrier address: 127.0.0.2",
                              "platform carrier port: 5060"]
    assert settings(conn) == {"carrier_address": "127.0.0.2", "carrier_port": "5060"}
    stored = generation(conn)
    assert stored > 0
    assert provision.apply_file(conn, PLATFORM_FILE).changes == []
    assert generation(conn) == stored
    document = {"platform": {"carrier": {"address": "2001:DB8::1"}}}
    assert apply(conn, tmp_path, document, "platform.yaml").changes \
        == ["platform carrier address: 2001:db8::1"]


@pytest.mark.parametrize("carrier, expected", [
    ({"address": "carrier.example"}, "platform.carrier.address: must be an IPv4 or IPv6 address"),
    ({"address": "127.0.0.2", "port": 70000},
     "platform.carrier.port: must be a whole number from 1 to 65535"),
    ({"port": 5060}, "platform.carrier.address: required"),
    ({"address": "127.0.0.2", "transport": "tls"},
     "platform.carrier.transport: unknown key (expected one of: address, port)"),
])
def test_invalid_platform_file(conn, tmp_path, carrier, expected):
    result = apply(conn, tmp_path, {"platform": {"carrier": carrier}}, "platform.yaml")
    assert result.problems == [f"{tmp_path / 'platform.yaml'}: {expected}"]
    assert settings(conn) == {} and generation(conn) == 0


# ---- the command, end to end ----------------------------------------------------------------

def vpbx(throwaway_db, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "VPBX_CONFIG": throwaway_db.path}
    return subprocess.run([os.path.join(sysconfig.get_path("scripts"), "vpbx"), *args], env=env,
                          capture_output=True, text=True, timeout=60)


def test_cli_apply_export_delete(throwaway_db, tmp_path):
    first = vpbx(throwaway_db, "apply", ACME_FILE)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == "tenant acme: created"
    again = vpbx(throwaway_db, "apply", ACME_FILE)
    assert (again.returncode, again.stdout, again.stderr) == (0, "nothing changed\n", "")
    exported = vpbx(throwaway_db, "export", "acme")
    assert exported.returncode == 0
    path = tmp_path / "exported.yaml"
    path.write_text(exported.stdout)
    assert vpbx(throwaway_db, "apply", str(path)).stdout == "nothing changed\n"
    assert vpbx(throwaway_db, "delete", "acme").returncode == 2
    deleted = vpbx(throwaway_db, "delete", "acme", "--yes")
    assert (deleted.returncode, deleted.stdout) == (0, "tenant acme: deleted\n")
    missing = vpbx(throwaway_db, "export", "acme")
    assert (missing.returncode, missing.stderr) == (1, "vpbx: no tenant named 'acme'\n")


def test_cli_apply_reports_problems_and_exits_1(throwaway_db, tmp_path):
    document = acme()
    document["users"][1]["extension"] = "7"
    document["groups"][0]["members"] = ["7956"]
    document["audio"] = {"announcements": [{"name": "Closed", "file": "closed.mp3"}]}
    path = write(tmp_path, document)
    result = vpbx(throwaway_db, "apply", path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{path}: users[1].extension: must be 2 to 6 digits",
        f"{path}: audio.announcements[0].file: cannot read closed.mp3: No such file or directory"]
    assert vpbx(throwaway_db, "export", "acme").returncode == 1     # nothing was created


def test_cli_platform_file(throwaway_db):
    result = vpbx(throwaway_db, "apply", PLATFORM_FILE)
    assert (result.returncode, result.stdout.splitlines()) == (
        0, ["platform carrier address: 127.0.0.2", "platform carrier port: 5060"])

