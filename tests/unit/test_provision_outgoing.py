"""The tenant file's `outgoing:` (caller ID presentation, SPEC F6.2) and `directory:` (F9)
sections through `vpbx apply | export` against a real migrated database: the web UI's rules,
one line per problem and nothing changed, idempotence, export then apply unchanged, an
absent section left alone and an empty one cleared."""
import pytest
import yaml

from tests.unit.test_provision import (ACME_FILE, _append, _both, _delete, _set, acme, apply,
                                       assert_refused, generation, globex, query, snapshot)
from tests.conftest import assign_fixture_numbers
from vpbx.provisioning import edit as admin_config
from vpbx.provisioning import directory
from vpbx.provisioning import presentation
from vpbx.provisioning import apply as provision

RULES = [{"number": "+41215667955", "users": ["7961", "7956"]},     # the global number
         {"number": "+41215667956", "users": ["7950"]}]             # Julien's direct number
CONTACTS = [{"name": "Plumber", "number": "+41219876543", "short": "3435"},
            {"name": "Baker", "number": "021 987 65 00"}]           # national, no short code


def full() -> dict:
    """acme.yaml with both sections."""
    document = acme()
    document["outgoing"] = {"presentation": [dict(rule) for rule in RULES]}
    document["directory"] = [dict(contact) for contact in CONTACTS]
    return document


def stored_rules(conn) -> list[tuple[str, str]]:
    """(number, extension) of every stored rule's users."""
    return [(row["number"], row["extension"]) for row in query(
        conn, "SELECT r.number, u.extension FROM presentation_rules r"
              " JOIN presentation_rule_users ru ON ru.rule_id = r.id"
              " JOIN users u ON u.id = ru.user_id ORDER BY r.number, u.extension")]


def stored_contacts(conn) -> list[tuple]:
    return [tuple(row.values()) for row in query(
        conn, "SELECT name, number, short_code FROM directory_contacts ORDER BY name, id")]


def tenant_id(conn, slug="acme") -> int:
    return query(conn, "SELECT id FROM tenants WHERE slug = %s", (slug,))[0]["id"]


@pytest.fixture
def throwaway_db(throwaway_db):
    """The throwaway database with the test tenants' numbers assigned (as the fixture
    platform file assigns them): a tenant uses only numbers assigned to it."""
    assign_fixture_numbers(throwaway_db)
    return throwaway_db


@pytest.fixture
def provisioned(conn, tmp_path):
    """The database with acme.yaml and both sections applied."""
    result = apply(conn, tmp_path, full())
    assert result.problems == []
    return conn


# ---- a valid file ---------------------------------------------------------------------------

def test_sections_are_stored_with_what_changed(conn, tmp_path):
    assert provision.apply_file(conn, ACME_FILE).problems == []
    result = apply(conn, tmp_path, full())
    assert result == provision.ApplyResult([
        "presentation rule +41215667955: created", "presentation rule +41215667956: created",
        "contact Plumber (+41219876543, ##3435): created",
        "contact Baker (+41219876500): created"], [])
    assert stored_rules(conn) == [("+41215667955", "7956"), ("+41215667955", "7961"),
                                  ("+41215667956", "7950")]
    assert stored_contacts(conn) == [("Baker", "+41219876500", None),
                                     ("Plumber", "+41219876543", "3435")]


def test_second_apply_changes_nothing(provisioned, tmp_path):
    before, generation_before = snapshot(provisioned), generation(provisioned)
    assert apply(provisioned, tmp_path, full()) == provision.ApplyResult([], [])
    assert snapshot(provisioned) == before and generation(provisioned) == generation_before


def test_the_config_format_example_applies(conn, tmp_path):
    """The two sections exactly as CONFIG-FORMAT.md writes them."""
    with open(ACME_FILE, encoding="utf-8") as handle:
        text = handle.read()
    path = tmp_path / "acme.yaml"
    path.write_text(text + """\
outgoing:
  presentation:                   # these users' external calls show this number
    - {number: "+41215667955", users: ["7956", "7961"]}
directory:
  - {name: Plumber, number: "+41219876543", short: "3435"}   # dialled as ##3435
""")
    result = provision.apply_file(conn, str(path))
    assert result.problems == []
    assert "presentation rule +41215667955: created" in result.changes
    assert "contact Plumber (+41219876543, ##3435): created" in result.changes
    assert provision.apply_file(conn, str(path)).changes == []


