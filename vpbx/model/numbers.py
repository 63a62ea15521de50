"""Telephone numbers: what a dialled string is, and E.164 normalisation.

Digits are the ASCII digits 0-9 only: Python's \\d, str.isdigit() and int() also take other
scripts' digits (Arabic-Indic ٥, full-width ５…), which a phone cannot dial and which would
make two numbers that look the same.
"""
import re

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")      # fullmatch: "$" would let a final "\n" in
_EXTENSION = re.compile(r"[0-9]{2,6}")
_DIGITS = re.compile(r"\+?[0-9]+")
_ASCII_DIGITS = re.compile(r"[0-9]+")


def is_ascii_digits(text: str) -> bool:
    """Whether `text` is one or more of the digits 0-9 (and nothing else)."""
    return bool(_ASCII_DIGITS.fullmatch(text or ""))


def is_e164(number: str) -> bool:
    return bool(_E164.fullmatch(number or ""))


def is_extension(text: str) -> bool:
    """An internal extension: 2 to 6 digits."""
    return bool(_EXTENSION.fullmatch(text or ""))


def international_form(dialled: str) -> str | None:
    """The E.164 form of a number dialled in international form (+CC… or 00CC…), else None."""
    text = (dialled or "").replace(" ", "")
    if not _DIGITS.fullmatch(text):
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    return text if is_e164(text) else None


DEFAULT_COUNTRY_CODE = "41"      # the platform's country (the carrier's), until tenants set theirs


def external_form(dialled: str, *, access_code: bool, country_code: str = DEFAULT_COUNTRY_CODE) -> str | None:
    """The E.164 number an external call dialled as `dialled` is for, or None.

    With the access code on, an external number is dialled after a 0, as it would be dialled
    otherwise: 0 + 021 879 XX XX (national), 0 + 00 41 21 879 XX XX (international). With it
    off, the number is dialled directly. A number in +E.164 form is accepted either way.
    """
    text = (dialled or "").replace(" ", "").replace("-", "")
    if text.startswith("+"):
        return text if is_e164(text) else None
    if not is_ascii_digits(text):
        return None
    if access_code:
        if not text.startswith("0"):
            return None
        text = text[1:]
    if text.startswith("00"):
        candidate = "+" + text[2:]
    elif text.startswith("0") and len(text) > 1:
        candidate = "+" + country_code + text[1:]
    else:
        return None
    return candidate if is_e164(candidate) else None
