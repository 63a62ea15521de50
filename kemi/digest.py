"""Digest authentication of phones: realm = the tenant's SIP domain, HA1 from `subscriber`."""
from typing import NamedTuple

import KSR

from sip import Worker, pv, reply
from vpbx.edge import password_guard as authguard
from vpbx.records import log_line as logline

# auth_check() results that call for a (new) challenge rather than a refusal
_CHALLENGE_AGAIN = {-4, -5, -6}   # nonce expired, no credentials, invalid nonce
_AUTH_RESULTS = {-1: "error", -2: "wrong_password", -3: "unknown_user", -4: "nonce_expired",
                 -5: "no_credentials", -6: "invalid_nonce", -8: "user_mismatch"}
USER_MISMATCH = -8      # the credentials' user is not the From (To for REGISTER) user


def authenticated_tenant(domain, claimed_user):
    """The tenant whose SIP domain the request claims, once its digest is verified.

    Returns None when the request has been answered instead (unknown domain, challenge,
    refusal).
    """
    tenant = Worker.store.tenant_by_domain(domain.lower())
    if tenant is None:
        authenticate(UnknownDomain(domain.lower()), claimed_user)    # (never signs in)
        return None
    return tenant if authenticate(tenant, claimed_user) else None


class UnknownDomain(NamedTuple):
    """A domain no tenant has. It goes through the very same authentication as a tenant's
    (challenges, the password guard's counts and bans, 403), which no credentials can pass
    (`subscriber` has no row of it): the answers never tell tenant domains from others."""
    domain: str
    slug: None = None
    id: None = None


def authenticate(tenant, claimed_user):
    """Digest authentication against `subscriber`, realm = the tenant's domain.

    Challenges when credentials are missing or stale; refuses with 403 when they are wrong
    (wrong password or unknown user: the phone is told the same, the log says which), and
    at once, before any check, while their source address is banned for that user
    (vpbx.edge.password_guard). Returns True when the request is authenticated.
    """
    guard = guard_key(tenant)
    if guard is not None and (KSR.htable.sht_get(authguard.BANS_TABLE, guard) or 0) > 0:
        refuse("Forbidden")         # (logged when the ban began: a guesser's flood is not)
        return False
    result = KSR.auth_db.auth_check(tenant.domain, "subscriber", 1)
    if result > 0 and (pv("$au") != claimed_user or tenant.id is None):
        result = USER_MISMATCH      # (the names must be equal, byte for byte)
    if result > 0:
        KSR.auth.consume_credentials()
        if guard is not None:
            KSR.htable.sht_rm(authguard.FAILURES_TABLE, guard)     # the user got it right
        return True
    if result in _CHALLENGE_AGAIN:
        KSR.auth.auth_challenge(tenant.domain, 1)
        return False
    if result == -1:
        # auth_db could not check the credentials: a database away is the server's fault (503,
        # raised by ping), not the phone's
        Worker.store.ping()
    outcome = _AUTH_RESULTS.get(result, "refused_%d" % result)
    if tenant.id is None:
        outcome = "unknown_domain" if outcome in authguard.COUNTED_OUTCOMES else outcome
    elif outcome in ("error", "user_mismatch") and \
            Worker.store.user_by_username(tenant.id, pv("$au")) is None:
        outcome = "unknown_user"
    log_auth(tenant.slug, claimed_user, outcome, auth_user=pv("$au"),
             **({"domain": tenant.domain} if tenant.id is None else {}))
    if outcome in authguard.COUNTED_OUTCOMES:
        if guard is not None:
            count_failure(tenant, claimed_user, guard)
        count_user_failure(tenant, claimed_user)
    refuse("Forbidden")
    return False


def guard_key(tenant):
    """The password-guessing key of this request's credentials (vpbx.edge.password_guard), or None
    when it carries none or the guard is off."""
    user = pv("$au")
    if not user or Worker.cfg.sip_auth_failures <= 0:
        return None
    return authguard.key(pv("$si"), user, tenant.domain)


def count_failure(tenant, claimed_user, guard):
    """One more failure of `guard`'s pair; the one that reaches the limit starts its ban."""
    failures = KSR.htable.sht_inc(authguard.FAILURES_TABLE, guard)
    cfg = Worker.cfg
    if authguard.is_banned_now(failures, cfg.sip_auth_failures):
        KSR.htable.sht_seti(authguard.BANS_TABLE, guard, failures)
        KSR.htable.sht_rm(authguard.FAILURES_TABLE, guard)
        log_auth(tenant.slug, claimed_user, "banned", auth_user=pv("$au"), failures=failures,
                 ban_seconds=cfg.sip_auth_ban_seconds)


def count_user_failure(tenant, claimed_user):
    """One more failure of the user from any address: an alert line when a guesser spread
    over many addresses is at work (vpbx.edge.password_guard)."""
    cfg = Worker.cfg
    user = pv("$au")
    if not user or cfg.sip_auth_attack_failures <= 0:
        return
    failures = KSR.htable.sht_inc(authguard.USER_FAILURES_TABLE,
                                  authguard.user_key(user, tenant.domain))
    if authguard.attack_alert_due(failures, cfg.sip_auth_attack_failures):
        log_auth(tenant.slug, claimed_user, "under_attack", auth_user=user, failures=failures,
                 window_seconds=cfg.sip_auth_attack_seconds)


def refuse(reason):
    """403 to credentials that do not hold. An INVITE that carried credentials has its
    transaction, and tm would retransmit the 403 for half a minute to a sender that never
    ACKs (a password guesser; a forged source address, whose owner the platform would
    flood): it is sent once, and the transaction only absorbs retransmissions of the
    INVITE, each answered again."""
    reply(403, reason)
    if KSR.is_INVITE():
        KSR.tm.t_release()          # (no transaction, as for a REGISTER: nothing to do)


def log_auth(tenant_slug, user, outcome, **extra):
    KSR.notice(logline.auth_line(call_id=pv("$ci"), tenant=tenant_slug, user=user,
                                 method=pv("$rm"), outcome=outcome, source=pv("$si"),
                                 **extra) + "\n")
