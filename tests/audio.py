"""WAV files for tests: a tone (distinct content per pitch) and silence of a given length."""

from __future__ import annotations

import io
import wave


def tone(hz: int) -> bytes:
    """Half a second of an 8 kHz, 8-bit square wave: different pitches make different files."""
    return _wav(1, bytes(128 + int(60 * ((i * hz // 4000) % 2)) for i in range(4000)))


def silence(seconds: int = 2) -> bytes:
    """`seconds` of 8 kHz, 16-bit silence (the sandbox reports the length it reads)."""
    return _wav(2, b"\0\0" * 8000 * seconds)


def _wav(sample_width: int, frames: bytes) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(sample_width)
        out.setframerate(8000)
        out.writeframes(frames)
    return buffer.getvalue()
