"""The media app's prompt files: WAV, 8 kHz mono 16-bit, in <data_dir>/prompts/.

System prompts (greeting, "enter your PIN", digits, months, …) exist in French, English and
German as <data_dir>/prompts/<lang>/<name>.wav. `generate` makes the missing ones from the
texts below with espeak-ng (at set-up, and when the media app starts); a recorded prompt
put in place of a generated one is kept, since only missing files are generated.
Language-neutral sounds (the beep, the default music on hold and ringback tone, the fallback
tone) are synthesised as <data_dir>/prompts/<name>.wav.

    python -m media.prompts [DATA_DIR]      # generate what is missing (default: the config's)
"""
import concurrent.futures
import hashlib
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import wave

from vpbx.settings import platform

SAMPLE_RATE = 8000
LANGUAGES = ("fr", "en", "de")
DEFAULT_LANGUAGE = "fr"
VOICES = {"fr": "fr", "en": "en-us", "de": "de"}
_NAME = re.compile(r"^[a-z0-9_-]{1,64}$")

MONTHS = {
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
           "Oktober", "November", "Dezember"],
}

TEXTS = {
    "greeting": {
        "fr": "Votre correspondant n'est pas disponible. Veuillez laisser un message après le bip.",
        "en": "The person you are calling is not available. Please leave a message after the tone.",
        "de": "Ihr Gesprächspartner ist nicht erreichbar. Bitte hinterlassen Sie eine Nachricht "
              "nach dem Signalton."},
    "greeting_only": {
        "fr": "Votre correspondant n'est pas disponible. Veuillez rappeler plus tard.",
        "en": "The person you are calling is not available. Please call again later.",
        "de": "Ihr Gesprächspartner ist nicht erreichbar. Bitte rufen Sie später wieder an."},
    "enter_pin": {
        "fr": "Veuillez entrer votre code secret.",
        "en": "Please enter your PIN.",
        "de": "Bitte geben Sie Ihre Geheimzahl ein."},
    "wrong_pin": {
        "fr": "Code incorrect.",
        "en": "Wrong PIN.",
        "de": "Falsche Geheimzahl."},
    "locked": {
        "fr": "Cette boîte vocale est bloquée. Veuillez réessayer plus tard.",
        "en": "This mailbox is locked. Please try again later.",
        "de": "Diese Mailbox ist gesperrt. Bitte versuchen Sie es später wieder."},
    "no_access": {
        "fr": "L'accès à distance n'est pas configuré pour cette boîte vocale.",
        "en": "Remote access is not set up for this mailbox.",
        "de": "Der Fernzugriff ist für diese Mailbox nicht eingerichtet."},
    "you_have": {"fr": "Vous avez", "en": "You have", "de": "Sie haben"},
    "new_message": {"fr": "nouveau message", "en": "new message", "de": "neue Nachricht"},
    "new_messages": {"fr": "nouveaux messages", "en": "new messages", "de": "neue Nachrichten"},
    "no_new_messages": {
        "fr": "Vous n'avez pas de nouveau message.",
        "en": "You have no new messages.",
        "de": "Sie haben keine neuen Nachrichten."},
    "message_received": {"fr": "Message reçu le", "en": "Message received on",
                         "de": "Nachricht vom"},
    "at": {"fr": "à", "en": "at", "de": "um"},
    "hours": {"fr": "heures", "en": "", "de": "Uhr"},
    "from": {"fr": "de la part du", "en": "from", "de": "von"},
    "unknown_caller": {"fr": "d'un appelant inconnu", "en": "from an unknown caller",
                       "de": "von einem unbekannten Anrufer"},
    "menu": {
        "fr": "Pour effacer ce message, tapez 7. Pour le garder, tapez 9. "
              "Pour le message suivant, tapez 6.",
        "en": "To delete this message, press 7. To keep it, press 9. "
              "For the next message, press 6.",
        "de": "Um diese Nachricht zu löschen, drücken Sie die 7. Um sie zu behalten, die 9. "
              "Für die nächste Nachricht, die 6."},
    "deleted": {"fr": "Message effacé.", "en": "Message deleted.", "de": "Nachricht gelöscht."},
    "kept": {"fr": "Message gardé.", "en": "Message kept.", "de": "Nachricht gespeichert."},
    "no_more_messages": {"fr": "Il n'y a plus de message.", "en": "There are no more messages.",
                         "de": "Es gibt keine weiteren Nachrichten."},
    "goodbye": {"fr": "Au revoir.", "en": "Goodbye.", "de": "Auf Wiederhören."},
    # the greeting recorded by phone (remote access, key 0 after the message count)
    "greeting_option": {
        "fr": "Pour enregistrer votre annonce d'accueil, tapez 0.",
        "en": "To record your greeting, press 0.",
        "de": "Um Ihre Begrüßung aufzunehmen, drücken Sie die 0."},
    "record_greeting": {
        "fr": "Enregistrez votre annonce après le bip, puis tapez dièse.",
        "en": "Record your greeting after the tone, then press the hash key.",
        "de": "Sprechen Sie Ihre Begrüßung nach dem Signalton, und drücken Sie dann "
              "die Rautetaste."},
    "greeting_saved": {
        "fr": "Votre annonce d'accueil est enregistrée.",
        "en": "Your greeting is saved.",
        "de": "Ihre Begrüßung ist gespeichert."},
    "greeting_not_saved": {
        "fr": "Votre annonce n'a pas pu être enregistrée. Veuillez réessayer plus tard.",
        "en": "Your greeting could not be saved. Please try again later.",
        "de": "Ihre Begrüßung konnte nicht gespeichert werden. Bitte versuchen Sie es "
              "später wieder."},
    "greeting_unchanged": {
        "fr": "Rien n'a été enregistré. Votre annonce d'accueil ne change pas.",
        "en": "Nothing was recorded. Your greeting is unchanged.",
        "de": "Es wurde nichts aufgenommen. Ihre Begrüßung bleibt unverändert."},
}
for _n in range(60):
    TEXTS[f"n{_n}"] = {language: str(_n) for language in LANGUAGES}
