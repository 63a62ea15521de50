"""Storing the `audio:` and `voicemail:` sections (checked by vpbx.provisioning.media_rules),
with change lines.

Called by vpbx.provisioning.write.write_tenant: `write_audio` before the groups (a group's ringback
tone is found by name), `write_voicemail` after the numbers (a mailbox belongs to its
number), `remove_audio` once no group uses the removed files any more.
"""
from vpbx.voicemail import store as voicemail_store
from vpbx.provisioning.media_rules import AUDIO_NOUNS
from vpbx.provisioning.writer import Writer, remove, sync


class _Audio(Writer):
    """audio_files rows (not the greetings), keyed by (kind, name)."""
    section, noun = "audio", "audio file"

    def label(self, item) -> str:
        return f"{AUDIO_NOUNS[item.kind]} {item.name}"

    def insert(self, cur, tenant_id, item):
        cur.execute("INSERT INTO audio_files (tenant_id, kind, name, path, sha256, source_sha256,"
                    " duration_ms, selected) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    (tenant_id, item.kind, item.name, item.path, item.sha256,
                     item.source_sha256, item.duration_ms, item.selected))
        return [f"{self.label(item)}: created"]

    def update(self, cur, tenant_id, old, new):
        cur.execute("UPDATE audio_files SET path = %s, sha256 = %s, source_sha256 = %s,"
                    " duration_ms = %s, selected = %s WHERE tenant_id = %s AND kind = %s"
                    " AND name = %s", (new.path, new.sha256, new.source_sha256, new.duration_ms,
                                       new.selected, tenant_id, new.kind, new.name))
        what = [w for w, changed in (("file", old.sha256 != new.sha256),
                                     ("selected", old.selected != new.selected)) if changed]
        return [f"{self.label(new)}: updated ({', '.join(what)})"]

    def delete(self, cur, tenant_id, item):
        cur.execute("DELETE FROM audio_files WHERE tenant_id = %s AND kind = %s AND name = %s",
                    (tenant_id, item.kind, item.name))
        return [f"{self.label(item)}: removed"]


def write_audio(cur, tenant_id: int, tenant, current) -> tuple[list[str], list]:
    """Create and update the tenant's audio files; (change lines, files to remove later)."""
    if tenant.audio is None:
        return [], []
    wanted = list(tenant.audio) + [a for a in current.audio or []
                                   if a.kind not in tenant.audio_kinds]
    lines, changes = sync(cur, tenant_id, _Audio(), current.audio or [], wanted,
                          delete_removed=False)
    return lines, changes.removed


def remove_audio(cur, tenant_id: int, removed: list) -> list[str]:
    return remove(cur, tenant_id, _Audio(), removed)


def set_ringback(cur, tenant_id: int, group) -> None:
    """A group's ringback tone (by name, among the tenant's ringback tones), or none."""
    cur.execute("UPDATE call_groups SET ringback_audio_id = (SELECT id FROM audio_files"
                " WHERE tenant_id = %s AND kind = 'ringback' AND name = %s)"
                " WHERE tenant_id = %s AND name = %s",
                (tenant_id, group.ringback, tenant_id, group.name))


class _Voicemail(Writer):
    """voicemail_boxes rows (and their greeting files), keyed by number. Boxes are never
    deleted here: a number's mailbox and its messages go with the number."""
    section, noun = "voicemail", "voicemail"

    def needs_update(self, old, new) -> bool:
        if old != new or old.pin_hash != new.pin_hash:
            return True
        return new.pin is not None and not voicemail_store.check_pin(new.pin, old.pin_hash)

    @staticmethod
    def _greeting(cur, tenant_id, box) -> None:
        """The greeting's audio_files row (kind greeting, named by the number) and link."""
        greeting = box.greeting
        if greeting is None:
            cur.execute("UPDATE voicemail_boxes b JOIN global_numbers n ON n.id = b.number_id"
                        " SET b.greeting_audio_id = NULL WHERE b.tenant_id = %s AND n.number = %s",
                        (tenant_id, box.number))
            cur.execute("DELETE FROM audio_files WHERE tenant_id = %s AND kind = 'greeting'"
                        " AND name = %s", (tenant_id, box.number))
            return
        cur.execute("INSERT INTO audio_files (tenant_id, kind, name, path, sha256, source_sha256,"
                    " duration_ms) VALUES (%s, 'greeting', %s, %s, %s, %s, %s)"
                    " ON DUPLICATE KEY UPDATE path = VALUES(path), sha256 = VALUES(sha256),"
                    " source_sha256 = VALUES(source_sha256), duration_ms = VALUES(duration_ms)",
                    (tenant_id, box.number, greeting.path, greeting.sha256,
                     greeting.source_sha256, greeting.duration_ms))
        cur.execute("UPDATE voicemail_boxes b JOIN global_numbers n ON n.id = b.number_id"
                    " JOIN audio_files a ON a.tenant_id = b.tenant_id AND a.kind = 'greeting'"
                    " AND a.name = n.number SET b.greeting_audio_id = a.id"
                    " WHERE b.tenant_id = %s AND n.number = %s", (tenant_id, box.number))

    @staticmethod
    def _pin_hash(box):
        return voicemail_store.hash_pin(box.pin) if box.pin else box.pin_hash

    def insert(self, cur, tenant_id, box):
        cur.execute("INSERT INTO voicemail_boxes (tenant_id, number_id, mode, email, language,"
                    " pin_hash) SELECT tenant_id, id, %s, %s, %s, %s FROM global_numbers"
                    " WHERE tenant_id = %s AND number = %s",
                    (box.mode, box.email, box.language, self._pin_hash(box), tenant_id,
                     box.number))
        self._greeting(cur, tenant_id, box)
        return [f"{self.label(box)}: created"]

    def update(self, cur, tenant_id, old, new):
        cur.execute("UPDATE voicemail_boxes b JOIN global_numbers n ON n.id = b.number_id"
                    " SET b.mode = %s, b.email = %s, b.language = %s, b.pin_hash = %s"
                    " WHERE b.tenant_id = %s AND n.number = %s",
                    (new.mode, new.email, new.language, self._pin_hash(new), tenant_id,
                     new.number))
        if old.greeting != new.greeting:
            self._greeting(cur, tenant_id, new)
        changed = [name for name in ("mode", "email", "language", "greeting")
                   if getattr(old, name) != getattr(new, name)]
        if self._pin_hash(new) != old.pin_hash and \
                not (new.pin and voicemail_store.check_pin(new.pin, old.pin_hash)):
            changed.append("pin")
        return [f"{self.label(new)}: updated ({', '.join(changed) or 'pin'})"]

    def delete(self, cur, tenant_id, box):
        return []


def write_voicemail(cur, tenant_id: int, tenant, current) -> list[str]:
    if tenant.voicemail is None:
        return []
    lines, _changes = sync(cur, tenant_id, _Voicemail(), current.voicemail or [],
                           tenant.voicemail, delete_removed=False)
    return lines
