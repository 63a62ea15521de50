"""The NOC's log lines: one stable, greppable line per routing decision.

    VPBX-ROUTE call_id=<id> tenant=<slug> from=<caller> to=<dialled> decision=<what> outcome=<code/action> [key=value…]

Fields always appear in this order, missing ones as "-"; values with spaces or quotes are
double-quoted with backslash escapes, so `grep 'VPBX-ROUTE.*tenant=acme'` and `awk` both work.

Values come from the network (user names, Call-IDs, dialled digits): a line must stay one
line of plain text that nobody can forge. Every control character (ESC, CR, NUL…), every
invisible formatting character (bidirectional overrides) and every byte that was not UTF-8
(a surrogate escape) is written as a backslash escape (\\x1b, \\r, \\u202e), and a value
keeps its first VALUE_CHARS characters, then "…(+N)" saying how many were cut.
"""
import functools
import logging
import re

ROUTE_TAG = "VPBX-ROUTE"
AUTH_TAG = "VPBX-AUTH"
FIXED_FIELDS = ("call_id", "tenant", "from", "to", "decision", "outcome")
_PLAIN = re.compile(r"^[A-Za-z0-9_.:@+*#/<>,;=\-\[\]]+$")
VALUE_CHARS = 200          # of one value in a line
TRACE_CHARS = 8000         # of a Python traceback in an error line
LINE_CHARS = TRACE_CHARS   # of a whole record of a process's log (OneLineFormatter)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def quote(value) -> str:
    """A field value as it appears in the line: bare when safe, else double-quoted."""
    if value is None or value == "":
        return "-"
    return _quote_text(str(value))


@functools.lru_cache(maxsize=4096)
def _quote_text(text: str) -> str:
    # most values recur from line to line (tenants, numbers, groups, outcomes): each is
    # checked once, not on every line of every call
    if _PLAIN.match(text) and len(text) <= VALUE_CHARS:
        return text
    return '"' + escape(text).replace('"', '\\"') + '"'


def escape(text: str, limit: int = VALUE_CHARS) -> str:
    """`text` as one line of printable text: backslashes doubled, every character a terminal
    would act on or not show written as an escape, cut after `limit` characters."""
    cut = len(text) - limit
    if cut > 0:
        text = text[:limit]
    out = "".join(_escape_char(char) for char in text)
    return out + f"…(+{cut})" if cut > 0 else out


def _escape_char(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    # (not printable: controls, formatting, surrogates, private and unassigned code points,
    # separators other than the space)
    if char == " " or char.isprintable():
        return char
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:           # a byte that was not UTF-8 (surrogateescape)
        return "\\x%02x" % (code - 0xDC00)
    return "\\x%02x" % code if code < 0x80 else "\\u%04x" % code


_UNSAFE = re.compile(r"[^ -~]")       # anything but printable ASCII (most lines have none)


def one_line(text: str, limit: int = LINE_CHARS) -> str:
    """A whole log record (its values maybe already escaped) as one line of printable text:
    every character escape() escapes is escaped the same way, except the backslash, left as
    it is so that a VPBX line's escapes still read back with parse(); cut after `limit`
    characters, then "…(+N)". No record can start a line of its own making."""
    cut = len(text) - limit
    if cut > 0:
        text = text[:limit]
    if _UNSAFE.search(text):
        text = _UNSAFE.sub(lambda match: _escape_char(match.group()), text)
    return text + f"…(+{cut})" if cut > 0 else text


class OneLineFormatter(logging.Formatter):
    """One record = one line (one_line()): a request path, a Call-ID or a traceback in a
    message cannot plant a line of its own, nor a control character reach a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        return one_line(super().format(record))


def log_to_stderr(fmt: str, level: int = logging.INFO) -> None:
    """The process's logging (its own loggers, and libraries' that propagate to the root:
    waitress, Flask) to standard error, one line per record (OneLineFormatter)."""
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter(fmt))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)


def format_line(tag: str, fields: dict, extra: dict | None = None) -> str:
    """`tag` then the fixed fields in order, then any extra fields sorted by name."""
    parts = [tag] + [f"{name}={quote(fields.get(name))}" for name in FIXED_FIELDS]
    for name in sorted(extra or {}):
        parts.append(f"{name}={quote(extra[name])}")
    return " ".join(parts)


def route_line(*, call_id, tenant, caller, dialled, decision, outcome, **extra) -> str:
    """The line for one routing decision."""
    return format_line(ROUTE_TAG, {"call_id": call_id, "tenant": tenant, "from": caller,
                                   "to": dialled, "decision": decision, "outcome": outcome},
                       extra)


def auth_line(*, call_id, tenant, user, method, outcome, **extra) -> str:
    """The line for an authentication result (registrations and calls)."""
    return format_line(AUTH_TAG, {"call_id": call_id, "tenant": tenant, "from": user,
                                  "decision": f"auth:{method}", "outcome": outcome}, extra)


_FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


_ESCAPE = re.compile(r"\\(x[0-9a-f]{2}|u[0-9a-f]{4}|.)")
_UNESCAPED = {"n": "\n", "r": "\r", "t": "\t"}


def _unescape(match) -> str:
    code = match.group(1)
    if len(code) > 1:
        value = int(code[1:], 16)
        # \\x80-\\xff: a byte that was not UTF-8, back as its surrogate escape
        return chr(0xDC00 + value if code[0] == "x" and value >= 0x80 else value)
    return _UNESCAPED.get(code, code)


def parse(line: str) -> dict:
    """Fields of a VPBX line back into a dict (for tests and log tools)."""
    out = {}
    for name, raw in _FIELD.findall(line):
        if raw.startswith('"'):
            raw = _ESCAPE.sub(_unescape, raw[1:-1])
        out[name] = None if raw == "-" else raw
    return out
