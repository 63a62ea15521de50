"""Messages are stored durably: a message WAV without its database row (a crash between the
rename and the row) is recovered at start-up; half-recorded files are removed; a message kept
on disk while the database was away gets its row once it answers."""
import collections
import datetime
import logging
import os

import pymysql
import pytest

from media import prompts
from vpbx.provisioning import apply as provision
from vpbx.voicemail import mail as media_mail
from vpbx.voicemail import store as media_store

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


class _Away:
    """A database connection while the database is away."""

    def cursor(self):
        raise pymysql.err.OperationalError(2003, "Can't connect to MySQL server")


def test_a_message_kept_on_disk_gets_its_row_once_the_database_answers(
        conn, throwaway_db, files):  # noqa: F811
    assert apply(conn, files, document()).problems == []
    box, = rows(conn, "SELECT b.id FROM voicemail_boxes b JOIN global_numbers n"
                      " ON n.id = b.number_id WHERE n.number = '+41215550100'")
    relative = os.path.join(media_store.message_folder(box["id"]), "20270324T081500-abc.wav")
    received = datetime.datetime(2027, 3, 24, 8, 15, 0)
    kept = collections.deque([{"box_id": box["id"], "caller": "+41791234567", "path": relative,
                               "received_at": received, "duration_ms": 1500,
                               "email": "desk@sono.test"}])
    with pytest.raises(pymysql.err.OperationalError):
        media_mail.store_kept(_Away(), kept)          # still away: kept for the next round
    assert len(kept) == 1 and rows(conn, "SELECT id FROM voicemail_messages") == []
    stored = media_mail.store_kept(conn, kept)        # back
    assert not kept
    message, = rows(conn, "SELECT id, box_id, caller, received_at, duration_ms, path"
                          " FROM voicemail_messages")
    assert message == {"id": stored[0], "box_id": box["id"], "caller": "+41791234567",
                       "received_at": received, "duration_ms": 1500, "path": relative}
    outbox, = rows(conn, "SELECT recipient FROM voicemail_outbox WHERE message_id = %s",
                   stored[0])
    assert outbox == {"recipient": "desk@sono.test"}  # and it is mailed


def _message_on_disk(data_dir: str, box_id: int, name: str) -> str:
    folder = media_store.abs_path(data_dir, media_store.message_folder(box_id))
    os.makedirs(folder, exist_ok=True)
    wav = os.path.join(folder, name)
    prompts.tone_wav(wav, 700, 0.5)
    media_store.write_sidecar(wav, {"caller": "+41791234567", "duration_ms": 500,
                                    "received_at": "2027-03-24T08:15:00"})
    return wav


def test_a_message_file_that_cannot_be_deleted_with_its_tenant_is_swept_later(
        conn, throwaway_db, files, monkeypatch, caplog):  # noqa: F811
    """The tenant is deleted whole even when a file of its messages resists; the file is
    logged, then the media application's sweep deletes it (its mailbox no longer exists)."""
    assert apply(conn, files, document()).problems == []
    box, = rows(conn, "SELECT b.id FROM voicemail_boxes b JOIN global_numbers n"
                      " ON n.id = b.number_id WHERE n.number = '+41215550100'")
    data_dir = throwaway_db.data_dir
    wav = _message_on_disk(data_dir, box["id"], "20270324T081500-abc.wav")
    real_unlink = os.unlink

    def stuck(path, *args, **kwargs):
        if path == wav:
            raise PermissionError(13, "Permission denied", path)
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(media_store.os, "unlink", stuck)
    log = logging.getLogger("test.delete")
    with caplog.at_level(logging.ERROR, logger="test.delete"):
        assert provision.delete_tenant(conn, "sono", data_dir=data_dir, log=log) is True
    assert rows(conn, "SELECT id FROM tenants WHERE slug = 'sono'") == []
    assert rows(conn, "SELECT id FROM voicemail_boxes") == []
    assert os.path.exists(wav) and not os.path.exists(media_store.sidecar(wav))
    assert [record.getMessage() for record in caplog.records] == [
        f"voicemail file {wav} of a removed mailbox could not be deleted:"
        f" [Errno 13] Permission denied: '{wav}'"]
    monkeypatch.setattr(media_store.os, "unlink", real_unlink)
    assert media_store.recover_messages(conn, data_dir) == []     # the sweep: not recovered,
    assert not os.path.exists(os.path.dirname(wav))               # deleted


def test_the_sweep_leaves_files_being_written_and_existing_mailboxes(conn, throwaway_db,
                                                                     files):  # noqa: F811
    assert apply(conn, files, document()).problems == []
    box = rows(conn, "SELECT MAX(id) AS id FROM voicemail_boxes")[0]
    data_dir = throwaway_db.data_dir
    gone = _message_on_disk(data_dir, box["id"] + 1000, "20270324T081500-abc.wav")
    kept = _message_on_disk(data_dir, box["id"], "20270324T081600-def.wav")
    assert media_store.recover_messages(conn, data_dir, min_age=60) == []   # too recent
    assert os.path.exists(gone)
    assert len(media_store.recover_messages(conn, data_dir)) == 1           # at start-up
    assert not os.path.exists(os.path.dirname(gone)) and os.path.exists(kept)
