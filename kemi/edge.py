"""The SIP edge's route helpers: thin KSR glue around the decisions of the `vpbx` package.

Return values follow Kamailio's KEMI examples: a helper returns -255 when it has finished
with the message (replied, relayed or dropped) and 1 when routing should go on.
"""
import traceback

import KSR

from vpbx import config, dialplan, logline
from vpbx.store import DatabaseUnavailable, SipStore

STOP = -255
# rtpengine: anchor every call's media on the platform's address
RTPENGINE_FLAGS = "replace-origin replace-session-connection ICE=remove"
# auth_check() results that call for a (new) challenge rather than a refusal
_CHALLENGE_AGAIN = {-4, -5, -6}   # nonce expired, no credentials, invalid nonce
_AUTH_RESULTS = {-1: "error", -2: "wrong_password", -3: "unknown_user", -4: "nonce_expired",
                 -5: "no_credentials", -6: "invalid_nonce", -7: "user_mismatch",
                 -8: "unknown_user"}

_store = None


def child_init(rank):
    global _store
    _store = SipStore(config.load())


def pv(name):
    value = KSR.pv.get(name)
    return "" if value is None else str(value)


def log_route(**fields):
    KSR.info(logline.route_line(call_id=pv("$ci"), **fields) + "\n")


def reply(code, reason):
    """Reply to the current request (statefully when a transaction exists)."""
    KSR.sl.send_reply(code, reason)
    return STOP


# -- request route ------------------------------------------------------------------------
def request_route():
    """Every SIP request enters here. Nothing escapes: an error is logged and answered."""
    try:
        return route_request()
    except DatabaseUnavailable as exc:
        KSR.err("vpbx: %s; answering 503 to %s %s\n" % (exc, pv("$rm"), pv("$ci")))
        KSR.hdr.append_to_reply("Retry-After: 30\r\n")
        return reply(503, "Service Unavailable")
    except Exception:
        KSR.err("vpbx: routing error for %s %s: %s\n"
                % (pv("$rm"), pv("$ci"), traceback.format_exc().replace("\n", " | ")))
        return reply(500, "Server Internal Error")


def route_request():
    if KSR.maxfwd.process_maxfwd(10) < 0:
        return reply(483, "Too Many Hops")
    if KSR.sanity.sanity_check_defaults() < 0:
        KSR.err("vpbx: malformed SIP request from %s:%s dropped\n" % (pv("$si"), pv("$sp")))
        return STOP
    if KSR.is_CANCEL():
        if KSR.tm.t_check_trans() > 0:
            KSR.tm.t_relay()
        return STOP
    if KSR.siputils.has_totag() > 0:
        return route_within_dialog()
    if KSR.tm.t_check_trans() == 0:      # a retransmission, already handled by tm
        return STOP
    if KSR.is_ACK():                     # an ACK without transaction and outside a dialog
        return STOP
    if KSR.is_OPTIONS() and not pv("$rU"):
        return reply(200, "OK")          # keepalive / health check addressed to the edge
    if KSR.is_REGISTER():
        return route_register()
    if KSR.is_INVITE():
        return route_initial_invite()
    return reply(405, "Method Not Allowed")


def route_within_dialog():
    """Requests inside a call (ACK, BYE, re-INVITE for hold, REFER for transfer, …)."""
    if KSR.rr.loose_route() > 0:
        if KSR.is_BYE():
            KSR.rtpengine.rtpengine_delete0()
        elif KSR.is_INVITE() or KSR.is_ACK():
            KSR.rtpengine.rtpengine_manage(RTPENGINE_FLAGS)
            if KSR.is_INVITE():
                # no failure route here: a refused re-INVITE must not end the call's media
                KSR.tm.t_on_reply("ksr_onreply_media")
        if KSR.tm.t_relay() < 0:
            KSR.sl.sl_reply_error()
        return STOP
    if KSR.is_ACK():
        if KSR.tm.t_check_trans() > 0:   # ACK of a negative reply we relayed
            KSR.tm.t_relay()
        return STOP
    return reply(404, "Not Here")


# -- registration -------------------------------------------------------------------------
def route_register():
    if authenticated_tenant(pv("$td"), pv("$tU")) is None:   # the AOR is in the To header
        return STOP
    if KSR.registrar.save("location", 0) < 0:
        KSR.sl.sl_reply_error()
    return STOP


def authenticated_tenant(domain, claimed_user):
    """The tenant whose SIP domain the request claims, once its digest is verified.

    Returns None when the request has been answered instead (unknown domain, challenge,
    refusal).
    """
    tenant = _store.tenant_by_domain(domain.lower())
    if tenant is None:
        log_auth(None, claimed_user, "unknown_domain", domain=domain.lower())
        reply(403, "Unknown Domain")
        return None
    return tenant if authenticate(tenant, claimed_user) else None


