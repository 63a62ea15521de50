"""HTTP Digest sign-in with a phone's SIP credentials (the phonebook, SPEC F9.2), behind the
SIP edge's password guard.

realm = the tenant's domain; the response is checked against the HA1 in Kamailio's
`subscriber` (no clear-text password needed), the user name compared exactly as stored
(the table's collation would take `ANNA` for `anna`).

Each request with credentials goes, in this order:
1. banned (vpbx.edge.password_guard_rpc, Kamailio's own tables): 403 before any check;
2. nonce not ours, older than NONCE_SECONDS, or already used: a fresh challenge (401),
   nothing counted — each nonce is good for one request, so a captured request cannot be
   replayed, nor one challenge serve a burst of guesses;
3. unknown user, wrong password, or a domain no tenant has: a VPBX-AUTH line in the web
   UI's log, a failure counted as at the SIP edge (the one that reaches the limit starts a
   ban, 403), else a challenge.

When Kamailio's RPC does not answer, the guard cannot be asked: 503, and no password is
checked (fail closed) — the phonebook waits for the SIP edge to be back.
"""
import collections
import hashlib
import hmac
import os
import secrets
import threading
import time

from flask import Response, current_app, request

from vpbx.edge import password_guard_rpc
from vpbx.records import log_line

METHOD = "PHONEBOOK"            # the method of the VPBX-AUTH lines (decision=auth:PHONEBOOK)
NONCE_SECONDS = 300
RETRY_SECONDS = 30


class Nonces:
    """The challenges' nonces: signed by this process, good for NONCE_SECONDS and for one
    request. Thread-safe (the web UI serves requests from several threads); the nonces used
    are remembered until they would have expired anyway."""

    def __init__(self, lifetime: int = NONCE_SECONDS):
        self.lifetime = lifetime
        self._secret = os.urandom(32)
        self._used: set[str] = set()
        self._expiring = collections.deque()          # (stamp, nonce) in the order used
        self._lock = threading.Lock()

    def _signed(self, stamp: str, salt: str) -> str:
        text = f"{stamp}-{salt}"
        return text + "-" + hmac.new(self._secret, text.encode(), "sha256").hexdigest()[:32]

    def issue(self) -> str:
        return self._signed(str(int(time.time())), secrets.token_hex(8))

    def use(self, nonce: str) -> bool:
        """True the first time a nonce of ours, not expired, is presented; False for any
        other (forged, expired, or used before)."""
        stamp, _, rest = (nonce or "").partition("-")
        salt = rest.partition("-")[0]
        now = time.time()
        if not stamp.isdigit() or not hmac.compare_digest(nonce, self._signed(stamp, salt)) \
                or now - int(stamp) >= self.lifetime:
            return False
        with self._lock:
            while self._expiring and now - self._expiring[0][0] >= self.lifetime:
                self._used.discard(self._expiring.popleft()[1])
            if nonce in self._used:
                return False
            self._used.add(nonce)
            self._expiring.append((int(stamp), nonce))
            return True


_NONCES = Nonces()


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def challenge(domain: str) -> Response:
    return Response("Sign in with your phone's SIP user name and password.\n", 401, {
        "WWW-Authenticate": f'Digest realm="{domain}", qop="auth", algorithm=MD5, '
                            f'nonce="{_NONCES.issue()}"'}, mimetype="text/plain")


def _refused() -> Response:
    return Response("Too many failed attempts: try again later.\n", 403, mimetype="text/plain")


def _unavailable() -> Response:
    return Response("The phonebook is not available for a moment.\n", 503,
                    {"Retry-After": str(RETRY_SECONDS)}, mimetype="text/plain")


def guard() -> password_guard_rpc.PasswordGuard:
    """The app's password guard: on Kamailio's tables, or the tables the app was given
    (config PASSWORD_GUARD_TABLES, a stand-in for tests without Kamailio)."""
    cfg = current_app.config["VPBX"]
    tables = current_app.config.get("PASSWORD_GUARD_TABLES")
    if tables is None:
        tables = current_app.extensions.get("vpbx_guard_tables")
        if tables is None:
            tables = current_app.extensions.setdefault(
                "vpbx_guard_tables", password_guard_rpc.KamailioTables(cfg))
    return password_guard_rpc.PasswordGuard(cfg, tables)


def log_auth(request_id: str, tenant, user: str, outcome: str, **extra) -> None:
    """One VPBX-AUTH line, with the fields of the SIP edge's (kemi/digest.py)."""
    current_app.logger.warning(log_line.auth_line(
        call_id=request_id, tenant=tenant["slug"] if tenant else None, user=user,
        method=METHOD, outcome=outcome, source=request.remote_addr or "-",
        auth_user=user or None, **extra))


def _expected(ha1: str, params) -> str:
    ha2 = _md5(f"{request.method}:{params['uri']}")
    if params.get("qop") == "auth":
        return _md5(f"{ha1}:{params['nonce']}:{params.get('nc', '')}:"
                    f"{params.get('cnonce', '')}:auth:{ha2}")
    return _md5(f"{ha1}:{params['nonce']}:{ha2}")


def _ha1(conn, user: str, domain: str) -> str | None:
    """The HA1 of exactly `user` of `domain` (not of a user whose name only collates equal)."""
    with conn.cursor() as cur:
        cur.execute("SELECT username, ha1 FROM subscriber WHERE username = %s AND domain = %s",
                    (user, domain))
        rows = cur.fetchall()
    return next((row["ha1"] for row in rows if row["username"] == user), None)


def signed_in_user(conn, domain: str, tenant: dict | None) -> str | Response:
    """The SIP user name of tenant's phone signing this request in, or the answer to send
    instead (challenge, refusal, or 503 while the guard cannot be asked).

    A domain no tenant has (tenant None) is answered exactly as a tenant's: challenged, its
    failures counted and banned per (address, user@domain) by the same guard, so neither the
    answers nor their sequence tell tenant domains from others; nobody ever signs in."""
    auth = request.authorization
    if auth is None or auth.type != "digest":
        return challenge(domain)
    params = auth.parameters
    user = params.get("username") or ""
    source = request.remote_addr or "-"
    request_id = "http-" + secrets.token_hex(6)
    try:
        checker = guard()
        if checker.is_banned(source, user, domain):
            return _refused()       # (logged when the ban began: a guesser's flood is not)
        if not user or params.get("realm") != domain \
                or params.get("uri") != request.full_path.rstrip("?") \
                or not _NONCES.use(params.get("nonce", "")):
            return challenge(domain)
        ha1 = _ha1(conn, user, domain)          # (asked for any domain: the same time)
        if tenant is None:
            ha1 = None
        if ha1 is not None and hmac.compare_digest(_expected(ha1, params),
                                                   params.get("response", "")):
            checker.succeeded(source, user, domain)
            return user
        if tenant is None:
            log_auth(request_id, None, user, "unknown_domain", domain=domain)
        else:
            log_auth(request_id, tenant, user,
                     "unknown_user" if ha1 is None else "wrong_password")
        banned = False
        for outcome, fields in checker.failed(source, user, domain):
            log_auth(request_id, tenant, user, outcome, **fields)
            banned = banned or outcome == "banned"
        return _refused() if banned else challenge(domain)
    except password_guard_rpc.GuardUnavailable as exc:
        log_auth(request_id, tenant, user, "guard_unavailable", reason=str(exc)[:200])
        return _unavailable()
