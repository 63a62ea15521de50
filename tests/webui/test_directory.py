"""The company directory: contacts with validation, CSV import all or nothing, isolation
(the phones' XML phonebook: test_phonebook.py)."""
import io
import re

from tests.support.webclient import post

from .conftest import config_versions


def contact_ids(client):
    return [int(n) for n in re.findall(r'id="contact-(\d+)"', client.get("/directory/").get_data(as_text=True))]


def test_contacts_are_checked_then_listed(acme, empty_directory, conn):
    before = config_versions(conn)
    bad = post(acme, "/directory/", {"name": "Plumber", "number": "call me", "short": "34a5"})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "number: must be a telephone number" in text and "short: must be 1 to 6 digits" in text
    assert contact_ids(acme) == []
    assert post(acme, "/directory/", {"name": "Plumber", "number": "021 987 65 43",
                                      "short": "3435"}).status_code == 302
    page = acme.get("/directory/").get_data(as_text=True)
    assert "+41219876543" in page and "##3435" in page
    again = post(acme, "/directory/", {"name": "Other", "number": "+41219876500", "short": "3435"})
    assert again.status_code == 400 and "##3435 is already used" in again.get_data(as_text=True)
    assert config_versions(conn) == {**before, "acme": before["acme"] + 1}   # one stored


def csv_upload(client, text):
    return post(client, "/directory/import",
                {"file": (io.BytesIO(text.encode()), "contacts.csv")},
                content_type="multipart/form-data")


def test_csv_import_is_all_or_nothing_with_a_reason_per_bad_line(acme, empty_directory):
    bad = csv_upload(acme, "name,number,short\nPlumber,021 987 65 43,3435\n"
                           "Nobody,not a number,\nBaker,+41219876500,3435\n")
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "line 3: number:" in text and "line 4: short: ##3435 appears twice" in text
    assert contact_ids(acme) == []                        # nothing half-imported
    good = csv_upload(acme, "Plumber,021 987 65 43,3435\nBaker,+41219876500,\nGrocer,0041219876501,\n")
    assert good.status_code == 302 and len(contact_ids(acme)) == 3


def test_another_tenants_contact_is_not_found(acme, globex, empty_directory):
    post(acme, "/directory/", {"name": "Plumber", "number": "0219876543", "short": "3435"})
    (contact,) = contact_ids(acme)
    assert post(globex, f"/directory/{contact}/delete").status_code == 404
    assert contact_ids(globex) == []
    assert post(acme, f"/directory/{contact}/delete").status_code == 302
