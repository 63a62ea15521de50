"""The media tests share the session's platform (tests/conftest.py) and add tenant `voxco`:
voicemails, announcements, music on hold and ringback tones, with audio files made of tones
whose frequencies the tests look for in what the phones record."""
import os

import pytest
import yaml

from tests.conftest import assign_numbers
from tests.sip.phone import Phone
from tests.support.media import tone_file
from vpbx.storage import connection as db

DOMAIN = "voxco.pbx.test"
USERS = {"vx1": ("8001", "vx1-s3cret!"), "vx2": ("8002", "vx2-s3cret!"),
         "vx3": ("8003", "vx3-s3cret!")}
# each phone's own tone, apart from the audio files' ones (the harness's 3100 Hz tone comes
# out saturated, its harmonics folded onto 1300 and 500 Hz: not used here)
PHONE_HZ = {"vx1": 697, "vx2": 1760, "vx3": 440, "carrier": 1013}
DESK = "+41215558001"          # voicemail (PIN 4821, e-mail, own greeting), English
CLOSED = "+41215558002"        # announcement "Closed"
SALES = "+41215558003"         # group Sales (ringback "Bells"), then the voicemail of DESK
LATER = "+41215558004"         # voicemail in "greeting only" mode
GUARDED = "+41215558005"       # voicemail for the wrong-PIN tests (PIN 5930)
SILENT = "+41215558006"        # voicemail disabled
OWNER = "+41215558007"         # voicemail for the remote-access test (PIN 7395), English
RETRY = "+41215558008"         # group Retry: 8002 alone, 1 ring, 2 cycles (ringback "Bells")
PIN = "4821"
GUARDED_PIN = "5930"
OWNER_PIN = "7395"
EMAIL = "desk@voxco.test"
# tones of the audio files (the phones send 440, 697, 1013, 1330, 1760, 2150, 2600, 3100 Hz)
GREETING_HZ, ANNOUNCEMENT_HZ, MUSIC_HZ, RINGBACK_HZ = 2400, 900, 1200, 1550


def tenant_document(folder: str) -> dict:
    files = {"greeting": tone_file(os.path.join(folder, "greeting.wav"), GREETING_HZ, 1.5),
             "closed": tone_file(os.path.join(folder, "closed.mp3"), ANNOUNCEMENT_HZ, 2.0,
                                 channels=2),
             "calm": tone_file(os.path.join(folder, "calm.wav"), MUSIC_HZ, 3.0, rate=44100),
             "bells": tone_file(os.path.join(folder, "bells.wav"), RINGBACK_HZ, 2.0)}
    always = {"range": "Always", "to": None}
    return {
        "tenant": "voxco", "name": "Voxco", "domain": DOMAIN, "timezone": "Europe/Zurich",
        "access_code": True,
        "users": [{"extension": ext, "name": user.upper(), "username": user, "password": pw}
                  for user, (ext, pw) in USERS.items()],
        "time_ranges": [{"name": "Always", "days": ["mon", "tue", "wed", "thu", "fri", "sat",
                                                     "sun"], "periods": ["00:00-24:00"]}],
        "audio": {"announcements": [{"name": "Closed", "file": "closed.mp3"}],
                  "music_on_hold": [{"name": "Calm", "file": "calm.wav", "selected": True}],
                  "ringback": [{"name": "Bells", "file": "bells.wav"}]},
        "groups": [{"name": "Sales", "short_number": 501, "distribution": "hierarchical",
                    "rings": 2, "members": ["8002"], "ringback": "Bells",
                    "no_answer": {"voicemail": DESK}},
                   {"name": "Retry", "short_number": 502, "distribution": "cyclic",
                    "rings": 1, "cycles": 2, "members": ["8002"], "ringback": "Bells",
                    "no_answer": "hangup"}],
        "numbers": [
            {"number": DESK, "label": "Desk", "routes": [{**always, "to": {"voicemail": DESK}}]},
            {"number": CLOSED, "label": "Closed",
             "routes": [{**always, "to": {"announcement": "Closed"}}]},
            {"number": SALES, "label": "Sales", "routes": [{**always, "to": {"group": "Sales"}}]},
            {"number": RETRY, "label": "Retry", "routes": [{**always, "to": {"group": "Retry"}}]},
            {"number": LATER, "label": "Later", "routes": [{**always, "to": {"voicemail": LATER}}]},
            {"number": GUARDED, "label": "Guarded",
             "routes": [{**always, "to": {"voicemail": GUARDED}}]},
            {"number": SILENT, "label": "Silent", "outside_hours": "hangup"},
            {"number": OWNER, "label": "Owner", "routes": [{**always, "to": {"voicemail": OWNER}}]}],
        "voicemail": [
            {"number": DESK, "mode": "enabled", "pin": PIN, "email": EMAIL, "language": "en",
             "greeting": os.path.basename(files["greeting"])},
            {"number": LATER, "mode": "greeting_only", "language": "de"},
            {"number": GUARDED, "mode": "enabled", "pin": GUARDED_PIN, "language": "fr"},
            {"number": SILENT, "mode": "disabled"},
            {"number": OWNER, "mode": "enabled", "pin": OWNER_PIN, "language": "en"}],
    }


