"""What a name may contain: any text a person can read, but no control characters.

A name (a user's, a group's, a time range's, a holiday's, an audio file's, a contact's…)
goes into pages, print views, log lines, CSV files and HTTP headers (an audio file's
download is named after it): a CR, LF, NUL or ESC in it breaks those, and a bidirectional
override makes it read as something else. So names refuse the Unicode control characters
(category Cc: C0, DEL, C1), the line and paragraph separators, and the bidirectional
embedding, override and isolate marks.
"""
import unicodedata

from vpbx.reasons import Reason

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
CONTROL_RULE = Reason("control_characters")


def has_control_character(text: str) -> bool:
    """Whether `text` holds a character a name must not contain (see the module doc)."""
    return any(unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS
               for char in text)


def without_control_characters(text: str, replacement: str = "_") -> str:
    """`text` with each character a name must not contain replaced: for names stored before
    names were checked (an HTTP header such as a download's file name cannot carry them)."""
    return "".join(replacement if has_control_character(char) else char for char in text)
