"""What the activity monitor shows (SPEC F8.1): each group's members and their state now,
the counts of absent users and unavailable phones, the time range in force, the phones
locked out for wrong passwords and the users whose password is being guessed from many
addresses (the SIP edge's password guard, vpbx.edge.password_guard).

Registrations come from Kamailio's `location` table (usrloc writes it back every 10 s; a
binding counts while expires > NOW()). Whether a registered user is in a call is only known
to the running Kamailio (dialogs are kept in memory): it is asked over the RPC control socket
(vpbx.live.state); when Kamailio does not answer, "busy" is reported as unknown.
"""
import datetime
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from vpbx.edge import password_guard
from vpbx.live import state as live_state
from vpbx.engine import schedule
from vpbx.settings.platform import Config

REGISTERED, ABSENT, BUSY = "registered", "absent", "busy"


def registered_phones(conn, tenant_id: int) -> dict[str, int]:
    """Username → number of phones registered now, for the tenant's SIP domain."""
    with conn.cursor() as cur:
        cur.execute("SELECT l.username, COUNT(*) AS phones FROM location l"
                    " JOIN tenants t ON t.domain = l.domain"
                    " WHERE t.id = %s AND l.expires > NOW() GROUP BY l.username",
                    (tenant_id,))
        return {row["username"]: int(row["phones"]) for row in cur.fetchall()}


def busy_extensions(cfg: Config, tenant_id: int, extensions) -> set[str] | None:
    """Which of `extensions` are in a call now (Kamailio's busy dialog profiles, one
    RPC per user, a few at a time); None when Kamailio's control socket does not answer."""
    extensions = list(extensions)
    if not extensions:
        return set()
    try:
        with ThreadPoolExecutor(max_workers=min(8, len(extensions))) as pool:
            answers = list(pool.map(lambda ext: live_state.is_busy(cfg, tenant_id, ext),
                                    extensions))
    except live_state.LiveStateUnavailable:
        return None
    return {ext for ext, busy in zip(extensions, answers) if busy}


@dataclass
class Member:
    extension: str
    name: str
    direct_number: str | None
    phones: int
    state: str


@dataclass
class GroupState:
    name: str
    short_number: int
    distribution: str
    members: list[Member]


@dataclass
class Lockout:
    """A source address refused for a user of the tenant after too many wrong passwords:
    a phone with an old password, or somebody guessing. `extension` and `name` are None
    for a user name the tenant does not have."""
    address: str
    username: str
    extension: str | None
    name: str | None


@dataclass
class Attack:
    """A user of the tenant whose password is being guessed from many addresses: failures
    from all addresses at least the guard's alert threshold (vpbx.edge.password_guard)."""
    username: str
    extension: str | None
    name: str | None
    failures: int


def tenant_lockouts(cfg: Config, config) -> list[Lockout] | None:
    """The tenant's lockouts now, by user name and address; None when Kamailio does not
    answer."""
    try:
        found = live_state.password_bans(cfg, config.domain, recent=True)
    except live_state.LiveStateUnavailable:
        return None
    user = _users_by_username(config)
    return [Lockout(address, username, *user(username))
            for address, username in sorted(found, key=lambda ban: (ban[1], ban[0]))]


def tenant_attacks(cfg: Config, config) -> list[Attack] | None:
    """The tenant's users under a spread password-guessing attack now, most failed first;
    None when Kamailio does not answer or the alert is off."""
    if cfg.sip_auth_attack_failures <= 0:
        return None
    try:
        found = live_state.attacked_users(cfg, config.domain, cfg.sip_auth_attack_failures)
    except live_state.LiveStateUnavailable:
        return None
    user = _users_by_username(config)
    return [Attack(username, *user(username), failures)
            for username, failures in sorted(found, key=lambda hit: (-hit[1], hit[0]))]


def _users_by_username(config):
    """A function: user name -> (extension, name) of the tenant's user, (None, None) for a
    name the tenant does not have."""
    by_username = {password_guard.canonical_user(user.username): user
                   for user in config.users or []}

    def find(username):
        user = by_username.get(password_guard.canonical_user(username))
        return (user.extension, user.name) if user else (None, None)
    return find


@dataclass
class MonitorState:
    """The monitor's page: `busy_known` is False when Kamailio could not be asked;
    `lockouts` and `attacks` are None then."""
    at: datetime.datetime
    range: str
    groups: list[GroupState]
    absent_users: int
    unavailable_phones: int
    registered_users: int
    users: int
    busy_known: bool
    states: dict = field(default_factory=dict)      # extension -> state
    lockouts: list[Lockout] | None = None
    attacks: list[Attack] | None = None


def monitor(conn, cfg: Config | None, tenant_id: int, config,
            now: datetime.datetime | None = None, ask_kamailio: bool = True) -> MonitorState:
    """The activity monitor of a tenant (vpbx.model.tenant.Tenant `config`) now."""
    local = schedule.local_time(now or datetime.datetime.now(datetime.timezone.utc),
                                config.timezone)
    in_force = schedule.current_range(config.time_ranges or [], config.holidays or [], local)
    phones = registered_phones(conn, tenant_id)
    users = config.users or []
    registered = [user.extension for user in users if phones.get(user.username)]
    asking = bool(cfg and ask_kamailio)
    busy = busy_extensions(cfg, tenant_id, registered) if asking else None
    states = {}
    for user in users:
        if not phones.get(user.username):
            states[user.extension] = ABSENT
        elif busy and user.extension in busy:
            states[user.extension] = BUSY
        else:
            states[user.extension] = REGISTERED
    by_extension = {user.extension: user for user in users}
    groups = [GroupState(group.name, group.short_number, group.distribution,
                         [Member(ext, by_extension[ext].name, by_extension[ext].direct_number,
                                 phones.get(by_extension[ext].username, 0), states[ext])
                          for ext in group.members if ext in by_extension])
              for group in config.groups or []]
    unavailable = sum(phones.get(by_extension[ext].username, 0)
                      for ext, state in states.items() if state == BUSY)
    return MonitorState(local, in_force, groups,
                        absent_users=sum(1 for state in states.values() if state == ABSENT),
                        unavailable_phones=unavailable, registered_users=len(registered),
                        users=len(users), busy_known=busy is not None, states=states,
                        lockouts=tenant_lockouts(cfg, config) if asking else None,
                        attacks=tenant_attacks(cfg, config) if asking else None)