@pytest.fixture
def throwaway_db(throwaway_db):
    """The throwaway database of the tests that apply tenant sono by themselves, with sono's
    numbers assigned to it by the carrier (as tenants/platform.yaml does on the platform)."""
    assign_numbers(throwaway_db, {"sono": ["+41215550100-+41215550199"]})
    return throwaway_db


@pytest.fixture(scope="session")
def voxco(platform, tmp_path_factory):
    """Tenant voxco applied with `vpbx apply` (audio converted, voicemails set)."""
    folder = str(tmp_path_factory.mktemp("voxco"))
    path = os.path.join(folder, "voxco.yaml")
    with open(path, "w") as handle:
        yaml.safe_dump(tenant_document(folder), handle, sort_keys=False)
    result = platform.vpbx("apply", path)
    assert result.returncode == 0, result.stdout + result.stderr
    return {"path": path, "folder": folder}


@pytest.fixture
def vx(phones, voxco):
    """phones of voxco: vx("vx1") → a registered phone of user vx1."""
    def make(username, **kwargs):
        return phones(username, password=USERS[username][1], domain=DOMAIN,
                      tone_hz=PHONE_HZ[username], **kwargs)
    return make


def carrier_phone(tmp_path) -> Phone:
    """A started phone on the carrier's address (127.0.0.2), which calls an edge directly."""
    return Phone("carrier", bind_address="127.0.0.2", name="carrier", log_dir=str(tmp_path),
                 tone_hz=PHONE_HZ["carrier"]).start()


@pytest.fixture
def carrier(platform, tmp_path):
    """The carrier's phone, calling the session platform's edge."""
    phone = carrier_phone(tmp_path)
    yield phone
    phone.close()


def edge_uri(platform, number: str) -> str:
    return f"sip:{number}@{platform.cfg.sip_address}:{platform.cfg.sip_port}"


@pytest.fixture
def dbconn(platform):
    conn = db.connect(platform.cfg)
    yield conn
    conn.close()


def query(conn, sql, *args):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


def wait_media_line(platform, timeout: float = 10.0, **match) -> dict:
    """The last VPBX-MEDIA line of the media app's log since the test began whose fields
    equal `match`, once there is one."""
    return platform.wait_log("VPBX-MEDIA", timeout, component="media", **match)


def recording_samples(path):
    """(sample rate, 16-bit samples) of a mono WAV recording."""
    import array
    import sys
    import wave
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        samples = array.array("h", wav.readframes(wav.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    return rate, samples


def tone_timeline(path, frequencies, window: float = 0.1, drift: float = 0.03) -> list:
    """For each `window` seconds of a recording, the frequency among `frequencies` that holds
    most of that window's energy (more than 40 %), else None (silence or something else).
    A tone is looked for within ±`drift` of its frequency: on a loaded machine the phones'
    media clocks wander and a tone comes out slightly shifted."""
    from tests.sip.audio import _goertzel_power
    rate, samples = recording_samples(path)
    size = int(rate * window)
    timeline = []
    for start in range(0, len(samples) - size + 1, size):
        chunk = samples[start:start + size]
        energy = sum(s * s for s in chunk)
        best = None
        if energy > size * 100 ** 2:          # louder than about -50 dBFS
            shares = {f: max(2 * _goertzel_power(chunk, f * (1 + k * drift / 3), rate)
                             / (size * energy) for k in range(-3, 4))
                      for f in frequencies}
            frequency, share = max(shares.items(), key=lambda item: item[1])
            best = frequency if share > 0.4 else None
        timeline.append(best)
    return timeline


def seconds_of(timeline, frequency, window: float = 0.1) -> float:
    """How long `frequency` was heard in a timeline."""
    return sum(window for item in timeline if item == frequency)


def first_time(timeline, frequency, window: float = 0.1):
    """When `frequency` was first heard (seconds from the start), or None."""
    for index, item in enumerate(timeline):
        if item == frequency:
            return index * window
    return None
