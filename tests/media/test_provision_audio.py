"""The tenant file's `audio:` and `voicemail:` sections (CONFIG-FORMAT, SPEC F5, F7) through
`vpbx apply | export` against a real migrated database: files checked by content and size,
converted once, limits, references, PIN rules, and apply-of-export changes nothing."""
import os
import wave

import pytest
import yaml

from tests.support.media import tone_file
from vpbx.audio import files as audio
from vpbx.voicemail import store as media_store
from vpbx.provisioning import apply as provision

TENANT = {
    "tenant": "sono", "name": "Sono", "domain": "sono.pbx.test",
    "users": [{"extension": "7001", "name": "A", "username": "a", "password": "a-s3cret!!"}],
    "time_ranges": [{"name": "Always", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                     "periods": ["00:00-24:00"]}],
    "audio": {"announcements": [{"name": "Closed", "file": "closed.mp3"}],
              "music_on_hold": [{"name": "Jazz", "file": "jazz.wav", "selected": True}],
              "ringback": [{"name": "Soft", "file": "soft.wav"}]},
    "groups": [{"name": "Desk", "short_number": 401, "distribution": "hierarchical",
                "members": ["7001"], "ringback": "Soft",
                "no_answer": {"announcement": "Closed"}}],
    "numbers": [{"number": "+41215550100", "routes": [{"range": "Always", "to": {"group": "Desk"}}],
                 "outside_hours": {"voicemail": "+41215550100"}},
                {"number": "+41215550101", "outside_hours": "hangup"}],
    "voicemail": [{"number": "+41215550100", "mode": "enabled", "pin": "4821",
                   "email": "desk@sono.test", "language": "de", "greeting": "hello.wav"},
                  {"number": "+41215550101", "mode": "disabled"}],
}


@pytest.fixture
def files(tmp_path):
    tone_file(str(tmp_path / "closed.mp3"), 900, 1.0, channels=2)
    tone_file(str(tmp_path / "jazz.wav"), 1200, 1.0, rate=44100)
    tone_file(str(tmp_path / "soft.wav"), 1550, 1.0)
    tone_file(str(tmp_path / "hello.wav"), 2400, 1.0)
    return tmp_path


def apply(conn, folder, document, name="sono.yaml"):
    path = folder / name
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return provision.apply_file(conn, str(path))


def rows(conn, sql, *args):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


def document(**changes):
    data = yaml.safe_load(yaml.safe_dump(TENANT))
    data.update(changes)
    return data


def test_audio_and_voicemail_are_stored_converted_and_export_applies_unchanged(
        conn, throwaway_db, files, tmp_path):
    result = apply(conn, files, document())
    assert result.problems == [], result.problems
    assert {"announcement Closed: created", "music on hold Jazz: created",
            "ringback tone Soft: created", "voicemail +41215550100: created",
            "voicemail +41215550101: created"} <= set(result.changes)
    stored = rows(conn, "SELECT kind, name, path, sha256, selected FROM audio_files ORDER BY id")
    assert [(r["kind"], r["name"]) for r in stored] == [
        ("announcement", "Closed"), ("music_on_hold", "Jazz"), ("ringback", "Soft"),
        ("greeting", "+41215550100")]
    for row in stored:                    # converted once: 8 kHz mono 16-bit, by content
        path = os.path.join(throwaway_db.data_dir, row["path"])
        with wave.open(path) as wav:
            assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert audio.digest(path) == row["sha256"]
    box, _disabled = rows(conn, "SELECT mode, email, language, pin_hash, greeting_audio_id"
                                " FROM voicemail_boxes ORDER BY id")
    assert (box["mode"], box["email"], box["language"]) == ("enabled", "desk@sono.test", "de")
    assert media_store.check_pin("4821", box["pin_hash"]) and box["greeting_audio_id"]
    group, = rows(conn, "SELECT a.name FROM call_groups g JOIN audio_files a"
                        " ON a.id = g.ringback_audio_id")
    assert group["name"] == "Soft"

    assert apply(conn, files, document()).changes == []          # the same files again
    exported = provision.export_tenant(conn, "sono")
    assert "music_on_hold:" in exported and "ringback: Soft" in exported
    assert "pin" not in exported                                   # only its hash is stored
    export_file = tmp_path / "export" / "sono.yaml"
    export_file.parent.mkdir()
    export_file.write_text(exported)
    again = provision.apply_file(conn, str(export_file))
    assert (again.problems, again.changes) == ([], [])
    box, _disabled = rows(conn, "SELECT pin_hash FROM voicemail_boxes ORDER BY id")
    assert media_store.check_pin("4821", box["pin_hash"])          # kept: no pin given


