"""Messages are stored durably: a message WAV without its database row (a crash between the
rename and the row) is recovered at start-up; half-recorded files are removed."""
import datetime
import os

from media import prompts
from vpbx import media_store

from .test_provision_audio import apply, document, files, rows  # noqa: F401 (fixture)


def test_a_message_file_without_its_row_is_recovered(conn, throwaway_db, files):  # noqa: F811
    assert apply(conn, files, document()).problems == []
    box, = rows(conn, "SELECT b.id FROM voicemail_boxes b JOIN global_numbers n"
                      " ON n.id = b.number_id WHERE n.number = '+41215550100'")
    data_dir = throwaway_db.data_dir
    folder = media_store.abs_path(data_dir, media_store.message_folder(box["id"]))
    os.makedirs(folder)
    received = datetime.datetime(2027, 3, 24, 8, 15, 0)
    complete = os.path.join(folder, "20270324T081500-abc.wav")
    prompts.tone_wav(complete, 700, 1.5)
    media_store.write_sidecar(complete, {"caller": "+41791234567", "duration_ms": 1500,
                                         "received_at": received.isoformat()})
    half = os.path.join(folder, "20270324T081700-def" + media_store.RECORDING_SUFFIX)
    with open(half, "wb") as handle:
        handle.write(b"RIFF")                               # being recorded when it crashed
    recovered = media_store.recover_messages(conn, data_dir)
    assert len(recovered) == 1 and not os.path.exists(half)
    message, = rows(conn, "SELECT box_id, caller, received_at, duration_ms, path, is_new"
                          " FROM voicemail_messages")
    assert message == {"box_id": box["id"], "caller": "+41791234567", "received_at": received,
                       "duration_ms": 1500, "is_new": 1,
                       "path": os.path.relpath(complete, data_dir)}
    outbox, = rows(conn, "SELECT recipient, sent_at FROM voicemail_outbox")
    assert outbox == {"recipient": "desk@sono.test", "sent_at": None}   # and it is mailed
    assert media_store.recover_messages(conn, data_dir) == []           # once
