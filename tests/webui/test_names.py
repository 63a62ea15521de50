"""Names with control characters (security issue 21): refused on save (test_forms, test_api),
and an audio file stored with one before that still downloads instead of answering 500."""
import os
import wave

from vpbx.voicemail import store as media_store


def test_an_audio_file_stored_with_a_line_break_in_its_name_still_downloads(acme, conn,
                                                                              platform):
    cfg = platform[0]
    relative = "audio/00/legacy-name.wav"
    path = media_store.abs_path(cfg.data_dir, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with wave.open(path, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\0\0" * 800)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO audio_files (tenant_id, kind, name, path, sha256)"
                    " SELECT id, 'announcement', 'Closed\r\nX-Injected: 1', %s, REPEAT('0', 64)"
                    " FROM tenants WHERE slug = 'acme'", (relative,))
        audio_id = cur.lastrowid
    response = acme.get(f"/audio/{audio_id}/file?download=1")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="Closed__X-Injected: 1.wav"'
    assert "X-Injected" not in {name for name, _ in response.headers}