def test_export_prints_the_sections_and_applies_unchanged(provisioned, tmp_path):
    text = provision.export_tenant(provisioned, "acme")
    document = yaml.safe_load(text)
    assert list(document)[-3:] == ["numbers", "outgoing", "directory"]
    assert document["outgoing"] == {"presentation": [
        {"number": "+41215667955", "users": ["7956", "7961"]},
        {"number": "+41215667956", "users": ["7950"]}]}
    assert document["directory"] == [{"name": "Baker", "number": "+41219876500"},
                                     {"name": "Plumber", "number": "+41219876543",
                                      "short": "3435"}]
    assert '{name: Plumber, number: "+41219876543", short: "3435"}' in text
    before = snapshot(provisioned)
    path = tmp_path / "exported.yaml"
    path.write_text(text)
    assert provision.apply_file(provisioned, str(path)) == provision.ApplyResult([], [])
    assert snapshot(provisioned) == before


def test_a_tenant_without_rules_or_contacts_exports_neither_section(conn):
    assert provision.apply_file(conn, ACME_FILE).problems == []
    document = yaml.safe_load(provision.export_tenant(conn, "acme"))
    assert "outgoing" not in document and "directory" not in document


def test_what_the_web_ui_stored_exports_and_applies_unchanged(conn, tmp_path):
    """The UI may store two rules for one number and the same contact twice: the export
    shows one rule per number and both contacts, and applying it changes nothing."""
    assert provision.apply_file(conn, ACME_FILE).problems == []
    acme_id = tenant_id(conn)
    assert presentation.add_rule(conn, acme_id, "+41215667955", ["7956"]) == []
    assert presentation.add_rule(conn, acme_id, "+41215667955", ["7961"]) == []
    for _ in range(2):
        contact, problems = directory.check_contact("Taxi", "0219876511", "")
        assert problems == [] and directory.add_contact(conn, acme_id, contact) == []
    document = yaml.safe_load(provision.export_tenant(conn, "acme"))
    assert document["outgoing"] == {"presentation": [{"number": "+41215667955",
                                                      "users": ["7956", "7961"]}]}
    assert document["directory"] == [{"name": "Taxi", "number": "+41219876511"}] * 2
    before = snapshot(conn)
    assert apply(conn, tmp_path, document, "exported.yaml") == provision.ApplyResult([], [])
    assert snapshot(conn) == before


# ---- absent, empty, changed ------------------------------------------------------------------

@pytest.mark.parametrize("sections", [{}, {"outgoing": None}, {"outgoing": {}}],
                         ids=["absent", "outgoing-empty", "outgoing-without-presentation"])
def test_absent_sections_are_left_alone(provisioned, tmp_path, sections):
    before = snapshot(provisioned)
    document = acme()
    document.update(sections)
    assert apply(provisioned, tmp_path, document) == provision.ApplyResult([], [])
    assert snapshot(provisioned) == before


def test_empty_sections_are_cleared(provisioned, tmp_path):
    document = acme()
    document["outgoing"] = {"presentation": []}
    document["directory"] = []
    assert apply(provisioned, tmp_path, document).changes == [
        "presentation rule +41215667955: removed", "presentation rule +41215667956: removed",
        "contact Baker (+41219876500): removed", "contact Plumber (+41219876543, ##3435): removed"]
    assert stored_rules(provisioned) == [] and stored_contacts(provisioned) == []
    assert apply(provisioned, tmp_path, document).changes == []


def test_rules_and_contacts_follow_the_file(provisioned, tmp_path):
    document = full()
    document["outgoing"]["presentation"] = [{"number": "+41215667955", "users": ["7956"]},
                                            {"number": "+41215667961", "users": ["7950"]}]
    plumber, baker = document["directory"]
    plumber["short"], baker["short"] = "12", "3435"       # a short code moves between contacts
    result = apply(provisioned, tmp_path, document)
    assert result.changes == [
        "presentation rule +41215667956: removed", "presentation rule +41215667961: created",
        "presentation rule +41215667955: updated (users)",
        "contact Baker (+41219876500): removed", "contact Plumber (+41219876543, ##3435): removed",
        "contact Plumber (+41219876543, ##12): created",
        "contact Baker (+41219876500, ##3435): created"]
    assert stored_rules(provisioned) == [("+41215667955", "7956"), ("+41215667961", "7950")]
    assert stored_contacts(provisioned) == [("Baker", "+41219876500", "3435"),
                                            ("Plumber", "+41219876543", "12")]
    assert apply(provisioned, tmp_path, document).changes == []


