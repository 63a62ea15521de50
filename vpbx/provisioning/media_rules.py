"""The `audio:` and `voicemail:` sections of a tenant file (SPEC F5, F7; CONFIG-FORMAT).

    audio:                                  # files relative to the YAML file; WAV or MP3 ≤ 4 MB
      announcements: [{name: Closed, file: closed.mp3}]
      music_on_hold: [{name: Jazz, file: jazz.wav, selected: true}]
      ringback: [{name: Soft, file: soft.wav}]
    voicemail:
      - {number: "+41215667955", mode: enabled, pin: "4821", email: desk@acme.test,
         language: fr, greeting: hello.wav}       # greeting optional

A kind absent from `audio:` is left as stored; a kind given lists all its files (at most 10).
A number absent from a given `voicemail:` gets the defaults back (enabled, French, no PIN,
e-mail or greeting); its messages are kept. Files are checked by their content in
`parse_*`, and converted (vpbx.audio.files) in `check_media` only when they differ from what is
stored, so applying an export (whose files are the stored conversions) converts nothing.
"""
import dataclasses
import os
import re

from vpbx.audio import files as audio_files
from vpbx.model.tenant import VOICEMAIL_LANGUAGES, VOICEMAIL_MODES, AudioFile, Voicemail
from vpbx.provisioning import document
from vpbx.reasons import Reason, item_name
from vpbx.settings import platform
from vpbx.voicemail import store as voicemail_store

AUDIO_NOUNS = {"announcement": "announcement", "music_on_hold": "music on hold",
               "ringback": "ringback tone", "greeting": "greeting"}
_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}")


def _base_folder(root) -> str:
    """The folder files of this document are relative to (the YAML file's)."""
    return os.path.dirname(os.path.abspath(root.problems.filename))


def _file(node, base: str) -> str | None:
    """A file given at `node`: its absolute path once its size and content are accepted."""
    name = node.read(document.text(1024))
    if name is None:
        return None
    path = name if os.path.isabs(name) else os.path.join(base, name)
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as handle:
            head = handle.read(64)
    except OSError as exc:
        node.fail(Reason("cannot_read_named", name=name, error=exc.strerror or str(exc)))
        return None
    try:
        audio_files.check_bytes(size, head)
    except audio_files.AudioError as exc:
        node.fail(Reason("named_file", name=name, reason=exc.reason))
        return None
    return path


def pin(value) -> str:
    """A voicemail PIN: 4 digits, in quotes, not trivial (0000, 1234…)."""
    rule = Reason("pin")
    text = document.text_of(value, rule)
    if not re.fullmatch(r"[0-9]{4}", text):     # ASCII digits: what a phone dials
        raise document.Invalid(rule)
    reason = voicemail_store.trivial_pin_reason(text)
    if reason:
        raise document.Invalid(Reason("choose_another", reason=reason))
    return text


def email(value) -> str:
    rule = Reason("email")
    text = document.text_of(value, rule)
    if len(text) > 255 or not _EMAIL.fullmatch(text):
        raise document.Invalid(rule)
    return text


# ---- parsing ----------------------------------------------------------------------------------

def parse_audio(root, parsed) -> None:
    """The `audio:` section into parsed.tenant.audio (kinds given in audio_kinds)."""
    if not root.has("audio"):
        return
    node = root.at("audio")
    if not node.mapping(tuple(audio_files.FILE_KINDS)):
        return
    base = _base_folder(root)
    files, paths, declared, kinds = [], [], set(), []
    for key, kind in audio_files.FILE_KINDS.items():
        if key not in node.value:
            continue
        kinds.append(kind)
        listed = node.at(key)
        if listed.value is None:
            continue
        items = listed.items()
        if items is None:
            continue
        if len(items) > audio_files.MAX_PER_KIND:
            listed.fail(Reason("too_many_files", count=audio_files.MAX_PER_KIND,
                               given=len(items)))
        seen, selected = {}, []
        for item in items:
            if not item.mapping(("name", "file", "selected")):
                continue
            before = len(item.problems)
            name = item.field("name", document.text(128), required=True)
            if name:
                declared.add((kind, name))
                if name in seen:
                    item.at("name").fail(Reason("already_used", value=name, by=seen[name]))
                seen.setdefault(name, item.path)
            source = _file(item.at("file"), base) if item.has("file") else None
            if not item.has("file"):
                item.at("file").fail(Reason("required"))
            chosen = item.field("selected", document.boolean, default=False)
            if chosen and kind != "music_on_hold":
                item.at("selected").fail(Reason("selected_only_music"))
            if chosen:
                selected.append(item.path)
            if len(item.problems) == before:
                files.append(AudioFile(kind, name, selected=bool(chosen), source=source))
                paths.append(item.path)
        if len(selected) > 1:
            listed.fail(Reason("one_music_selected"))
    parsed.tenant.audio = files
    parsed.tenant.audio_kinds = tuple(kinds)
    parsed.paths["audio"], parsed.declared["audio"] = paths, declared


