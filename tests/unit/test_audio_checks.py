"""The test phones' audio check (tests.sip.audio.tone_fractions) on WAV files made here."""

import array
import math
import wave

from tests.sip.audio import tone_fractions

RATE = 8000


def write_wav(path, parts):
    """Write 16-bit mono WAV of (seconds, frequency or None for silence, phase) parts,
    the phase counted from the file's start so that parts can be made to cancel."""
    samples = array.array("h")
    for seconds, frequency, phase in parts:
        for _ in range(int(seconds * RATE)):
            t = len(samples) / RATE
            value = 0 if frequency is None else 8000 * math.sin(2 * math.pi * frequency * t + phase)
            samples.append(int(value))
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(samples.tobytes())
    return path


def test_a_clean_tone_reads_as_that_tone_only(tmp_path):
    wav = write_wav(tmp_path / "tone.wav", [(1.0, 697, 0.0)])
    levels = tone_fractions(wav, [697, 440])
    assert levels[697] > 0.95, levels
    assert levels[440] < 0.02, levels


def test_a_tone_resumed_after_a_hold_with_another_phase_still_reads_as_the_tone(tmp_path):
    wav = write_wav(tmp_path / "held.wav",
                    [(0.7, 697, 0.0), (0.5, None, 0.0), (0.5, 697, math.pi)])
    levels = tone_fractions(wav, [697, 440])
    assert levels[697] > 0.9, levels
    assert levels[440] < 0.02, levels
    whole_at_once = tone_fractions(wav, [697], block_seconds=10)
    assert whole_at_once[697] < 0.1, "one transform over the whole file lets the parts cancel"


def test_silence_reads_as_no_tone(tmp_path):
    wav = write_wav(tmp_path / "silence.wav", [(1.0, None, 0.0)])
    assert tone_fractions(wav, [697, 440]) == {697: 0.0, 440: 0.0}
