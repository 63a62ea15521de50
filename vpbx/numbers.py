"""Telephone numbers: what a dialled string is, and E.164 normalisation."""
import re

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_EXTENSION = re.compile(r"^\d{2,6}$")
_DIGITS = re.compile(r"^\+?\d+$")


def is_e164(number: str) -> bool:
    return bool(_E164.match(number or ""))


def is_extension(text: str) -> bool:
    """An internal extension: 2 to 6 digits."""
    return bool(_EXTENSION.match(text or ""))


def international_form(dialled: str) -> str | None:
    """The E.164 form of a number dialled in international form (+CC… or 00CC…), else None."""
    text = (dialled or "").replace(" ", "")
    if not _DIGITS.match(text):
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    return text if is_e164(text) else None