def parse_voicemail(root, parsed) -> None:
    """The `voicemail:` section into parsed.tenant.voicemail."""
    if "voicemail" not in root.value:
        return
    node = root.at("voicemail")
    if node.value is None:
        parsed.tenant.voicemail, parsed.paths["voicemail"] = [], []
        return
    items = node.items()
    if items is None:
        return
    base = _base_folder(root)
    boxes, paths, seen = [], [], {}
    for item in items:
        if not item.mapping(("number", "mode", "pin", "email", "language", "greeting")):
            continue
        before = len(item.problems)
        number = item.field("number", document.e164, required=True)
        mode = item.field("mode", document.one_of(VOICEMAIL_MODES), default="enabled")
        code = item.field("pin", pin)
        address = item.field("email", email)
        language = item.field("language", document.one_of(VOICEMAIL_LANGUAGES), default="fr")
        greeting = _file(item.at("greeting"), base) if item.has("greeting") else None
        if number in seen:
            item.at("number").fail(Reason("already_used", value=number, by=seen[number]))
        elif number:
            seen[number] = item.path
        if len(item.problems) == before:
            boxes.append(Voicemail(number, mode, address, language,
                                   AudioFile("greeting", number, source=greeting)
                                   if greeting else None, pin=code))
            paths.append(item.path)
    parsed.tenant.voicemail = boxes
    parsed.paths["voicemail"] = paths


# ---- checking against the stored tenant -------------------------------------------------------

def resulting_audio(tenant, stored) -> list[AudioFile]:
    """The tenant's audio files after the apply: the file's kinds, the stored others."""
    kept = stored.config.audio if stored else []
    if tenant.audio is None:
        return list(kept)
    return list(tenant.audio) + [a for a in kept if a.kind not in tenant.audio_kinds]


def resulting_voicemail(tenant, stored) -> dict[str, Voicemail]:
    """number → voicemail settings after the apply (absent numbers: the defaults)."""
    if tenant.voicemail is not None:
        return {box.number: box for box in tenant.voicemail}
    return {box.number: box for box in (stored.config.voicemail if stored else [])}


def _convert(item: AudioFile, old: AudioFile | None, where: str, problems) -> AudioFile | None:
    """The file's conversion: the stored one when the file is the same, else a new one."""
    data_dir = platform.load().data_dir
    if old is not None and old.sha256:
        known = audio_files.stored_digest(data_dir, item.source)
        if known == old.sha256 or (known is None and old.source_sha256
                                   and audio_files.digest(item.source) == old.source_sha256):
            return dataclasses.replace(item, sha256=old.sha256, path=old.path,
                                       source_sha256=old.source_sha256,
                                       duration_ms=old.duration_ms)
    try:
        done = audio_files.convert(item.source, data_dir)
    except audio_files.AudioError as exc:
        problems.add(where, Reason("named_file", name=os.path.basename(item.source),
                                   reason=exc.reason))
        return None
    return dataclasses.replace(item, sha256=done.sha256, path=done.path,
                               source_sha256=done.source_sha256, duration_ms=done.duration_ms)


def _destinations(items):
    """(path or None, by, destination) of every destination of the resulting tenant."""
    for group in items["groups"]:
        path = group.path
        yield (path and f"{path}.no_answer", item_name("groups", group.value.name),
               group.value.no_answer)
    for number in items["numbers"]:
        path, by = number.path, item_name("numbers", number.value.number)
        for index, route in enumerate(number.value.routes):
            yield (path and f"{path}.routes[{index}].to", by, route.to)
        yield (path and f"{path}.outside_hours", by, number.value.outside_hours)


