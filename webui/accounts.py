"""Administrator accounts: platform operators (no tenant) and tenant administrators.

Passwords are hashed with scrypt (werkzeug); sign-in failures are counted per login and
address in the database, and MAX_FAILURES in a row (each within LOCK_SECONDS of the previous
one) lock that pair for LOCK_SECONDS; a pair's row goes once it neither counts nor locks, so
made-up logins do not pile up; API
tokens are random, only their SHA-256 is stored, and they may expire (TOKEN_DAYS). Every
function takes its connection.

From a shell (the first operator of a new platform):

    python -m webui.accounts create-operator LOGIN [--password-stdin]
    python -m webui.accounts create-admin TENANT LOGIN [--password-stdin] [--language en]
    python -m webui.accounts create-token LOGIN NAME [--days N]   (prints the token once)
    python -m webui.accounts set-password LOGIN [--password-stdin]
"""
import argparse
import getpass
import hashlib
import re
import secrets
import sys
from dataclasses import dataclass

from werkzeug.security import check_password_hash, generate_password_hash

from vpbx.settings import platform as platform_settings
from vpbx.storage import connection

LANGUAGES = ("fr", "de", "en")   # the web UI's (webui/translations); English is the source
MAX_FAILURES = 5
LOCK_SECONDS = 300
MIN_PASSWORD = 10
_LOGIN = re.compile(r"[A-Za-z0-9._@-]{3,128}")
# checked when the login is unknown, so that a wrong login takes as long as a wrong password
_DUMMY_HASH = generate_password_hash("not a password of anybody", method="scrypt")


TOKEN_DAYS = (7, 30, 90, 365)           # the lifetimes offered on the account page
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 3650


class AccountError(ValueError):
    """An account cannot be created or changed as asked; the message says why."""


class TokenExpired(Exception):
    """A bearer token that was valid until `expired_at` (a datetime, database time)."""

    def __init__(self, expired_at):
        super().__init__(f"the token expired on {expired_at:%Y-%m-%d %H:%M}")
        self.expired_at = expired_at


@dataclass(frozen=True)
class Account:
    id: int
    login: str
    tenant_id: int | None
    language: str

    @property
    def is_operator(self) -> bool:
        return self.tenant_id is None


def _rows(conn, sql: str, args: tuple = ()) -> list[dict]:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


_COLUMNS = "SELECT id, login, tenant_id, language FROM admin_accounts "


def _account(rows: list[dict]) -> Account | None:
    return Account(**rows[0]) if rows else None


def check_password_rules(password: str, confirmation: str | None = None) -> str | None:
    """Why a new password is refused (None if it is fine)."""
    if len(password or "") < MIN_PASSWORD:
        return f"must be at least {MIN_PASSWORD} characters"
    if confirmation is not None and password != confirmation:
        return "the two passwords differ"
    return None


def create_account(conn, login: str, password: str, *, tenant_id: int | None,
                   language: str = "fr") -> Account:
    """A new operator (tenant_id None) or tenant administrator account."""
    if not _LOGIN.fullmatch(login or ""):
        raise AccountError("the login must be 3 to 128 characters among letters, digits "
                           "and . _ @ -")
    reason = check_password_rules(password)
    if reason:
        raise AccountError(f"the password {reason}")
    if language not in LANGUAGES:
        raise AccountError(f"the language must be one of {', '.join(LANGUAGES)}")
    if _rows(conn, "SELECT id FROM admin_accounts WHERE login = %s", (login,)):
        raise AccountError(f"the login {login} is already taken")
    with conn.cursor() as cur:
        cur.execute("INSERT INTO admin_accounts (tenant_id, login, password_hash, language)"
                    " VALUES (%s, %s, %s, %s)",
                    (tenant_id, login, generate_password_hash(password, method="scrypt"),
                     language))
        return Account(cur.lastrowid, login, tenant_id, language)


def find(conn, account_id: int) -> Account | None:
    return _account(_rows(conn, _COLUMNS + "WHERE id = %s", (account_id,)))


def find_by_login(conn, login: str) -> Account | None:
    return _account(_rows(conn, _COLUMNS + "WHERE login = %s", (login,)))


def tenant_admins(conn, tenant_id: int) -> list[Account]:
    """The administrators of one tenant."""
    return [Account(**row) for row in _rows(conn, _COLUMNS + "WHERE tenant_id = %s"
                                                  " ORDER BY login", (tenant_id,))]


