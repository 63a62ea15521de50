"""A tenant's configuration as `vpbx apply` reads it and `vpbx export` writes it.

Plain values, no database and no YAML: vpbx.provisioning.rules builds them from a file,
vpbx.provisioning.read from the database; vpbx.provisioning.write stores the difference
between the two and vpbx.provisioning.export prints them. Times are minutes after midnight
(1440 = 24:00).
"""
import dataclasses
import datetime
from dataclasses import dataclass, field


OFFICE_HOURS = "Office hours"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DISTRIBUTIONS = ("cyclic", "hierarchical", "simultaneous", "least_active", "random")
CYCLING_DISTRIBUTIONS = ("cyclic", "random")     # the only ones that have a cycle count
DESTINATION_KINDS = ("group", "voicemail", "announcement", "number")   # and the plain "hangup"
DEFAULT_TIMEZONE = "Europe/Zurich"
DEFAULT_ACCESS_CODE = True
DEFAULT_RINGS = 3
DEFAULT_CYCLES = 1
SETTINGS = ("name", "domain", "timezone", "access_code")
SECTIONS = ("users", "time_ranges", "holidays", "groups", "numbers")


@dataclass(frozen=True)
class Destination:
    """Where a call goes: kind is group, voicemail, announcement, number or hangup."""
    kind: str
    target: str | None = None


HANGUP = Destination("hangup")


@dataclass(frozen=True)
class User:
    """An extension and its SIP account. The password is only known when a file gives it."""
    extension: str
    name: str
    username: str
    direct_number: str | None = None
    password: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class TimeRange:
    """Named weekdays and one to three (start, end) periods, sorted by start."""
    name: str
    days: tuple[str, ...]
    periods: tuple[tuple[int, int], ...]


DEFAULT_OFFICE_HOURS = TimeRange(OFFICE_HOURS, DAYS[:5], ((8 * 60, 12 * 60), (14 * 60, 18 * 60)))


@dataclass(frozen=True)
class Holiday:
    """A closed day (first_day == last_day) or period, both ends included."""
    name: str
    first_day: datetime.date
    last_day: datetime.date


@dataclass(frozen=True)
class Group:
    """A call group; members are extensions in ringing order; `ringback` names a ringback
    tone of the tenant's audio files (None: the phones' usual ring tone)."""
    name: str
    short_number: int
    distribution: str
    rings: int = DEFAULT_RINGS
    cycles: int = DEFAULT_CYCLES
    members: tuple[str, ...] = ()
    no_answer: Destination = HANGUP
    ringback: str | None = None


@dataclass(frozen=True)
class Route:
    """One line of a global number's table: calls in time range `range` go to `to`."""
    range: str
    to: Destination


@dataclass(frozen=True)
class Number:
    """A global number, its ordered routes and its outside-hours destination."""
    number: str
    label: str = ""
    routes: tuple[Route, ...] = ()
    outside_hours: Destination = HANGUP


AUDIO_KINDS = ("announcement", "music_on_hold", "ringback")
VOICEMAIL_MODES = ("enabled", "greeting_only", "disabled")
VOICEMAIL_LANGUAGES = ("fr", "en", "de")
DEFAULT_VOICEMAIL_MODE = "enabled"
DEFAULT_VOICEMAIL_LANGUAGE = "fr"