def test_a_removed_user_leaves_the_rules_the_file_does_not_give(provisioned, tmp_path):
    document = acme()                                     # no outgoing: the rules are kept
    del document["users"][2]                              # Paul, alone in his rule
    document["groups"][1]["members"] = ["7956"]
    assert apply(provisioned, tmp_path, document).changes == [
        "user 7950: removed", "group Support: updated",
        "presentation rule +41215667956: removed (no user left)"]
    del document["users"][1]                              # Marie shares hers with Julien
    del document["groups"]
    assert apply(provisioned, tmp_path, document).changes == [
        "user 7961: removed", "group Reception: member 7961 removed",
        "presentation rule +41215667955: user 7961 removed"]
    assert stored_rules(provisioned) == [("+41215667955", "7956")]


def test_deleting_the_tenant_removes_its_rules_and_contacts(provisioned, tmp_path):
    assert apply(provisioned, tmp_path, globex(), "globex.yaml").problems == []
    assert provision.delete_tenant(provisioned, "acme") is True
    assert stored_rules(provisioned) == [] and stored_contacts(provisioned) == []


# ---- problems: one line each, nothing changed --------------------------------------------------

NOT_OURS = "is not one of your company's numbers: choose a global number or a user's direct number"

INVALID = [
    # outgoing: presentation rules
    (_set(["outgoing", "presentation", 0, "number"], "+41225550001"),
     f"outgoing.presentation[0].number: +41225550001 {NOT_OURS}"),
    (_set(["outgoing", "presentation", 0, "number"], "0215667955"),
     "outgoing.presentation[0].number: must be an E.164 number such as \"+41215667956\""),
    (_set(["outgoing", "presentation", 0, "users"], ["7956", "7999"]),
     "outgoing.presentation[0].users: no user 7999"),
    (_set(["outgoing", "presentation", 0, "users"], []),
     "outgoing.presentation[0].users: choose at least one user"),
    (_set(["outgoing", "presentation", 0, "users"], [7956]),
     "outgoing.presentation[0].users: must be 2 to 6 digits (write it in quotes)"),
    (_delete(["outgoing", "presentation", 1, "users"]), "outgoing.presentation[1].users: required"),
    (_set(["outgoing", "presentation", 1, "users"], ["7950", "7956"]),
     "outgoing.presentation[1].users: 7956 already has a rule (+41215667955)"),
    (_set(["outgoing", "presentation", 1, "number"], "+41215667955"),
     "outgoing.presentation[1].number: +41215667955 is already used by outgoing.presentation[0]"),
    (_set(["outgoing", "presentation", 0, "label"], "Main"),
     "outgoing.presentation[0].label: unknown key (expected one of: number, users)"),
    (_set(["outgoing", "rules"], []),
     "outgoing.rules: unknown key (expected one of: presentation)"),
    (_set(["outgoing"], [{"number": "+41215667955"}]),
     "outgoing: must be a mapping with the keys presentation"),
    (_set(["outgoing", "presentation"], None),
     "outgoing.presentation: must be a list (write [] for none)"),
    # a number the rules show stops being the tenant's
    (_set(["users", 0, "direct_number"], "+41215667970"),
     f"outgoing.presentation[1].number: +41215667956 {NOT_OURS}"),
    (_both(_set(["users", 0, "direct_number"], "+41215667970"), _delete(["outgoing"])),
     "users[0].direct_number: direct number +41215667956 cannot be removed: presentation rule "
     "+41215667956 still uses it"),
    (_both(_delete(["outgoing"]), _set(["numbers"], []), _delete(["groups"]),
           _set(["groups"], [])),
     "numbers: number +41215667955 cannot be removed: presentation rule +41215667955 still "
     "uses it"),
    (_both(_delete(["outgoing"]), _delete(["users"]), _set(["users"], [])),
     "groups[0].members: no user has the extension 7956\n"
     "groups[0].members: no user has the extension 7961\n"
     "groups[1].members: no user has the extension 7950\n"
     "groups[1].members: no user has the extension 7956\n"
     "users: direct number +41215667956 cannot be removed: presentation rule +41215667956 "
     "still uses it"),
    # directory
    (_delete(["directory", 0, "name"]), "directory[0].name: required"),
    (_set(["directory", 0, "name"], "   "),
     "directory[0].name: required, at most 128 characters"),
    (_set(["directory", 0, "number"], "call me"), "directory[0].number: must be a telephone "
     "number (+41 21 987 65 43 or 021 987 65 43)"),
    (_set(["directory", 0, "number"], 41219876543), "directory[0].number: must be a telephone "
     "number such as \"+41219876543\" (write it in quotes)"),
    (_set(["directory", 0, "short"], "34a5"),
     "directory[0].short: must be 1 to 6 digits (dialled as ##code)"),
    (_set(["directory", 0, "short"], 3435), "directory[0].short: must be 1 to 6 digits, such "
     "as \"3435\" (dialled as ##3435) (write it in quotes)"),
    (_set(["directory", 1, "short"], "3435"),
     "directory[1].short: ##3435 is already used by directory[0]"),
    (_append(["directory"], {"name": "Nobody", "number": "+41219876599", "phone": "x"}),
     "directory[3].phone: unknown key (expected one of: name, number, short)"),
    (_set(["directory"], None), "directory: must be a list (write [] for none)"),
    (_set(["directory"], {"name": "Plumber"}), "directory: must be a list (write [] for none)"),
]


