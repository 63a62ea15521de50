"""The company directory: contacts with validation, CSV import all or nothing, isolation,
and the phones' XML phonebook behind their SIP credentials (HTTP Digest)."""
import hashlib
import io
import re

import pytest

from tests.support.webclient import post

from .conftest import config_versions


@pytest.fixture
def empty_directory(conn):
    with conn.cursor() as cur:
        cur.execute("DELETE FROM directory_contacts")
    yield
    with conn.cursor() as cur:
        cur.execute("DELETE FROM directory_contacts")


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


def digest_get(client, url, username, password):
    """GET with HTTP Digest (qop=auth), as a desk phone does."""
    challenge = client.get(url)
    assert challenge.status_code == 401
    fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge.headers["WWW-Authenticate"]))
    ha1 = hashlib.md5(f"{username}:{fields['realm']}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"GET:{url}".encode()).hexdigest()
    response = hashlib.md5(f"{ha1}:{fields['nonce']}:00000001:abcdef:auth:{ha2}".encode()).hexdigest()
    header = (f'Digest username="{username}", realm="{fields["realm"]}", '
              f'nonce="{fields["nonce"]}", uri="{url}", qop=auth, nc=00000001, '
              f'cnonce="abcdef", response="{response}", algorithm=MD5')
    return client.get(url, headers={"Authorization": header})


def test_a_phone_reads_its_tenants_directory_with_its_sip_credentials(acme, app, empty_directory):
    post(acme, "/directory/", {"name": "Plumber & Sons", "number": "0219876543", "short": "3435"})
    phone = app.test_client()
    url = "/phonebook/acme.pbx.test.xml"
    response = digest_get(phone, url, "julien", "Julien-s3cret!")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    xml = response.get_data(as_text=True)
    assert "<Name>Plumber &amp; Sons</Name><Telephone>+41219876543</Telephone>" in xml
    assert "<Telephone>7956</Telephone>" in xml                        # Julien, a user
    assert digest_get(phone, url, "julien", "wrong password").status_code == 401
    assert phone.get(url).status_code == 401                           # no credentials


def test_a_phone_of_another_tenant_cannot_read_it(app, empty_directory):
    phone = app.test_client()
    globex_user = "lena"
    response = digest_get(phone, "/phonebook/acme.pbx.test.xml", globex_user, "whatever-pass1")
    assert response.status_code == 401