@dataclass(frozen=True)
class AudioFile:
    """An audio file of the tenant (F7): kind is announcement, music_on_hold or ringback.
    Two files are the same when their stored conversions are (sha256); `path` is where the
    conversion is stored (relative to the data folder), `source` the file a tenant file
    gave (when read from a file)."""
    kind: str
    name: str
    sha256: str | None = None
    selected: bool = False
    path: str | None = field(default=None, compare=False)
    source: str | None = field(default=None, compare=False)
    source_sha256: str | None = field(default=None, compare=False)
    duration_ms: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Voicemail:
    """The voicemail settings of a global number (F5). A number without any is enabled, in
    French, without PIN, e-mail or own greeting. The PIN is only known when a file gives it
    (only its hash is stored); `greeting` is the stored greeting's AudioFile."""
    number: str
    mode: str = DEFAULT_VOICEMAIL_MODE
    email: str | None = None
    language: str = DEFAULT_VOICEMAIL_LANGUAGE
    greeting: AudioFile | None = None
    pin: str | None = field(default=None, compare=False, repr=False)
    pin_hash: str | None = field(default=None, compare=False, repr=False)

    @property
    def is_default(self) -> bool:
        return (self.mode, self.email, self.language, self.greeting, self.pin_hash) == \
            (DEFAULT_VOICEMAIL_MODE, None, DEFAULT_VOICEMAIL_LANGUAGE, None, None)


@dataclass(frozen=True)
class PresentationRule:
    """These users' external calls show `number` (a number the tenant owns): SPEC F6.2,
    vpbx.engine.caller_id."""
    number: str
    users: tuple[str, ...]


@dataclass(frozen=True)
class Contact:
    """An external contact of the company directory (SPEC F9), some with a short code
    dialled as ##code: vpbx.provisioning.directory."""
    id: int | None
    name: str
    number: str          # E.164
    short_code: str | None = None


@dataclass
class Tenant:
    """A tenant file's content. None means "absent from the file": that part is left as it is."""
    slug: str
    name: str | None = None
    domain: str | None = None
    timezone: str | None = None
    access_code: bool | None = None
    users: list[User] | None = None
    time_ranges: list[TimeRange] | None = None
    holidays: list[Holiday] | None = None
    groups: list[Group] | None = None
    numbers: list[Number] | None = None
    audio: list[AudioFile] | None = None        # None: as stored; a kind absent from the
    audio_kinds: tuple[str, ...] = ()           # file's audio: is left as stored too
    voicemail: list[Voicemail] | None = None
    presentation: list[PresentationRule] | None = None   # outgoing: presentation: (users
    directory: list[Contact] | None = None               # sorted; contacts without id)

    def with_settings_of(self, stored: "Tenant | None") -> "Tenant":
        """This tenant with each absent setting taken from `stored` (or the default if new)."""
        defaults = stored or Tenant(self.slug, timezone=DEFAULT_TIMEZONE,
                                    access_code=DEFAULT_ACCESS_CODE)
        return dataclasses.replace(self, **{
            name: getattr(defaults, name) for name in SETTINGS if getattr(self, name) is None})


@dataclass(frozen=True)
class StoredTenant:
    """A tenant as the database holds it: its id, its full configuration (every section
    present, users without password) and the HA1 digest of each SIP account by username."""
    id: int
    config: Tenant
    ha1: dict[str, str]


_KEYS = {"users": lambda user: user.extension, "time_ranges": lambda time_range: time_range.name,
         "groups": lambda group: group.name, "numbers": lambda number: number.number,
         "holidays": lambda holiday: holiday, "audio": lambda audio: (audio.kind, audio.name),
         "voicemail": lambda box: box.number,
         "presentation": lambda rule: rule.number, "directory": lambda contact: contact}


def key_of(section: str, item) -> object:
    """What identifies an item of a section across applies: the extension, name or number
    (a holiday or a directory contact is only identified by all it says)."""
    return _KEYS[section](item)


def time_ranges_with_office_hours(ranges: list[TimeRange],
                                  stored: list[TimeRange] | None) -> list[TimeRange]:
    """`ranges` plus "Office hours" when they do not list it: it always exists, so it is kept
    as stored, or created with its default for a new tenant."""
    if any(r.name == OFFICE_HOURS for r in ranges):
        return list(ranges)
    kept = [r for r in stored or [] if r.name == OFFICE_HOURS] or [DEFAULT_OFFICE_HOURS]
    return kept + list(ranges)
