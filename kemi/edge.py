"""The SIP edge's route helpers: thin KSR glue around the decisions of the `vpbx` package.

Return values follow Kamailio's KEMI examples: a helper returns -255 when it has finished
with the message (replied, relayed or dropped) and 1 when routing should go on.
"""
import random
import time

import KSR

import digest
from legs import drop_claimed_identity, sent_by_carrier, take_transaction, transaction_first
from media import end_media, in_dialog_invite
from new_calls import route_initial_invite
from ringing import PAUSED_FLAG, end_paused_call
from sip import (RTPENGINE_FLAGS, STOP, DatabaseBackingOff, NotUtf8, Worker,
                 database_backing_off, kemi_callback, log_route, note_database_down, pv,
                 pv_text, refresh_configuration, reply)
from vpbx.edge import contacts
from vpbx.edge import flood_guard as floodguard
from vpbx.storage.routing_data import DatabaseUnavailable

OVERLOAD_RETRY_AFTER = (5, 15)      # seconds, drawn for each refused request


def answer_server_error():
    """The answer to a request whose routing failed unexpectedly (see request_route)."""
    reply(500, "Server Internal Error")


@kemi_callback("routing", answer=STOP, then=answer_server_error)
def request_route():
    """Every SIP request enters here. Nothing escapes: an error is logged and answered."""
    try:
        return route_request()
    except NotUtf8 as exc:
        return refuse_not_utf8(exc.name)
    except DatabaseUnavailable as exc:
        if not isinstance(exc, DatabaseBackingOff):
            note_database_down()
        KSR.err("vpbx: %s; answering 503 to %s %s\n" % (exc, pv("$rm"), pv("$ci")))
        KSR.hdr.append_to_reply("Retry-After: 30\r\n")
        return reply(503, "Service Unavailable")


def drop_stray_reply():
    """A SIP reply that belongs to none of the edge's transactions (tm's on_sl_reply) is
    dropped: Kamailio's core would forward it, statelessly and from the edge's address, to
    whatever host its second Via names."""
    KSR.set_drop()
    return 0


def refuse_not_utf8(part):
    """A request whose `part` (user, Call-ID…) is not UTF-8 text: no phone sends that, and no
    name or number can be read from it. 400, and one line with the bytes escaped."""
    log_route(tenant=None, caller=pv_text("$fU"), dialled=pv_text("$rU"), decision="request",
              outcome="400:not_utf8", method=pv_text("$rm"), source=pv("$si"), part=part)
    return reply(400, "Bad Request (not UTF-8)")


def route_request():
    if flooding_source():
        return STOP                      # dropped: no answer feeds a flood
    if KSR.maxfwd.process_maxfwd(10) < 0:
        return reply(483, "Too Many Hops")
    if KSR.sanity.sanity_check_defaults() < 0:
        KSR.err("vpbx: malformed SIP request from %s:%s dropped\n" % (pv("$si"), pv("$sp")))
        return STOP
    pv("$ci")                            # (a Call-ID that is not UTF-8: 400, see NotUtf8)
    if KSR.is_CANCEL():
        if KSR.tm.t_check_trans() > 0:
            KSR.tm.t_relay()
            # the INVITE's flags (t_lookup_cancel_flags), read once the CANCEL is relayed: a
            # pause that ended meanwhile (its failure route rang the members, under tm's
            # reply lock) has cleared PAUSED_FLAG, and that call ends by the failure route
            if KSR.tm.t_lookup_cancel_flags(1) > 0 and KSR.isflagset(PAUSED_FLAG):
                end_paused_call()
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
        if (queued := Worker.sip_queue.over_limit()) is not None:
            return shed_new_request(queued)
        refresh_configuration()
        return route_register()
    if KSR.is_INVITE():
        in_transaction = transaction_first()
        if in_transaction and not take_transaction():
            return STOP
        # after the transaction (when the INVITE takes one first): a retransmission routed
        # by another worker in the same moment is absorbed, never refused while its first
        # copy rings
        if (queued := Worker.sip_queue.over_limit()) is not None:
            return shed_new_request(queued)
        refresh_configuration()
        return route_initial_invite(in_transaction)
    return reply(405, "Method Not Allowed")


def flooding_source():
    """Whether the request comes from an address banned for flooding, or that floods now
    and is banned from this request on (vpbx.edge.flood_guard); the ban's start is logged once."""
    cfg = Worker.cfg
    if cfg.sip_flood_requests <= 0:
        return False
    source = pv("$si")
    if not floodguard.is_counted(source, *carrier_for_flood_guard(), cfg.sip_flood_exempt):
        return False
    if (KSR.htable.sht_get(floodguard.BANS_TABLE, source) or 0) > 0:
        return True
    own_key, earlier_keys = floodguard.count_keys(source, time.time())
    own = KSR.htable.sht_inc(floodguard.COUNTS_TABLE, own_key)
    limit = cfg.sip_flood_requests
    if own <= limit and not floodguard.is_flood(
            own, (KSR.htable.sht_get(floodguard.COUNTS_TABLE, key) or 0 for key in earlier_keys),
            limit):
        return False
    if KSR.htable.sht_inc(floodguard.BANS_TABLE, source) == 1:     # (one worker logs it)
        log_route(tenant=None, caller=pv("$fU"), dialled=pv("$rU"), decision="flood",
                  outcome="drop:banned", method=pv("$rm"), source=source,
                  ban_seconds=cfg.sip_flood_ban_seconds)
    return True


