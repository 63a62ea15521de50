"""The media app's prompt files: WAV, 8 kHz mono 16-bit, in <data_dir>/prompts/."""
import math
import os
import re
import struct
import wave

SAMPLE_RATE = 8000
_NAME = re.compile(r"^[a-z0-9_-]{1,64}$")


def prompt_dir(data_dir: str) -> str:
    return os.path.join(data_dir, "prompts")


def tone_wav(path: str, frequency: float = 440.0, seconds: float = 2.0) -> str:
    """Write a sine tone WAV (the fallback prompt); returns the path."""
    frames = b"".join(
        struct.pack("<h", int(12000 * math.sin(2 * math.pi * frequency * i / SAMPLE_RATE)))
        for i in range(int(seconds * SAMPLE_RATE)))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with wave.open(path, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(frames)
    return path


def resolve(data_dir: str, name: str) -> str:
    """The WAV to play for a call to `name`; unknown or unsafe names get the fallback tone."""
    folder = prompt_dir(data_dir)
    if _NAME.match(name or "") and os.path.isfile(os.path.join(folder, f"{name}.wav")):
        return os.path.join(folder, f"{name}.wav")
    fallback = os.path.join(folder, "_tone.wav")
    return fallback if os.path.isfile(fallback) else tone_wav(fallback)


def wav_seconds(path: str) -> float:
    with wave.open(path, "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())