def delete_tenant_admin(conn, tenant_id: int, account_id: int) -> bool:
    """Remove one administrator of a tenant (their sessions and tokens go with them)."""
    with conn.cursor() as cur:
        return cur.execute("DELETE FROM admin_accounts WHERE id = %s AND tenant_id = %s",
                           (account_id, tenant_id)) == 1


def set_password(conn, account_id: int, password: str) -> None:
    """Replace the password; every session of the account is closed."""
    reason = check_password_rules(password)
    if reason:
        raise AccountError(f"the password {reason}")
    with conn.cursor() as cur:
        cur.execute("UPDATE admin_accounts SET password_hash = %s WHERE id = %s",
                    (generate_password_hash(password, method="scrypt"), account_id))
        cur.execute("DELETE FROM admin_sessions WHERE account_id = %s", (account_id,))


def verify_password(conn, account_id: int, password: str) -> bool:
    rows = _rows(conn, "SELECT password_hash FROM admin_accounts WHERE id = %s", (account_id,))
    return bool(rows) and check_password_hash(rows[0]["password_hash"], password)


def set_language(conn, account_id: int, language: str) -> None:
    if language in LANGUAGES:
        with conn.cursor() as cur:
            cur.execute("UPDATE admin_accounts SET language = %s WHERE id = %s",
                        (language, account_id))


# ---- signing in ------------------------------------------------------------------------------

def locked_seconds(conn, login: str, address: str) -> int:
    """How long (seconds) signing in as `login` from `address` stays refused; 0 if allowed."""
    rows = _rows(conn, "SELECT TIMESTAMPDIFF(SECOND, NOW(), locked_until) AS left_s"
                       " FROM admin_login_failures WHERE login = %s AND address = %s"
                       " AND locked_until > NOW()", (login, address))
    return max(1, int(rows[0]["left_s"])) if rows else 0


def _record_failure(conn, login: str, address: str) -> None:
    """One more failure in a row for (login, address); the MAX_FAILURES-th locks the pair."""
    with conn.cursor() as cur:
        # every pair whose last failure is older than LOCK_SECONDS and that is not locked
        # (any more): each made-up login leaves a row, a guesser would grow the table forever
        cur.execute("DELETE FROM admin_login_failures"
                    " WHERE last_failure_at < NOW() - INTERVAL %s SECOND"
                    " AND (locked_until IS NULL OR locked_until <= NOW())", (LOCK_SECONDS,))
        cur.execute("INSERT INTO admin_login_failures (login, address, failures,"
                    " last_failure_at) VALUES (%s, %s, 0, NOW())"
                    " ON DUPLICATE KEY UPDATE last_failure_at = last_failure_at",
                    (login, address))
        # a lock that ran out starts a new series
        cur.execute("UPDATE admin_login_failures SET failures = 0, locked_until = NULL"
                    " WHERE login = %s AND address = %s AND locked_until <= NOW()",
                    (login, address))
        # locked_until first: it reads the count before this failure, in any SQL mode
        cur.execute("UPDATE admin_login_failures"
                    " SET locked_until = IF(failures + 1 >= %s, NOW() + INTERVAL %s SECOND,"
                    " NULL), failures = failures + 1, last_failure_at = NOW()"
                    " WHERE login = %s AND address = %s",
                    (MAX_FAILURES, LOCK_SECONDS, login, address))


def authenticate(conn, login: str, password: str, address: str) -> tuple[Account | None, int]:
    """(the account, 0) when login and password are right and the pair is not locked;
    (None, seconds the lock still lasts) otherwise (0: just wrong)."""
    login = (login or "")[:128]
    locked = locked_seconds(conn, login, address)
    if locked:
        return None, locked
    rows = _rows(conn, "SELECT id, login, tenant_id, language, password_hash"
                       " FROM admin_accounts WHERE login = %s", (login,))
    stored = rows[0]["password_hash"] if rows else _DUMMY_HASH
    if check_password_hash(stored, password or "") and rows:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM admin_login_failures WHERE login = %s AND address = %s",
                        (login, address))
        row = rows[0]
        return Account(row["id"], row["login"], row["tenant_id"], row["language"]), 0
    _record_failure(conn, login, address)
    return None, locked_seconds(conn, login, address)


