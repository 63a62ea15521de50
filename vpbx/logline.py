"""The NOC's log lines: one stable, greppable line per routing decision.

    VPBX-ROUTE call_id=<id> tenant=<slug> from=<caller> to=<dialled> decision=<what> outcome=<code/action> [key=value…]

Fields always appear in this order, missing ones as "-"; values with spaces or quotes are
double-quoted with backslash escapes, so `grep 'VPBX-ROUTE.*tenant=acme'` and `awk` both work.
"""
import functools
import re

ROUTE_TAG = "VPBX-ROUTE"
AUTH_TAG = "VPBX-AUTH"
FIXED_FIELDS = ("call_id", "tenant", "from", "to", "decision", "outcome")
_PLAIN = re.compile(r"^[A-Za-z0-9_.:@+*#/<>,;=\-\[\]]+$")


def quote(value) -> str:
    """A field value as it appears in the line: bare when safe, else double-quoted."""
    if value is None or value == "":
        return "-"
    return _quote_text(str(value))


@functools.lru_cache(maxsize=4096)
def _quote_text(text: str) -> str:
    # most values recur from line to line (tenants, numbers, groups, outcomes): each is
    # checked once, not on every line of every call
    if _PLAIN.match(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


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


def parse(line: str) -> dict:
    """Fields of a VPBX line back into a dict (for tests and log tools)."""
    out = {}
    for name, raw in _FIELD.findall(line):
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), raw[1:-1])
        out[name] = None if raw == "-" else raw
    return out
