"""An operator deletes a tenant in the web UI: the page says its voice messages go too, and
they do (the files under the data folder); another tenant's stay."""
import os

import yaml

from tests.conftest import assign_numbers
from tests.support.webclient import post, text_of
from vpbx.provisioning import apply as provision
from vpbx.voicemail import store as media_store

DESK = "+41215550180"


def message_on_disk(data_dir: str, box_id: int) -> list[str]:
    folder = media_store.abs_path(data_dir, media_store.message_folder(box_id))
    os.makedirs(folder, exist_ok=True)
    wav = os.path.join(folder, "20270324T081500-abc.wav")
    with open(wav, "wb") as handle:
        handle.write(b"RIFF")
    media_store.write_sidecar(wav, {"caller": "+41791234567", "duration_ms": 500,
                                    "received_at": "2027-03-24T08:15:00"})
    return [wav, media_store.sidecar(wav)]


def test_the_operator_deletes_a_tenant_and_its_voice_messages(operator, conn, platform,
                                                               tmp_path):
    cfg = platform[0]
    assign_numbers(cfg, {"doomed": [DESK]})
    path = tmp_path / "doomed.yaml"
    path.write_text(yaml.safe_dump({
        "tenant": "doomed", "name": "Doomed", "domain": "doomed.pbx.test",
        "numbers": [{"number": DESK, "label": "Desk", "outside_hours": {"voicemail": DESK}}],
        "voicemail": [{"number": DESK, "mode": "enabled"}]}))
    assert provision.apply_file(conn, str(path)).problems == []
    with conn.cursor() as cur:
        cur.execute("SELECT b.id, b.tenant_id FROM voicemail_boxes b JOIN tenants t"
                    " ON t.id = b.tenant_id WHERE t.slug = 'doomed'")
        box = cur.fetchone()
        cur.execute("SELECT MIN(id) AS id FROM voicemail_boxes WHERE tenant_id <> %s",
                    (box["tenant_id"],))
        other = cur.fetchone()["id"]
    doomed = message_on_disk(cfg.data_dir, box["id"])
    kept = message_on_disk(cfg.data_dir, other if other else box["id"] + 1000)

    page = text_of(operator.get(f"/platform/tenants/{box['tenant_id']}").get_data(True))
    assert "Its voice messages (recordings and callers' numbers) are deleted too." in page
    response = post(operator, f"/platform/tenants/{box['tenant_id']}/delete",
                    {"confirm": "doomed"})
    assert response.status_code == 302
    assert provision.export_tenant(conn, "doomed") is None
    assert not any(os.path.exists(name) for name in doomed)
    assert all(os.path.isfile(name) for name in kept)
