"""Reading a YAML configuration file with every problem reported as `FILE: path: reason`.

`Node` walks the loaded document keeping the path of each value (`users[1].extension`);
the validators below turn a raw value into a clean one or raise Invalid with the reason.
Nothing here knows about tenants: vpbx.provisioning.rules holds the rules.
"""
import datetime
import ipaddress
import re
import zoneinfo
from functools import cache

import yaml

from vpbx.model.names import CONTROL_RULE, has_control_character
from vpbx.model.numbers import is_e164, is_extension
from vpbx.model.tenant import DAYS, Destination, DESTINATION_KINDS, HANGUP
from vpbx.reasons import Reason


class Invalid(ValueError):
    """A value breaks a rule; `reason` (a vpbx.reasons.Reason) says which."""

    @property
    def reason(self) -> Reason:
        return self.args[0]


class Problems:
    """The problems found in one file, as lines `FILE: path: reason` (each reason a
    vpbx.reasons.Reason: its English text, its code and parameters)."""

    def __init__(self, filename: str):
        self.filename = filename
        self.lines: list[str] = []

    def add(self, path: str, reason: Reason) -> None:
        self.lines.append(f"{self.filename}: {path}: {reason}" if path
                          else f"{self.filename}: {reason}")

    def __len__(self) -> int:
        return len(self.lines)


class _StrictLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses a key given twice in one mapping instead of keeping the
    last one silently."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, (str, int, float, bool)):
                    continue    # unhashable keys: SafeLoader reports them itself
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key!r} is given twice", key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep)


def load_yaml(path: str, problems: Problems):
    """The document in the file at `path` (safe loading: plain data only), or None with a
    problem when it cannot be read or is not valid YAML."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        problems.add("", Reason("cannot_read_file",
                                 error=getattr(exc, "strerror", None) or str(exc)))
        return None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        problems.add(where, Reason("not_yaml", error=getattr(exc, "problem", None) or str(exc)))
        return None


class Node:
    """One value of the document with its path, for reading it and reporting problems."""

    def __init__(self, problems: Problems, path: str, value):
        self.problems = problems
        self.path = path
        self.value = value

    def at(self, key) -> "Node":
        """The value under a key of this mapping (None if absent) or an index of this list."""
        if isinstance(key, int):
            return Node(self.problems, f"{self.path}[{key}]", self.value[key])
        value = self.value.get(key) if isinstance(self.value, dict) else None
        return Node(self.problems, f"{self.path}.{key}" if self.path else key, value)

    def has(self, key: str) -> bool:
        """Whether this mapping gives `key` a value (a key with an empty value is absent)."""
        return isinstance(self.value, dict) and self.value.get(key) is not None

    def fail(self, reason: Reason) -> None:
        self.problems.add(self.path, reason)

    def mapping(self, allowed: tuple[str, ...]) -> bool:
        """Check this is a mapping with only `allowed` keys; each other key is a problem."""
        if not isinstance(self.value, dict):
            self.fail(Reason("mapping", keys=", ".join(allowed)))
            return False
        for key in self.value:
            if key not in allowed:
                self.at(str(key)).fail(Reason("unknown_key", keys=", ".join(allowed)))
        return True

    def items(self) -> list["Node"] | None:
        """The entries of this list, or None with a problem when it is not a list."""
        if not isinstance(self.value, list):
            self.fail(Reason("list"))
            return None
        return [self.at(index) for index in range(len(self.value))]

    def read(self, validator):
        """The value as `validator` returns it, or None with a problem when it is invalid."""
        try:
            return validator(self.value)
        except Invalid as exc:
            self.fail(exc.reason)
            return None

    def field(self, key: str, validator, *, required: Reason | bool = False, default=None):
        """Read `key` of this mapping: its validated value, `default` when absent, None with a
        problem when invalid or absent but `required` (a Reason is the reason to give)."""
        if not self.has(key):
            if required:
                self.at(key).fail(required if isinstance(required, Reason) else Reason("required"))
            return default
        return self.at(key).read(validator)


# ---- validators: raw value -> clean value, or raise Invalid(reason) ------------------------

def text_of(value, rule: Reason) -> str:
    """`value` when it is a string; a number written without quotes gets a hint."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise Invalid(rule)
    if isinstance(value, int):
        raise Invalid(Reason("write_in_quotes", rule=rule))
    return value


def text(max_length: int = 128, *, allow_empty: bool = False):
    """A validator for a free text (a name, a label) of at most `max_length` characters,
    without control characters (vpbx.model.names)."""
    rule = Reason("text_length", low=0 if allow_empty else 1, high=max_length)

    def check(value) -> str:
        value = text_of(value, rule)
        if len(value) > max_length or (not allow_empty and not value.strip()):
            raise Invalid(rule)
        if has_control_character(value):
            raise Invalid(CONTROL_RULE)
        return value
    return check


def pattern(regex: str, rule: Reason):
    """A validator for a string matching `regex` entirely; `rule` says what is expected."""
    compiled = re.compile(regex)

    def check(value) -> str:
        value = text_of(value, rule)
        if not compiled.fullmatch(value):
            raise Invalid(rule)
        return value
    return check


