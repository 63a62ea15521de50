"""The Melodies, Announcements and Voicemail tabs and their API (SPEC F5.4, F7): uploads
checked by content and size with a clear message and nothing stored when refused, listen and
download, files in use not deletable, a voicemail used as a destination not disabled, the
PIN entered twice and not trivial."""
import io

import pytest

from tests.support.media import tone_file
from tests.support.webclient import post, sign_in_as
from vpbx.storage import connection as db
from vpbx.provisioning import apply as provision
from webui import accounts
from webui.app import create_app

from .test_provision_audio import TENANT, rows

PASSWORD = "correct horse battery"


@pytest.fixture
def sono(throwaway_db, tmp_path):
    """Tenant sono (see test_provision_audio) and a client signed in as its administrator;
    (app, client, API headers, connection, folder of test files)."""
    for name, hz in (("closed.mp3", 900), ("jazz.wav", 1200), ("soft.wav", 1550),
                     ("hello.wav", 2400)):
        tone_file(str(tmp_path / name), hz, 1.0)
    (tmp_path / "sono.yaml").write_text(__import__("yaml").safe_dump(TENANT))
    conn = db.connect(throwaway_db)
    assert provision.apply_file(conn, str(tmp_path / "sono.yaml")).problems == []
    tenant_id = rows(conn, "SELECT id FROM tenants WHERE slug = 'sono'")[0]["id"]
    account = accounts.create_account(conn, "admin@sono", PASSWORD, tenant_id=tenant_id,
                                      language="en")
    token = accounts.create_token(conn, account.id, "tests")
    app = create_app(throwaway_db, {"TESTING": True, "ASK_KAMAILIO": False})
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in_as(app, client, account)
    yield app, client, {"Authorization": f"Bearer {token}"}, conn, tmp_path
    conn.close()


def upload(client, kind, name, data, filename="x.wav", api_headers=None):
    form = {"kind": kind, "name": name, "file": (io.BytesIO(data), filename)}
    if api_headers:
        return client.post("/api/v1/audio", data=form, headers=api_headers,
                           content_type="multipart/form-data")
    return post(client, "/audio/upload", form, content_type="multipart/form-data",
                follow_redirects=True)


def test_pages_list_files_listen_download_and_upload(sono):
    _app, client, _api, conn, folder = sono
    page = client.get("/audio/").get_data(as_text=True)
    assert "Jazz" in page and "Soft" in page and "group Desk" in page
    jazz = rows(conn, "SELECT id FROM audio_files WHERE name = 'Jazz'")[0]["id"]
    listened = client.get(f"/audio/{jazz}/file")
    assert listened.status_code == 200 and listened.mimetype == "audio/wav"
    assert listened.data[:4] == b"RIFF"
    downloaded = client.get(f"/audio/{jazz}/file?download=1")
    assert "attachment" in downloaded.headers["Content-Disposition"]
    new = (folder / "jazz.wav").read_bytes()
    page = upload(client, "announcement", "Lunch", new, "lunch.mp3").get_data(as_text=True)
    assert "The file was added." in page and "Lunch" in page
    assert rows(conn, "SELECT name FROM audio_files WHERE name = 'Lunch'")


def test_fake_and_oversized_uploads_are_refused_clearly_and_nothing_is_stored(sono):
    _app, client, api, conn, _folder = sono
    before = rows(conn, "SELECT id FROM audio_files ORDER BY id")
    page = upload(client, "ringback", "Fake", b"<html>not a song</html>" * 10,
                  "song.mp3").get_data(as_text=True)
    assert "not a WAV or MP3 file (its content is neither, whatever its name)" in page
    big = b"RIFF\0\0\0\0WAVEfmt " + b"\0" * (4 * 1024 * 1024)
    response = upload(client, "ringback", "Big", big, "big.wav", api_headers=api)
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"field": "file", "message": "the file is 4.0 MB: at most 4 MB is accepted"}]
    assert rows(conn, "SELECT id FROM audio_files ORDER BY id") == before


def test_api_upload_list_and_delete_with_files_in_use_kept(sono):
    _app, client, api, conn, folder = sono
    response = upload(client, "music_on_hold", "Rock", (folder / "soft.wav").read_bytes(),
                      api_headers=api)
    assert response.status_code == 201, response.get_json()
    rock = response.get_json()
    assert rock["kind"] == "music_on_hold" and rock["duration_ms"] > 900
    listed = {item["name"]: item for item in client.get("/api/v1/audio", headers=api).get_json()}
    assert listed["Soft"]["used_by"] == ["group Desk"]
    assert listed["Jazz"]["used_by"] == ["the music on hold"]
    refused = client.delete(f"/api/v1/audio/{listed['Soft']['id']}", headers=api)
    assert refused.status_code == 409
    assert "group Desk" in refused.get_json()["errors"][0]["message"]
    assert client.delete(f"/api/v1/audio/{rock['id']}", headers=api).status_code == 204
    assert not rows(conn, "SELECT id FROM audio_files WHERE name = 'Rock'")


def test_voicemail_settings_pin_twice_trivial_pins_and_disabling_a_destination(sono):
    _app, client, api, conn, _folder = sono
    page = client.get("/voicemail/").get_data(as_text=True)
    assert "+41215550100" in page and "desk@sono.test" in page
    url = "/voicemail/+41215550100"
    response = post(client, url, {"mode": "enabled", "language": "en", "email": "x@sono.test",
                                  "pin": "2580", "pin_again": "2581"})
    assert response.status_code == 422 and "the two PINs differ" in response.get_data(as_text=True)
    response = post(client, url, {"mode": "enabled", "language": "en", "email": "x@sono.test",
                                  "pin": "1111", "pin_again": "1111"})
    assert "too easy to guess" in response.get_data(as_text=True)
    response = post(client, url, {"mode": "disabled", "language": "en", "email": ""})
    assert "cannot be disabled" in response.get_data(as_text=True)     # a destination uses it
    response = post(client, url, {"mode": "greeting_only", "language": "en",
                                  "email": "x@sono.test", "pin": "2580", "pin_again": "2580"})
    assert response.status_code == 302
    box = client.get("/api/v1/voicemail/+41215550100", headers=api).get_json()
    assert (box["mode"], box["language"], box["email"], box["pin_set"]) == (
        "greeting_only", "en", "x@sono.test", True)
    response = client.put("/api/v1/voicemail/+41215550101", headers=api,
                          json={"mode": "enabled", "pin": "1234"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "pin"
    assert client.put("/api/v1/voicemail/+41219999999", headers=api,
                      json={"mode": "enabled"}).status_code == 404


def test_a_number_with_mailbox_settings_can_still_be_deleted(sono):
    _app, client, api, conn, _folder = sono
    number = next(n for n in client.get("/api/v1/numbers", headers=api).get_json()
                  if n["number"] == "+41215550101")
    assert client.delete(f"/api/v1/numbers/{number['id']}", headers=api).status_code == 204
    assert [b["number"] for b in client.get("/api/v1/voicemail", headers=api).get_json()] == [
        "+41215550100"]
