"""Numbers belong to the carrier (security issue 21): blocks, the platform file's `numbers:`,
and a tenant file that uses a number not assigned to its tenant (vpbx apply, real MariaDB)."""
import pytest
import yaml

from tests.conftest import FIXTURE_PLATFORM, assign_fixture_numbers
from tests.unit.test_provision import (ACME_FILE, acme, apply, globex, query, snapshot,
                                       vpbx)
from vpbx.storage import migrations as migrate
from vpbx.provisioning import apply as provision
from vpbx.model.number_blocks import Block, BlockError

NOT_ASSIGNED = ("is not assigned to this tenant (the platform operator assigns the numbers "
                "a tenant may use)")


# ---- blocks --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, first, last, prefix", [
    ("+41215667955", "+41215667955", "+41215667955", False),
    ("+41215667900-+41215667999", "+41215667900", "+41215667999", False),
    (" +4121566* ", "+4121566", "+4121566", True),
])
def test_blocks_are_read_and_written_back(text, first, last, prefix):
    block = Block.parse(text)
    assert (block.first, block.last, block.prefix) == (first, last, prefix)
    assert Block.parse(str(block)) == block


@pytest.mark.parametrize("text", [
    "41215667955", "+41215667999-+41215667900", "+41215667900-+4121566799",
    "*", "+0*", "+41215667900-", "+41\u0662\u0661\u0665667955", "+4121566*9",
    "+41 215667955", "+41215667955\n-+41215667956"])
def test_what_is_not_a_block(text):
    with pytest.raises(BlockError):
        Block.parse(text)


def test_what_a_block_holds():
    block = Block.parse("+41215667900-+41215667999")
    assert block.size == 100 and block.contains("+41215667950")
    assert not block.contains("+41215667800") and not block.contains("+412156679500")
    assert block.numbers(3) == ["+41215667900", "+41215667901", "+41215667902"]
    prefix = Block.parse("+4121566*")
    assert prefix.size is None and prefix.contains("+41215667950")
    assert prefix.contains("+412156600") and not prefix.contains("+41215767950")


@pytest.mark.parametrize("left, right, overlap", [
    ("+41215667955", "+41215667900-+41215667999", True),
    ("+41215667800-+41215667899", "+41215667900-+41215667999", False),
    ("+41215667850-+41215667949", "+41215667900-+41215667999", True),
    ("+4121566*", "+41215667900-+41215667999", True),
    ("+4121567*", "+41215667900-+41215667999", False),
    ("+412156679001*", "+41215667900-+41215667999", False),     # longer than the range's
    ("+4121566*", "+41215667*", True),
    ("+4121566*", "+4121567*", False),
    ("+4121566*", "+41215660", True),
])
def test_blocks_overlap(left, right, overlap):
    a, b = Block.parse(left), Block.parse(right)
    assert a.overlaps(b) == overlap and b.overlaps(a) == overlap


# ---- a tenant uses only numbers assigned to it -----------------------------------------------

@pytest.fixture
def throwaway_db(throwaway_db):
    """The throwaway database with acme's and globex's numbers assigned (fixture platform)."""
    assign_fixture_numbers(throwaway_db)
    return throwaway_db


@pytest.fixture
def applied(conn):
    assert provision.apply_file(conn, ACME_FILE).problems == []
    return conn


@pytest.mark.parametrize("where, change", [
    ("numbers[1].number", lambda d: d["numbers"].append(
        {"number": "+41215550001", "routes": [], "outside_hours": "hangup"})),
    ("users[2].direct_number", lambda d: d["users"][2].update(direct_number="+41215550001")),
])
def test_a_number_not_assigned_to_the_tenant_is_refused(applied, tmp_path, where, change):
    """+41215550001 is nobody's number: a tenant file cannot claim it."""
    document = acme()
    change(document)
    before = snapshot(applied)
    result = apply(applied, tmp_path, document)
    assert result.problems == [f"{tmp_path / 'acme.yaml'}: {where}: +41215550001 {NOT_ASSIGNED}"]
    assert snapshot(applied) == before


def test_another_tenants_assigned_number_is_refused(applied, tmp_path):
    """globex's block is not acme's, even where globex does not use the number yet."""
    document = acme()
    document["users"][2]["direct_number"] = "+41225550050"
    result = apply(applied, tmp_path, document)
    assert result.problems == [
        f"{tmp_path / 'acme.yaml'}: users[2].direct_number: +41225550050 {NOT_ASSIGNED}"]


def test_a_new_tenant_without_assignment_cannot_use_any_number(conn, tmp_path):
    document = {**globex(), "tenant": "newco", "domain": "newco.pbx.test"}
    document["users"][0]["direct_number"] = "+41315550001"
    empty = snapshot(conn)
    result = apply(conn, tmp_path, document, "newco.yaml")
    assert result.problems == [
        f"{tmp_path / 'newco.yaml'}: users[0].direct_number: +41315550001 {NOT_ASSIGNED}"]
    assert snapshot(conn) == empty


def test_a_presentation_rule_cannot_show_a_number_not_assigned(applied, tmp_path):
    document = acme()
    document["outgoing"] = {"presentation": [{"number": "+41215550001", "users": ["7950"]}]}
    result = apply(applied, tmp_path, document)
    assert result.problems == [
        f"{tmp_path / 'acme.yaml'}: outgoing.presentation[0].number: +41215550001 is not one "
        "of your company's numbers: choose a global number or a user's direct number"]