for _m in range(12):
    TEXTS[f"month{_m + 1}"] = {language: MONTHS[language][_m] for language in LANGUAGES}

# language-neutral sounds: name → list of (frequencies, seconds, gain) segments
SOUNDS = {
    "beep": [((1000,), 0.45, 0.5)],
    "_tone": [((440,), 2.0, 0.35)],
    # a short, calm default music on hold: a repeated arpeggio
    "music_on_hold": [((f,), 0.35, 0.25) for f in (523, 659, 784, 659) * 4],
    # the usual European ring-back cadence (425 Hz, 1 s on, 4 s off), played in a loop
    "ringback": [((425,), 1.0, 0.3), ((), 4.0, 0.0)],
}


def prompt_dir(data_dir: str) -> str:
    return os.path.join(data_dir, "prompts")


def language_of(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def path(data_dir: str, name: str, language: str | None = None) -> str:
    """Where the prompt `name` is (language None: a language-neutral sound)."""
    folder = prompt_dir(data_dir)
    if language is None:
        return os.path.join(folder, f"{name}.wav")
    return os.path.join(folder, language_of(language), f"{name}.wav")


def write_wav(target: str, frames: bytes, rate: int = SAMPLE_RATE) -> str:
    """Write 16-bit mono frames as a WAV file, atomically (a temporary name, then rename)."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".part")
    os.close(handle)
    with wave.open(temporary, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    os.replace(temporary, target)
    return target


def synth(segments, rate: int = SAMPLE_RATE) -> bytes:
    """Frames of tone segments: (frequencies, seconds, gain between 0 and 1)."""
    out = bytearray()
    for frequencies, seconds, gain in segments:
        count = int(seconds * rate)
        fade = min(80, count // 4) or 1
        for i in range(count):
            value = sum(math.sin(2 * math.pi * f * i / rate) for f in frequencies)
            envelope = min(1.0, i / fade, (count - i) / fade)
            value = value / max(1, len(frequencies)) * gain * envelope
            out += struct.pack("<h", int(32767 * value))
    return bytes(out)


def tone_wav(target: str, frequency: float = 440.0, seconds: float = 2.0) -> str:
    """Write a sine tone WAV; returns the path."""
    return write_wav(target, synth([((frequency,), seconds, 0.35)]))


def _speak(text: str, language: str, target: str) -> None:
    """espeak-ng → sox (8 kHz mono 16-bit, levelled) → target, atomically."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with tempfile.TemporaryDirectory(dir=os.path.dirname(target)) as work:
        raw, converted = os.path.join(work, "raw.wav"), os.path.join(work, "out.wav")
        subprocess.run(["espeak-ng", "-v", VOICES[language], "-s", "150", "-w", raw, text],
                       check=True, capture_output=True, timeout=30)
        subprocess.run(["sox", "-D", raw, "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16",
                        converted, "norm", "-3"], check=True, capture_output=True, timeout=30)
        os.replace(converted, target)


def missing(data_dir: str) -> list[tuple[str, str, str]]:
    """(text, language, path) of every spoken prompt not present yet."""
    wanted = []
    for name, texts in TEXTS.items():
        for language in LANGUAGES:
            target = path(data_dir, name, language)
            if texts[language] and not os.path.isfile(target):
                wanted.append((texts[language], language, target))
    return wanted


def generate(data_dir: str, cache_dir: str | None = None, workers: int = 4) -> int:
    """Make every missing prompt; returns how many were made. `cache_dir` (optional) keeps
    spoken prompts by text, so that throwaway instances (tests) do not speak them again."""
    made = 0
    for name, segments in SOUNDS.items():
        target = path(data_dir, name)
        if not os.path.isfile(target):
            write_wav(target, synth(segments))
            made += 1
    todo = missing(data_dir)

    def one(item):
        text, language, target = item
        cached = None
        if cache_dir:
            key = hashlib.sha256(f"{VOICES[language]}\0{text}".encode()).hexdigest()[:32]
            cached = os.path.join(cache_dir, f"{key}.wav")
            if os.path.isfile(cached):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copyfile(cached, target + ".part")
                os.replace(target + ".part", target)
                return
        _speak(text, language, target)
        if cached:
            os.makedirs(cache_dir, exist_ok=True)
            shutil.copyfile(target, cached + f".{os.getpid()}.part")
            os.replace(cached + f".{os.getpid()}.part", cached)

    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(one, todo):
            made += 1
    return made


def resolve(data_dir: str, name: str) -> str:
    """A language-neutral sound by name; unknown or unsafe names get the fallback tone."""
    if _NAME.match(name or ""):
        candidate = path(data_dir, name)
        if os.path.isfile(candidate):
            return candidate
    fallback = path(data_dir, "_tone")
    return fallback if os.path.isfile(fallback) else tone_wav(fallback)


def spoken(data_dir: str, name: str, language: str | None) -> str:
    """The WAV of a spoken prompt in `language` (French if it has none; the fallback tone if
    the prompts were never generated)."""
    for candidate in (path(data_dir, name, language), path(data_dir, name, DEFAULT_LANGUAGE)):
        if os.path.isfile(candidate):
            return candidate
    return resolve(data_dir, "_tone")


def number_words(value: int) -> list[str]:
    """Prompt names that say a number (0–59 as one word, larger numbers digit by digit)."""
    if 0 <= value < 60:
        return [f"n{value}"]
    return [f"n{int(d)}" for d in str(abs(value))]


def wav_seconds(wav_path: str) -> float:
    with wave.open(wav_path, "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())


def concatenate(parts: list[str], target: str, gap_seconds: float = 0.15) -> str:
    """One WAV of several 8 kHz mono 16-bit WAVs, with a short silence between them."""
    frames = bytearray()
    silence = b"\0\0" * int(gap_seconds * SAMPLE_RATE)
    for index, part in enumerate(parts):
        with wave.open(part, "rb") as wav:
            if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (SAMPLE_RATE, 1, 2):
                raise ValueError(f"{part}: not 8 kHz mono 16-bit")
            if index:
                frames += silence
            frames += wav.readframes(wav.getnframes())
    return write_wav(target, bytes(frames))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        data_dir = argv[0]
    else:
        data_dir = platform.load().data_dir
    made = generate(data_dir)
    print(f"prompts: {made} made in {prompt_dir(data_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