@pytest.mark.parametrize("change, expected", INVALID, ids=[line for _, line in INVALID])
def test_invalid_file_reports_one_line_and_changes_nothing(provisioned, tmp_path, change,
                                                           expected):
    document = full()
    document["directory"].append({"name": "Grocer", "number": "+41219876501"})
    assert_refused(provisioned, tmp_path, document, change, expected)


def test_another_tenants_number_cannot_be_shown(provisioned, tmp_path):
    document = globex()
    document["outgoing"] = {"presentation": [{"number": "+41215667955", "users": ["7956"]}]}
    result = apply(provisioned, tmp_path, document, "globex.yaml")
    assert result.problems == [f"{tmp_path / 'globex.yaml'}: outgoing.presentation[0].number: "
                               f"+41215667955 {NOT_OURS}"]
    assert query(provisioned, "SELECT slug FROM tenants WHERE slug = 'globex'") == []


def test_a_new_tenant_may_show_a_number_its_file_creates(conn, tmp_path):
    document = globex()
    document["numbers"] = [{"number": "+41225550000", "outside_hours": "hangup"}]
    document["outgoing"] = {"presentation": [{"number": "+41225550000", "users": ["7956"]}]}
    document["directory"] = [{"name": "Plumber", "number": "+41219876543", "short": "1"}]
    result = apply(conn, tmp_path, document, "globex.yaml")
    assert result.problems == []
    assert stored_rules(conn) == [("+41225550000", "7956")]


# ---- the web UI edits other sections around the stored rules ---------------------------------

def test_the_ui_cannot_take_away_a_number_a_rule_shows(provisioned):
    julien = dict(acme()["users"][0], direct_number="+41215667970")
    del julien["password"]
    outcome = admin_config.save_item(provisioned, "acme", "users", "7956", julien)
    assert [problem.reason for problem in outcome.problems] == [
        "direct number +41215667956 cannot be removed: presentation rule +41215667956 still "
        "uses it"]
    assert stored_rules(provisioned)[-1] == ("+41215667956", "7950")


def test_a_user_deleted_in_the_ui_leaves_its_rule(provisioned, tmp_path):
    document = full()
    document["users"].append({"extension": "7970", "name": "Lea", "username": "lea",
                              "password": "Lea-s3cret!"})
    document["outgoing"]["presentation"][1]["users"] = ["7950", "7970"]
    assert apply(provisioned, tmp_path, document).problems == []
    outcome = admin_config.delete_item(provisioned, "acme", "users", "7970")
    assert outcome.changes == ["user 7970: removed",
                               "presentation rule +41215667956: user 7970 removed"]
    assert stored_rules(provisioned)[-1] == ("+41215667956", "7950")
    assert len(stored_contacts(provisioned)) == 2          # the directory is left as it was