slug = pattern(r"[a-z0-9-]{1,32}", Reason("slug"))
username = pattern(r"[A-Za-z0-9._-]{1,64}", Reason("username"))
_DOMAIN_RULE = Reason("domain")
_DOMAIN = re.compile(r"(?=.{1,64}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+"
                     r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


def domain(value) -> str:
    """A DNS name with at least two labels, lower-cased (at most 64 characters)."""
    value = text_of(value, _DOMAIN_RULE).lower()
    if not _DOMAIN.fullmatch(value):
        raise Invalid(_DOMAIN_RULE)
    return value


@cache
def _timezones() -> frozenset[str]:
    """The zoneinfo names this system knows (read once)."""
    return frozenset(zoneinfo.available_timezones())


def timezone(value) -> str:
    """A zoneinfo time zone name."""
    if text_of(value, Reason("timezone_text")) not in _timezones():
        raise Invalid(Reason("timezone_unknown", zone=repr(value)))
    return value


def boolean(value) -> bool:
    """true or false (YAML booleans only, not strings)."""
    if not isinstance(value, bool):
        raise Invalid(Reason("boolean"))
    return value


def integer(low: int, high: int):
    """A validator for a whole number from `low` to `high`."""
    def check(value) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Invalid(Reason("integer_range", low=low, high=high))
        return value
    return check


def one_of(choices: tuple[str, ...]):
    """A validator for one of the strings `choices`."""
    def check(value) -> str:
        if value not in choices:
            raise Invalid(Reason("one_of", choices=" | ".join(choices)))
        return value
    return check


def extension(value) -> str:
    """An internal extension: 2 to 6 digits, as a string."""
    rule = Reason("extension")
    if not is_extension(text_of(value, rule)):
        raise Invalid(rule)
    return value


def e164(value) -> str:
    """A public number in E.164 form, as a string: "+41215667956"."""
    rule = Reason("e164")
    if not is_e164(text_of(value, rule)):
        raise Invalid(rule)
    return value


def password(value) -> str:
    """A SIP password: at least 8 characters (only its HA1 digests are stored)."""
    rule = Reason("password_length", length=8)
    if len(text_of(value, rule)) < 8:
        raise Invalid(rule)
    return value


def ip_address(value) -> str:
    """An IPv4 or IPv6 address, in its canonical form."""
    try:
        return str(ipaddress.ip_address(text_of(value, Reason("ip_address"))))
    except ValueError:
        raise Invalid(Reason("ip_address")) from None


def day(value) -> datetime.date:
    """A calendar date, YYYY-MM-DD."""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    try:
        return datetime.date.fromisoformat(text_of(value, Reason("date")))
    except ValueError:
        raise Invalid(Reason("date")) from None


def weekdays(value) -> tuple[str, ...]:
    """A non-empty list of distinct weekdays, returned in week order."""
    choices = ", ".join(DAYS)
    if not isinstance(value, list) or not value:
        raise Invalid(Reason("weekdays", days=choices))
    for name in value:
        if name not in DAYS:
            raise Invalid(Reason("weekday_unknown", day=repr(name), days=choices))
        if value.count(name) > 1:
            raise Invalid(Reason("weekday_twice", day=name))
    return tuple(name for name in DAYS if name in value)


_PERIOD = re.compile(r"([0-9]{2}):([0-9]{2})-([0-9]{2}):([0-9]{2})")   # ASCII digits only


def _minutes(hours: str, minutes: str) -> int:
    """Minutes after midnight of HH:MM, 00:00 to 24:00."""
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > 24 * 60:
        raise Invalid(Reason("period_times"))
    return value


def periods(value) -> tuple[tuple[int, int], ...]:
    """One to three "HH:MM-HH:MM" periods, start before end, not overlapping; sorted."""
    if not isinstance(value, list) or not 1 <= len(value) <= 3:
        raise Invalid(Reason("periods"))
    found = []
    for entry in value:
        match = _PERIOD.fullmatch(entry) if isinstance(entry, str) else None
        if not match:
            raise Invalid(Reason("period_form", period=repr(entry)))
        start, end = _minutes(*match.group(1, 2)), _minutes(*match.group(3, 4))
        if start >= end:
            raise Invalid(Reason("period_order", period=repr(entry)))
        found.append((start, end, entry))
    found.sort()
    for before, after in zip(found, found[1:]):
        if before[1] > after[0]:
            raise Invalid(Reason("periods_overlap", first=repr(before[2]), second=repr(after[2])))
    return tuple((start, end) for start, end, _ in found)


def format_period(period: tuple[int, int]) -> str:
    """"HH:MM-HH:MM" of a (start, end) period in minutes: the inverse of `periods`."""
    return "-".join(f"{minute // 60:02d}:{minute % 60:02d}" for minute in period)


def extensions(value) -> tuple[str, ...]:
    """A list of distinct extensions, in order."""
    if not isinstance(value, list):
        raise Invalid(Reason("extensions"))
    for item in value:
        extension(item)
        if value.count(item) > 1:
            raise Invalid(Reason("listed_twice", value=item))
    return tuple(value)


def no_audio(value) -> None:
    """Audio files (ringback tones) cannot be given yet: anything but empty is refused."""
    if value not in ("", None):
        raise Invalid(Reason("audio_not_supported"))
    return None


_DESTINATION_RULE = Reason("destination")
_DESTINATION_TARGETS = {
    "group": text(128),
    "announcement": text(128),
    "voicemail": e164,
    "number": pattern(r"[0+][0-9]{2,30}", Reason("external_number")),
}


def destination(value) -> Destination:
    """A destination as CONFIG-FORMAT gives it."""
    if value == "hangup":
        return HANGUP
    if not isinstance(value, dict) or len(value) != 1:
        raise Invalid(_DESTINATION_RULE)
    (kind, target), = value.items()
    if kind not in DESTINATION_KINDS:
        raise Invalid(_DESTINATION_RULE)
    return Destination(kind, _DESTINATION_TARGETS[kind](target))