# ---- API tokens ------------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(conn, account_id: int, name: str, days: int | None = DEFAULT_TOKEN_DAYS) -> str:
    """A new API token for the account, good for `days` (None: no expiry), returned in
    clear this once."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 128:
        raise AccountError("the token needs a name of 1 to 128 characters")
    if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
        raise AccountError(f"a token lasts 1 to {MAX_TOKEN_DAYS} days")
    token = "vpbx_" + secrets.token_urlsafe(32)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO admin_api_tokens (account_id, name, token_hash, expires_at)"
                    " VALUES (%s, %s, %s, IF(%s IS NULL, NULL, NOW() + INTERVAL %s DAY))",
                    (account_id, name, _token_hash(token), days, days or 0))
    return token


def account_for_token(conn, token: str) -> Account | None:
    """The account a bearer token belongs to (and note its use), or None; TokenExpired for
    a token past its expiry (so that its user is told why)."""
    if not token or len(token) > 200:
        return None
    digest = _token_hash(token)
    rows = _rows(conn, "SELECT a.id, a.login, a.tenant_id, a.language, t.expires_at,"
                       " t.expires_at <= NOW() AS expired"
                       " FROM admin_api_tokens t"
                       " JOIN admin_accounts a ON a.id = t.account_id"
                       " WHERE t.token_hash = %s", (digest,))
    if not rows:
        return None
    row = rows[0]
    if row["expired"]:
        raise TokenExpired(row["expires_at"])
    with conn.cursor() as cur:
        cur.execute("UPDATE admin_api_tokens SET last_used_at = NOW()"
                    " WHERE token_hash = %s", (digest,))
    return Account(row["id"], row["login"], row["tenant_id"], row["language"])


def tokens(conn, account_id: int) -> list[dict]:
    """The account's tokens (id, name, created_at, last_used_at, expires_at, expired),
    never the secrets."""
    return _rows(conn, "SELECT id, name, created_at, last_used_at, expires_at,"
                       " COALESCE(expires_at <= NOW(), 0) AS expired FROM admin_api_tokens"
                       " WHERE account_id = %s ORDER BY id", (account_id,))


def revoke_token(conn, account_id: int, token_id: int) -> bool:
    with conn.cursor() as cur:
        return cur.execute("DELETE FROM admin_api_tokens WHERE id = %s AND account_id = %s",
                           (token_id, account_id)) == 1


# ---- command line ----------------------------------------------------------------------------

def _read_password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise AccountError("the two passwords differ")
    return first


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m webui.accounts",
                                     description="Web UI accounts of the Virtual PBX")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("create-operator", "create a platform operator account"),
                            ("set-password", "set an account's password")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("login")
        p.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of standard input")
    sub.choices["create-operator"].add_argument("--language", default="fr", choices=LANGUAGES)
    p = sub.add_parser("create-admin", help="create an administrator of a tenant")
    p.add_argument("tenant", help="the tenant's short name")
    p.add_argument("login")
    p.add_argument("--password-stdin", action="store_true")
    p.add_argument("--language", default="fr", choices=LANGUAGES)
    p = sub.add_parser("exists", help="exit status 0 when the account exists, 1 otherwise")
    p.add_argument("login")
    p = sub.add_parser("create-token", help="create an API token for an account")
    p.add_argument("login")
    p.add_argument("name", help="what the token is for")
    p.add_argument("--days", type=int, default=DEFAULT_TOKEN_DAYS,
                   help=f"how long it is valid (default {DEFAULT_TOKEN_DAYS}; 0: no expiry)")
    args = parser.parse_args(argv)
    try:
        conn = connection.connect(platform_settings.load())
        if args.command == "exists":
            return 0 if find_by_login(conn, args.login) else 1
        if args.command == "create-operator":
            create_account(conn, args.login, _read_password(args), tenant_id=None,
                           language=args.language)
            print(f"operator {args.login}: created")
        elif args.command == "create-admin":
            rows = _rows(conn, "SELECT id FROM tenants WHERE slug = %s", (args.tenant,))
            if not rows:
                raise AccountError(f"no tenant named {args.tenant!r}")
            create_account(conn, args.login, _read_password(args), tenant_id=rows[0]["id"],
                           language=args.language)
            print(f"administrator {args.login} of {args.tenant}: created")
        elif args.command == "set-password":
            account = find_by_login(conn, args.login)
            if account is None:
                raise AccountError(f"no account {args.login!r}")
            set_password(conn, account.id, _read_password(args))
            print(f"{args.login}: password changed")
        else:
            account = find_by_login(conn, args.login)
            if account is None:
                raise AccountError(f"no account {args.login!r}")
            print(create_token(conn, account.id, args.name, args.days or None))
    except (AccountError, FileNotFoundError) as exc:
        print(f"webui.accounts: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