def test_the_cli_names_the_number_and_exits_1(throwaway_db, tmp_path):
    document = acme()
    document["numbers"][0]["number"] = "+41215550001"
    for group in document["groups"]:
        group["no_answer"] = "hangup"
    document["numbers"][0]["outside_hours"] = "hangup"
    path = tmp_path / "acme.yaml"
    path.write_text(yaml.safe_dump(document))
    result = vpbx(throwaway_db, "apply", str(path))
    assert result.returncode == 1
    assert result.stderr == f"{path}: numbers[0].number: +41215550001 {NOT_ASSIGNED}\n"
    assert vpbx(throwaway_db, "export", "acme").returncode == 1     # nothing was created


# ---- the platform file's numbers: -----------------------------------------------------------

def assignments(conn) -> dict[str, list[str]]:
    found = {}
    for row in query(conn, "SELECT tenant_slug, block FROM number_assignments ORDER BY id"):
        found.setdefault(row["tenant_slug"], []).append(row["block"])
    return found


def platform_file(tmp_path, numbers, name="platform.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"platform": {"numbers": numbers}}))
    return str(path)


def test_the_platform_file_assigns_numbers_before_the_tenant_exists(applied, tmp_path):
    numbers = {"acme": ["+41215667900-+41215667999"], "globex": ["+41225550000-+41225550099"],
               "later": ["+4122666*", "+41227770001"]}
    result = provision.apply_file(applied, platform_file(tmp_path, numbers))
    assert result.problems == []
    assert result.changes == ["platform numbers +4122666*: assigned to later",
                              "platform numbers +41227770001: assigned to later"]
    assert assignments(applied)["later"] == ["+4122666*", "+41227770001"]
    assert provision.apply_file(applied, platform_file(tmp_path, numbers)).changes == []


def test_a_platform_file_without_numbers_leaves_them(applied, tmp_path):
    """Platform files written before `numbers:` existed stay valid and change no number."""
    before = assignments(applied)
    with open(FIXTURE_PLATFORM, encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    del document["platform"]["numbers"]
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(document))
    result = provision.apply_file(applied, str(path))
    assert result.problems == [] and result.changes[0] == "platform carrier address: 127.0.0.2"
    assert assignments(applied) == before


@pytest.mark.parametrize("numbers, expected", [
    ({"acme": ["+41215667900-+41215667999"], "globex": ["+4121566*"]},
     "platform.numbers.globex[0]: +4121566* overlaps +41215667900-+41215667999 (assigned to "
     "acme)"),
    ({"acme": ["+41215667900-+41215667960"]},
     "platform.numbers: +41215667961 must stay assigned to tenant acme: its user 7961 (Marie) "
     "uses it"),
    ({"acme": ["+41215667956-+41215667961"], "globex": ["+41215667955"]},
     "platform.numbers.globex[0]: +41215667955 must stay assigned to tenant acme: its number "
     "+41215667955 uses it"),
    ({"acme": ["+41215667900-+41215667999"], "Globex": ["+41225550000"]},
     "platform.numbers.Globex: must be 1 to 32 characters among a-z, 0-9 and -"),
    (None, "platform.numbers: must be a mapping of tenants to their numbers, such as "
           "{acme: [\"+41215667955\", \"+41215667900-+41215667999\"]}"),
    ({"acme": ["+41215667900-+41215667999"], "globex": None},
     "platform.numbers.globex: must be a list (write [] for none)"),
    ({"acme": ["+41215667900-+41215667999", "+41-+42"]},
     "platform.numbers.acme[1]: must be an E.164 number (\"+41215667955\"), a range of numbers "
     "of the same length (\"+41215667900-+41215667999\") or a prefix (\"+4121566*\")"),
])
def test_invalid_assignments_change_nothing(applied, tmp_path, numbers, expected):
    before = assignments(applied)
    result = provision.apply_file(applied, platform_file(tmp_path, numbers))
    assert result.problems == [f"{tmp_path / 'platform.yaml'}: {expected}"]
    assert assignments(applied) == before


def test_the_platform_export_round_trips(throwaway_db, applied, tmp_path):
    assert provision.apply_file(applied, FIXTURE_PLATFORM).problems == []
    exported = vpbx(throwaway_db, "export", "--platform")
    assert exported.returncode == 0, exported.stderr
    assert yaml.safe_load(exported.stdout) == {"platform": {
        "carrier": {"address": "127.0.0.2", "port": 5060},
        "numbers": {"acme": ["+41215667900-+41215667999"],
                    "globex": ["+41225550000-+41225550099"]}}}
    assert '    acme: ["+41215667900-+41215667999"]\n' in exported.stdout   # as it is written
    path = tmp_path / "exported.yaml"
    path.write_text(exported.stdout)
    assert vpbx(throwaway_db, "apply", str(path)).stdout == "nothing changed\n"


def test_deleting_a_tenant_gives_its_numbers_back(applied):
    assert provision.delete_tenant(applied, "acme") is True
    assert "acme" not in assignments(applied)
    assert "globex" in assignments(applied)


# ---- existing platforms: the numbers in use are assigned by the migration ------------------

def test_the_migration_assigns_the_numbers_already_in_use(conn):
    with conn.cursor() as cur:
        cur.execute("DELETE FROM number_assignments")
        cur.execute("INSERT INTO tenants (slug, name, domain) VALUES ('old', 'Old', 'old.test')")
        cur.execute("INSERT INTO global_numbers (tenant_id, number) SELECT id, '+41215550001'"
                    " FROM tenants WHERE slug = 'old'")
        cur.execute("INSERT INTO users (tenant_id, extension, name, username, direct_number)"
                    " SELECT id, '7001', 'Ann', 'ann', '+41215550002' FROM tenants"
                    " WHERE slug = 'old'")
        cur.execute("DROP TABLE number_assignments")
        cur.execute("DELETE FROM vpbx_schema_migrations WHERE version = 11")
    assert migrate.migrate(conn) == ["0011_number_assignments"]
    assert assignments(conn) == {"old": ["+41215550001", "+41215550002"]}
