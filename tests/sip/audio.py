"""Checks on what a test phone recorded (16-bit mono WAV files)."""

from __future__ import annotations

import array
import math
import os
import sys
import wave


def tone_fractions(wav_path: os.PathLike, frequencies_hz, skip_seconds: float = 0.2,
                   block_seconds: float = 0.1) -> dict:
    """Return, for each frequency, the share of the recording's energy at it.

    A clean tone of that frequency gives about 1.0, its absence about 0.0,
    silence 0.0 everywhere.  The first ``skip_seconds`` (jitter-buffer
    start-up) are left out.  Uses the Goertzel algorithm, so no numpy.

    The power is summed over blocks of ``block_seconds``, not taken over the
    whole recording at once: a tone that stops and starts again (a hold, a
    lost packet, a jitter-buffer reset) resumes with another phase, and one
    transform over both parts would let them cancel each other out.
    """
    with wave.open(os.fspath(wav_path), "rb") as wav:
        if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
            raise ValueError(f"{wav_path}: expected 16-bit mono, got {wav.getparams()}")
        rate = wav.getframerate()
        samples = array.array("h", wav.readframes(wav.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    samples = samples[int(skip_seconds * rate):]
    energy = sum(s * s for s in samples)
    if not energy:
        return {f: 0.0 for f in frequencies_hz}
    block = max(1, int(block_seconds * rate))
    blocks = [samples[start:start + block] for start in range(0, len(samples), block)]
    return {
        f: sum(2 * _goertzel_power(part, f, rate) / len(part) for part in blocks) / energy
        for f in frequencies_hz
    }


def _goertzel_power(samples, frequency_hz: float, rate: int) -> float:
    """|X(f)|^2 of the samples at one frequency."""
    coefficient = 2 * math.cos(2 * math.pi * frequency_hz / rate)
    previous = before_previous = 0.0
    for sample in samples:
        previous, before_previous = sample + coefficient * previous - before_previous, previous
    return previous * previous + before_previous * before_previous - coefficient * previous * before_previous