def check_media(parsed, tenant, stored, items, problems) -> None:
    """References to audio files and voicemails, then the conversions; `tenant` (the result
    of check_tenant) gets the converted files."""
    audio = resulting_audio(parsed.tenant, stored)
    names = {(a.kind, a.name) for a in audio} | parsed.declared.get("audio", set())
    file_paths = dict(zip(map(id, parsed.tenant.audio or []), parsed.paths.get("audio", [])))
    for group in items["groups"]:
        ringback = group.value.ringback
        if ringback and ("ringback", ringback) not in names:
            if group.path:
                problems.add(f"{group.path}.ringback", Reason("no_ringback", name=repr(ringback)))
            else:
                problems.add("audio", Reason(
                    "still_used_cannot_remove", item=Reason("item_ringback", key=ringback),
                    by=item_name("groups", group.value.name)))
    boxes = resulting_voicemail(parsed.tenant, stored)
    box_paths = dict(zip((b.number for b in parsed.tenant.voicemail or []),
                         parsed.paths.get("voicemail", [])))
    stored_modes = {n.number: "enabled" for n in (stored.config.numbers if stored else [])}
    stored_modes.update({b.number: b.mode for b in (stored.config.voicemail if stored else [])})
    for path, by, destination in _destinations(items):
        if destination.kind == "announcement" and ("announcement", destination.target) not in names:
            if path:
                problems.add(path, Reason("no_announcement", name=repr(destination.target)))
            else:
                problems.add("audio", Reason(
                    "still_used_cannot_remove",
                    item=Reason("item_announcement", key=destination.target), by=by))
        if destination.kind == "voicemail":
            box = boxes.get(destination.target)
            if box is not None and box.mode == "disabled":
                was = stored_modes.get(box.number)      # None: a new number or tenant
                disabling = was is not None and was != "disabled" and box.number in box_paths
                if path and not disabling:
                    problems.add(path, Reason("voicemail_disabled", number=destination.target))
                else:
                    where = box_paths.get(box.number, "voicemail")
                    problems.add(f"{where}.mode" if where != "voicemail" else where,
                                 Reason("voicemail_in_use", number=box.number, by=by))
    numbers = {item.value.number for item in items["numbers"]} | \
        parsed.declared.get("numbers", set())
    removed = {n.number for n in (stored.config.numbers if stored else [])} - numbers
    for box in parsed.tenant.voicemail or []:
        if box.number not in numbers and box.number not in removed:
            problems.add(f"{box_paths[box.number]}.number",
                         Reason("not_tenant_number", number=box.number))
    if parsed.tenant.voicemail is not None:     # a removed number's mailbox goes with it
        kept = [(box, path) for box, path in zip(parsed.tenant.voicemail,
                                                  parsed.paths.get("voicemail", []))
                if box.number not in removed]
        parsed.tenant.voicemail = [box for box, _path in kept]
        parsed.paths["voicemail"] = [path for _box, path in kept]
    if problems:
        return
    _convert_files(parsed, tenant, stored, file_paths, box_paths, numbers, problems)


def _convert_files(parsed, tenant, stored, file_paths, box_paths, numbers, problems) -> None:
    stored_audio = {(a.kind, a.name): a for a in (stored.config.audio if stored else [])}
    if parsed.tenant.audio is not None:
        converted = []
        for item in parsed.tenant.audio:
            done = _convert(item, stored_audio.get((item.kind, item.name)),
                            f"{file_paths[id(item)]}.file", problems)
            if done is not None:
                converted.append(done)
        tenant.audio = converted
    if parsed.tenant.voicemail is not None:
        stored_boxes = {b.number: b for b in (stored.config.voicemail if stored else [])}
        result = []
        for box in parsed.tenant.voicemail:
            old = stored_boxes.get(box.number)
            greeting = box.greeting
            if greeting is not None:
                greeting = _convert(greeting, old.greeting if old else None,
                                    f"{box_paths[box.number]}.greeting", problems)
            # a listed mailbox without PIN keeps the one it has
            result.append(dataclasses.replace(box, greeting=greeting,
                                              pin_hash=old.pin_hash if old else None))
        listed = {box.number for box in result}
        result += [Voicemail(old.number) for old in stored_boxes.values()
                   if old.number not in listed and old.number in numbers]
        tenant.voicemail = result
