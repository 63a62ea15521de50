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


def tenant_country_code() -> str:
    """The country code of a tenant's national numbers. Tenants have no country of their own
    (a time zone only, Europe/Zurich for all so far); their phones dial national numbers of
    the platform's country, the carrier's (external_form), so their files and forms do too."""
    return DEFAULT_COUNTRY_CODE


# digits of a national number after its leading 0, where known: a Swiss number is 0 + 9 digits
_NATIONAL_DIGITS = {"41": 9}
_SEPARATORS = str.maketrans("", "", " -./()\u00a0")


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


def destination_number(written: str, *, access_code: bool,
                       country_code: str = DEFAULT_COUNTRY_CODE) -> str | None:
    """The E.164 number of an external destination as an administrator writes it, or None.

    Accepted: +E.164; the international form 00CC…; the national form of the tenant's
    country (021 721 11 12); and each of these after the access code where it is on, as a
    phone would dial it (CONFIG-FORMAT: `{number: "0XXXXXXXXX"}`, with the access code where
    it is on). With the access code on, the reading with the access code comes first, but
    only where it gives a number of the right length: "00217211112" is 0 + 021 721 11 12,
    "0041217211112" is 0041 21 721 11 12 (not 0 + 041 217 211 12), and "0217211112" is the
    national number typed without the access code.
    """
    text = (written or "").translate(_SEPARATORS)
    if text.startswith("+"):
        return text if is_e164(text) else None
    if not is_ascii_digits(text):
        return None
    readings = (text[1:], text) if access_code and text.startswith("0") else (text,)
    for reading in readings:
        number = _plain_number(reading, country_code)
        if number is not None:
            return number
    return None


def _plain_number(text: str, country_code: str) -> str | None:
    """A number written without access code: 00CC… or 0 + national, as E.164."""
    if text.startswith("00"):
        candidate = "+" + text[2:]
    elif text.startswith("0") and len(text) > 1:
        national = text[1:]
        expected = _NATIONAL_DIGITS.get(country_code)
        if expected is not None and len(national) != expected:
            return None
        candidate = "+" + country_code + national
    else:
        return None
    return candidate if is_e164(candidate) else None


def dialled_form(number: str, *, access_code: bool, country_code: str = DEFAULT_COUNTRY_CODE) -> str:
    """How a phone of the tenant dials the E.164 `number`: national within the country,
    00CC… otherwise, after the access code where it is on ("+41217211112" → "0217211112",
    or "00217211112" with the access code). Anything not E.164 is returned as it is."""
    if not is_e164(number):
        return number
    if number.startswith("+" + country_code):
        dialled = "0" + number[1 + len(country_code):]
    else:
        dialled = "00" + number[1:]
    return ("0" + dialled) if access_code else dialled

