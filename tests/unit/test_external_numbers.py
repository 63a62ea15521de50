"""External numbers as administrators write them (issue 25): the national form of the tenant's
country and the international forms are understood, stored in E.164, and a stored number keeps
its meaning when the access code is turned on or off. The tenant file keeps CONFIG-FORMAT's
`{number: "0XXXXXXXXX"}` (with the access code where it is on), in and out."""
import pytest
import yaml

from tests.unit.test_provision import acme, applied, apply, query, throwaway_db  # noqa: F401 (fixtures)
from vpbx.model.numbers import destination_number, dialled_form
from vpbx.provisioning import apply as provision


@pytest.mark.parametrize("written, access_code, number", [
    ("021 721 11 12", False, "+41217211112"),
    ("0217211112", False, "+41217211112"),
    ("+41 21 721 11 12", False, "+41217211112"),
    ("0041 21 721 11 12", False, "+41217211112"),
    ("00217211112", False, "+217211112"),              # no access code: 00 is international
    ("0217211112", True, "+41217211112"),              # national, without the access code
    ("00217211112", True, "+41217211112"),             # 0 + 021 721 11 12 (CONFIG-FORMAT)
    ("0041217211112", True, "+41217211112"),           # 0041…, not 0 + "041 217 211 12"
    ("00041217211112", True, "+41217211112"),          # 0 + 0041…
    ("+41217211112", True, "+41217211112"),
    ("00033142681234", True, "+33142681234"),
    ("0033 1 42 68 12 34", True, "+33142681234"),
    ("021-721.11.12", False, "+41217211112"),
])
def test_understood_numbers_are_e164(written, access_code, number):
    assert destination_number(written, access_code=access_code) == number


@pytest.mark.parametrize("written", ["", "0", "0123", "217211112", "+0217211112", "abc",
                                     "0\uff12\uff11\uff17211112", "02172111123456789012"])
def test_what_is_no_number_is_not_understood(written):
    assert destination_number(written, access_code=False) is None
    assert destination_number(written, access_code=True) is None


@pytest.mark.parametrize("number, access_code, dialled", [
    ("+41217211112", False, "0217211112"), ("+41217211112", True, "00217211112"),
    ("+33142681234", False, "0033142681234"), ("+33142681234", True, "00033142681234"),
    ("0123", True, "0123"),
])
def test_the_dialled_form_reads_back_as_the_same_number(number, access_code, dialled):
    assert dialled_form(number, access_code=access_code) == dialled
    if number.startswith("+"):
        assert destination_number(dialled, access_code=access_code) == number


def _stored_no_answer(conn, group="Support") -> str:
    return query(conn, "SELECT no_answer_target FROM call_groups WHERE name = %s",
                 (group,))[0]["no_answer_target"]


def test_a_stored_number_keeps_its_meaning_when_the_access_code_changes(applied, tmp_path):
    document = acme()                                   # access code on
    document["groups"][1]["no_answer"] = {"number": "00217211112"}    # 0 + 021 721 11 12
    document["numbers"][0]["routes"] = [{"range": "Office hours", "to": {"number": "0041217211113"}}]
    assert apply(applied, tmp_path, document).problems == []
    assert _stored_no_answer(applied) == "+41217211112"
    assert query(applied, "SELECT dest_target FROM number_routes")[0]["dest_target"] == \
        "+41217211113"
    exported = yaml.safe_load(provision.export_tenant(applied, "acme"))
    assert exported["groups"][1]["no_answer"] == {"number": "00217211112"}

    settings_only = {"tenant": "acme", "access_code": False}
    assert apply(applied, tmp_path, settings_only).problems == []
    assert _stored_no_answer(applied) == "+41217211112"          # not +217211112
    exported = yaml.safe_load(provision.export_tenant(applied, "acme"))
    assert exported["access_code"] is False
    assert exported["groups"][1]["no_answer"] == {"number": "0217211112"}
    assert exported["numbers"][0]["routes"][0]["to"] == {"number": "0217211113"}


def test_a_number_written_without_the_access_code_is_not_sent_as_written(applied, tmp_path):
    """With the access code on, "0217211112" was stored and later sent to the carrier as is."""
    document = acme()
    document["groups"][1]["no_answer"] = {"number": "0217211112"}
    assert apply(applied, tmp_path, document).problems == []
    assert _stored_no_answer(applied) == "+41217211112"


def test_a_file_keeps_being_accepted_with_what_it_accepted(applied, tmp_path):
    """The file's rule is unchanged (digits after 0 or +): a number not understood is kept."""
    document = acme()
    document["groups"][1]["no_answer"] = {"number": "0123"}
    assert apply(applied, tmp_path, document).problems == []
    assert _stored_no_answer(applied) == "0123"
    assert 'no_answer: {number: "0123"}' in provision.export_tenant(applied, "acme")


def _migrate_stored_destinations(conn) -> None:
    """Run sql/migrations/0014 (stored external destinations to E.164) again."""
    from vpbx.storage.migrations import MIGRATIONS_DIR, split_statements
    with open(f"{MIGRATIONS_DIR}/0016_external_destinations_e164.sql", encoding="utf-8") as handle:
        statements = split_statements(handle.read())
    with conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
    conn.commit()


@pytest.mark.parametrize("access_code, written, number", [
    (True, "00217211112", "+41217211112"), (True, "0217211112", "+41217211112"),
    (True, "00041217211112", "+41217211112"), (False, "00217211112", "+217211112"),
    (False, "0217211112", "+41217211112"), (True, "0123", "0123"),
])
def test_the_migration_stores_what_was_written_as_it_was_read(applied, access_code, written,
                                                              number):
    """Numbers stored as written before: each becomes the E.164 number calls went to (with
    the tenant's access code of the time), and keeps it when the access code changes."""
    with applied.cursor() as cur:
        cur.execute("UPDATE tenants SET access_code = %s", (access_code,))
        cur.execute("UPDATE call_groups SET no_answer_target = %s WHERE name = 'Support'",
                    (written,))
        cur.execute("UPDATE global_numbers SET outside_kind = 'number', outside_target = %s",
                    (written,))
        cur.execute("UPDATE number_routes SET dest_kind = 'number', dest_target = %s",
                    (written,))
    applied.commit()
    _migrate_stored_destinations(applied)
    assert _stored_no_answer(applied) == number
    assert {row["outside_target"] for row in query(
        applied, "SELECT outside_target FROM global_numbers")} == {number}
    assert {row["dest_target"] for row in query(applied, "SELECT dest_target FROM number_routes")} \
        == {number}
    assert destination_number(written, access_code=access_code) in (number, None)
