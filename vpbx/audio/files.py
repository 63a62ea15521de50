"""Audio files of tenants (SPEC F7, F5.4): checked by their content, converted once.

An uploaded file (WAV or MP3, at most 4 MB) is recognised by its first bytes, never by its
name, then converted with ffmpeg (decoding) and sox (8 kHz mono 16-bit, levelled to -3 dBFS,
no dither so the same input always gives the same output) to what the media path plays.
Converted files are stored by content in <data_dir>/audio/<sha[:2]>/<sha256>.wav: a file
given again is recognised without converting it twice, and a stored file's path says its
digest.
"""
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass

from vpbx.reasons import Reason

MAX_BYTES = 4 * 1024 * 1024
MAX_PER_KIND = 10
MAX_SECONDS = 15 * 60
SAMPLE_RATE = 8000
AUDIO_FOLDER = "audio"
# tenant-file key → audio_files.kind
FILE_KINDS = {"announcements": "announcement", "music_on_hold": "music_on_hold",
              "ringback": "ringback"}
KIND_KEYS = {kind: key for key, kind in FILE_KINDS.items()}
_STORED = re.compile(r"^[0-9a-f]{2}/([0-9a-f]{64})\.wav$")

_MP3_BITRATE_BAD = (0, 15)


class AudioError(ValueError):
    """The file is not an audio file the platform accepts; `reason` (a vpbx.reasons.Reason)
    says why."""

    @property
    def reason(self) -> Reason:
        return self.args[0]


@dataclass(frozen=True)
class StoredAudio:
    path: str            # relative to the data folder
    sha256: str          # of the stored (converted) file
    source_sha256: str   # of the file as given
    duration_ms: int


def sniff(head: bytes) -> str | None:
    """"wav" or "mp3" from a file's first bytes, or None."""
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:3] == b"ID3" and len(head) >= 10:
        return "mp3"
    if _mp3_frame(head):
        return "mp3"
    return None


def _mp3_frame(head: bytes) -> bool:
    """Whether the bytes start with an MPEG audio frame header (layer I–III)."""
    if len(head) < 4 or head[0] != 0xFF or (head[1] & 0xE0) != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 0x3, (head[1] >> 1) & 0x3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 0x3
    return version != 1 and layer != 0 and bitrate not in _MP3_BITRATE_BAD and rate != 3


def check_bytes(size: int, head: bytes) -> str:
    """The format of a file of `size` bytes starting with `head`; AudioError if refused."""
    if size == 0:
        raise AudioError(Reason("file_empty"))
    if size > MAX_BYTES:
        raise AudioError(Reason("file_too_big", size=f"{size / 1048576:.1f}"))
    kind = sniff(head)
    if kind is None:
        raise AudioError(Reason("not_audio"))
    return kind


def digest(path: str) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            sha.update(block)
    return sha.hexdigest()


def stored_digest(data_dir: str, path: str) -> str | None:
    """The digest of a file that is already a stored conversion (from its path), else None."""
    root = os.path.realpath(os.path.join(data_dir, AUDIO_FOLDER)) + os.sep
    full = os.path.realpath(path)
    if not full.startswith(root) or not os.path.isfile(full):
        return None
    match = _STORED.match(full[len(root):])
    return match.group(1) if match else None


def relative_path(sha256: str) -> str:
    return os.path.join(AUDIO_FOLDER, sha256[:2], f"{sha256}.wav")


def wav_duration_ms(path: str) -> int:
    with wave.open(path, "rb") as wav:
        return int(wav.getnframes() * 1000 / wav.getframerate())


def convert(source: str, data_dir: str) -> StoredAudio:
    """Check and convert the file at `source`; the stored result. AudioError when refused."""
    try:
        size = os.path.getsize(source)
        with open(source, "rb") as handle:
            head = handle.read(64)
    except OSError as exc:
        raise AudioError(Reason("cannot_read_audio", error=exc.strerror or str(exc))) from None
    check_bytes(size, head)
    known = stored_digest(data_dir, source)
    if known is not None:
        return StoredAudio(relative_path(known), known, known, wav_duration_ms(source))
    source_sha = digest(source)
    folder = os.path.join(data_dir, AUDIO_FOLDER)
    os.makedirs(folder, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".convert-") as work:
        decoded, levelled = os.path.join(work, "decoded.wav"), os.path.join(work, "out.wav")
        try:
            subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", source, "-vn",
                            "-ac", "1", "-c:a", "pcm_s16le", "-f", "wav", decoded],
                           check=True, capture_output=True, timeout=120)
            subprocess.run(["sox", "-D", decoded, "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16",
                            "-e", "signed-integer", levelled, "norm", "-3"],
                           check=True, capture_output=True, timeout=120)
            duration = wav_duration_ms(levelled)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, wave.Error, EOFError):
            raise AudioError(Reason("not_decodable")) from None
        if duration < 100:
            raise AudioError(Reason("no_audio"))
        if duration > MAX_SECONDS * 1000:
            raise AudioError(Reason("too_long", minutes=MAX_SECONDS // 60))
        sha = digest(levelled)
        target = os.path.join(data_dir, relative_path(sha))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.isfile(target):
            shutil.move(levelled, target + ".part")
            os.replace(target + ".part", target)
    return StoredAudio(relative_path(sha), sha, source_sha, duration)


def convert_bytes(data: bytes, data_dir: str) -> StoredAudio:
    """The same for an upload held in memory (checked before anything is written)."""
    check_bytes(len(data), data[:64])
    folder = os.path.join(data_dir, AUDIO_FOLDER)
    os.makedirs(folder, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".upload-") as handle:
        handle.write(data)
        handle.flush()
        return convert(handle.name, data_dir)


def unused_files(cur, data_dir: str) -> list[str]:
    """Stored conversions no audio_files row uses (left by removals or failed applies)."""
    cur.execute("SELECT DISTINCT path FROM audio_files")
    used = {row["path"] for row in cur.fetchall()}
    root = os.path.join(data_dir, AUDIO_FOLDER)
    found = []
    if os.path.isdir(root):
        for sub in os.listdir(root):
            folder = os.path.join(root, sub)
            if len(sub) != 2 or not os.path.isdir(folder):
                continue
            for name in os.listdir(folder):
                relative = os.path.join(AUDIO_FOLDER, sub, name)
                if _STORED.match(f"{sub}/{name}") and relative not in used:
                    found.append(os.path.join(root, sub, name))
    return found
