"""A message's limits (SPEC F5.2, issue 5): it is cut at the platform's maximum length, and
one left while the database is away is not lost: kept on disk, it gets its row (and its
e-mail) as soon as the database answers again, without restarting anything.

These tests run a platform of their own: a short maximum length ([media]
max_message_seconds), and every database connection through a forwarder the test can cut."""
import os
import time

import pytest
import yaml

from tests.integration.conftest import platform_behind_proxy
from tests.support import media as media_support
from tests.support.carrier import platform_file
from tests.support.platform_logs import DATABASE_AWAY
from vpbx.voicemail import store as media_store

from .conftest import (DESK, EMAIL, GREETING_HZ, carrier_phone, edge_uri, first_time, query,
                       recording_samples, tenant_document, tone_timeline, wait_media_line)

pytestmark = pytest.mark.integration
MAX_SECONDS = 4
BEEP_HZ = 1000


@pytest.fixture(scope="module")
def limited(platform_config, tmp_path_factory):
    """rtpengine, Kamailio and the media app with messages of at most MAX_SECONDS, the
    database behind `limited.proxy`, tenant voxco applied; `limited.direct()` is a
    connection to the database that does not go through the proxy."""
    folder = str(tmp_path_factory.mktemp("limited"))
    tenant = os.path.join(folder, "voxco.yaml")
    with open(tenant, "w") as handle:
        yaml.safe_dump(tenant_document(folder), handle, sort_keys=False)
    with platform_behind_proxy(
            platform_config, folder, ("rtpengine", "kamailio", "media"),
            [platform_file(folder), tenant],
            prepare=lambda cfg: media_support.prepare(cfg, max_message_seconds=MAX_SECONDS)
    ) as plat:
        plat.smtp = plat.prepared
        yield plat


@pytest.fixture
def carrier(limited, tmp_path):
    """The carrier's phone, calling the edge of `limited`."""
    phone = carrier_phone(tmp_path)
    yield phone
    phone.close()


@pytest.fixture
def direct(limited):
    conn = limited.direct()
    yield conn
    conn.close()


def loud_windows(path, window: float = 0.1) -> list[bool]:
    """For each `window` seconds of a recording, whether anything louder than about -50 dBFS
    was heard (a prompt, a tone), as tone_timeline measures it."""
    rate, samples = recording_samples(path)
    size = int(rate * window)
    return [sum(s * s for s in samples[start:start + size]) > size * 100 ** 2
            for start in range(0, len(samples) - size + 1, size)]


def call_desk(limited, carrier, record_to=None) -> str:
    """The carrier calls DESK's voicemail and waits for the beep; the SIP Call-ID."""
    carrier.call(edge_uri(limited, DESK), record_to=record_to)
    call_id = carrier.wait_call_state("CONFIRMED", timeout=5)["sip_call_id"]
    wait_media_line(limited, decision="message", outcome="recording", call_id=call_id)
    return call_id


def test_a_message_is_cut_at_the_maximum_length(limited, carrier, direct, tmp_path):
    heard = tmp_path / "caller.wav"
    call_id = call_desk(limited, carrier, record_to=heard)
    recording = time.monotonic()
    carrier.wait_call_state("DISCONNECTED", timeout=MAX_SECONDS + 8)   # the caller talks on:
    assert MAX_SECONDS <= time.monotonic() - recording <= MAX_SECONDS + 4   # the app hangs up
    stored = wait_media_line(limited, decision="message", outcome="stored", call_id=call_id)
    assert stored["ended_by"] == "max"
    row, = query(direct, "SELECT duration_ms, path, caller FROM voicemail_messages WHERE id = %s",
                 int(stored["id"]))
    assert row["caller"] == "carrier"
    assert (MAX_SECONDS - 0.4) * 1000 <= row["duration_ms"] <= (MAX_SECONDS + 0.3) * 1000
    said = tone_timeline(media_store.abs_path(limited.cfg.data_dir, row["path"]),
                         [carrier.tone_hz])
    assert said.count(carrier.tone_hz) * 0.1 >= 0.5 * MAX_SECONDS      # what the caller said

    # what the caller heard: greeting, beep, silence while recording, then "goodbye"
    timeline = tone_timeline(carrier.wait_recording(), [GREETING_HZ, BEEP_HZ])
    loud = loud_windows(heard)
    beep = first_time(timeline, BEEP_HZ)
    assert first_time(timeline, GREETING_HZ) < beep
    after_max = int((beep + MAX_SECONDS) * 10)            # 0.1 s windows
    spoken = [index for index in range(after_max, len(loud))
              if loud[index] and timeline[index] is None]
    assert len(spoken) >= 3, "the caller did not hear the goodbye prompt after the maximum"
    assert not any(loud[int((beep + 0.6) * 10):int((beep + MAX_SECONDS - 0.5) * 10)])


@pytest.mark.expect_log_errors(DATABASE_AWAY)
def test_a_message_left_while_the_database_is_away_is_stored_when_it_returns(
        limited, carrier, direct):
    with media_support.SmtpSink(limited.smtp) as smtp:
        call_id = call_desk(limited, carrier)
        limited.proxy.cut()                               # the database goes away
        time.sleep(2.0)                                   # the caller speaks (its tone)
        carrier.hangup()
        kept = wait_media_line(limited, decision="message", outcome="kept_on_disk",
                               call_id=call_id)
        box, = query(direct, "SELECT b.id FROM voicemail_boxes b JOIN global_numbers n"
                             " ON n.id = b.number_id WHERE n.number = %s", DESK)
        relative = os.path.join(media_store.message_folder(box["id"]), kept["file"])
        path = media_store.abs_path(limited.cfg.data_dir, relative)
        assert os.path.isfile(path)                       # on disk, durably…
        time.sleep(2.0)
        assert query(direct, "SELECT id FROM voicemail_messages WHERE path = %s",
                     relative) == []                      # …and no row while it is away

        limited.proxy.start()                             # the database is back
        deadline = time.monotonic() + 10
        while not (rows := query(direct, "SELECT * FROM voicemail_messages WHERE path = %s",
                                 relative)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert rows, "the kept message did not get its row once the database was back"
        row = rows[0]
        assert row["caller"] == "carrier" and row["is_new"] == 1
        assert 1500 <= row["duration_ms"] <= 3000
        said = tone_timeline(path, [carrier.tone_hz])
        assert said.count(carrier.tone_hz) * 0.1 >= 0.4 * row["duration_ms"] / 1000
        mail = smtp.wait_mail(EMAIL, timeout=15, message=str(row["id"]))    # and it is mailed
        attachment, = list(mail.iter_attachments())
        with open(path, "rb") as handle:
            assert attachment.get_content() == handle.read()
