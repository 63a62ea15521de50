"""Deleting a tenant deletes its voice messages' files (recordings, sidecars naming the
callers) from the data folder; another tenant's messages stay."""
import os

import pytest
import yaml

from vpbx.voicemail import store as media_store

from .conftest import DESK, query
from .test_voicemail import leave_message

pytestmark = pytest.mark.integration

SONO_DESK = "+41215550100"


def message_files(platform, dbconn, message_id: int) -> tuple[str, str]:
    row, = query(dbconn, "SELECT path FROM voicemail_messages WHERE id = %s", message_id)
    wav = media_store.abs_path(platform.cfg.data_dir, row["path"])
    return wav, media_store.sidecar(wav)


def test_deleting_a_tenant_deletes_its_voice_messages_and_no_other(platform, voxco, carrier,
                                                                   dbconn, tmp_path):
    path = tmp_path / "sono.yaml"
    always = {"range": "Always", "to": {"voicemail": SONO_DESK}}
    path.write_text(yaml.safe_dump({
        "tenant": "sono", "name": "Sono", "domain": "sono.pbx.test",
        "timezone": "Europe/Zurich",
        "time_ranges": [{"name": "Always", "days": ["mon", "tue", "wed", "thu", "fri", "sat",
                                                     "sun"], "periods": ["00:00-24:00"]}],
        "numbers": [{"number": SONO_DESK, "label": "Desk", "routes": [always]}],
        "voicemail": [{"number": SONO_DESK, "mode": "enabled", "language": "en"}]}))
    applied = platform.vpbx("apply", str(path))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    sono = message_files(platform, dbconn, int(leave_message(platform, carrier, SONO_DESK)["id"]))
    voxco_files = message_files(platform, dbconn, int(leave_message(platform, carrier, DESK)["id"]))
    assert all(os.path.isfile(name) for name in sono + voxco_files)

    deleted = platform.vpbx("delete", "sono", "--yes")
    assert deleted.returncode == 0 and deleted.stdout == "tenant sono: deleted\n", deleted.stderr
    assert not any(os.path.exists(name) for name in sono)
    assert not os.path.exists(os.path.dirname(sono[0]))         # nor its mailbox's folder
    assert all(os.path.isfile(name) for name in voxco_files)    # voxco's message stays
    assert query(dbconn, "SELECT id FROM tenants WHERE slug = 'sono'") == []