def authenticate(tenant, claimed_user):
    """Digest authentication against `subscriber`, realm = the tenant's domain.

    Challenges when credentials are missing or stale; refuses with 403 when they are wrong
    (wrong password or unknown user: the phone is told the same, the log says which).
    Returns True when the request is authenticated.
    """
    result = KSR.auth_db.auth_check(tenant.domain, "subscriber", 1)
    if result > 0:
        KSR.auth.consume_credentials()
        return True
    if result in _CHALLENGE_AGAIN:
        KSR.auth.auth_challenge(tenant.domain, 1)
        return False
    outcome = _AUTH_RESULTS.get(result, "refused_%d" % result)
    if outcome in ("error", "user_mismatch") and _store.user_by_username(tenant.id, pv("$au")) is None:
        outcome = "unknown_user"
    log_auth(tenant.slug, claimed_user, outcome, auth_user=pv("$au"))
    reply(403, "Forbidden")
    return False


def log_auth(tenant_slug, user, outcome, **extra):
    KSR.notice(logline.auth_line(call_id=pv("$ci"), tenant=tenant_slug, user=user,
                                 method=pv("$rm"), outcome=outcome, source=pv("$si"),
                                 **extra) + "\n")


# -- calls ----------------------------------------------------------------------------------
def route_initial_invite():
    carrier = _store.carrier()
    if carrier is not None and pv("$si") == carrier[0]:
        return route_carrier_call()
    tenant = authenticated_tenant(pv("$fd"), pv("$fU"))
    if tenant is None:
        return STOP
    dialled = pv("$rU")
    target = dialplan.resolve_user_call(_store, tenant, dialled)
    return ring_target(target, tenant.slug, pv("$fU"), dialled)


def route_carrier_call():
    """A call from the carrier's trunk: trusted by source address, no digest authentication."""
    dialled = pv("$rU")
    target = dialplan.resolve_carrier_call(_store, dialled)
    tenant = target.user.tenant_slug if target.user else None
    return ring_target(target, tenant, pv("$fU"), dialled, source="carrier")


def ring_target(target, tenant_slug, caller, dialled, **extra):
    """Refuse the call, or ring every registered phone of the target user through rtpengine."""
    if target.refused:
        log_route(tenant=tenant_slug, caller=caller, dialled=dialled, decision=target.decision,
                  outcome=target.code, **extra)
        return reply(target.code, target.reason)
    user = target.user
    KSR.pv.sets("$ru", user.aor)
    found = KSR.registrar.lookup("location")
    if found < 0:
        code, reason = (405, "Method Not Allowed") if found == -2 else (480, "Temporarily Unavailable")
        log_route(tenant=tenant_slug, caller=caller, dialled=dialled,
                  decision=f"{target.decision}:{user.extension}", outcome=code,
                  callee_tenant=user.tenant_slug, **extra)
        return reply(code, reason)
    KSR.rr.record_route()
    KSR.dialog.dlg_manage()
    if KSR.rtpengine.rtpengine_manage(RTPENGINE_FLAGS) < 0:
        log_route(tenant=tenant_slug, caller=caller, dialled=dialled,
                  decision=f"{target.decision}:{user.extension}", outcome="503:no_media_relay",
                  **extra)
        return reply(503, "Media Relay Unavailable")
    KSR.tm.t_on_reply("ksr_onreply_media")
    KSR.tm.t_on_failure("ksr_failure_media")
    log_route(tenant=tenant_slug, caller=caller, dialled=dialled,
              decision=f"{target.decision}:{user.extension}", outcome="ring",
              callee_tenant=user.tenant_slug, branches=1 + int(KSR.pv.get("$branch(count)") or 0),
              **extra)
    if KSR.tm.t_relay() < 0:
        KSR.rtpengine.rtpengine_delete0()
        KSR.sl.sl_reply_error()
    return STOP


# -- replies and failures -------------------------------------------------------------------
def onreply_media():
    """Provisional and final replies of INVITEs: hand their SDP answer to rtpengine."""
    try:
        status = int(KSR.pv.get("$rs") or 0)
        if status < 300:
            KSR.rtpengine.rtpengine_manage(RTPENGINE_FLAGS)
        return 1
    except Exception:
        KSR.err("vpbx: reply error: %s\n" % traceback.format_exc().replace("\n", " | "))
        return 1


def failure_media():
    """Every branch of an INVITE failed (or the caller cancelled): free the media session."""
    try:
        KSR.rtpengine.rtpengine_delete0()
        KSR.info(logline.format_line("VPBX-CALL", {
            "call_id": pv("$ci"), "decision": "final",
            "outcome": "cancelled" if KSR.tm.t_is_canceled() > 0 else pv("$T_reply_code")}) + "\n")
        return 1
    except Exception:
        KSR.err("vpbx: failure route error: %s\n" % traceback.format_exc().replace("\n", " | "))
        return 1