def carrier_for_flood_guard():
    """(known, the carrier trunk or None): as this worker last read it, else read now,
    unless the database is away ((False, None): the guard then counts nobody)."""
    known, carrier = Worker.store.carrier_if_known()
    if known or database_backing_off():
        return known, carrier
    try:
        return True, Worker.store.carrier()
    except DatabaseUnavailable:
        note_database_down()
        return False, None


def shed_new_request(queued):
    """The workers are behind (vpbx.edge.backlog): a new call or registration is refused at once,
    before any database read (statelessly, or in the INVITE's transaction when it has one),
    so the calls in progress keep their workers; the sender may try again later (a spread
    Retry-After: phones refused together do not come back together) or elsewhere (a
    carrier's next route)."""
    log_route(tenant=None, caller=pv("$fU"), dialled=pv("$rU"), decision="overload",
              outcome="503:overload", method=pv("$rm"), queued_kb=queued // 1024)
    KSR.hdr.append_to_reply("Retry-After: %d\r\n" % random.randint(*OVERLOAD_RETRY_AFTER))
    return reply(503, "Server Overloaded")


def route_within_dialog():
    """Requests inside a call (ACK, BYE, re-INVITE for hold, REFER for transfer, …).

    Only a call this edge set up is served: the request must follow our Record-Route
    (loose_route) and belong to a dialog the edge tracks (Call-ID and both tags; every call
    it routes is tracked, see legs.anchor_call). Anything else that only looks like part of
    a call (a made-up To-tag, the edge in its Route) is answered 481 and goes nowhere: the
    edge relays nothing for anyone it cannot vouch for."""
    if KSR.rr.loose_route() > 0:
        if KSR.dialog.is_known_dlg() < 0:
            return refuse_outside_any_call()
        if not goes_to_a_party():
            return refuse_elsewhere_than_the_call()
        if KSR.is_method_in("IU") > 0 and not sent_by_carrier():
            drop_claimed_identity()      # re-INVITE, UPDATE: no identity from phones
        if KSR.is_BYE():
            end_media()
        elif KSR.is_INVITE() or KSR.is_ACK():
            KSR.rtpengine.rtpengine_manage(RTPENGINE_FLAGS)
            if KSR.is_INVITE():
                in_dialog_invite()     # hold / resume: music on hold
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


def goes_to_a_party():
    """Whether the in-dialog request (past our Record-Route) goes to a party of its dialog
    (vpbx.edge.contacts.goes_to_a_party). A party's own Contact as the Request-URI, what phones
    send, is recognised without parsing anything."""
    destination = pv("$du") or pv("$ru")
    callee, caller = pv("$dlg(to_contact)"), pv("$dlg(from_contact)")
    if callee and destination in (callee, caller):
        return True
    return contacts.goes_to_a_party(destination, pv("$rm"),
                                    (caller, callee, pv("$dlg(from_rs)"), pv("$dlg(to_rs)")),
                                    answered=bool(callee))


def refuse_elsewhere_than_the_call():
    """An in-dialog request of a real call, sent on to somebody who is not its other party
    (its Request-URI or a Route of its own): a party of a call may not use it to relay."""
    if KSR.is_ACK():
        return STOP
    log_route(tenant=None, caller=pv("$fU"), dialled=pv("$rU"), decision="within_dialog",
              outcome="403:not_a_party", method=pv("$rm"), source=pv("$si"),
              destination=pv("$du") or pv("$ru"))
    return reply(403, "Forbidden")


def refuse_outside_any_call():
    """An in-dialog request of no call the edge knows (see route_within_dialog)."""
    if KSR.is_ACK():
        if KSR.tm.t_check_trans() > 0:   # the ACK of a negative reply we sent: tm absorbs it
            KSR.tm.t_relay()
        return STOP                      # (an ACK is never answered)
    log_route(tenant=None, caller=pv("$fU"), dialled=pv("$rU"), decision="within_dialog",
              outcome="481:no_dialog", method=pv("$rm"), source=pv("$si"))
    return reply(481, "Call/Transaction Does Not Exist")


# -- registration ---------------------------------------------------------------------------
def route_register():
    tenant = digest.authenticated_tenant(pv("$td"), pv("$tU"))     # the AOR is in To
    if tenant is None:
        return STOP
    refused = refused_contact()
    if refused is not None:
        log_route(tenant=tenant.slug, caller=pv("$tU"), dialled=None, decision="register",
                  outcome="403:contact", contact=refused, source=pv("$si"))
        return reply(403, "Forbidden Contact")
    if KSR.registrar.save("location", 0) < 0:
        KSR.sl.sl_reply_error()
    return STOP


def refused_contact():
    """Why a REGISTER's Contact may not be registered (vpbx.edge.contacts: the carrier's address,
    the platform's own), or None."""
    values = [pv("$(hdr(Contact)[%d])" % index)
              for index in range(int(KSR.pv.get("$hdrc(Contact)") or 0))]
    carrier = Worker.store.carrier()
    cfg = Worker.cfg
    return contacts.refused_contact(contacts.contact_uris(values),
                                    carrier[0] if carrier else None,
                                    ((cfg.sip_address, cfg.sip_port),
                                     (cfg.media_address, cfg.media_port)))