def test_a_changed_file_is_converted_again_and_removed_files_go(conn, throwaway_db, files):
    assert apply(conn, files, document()).problems == []
    tone_file(str(files / "jazz2.wav"), 700, 1.0)
    data = document()
    data["audio"] = {"music_on_hold": [{"name": "Jazz", "file": "jazz2.wav", "selected": True}]}
    result = apply(conn, files, data)
    assert result.changes == ["music on hold Jazz: updated (file)"]
    data["audio"] = {"music_on_hold": []}        # kinds not listed are kept
    assert apply(conn, files, data).changes == ["music on hold Jazz: removed"]
    assert [r["name"] for r in rows(conn, "SELECT name FROM audio_files WHERE kind <> 'greeting'"
                                          " ORDER BY id")] == ["Closed", "Soft"]


def problems_of(conn, folder, data):
    result = apply(conn, folder, data)
    assert result.changes == []
    return [line.split(": ", 1)[1] for line in result.problems]


def test_files_are_judged_by_content_and_size_and_nothing_is_stored(conn, throwaway_db, files):
    (files / "fake.mp3").write_text("this is not audio at all, whatever its name says\n")
    (files / "big.wav").write_bytes(b"RIFF\0\0\0\0WAVEfmt " + b"\0" * (4 * 1024 * 1024))
    data = document()
    data["audio"]["announcements"] = [{"name": "Fake", "file": "fake.mp3"},
                                      {"name": "Big", "file": "big.wav"}]
    data["groups"][0]["no_answer"] = "hangup"
    assert problems_of(conn, files, data) == [
        "audio.announcements[0].file: fake.mp3: not a WAV or MP3 file (its content is "
        "neither, whatever its name)",
        "audio.announcements[1].file: big.wav: the file is 4.0 MB: at most 4 MB is accepted"]
    assert rows(conn, "SELECT * FROM audio_files") == []
    assert rows(conn, "SELECT * FROM tenants") == []


def test_limits_and_references(conn, throwaway_db, files):
    data = document()
    data["audio"]["ringback"] = [{"name": f"R{n}", "file": "soft.wav"} for n in range(11)]
    data["audio"]["music_on_hold"].append({"name": "Rock", "file": "jazz.wav",
                                           "selected": True})
    data["groups"][0]["no_answer"] = {"announcement": "Gone"}
    data["voicemail"][0]["pin"] = "1234"
    data["voicemail"].append({"number": "+41219999999"})
    assert problems_of(conn, files, data) == [
        "audio.music_on_hold: only one music on hold can be selected (selected: true)",
        "audio.ringback: at most 10 files of each kind (11 given)",
        "voicemail[0].pin: a PIN of consecutive digits is too easy to guess; choose another",
        "groups[0].ringback: no ringback tone is named 'Soft'",
        "groups[0].no_answer: no announcement is named 'Gone'",
        "voicemail[2].number: +41219999999 is not one of this tenant's numbers"]


def test_a_disabled_voicemail_cannot_be_a_destination(conn, throwaway_db, files):
    data = document()
    data["numbers"][1]["outside_hours"] = {"voicemail": "+41215550101"}
    assert problems_of(conn, files, data) == [
        "numbers[1].outside_hours: the voicemail of +41215550101 is disabled: it cannot be a "
        "destination"]


def test_what_is_in_use_cannot_be_removed(conn, throwaway_db, files):
    assert apply(conn, files, document()).problems == []
    data = {"tenant": "sono", "audio": {"announcements": [], "ringback": []}}
    assert problems_of(conn, files, data) == [
        "audio: ringback tone Soft cannot be removed: group Desk still uses it",
        "audio: announcement Closed cannot be removed: group Desk still uses it"]


@pytest.mark.parametrize("pin, ok", [("0000", False), ("1111", False), ("1234", False),
                                     ("4321", False), ("1212", False), ("1122", False),
                                     ("4821", True), ("5930", True), ("7395", True)])
def test_trivial_pins_are_refused(pin, ok):
    assert (media_store.trivial_pin_reason(pin) is None) is ok


def test_pins_are_hashed_and_checked():
    stored = media_store.hash_pin("4821")
    assert "4821" not in stored
    assert media_store.check_pin("4821", stored) and not media_store.check_pin("4822", stored)
    assert not media_store.check_pin("4821", None)


def test_audio_content_sniffing():
    assert audio.sniff(b"RIFF\x24\x00\x00\x00WAVEfmt ") == "wav"
    assert audio.sniff(b"ID3\x04\x00\x00\x00\x00\x00\x00") == "mp3"
    assert audio.sniff(b"\xff\xfb\x90\x64" + b"\0" * 8) == "mp3"        # MPEG-1 layer III
    assert audio.sniff(b"\xff\xfb\xf0\x64") is None                     # bad bitrate index
    assert audio.sniff(b"<html>RIFF....WAVE") is None
    with pytest.raises(audio.AudioError, match="at most 4 MB"):
        audio.check_bytes(4 * 1024 * 1024 + 1, b"RIFF\0\0\0\0WAVE")
