"""Password guessing at the SIP edge: a source that keeps failing digest authentication for
one user is refused for a while, before its credentials are even checked.

The pair (source address, user@realm) is what a ban applies to: a password guesser, who
tries many passwords for one user from one address, is stopped after `failures_allowed`
failures (each within `failure_seconds` of the previous one), while every other phone
behind the same address (an office behind one NAT) and the same user from elsewhere go on
working. Kamailio keeps the counts and the bans in two shared-memory hash tables (htable
module), which expire on their own; the NOC lists and lifts bans over RPC
(`kamcmd htable.dump vpbx_authban`, `kamcmd htable.delete vpbx_authban "<key>"`).

A guesser spread over many addresses (a botnet) gets a few tries from each before each
address is banned: the failures of one user from every address are counted too, and when
they reach `attack_failures` (then twice, four times as many…) within a spell without a
pause of `attack_seconds`, the NOC gets one alert line (outcome=under_attack). Nobody is
locked out for it (a lock per user would let anyone lock any user out).
"""
import unicodedata

FAILURES_TABLE = "vpbx_authfail"
BANS_TABLE = "vpbx_authban"
USER_FAILURES_TABLE = "vpbx_authuser"
# the auth results (kemi/digest.py's names) that count as a failed guess; a missing, stale or
# foreign nonce only gets a new challenge
COUNTED_OUTCOMES = frozenset({"wrong_password", "unknown_user", "user_mismatch",
                              "unknown_domain"})
USER_CHARS = 64     # of a user name in a key: a guesser's long names cost no more memory


def canonical_user(user: str) -> str:
    """The identity a user name stands for, whatever its spelling: the database's collation
    once matched `ANNA`, `Anna` and `ánna` to `anna`, so a guesser could rotate spellings to
    get a fresh count each time. Accents dropped (NFKD), case folded: every spelling of one
    name counts as one user (user names are ASCII: [A-Za-z0-9._-])."""
    # ("alice " is alice too: MySQL's PAD SPACE collations; a NUL cannot reach Kamailio's
    # tables, which take C strings)
    user = user.strip().replace("\x00", "\\x00")
    if user.isascii():
        return user.lower()
    decomposed = unicodedata.normalize("NFKD", user)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def key(source: str, user: str, realm: str) -> str:
    """The hash tables' key of a source address trying a user of a realm (a tenant's
    domain): "SOURCE USER@REALM", as the NOC's RPC commands name it."""
    return f"{source} {user_key(user, realm)}"


def user_key(user: str, realm: str) -> str:
    """The key of a user's failures from every address: "USER@REALM"."""
    return f"{canonical_user(user[:USER_CHARS])}@{realm}"


def attack_alert_due(failures: int, attack_failures: int) -> bool:
    """Whether the user's failure just counted (`failures` from all addresses) calls for an
    alert: at `attack_failures`, then at each doubling (a long attack is seen going on
    without a line per guess); `attack_failures` 0: never."""
    if attack_failures <= 0 or failures < attack_failures or failures % attack_failures:
        return False
    multiple = failures // attack_failures
    return multiple & (multiple - 1) == 0


def is_banned_now(failures: int, failures_allowed: int) -> bool:
    """Whether the failure just counted (`failures` in a row for the pair) starts a ban;
    `failures_allowed` 0: never."""
    return 0 < failures_allowed <= failures
