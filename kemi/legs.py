"""A call's legs and their relay: the INVITE's transaction, the dialog and its media anchored
at rtpengine, the branches sent (to phones, the carrier or the media application) and the
flow state that travels with the transaction, the call record's first and last events.

Every way a new call goes on (kemi/new_calls.py, ringing.py, media_app.py) ends here.
"""
from typing import NamedTuple

import KSR

import media
from sip import RTPENGINE_FLAGS, STOP, Worker, pv, pv_text, record
from vpbx.live import busy
from vpbx.records import call_records as cdr
from vpbx.records import log_line as logline
from vpbx.storage.routing_data import DatabaseUnavailable

FLOW_AVP = "$avp(vpbx_flow)"
ANSWER_AVP = "$avp(vpbx_answer)"  # the flow's AnswerState: all that an answer needs
DIRECT_RING_SECONDS = 120           # a call to one user rings until the caller gives up
CARRIER_REPLY_SECONDS = 5           # a carrier that answers nothing at all by then is down
IDENTITY_HEADERS = ("P-Asserted-Identity", "P-Preferred-Identity", "Remote-Party-ID")
OUT_OF_MEMORY = -2                  # Kamailio's E_OUT_OF_MEM (t_newtran's result)


def record_start(callee_tenant_id, caller, dialled, caller_party, route, on_net=True):
    """The call record's start: the calling user's tenant (else the called one) and route."""
    caller_tenant_id = int(caller_party.split(":")[0]) if caller_party else callee_tenant_id
    record("start", tenant_id=caller_tenant_id, callee_tenant_id=callee_tenant_id,
           caller=caller, dialled=dialled, on_net=1 if on_net else 0, route=route)


def record_refusal(code):
    """A call that ends here with `code`, before anything rang."""
    record("end", final_code=code, outcome=cdr.outcome_of(code, False, False))


# -- the INVITE's transaction -----------------------------------------------------------------
def transaction_first():
    """Whether a new INVITE gets its transaction before anything reads the database: one with
    credentials (their check reads `subscriber`), or from the carrier as this worker knows
    it. A database that answers slowly then holds that INVITE only: its retransmissions are
    absorbed by tm instead of being routed in parallel by other workers, and once it is
    answered (503 included) a late retransmission gets that answer again, instead of being
    routed as a new call nobody is waiting for. A first INVITE without credentials is
    challenged statelessly: unauthenticated traffic creates no transaction."""
    if pv("$hdr(Proxy-Authorization)") or pv("$hdr(Authorization)"):
        return True
    return comes_from(Worker.store.known_carrier())


def take_transaction():
    """The INVITE's transaction, made as soon as the call is to be routed, and its 100 Trying
    at once: a retransmission that arrives while the routing runs is absorbed by tm (never
    routed a second time), and the caller stops retransmitting. False: nothing more to do
    (a retransmission, or no transaction could be made: answered 400 for a request tm cannot
    read — a From or To it cannot parse —, 500 when Kamailio is out of memory)."""
    created = KSR.tm.t_newtran()
    if created > 0:
        KSR.tm.t_reply(100, "Trying")
        return True
    if created < 0:
        KSR.err("vpbx: no transaction for INVITE %s (%d)\n"
                % (logline.escape(pv_text("$ci")), created))
        if created == OUT_OF_MEMORY:
            KSR.sl.sl_send_reply(500, "Server Internal Error")
        else:
            KSR.sl.sl_send_reply(400, "Bad Request")
    return False


# -- who sends, who is shown ----------------------------------------------------------------------
def sent_by_carrier():
    """Whether the request comes from the carrier's trunk (by its source address); when the
    database cannot say, it does not."""
    try:
        carrier = Worker.store.carrier()
    except DatabaseUnavailable:
        return False
    return comes_from(carrier)


def comes_from(carrier):
    """Whether the request was sent from the carrier trunk `carrier` ((address, port) or
    None): the carrier is recognised by its source address alone."""
    return carrier is not None and pv("$si") == carrier[0]


def drop_claimed_identity():
    """A phone does not choose who it is to the others: the identity headers it sent are
    removed from every call it makes, whatever the call becomes (to the carrier, only the
    platform's P-Asserted-Identity goes, see identity.show_number), and from its re-INVITEs
    and UPDATEs within any call (edge.route_within_dialog)."""
    for header in IDENTITY_HEADERS:
        KSR.hdr.remove(header)


# -- the dialog and its media -------------------------------------------------------------------
class MediaRefusal(NamedTuple):
    """Why a call's media cannot be anchored: the answer to the caller and the log's outcome."""
    code: int
    reason: str
    outcome: str


BAD_OFFER = MediaRefusal(488, "Not Acceptable Here", "488:bad_sdp")
NO_MEDIA_RELAY = MediaRefusal(503, "Media Relay Unavailable", "503:no_media_relay")


def anchor_call(caller_party):
    """Record-route, track the dialog (the caller counts as busy) and anchor the media.
    Returns None, or the MediaRefusal to answer when the media cannot be anchored."""
    KSR.rr.record_route()
    KSR.dialog.dlg_manage()
    for keepalive in ("ka-src", "ka-dst"):
        KSR.dialog.dlg_set_property(keepalive)
    if caller_party:
        mark_busy(caller_party)
    return anchor_media()


def anchor_media():
    """The INVITE's SDP offer to rtpengine. An INVITE without a body (a delayed offer) is
    anchored later: the offer comes in the answer, the answer in the ACK (rtpengine_manage
    of answers.onreply_media and edge.route_within_dialog). An offer rtpengine refuses is
    the caller's fault (488) while rtpengine answers, the platform's (503) when it does not."""
    if KSR.textops.has_body() < 0:
        return None
    if KSR.textops.has_body_type("application/sdp") > 0 and \
            KSR.rtpengine.rtpengine_manage(RTPENGINE_FLAGS) > 0:
        return None
    return BAD_OFFER if media.relay_answers() else NO_MEDIA_RELAY


def mark_busy(value):
    """The user `value` ("tenant_id:extension") is in this call until its dialog ends."""
    KSR.dialog.set_dlg_profile(busy.profile_of(value), value)


# -- branches -------------------------------------------------------------------------------------
def send_to_carrier(number, carrier):
    """The Request-URI of a call out through the carrier trunk to E.164 `number`."""
    KSR.pv.sets("$ru", "sip:%s@%s:%d" % (number, carrier[0], carrier[1]))


def branch_count():
    return int(KSR.pv.get("$branch(count)") or 0)


def dset_uris():
    """The Request-URI and every branch of the destination set."""
    return [pv("$ru")] + [pv("$(branch(uri)[%d])" % index) for index in range(branch_count())]


def store_flow(run):
    """The call's flow state goes with its transaction (AVPs, seen by every process that
    handles its replies and timeouts): the whole of it for the failure route, and apart
    what an answer needs, so the reply route of an answered call does not read the plan."""
    KSR.pv.sets(FLOW_AVP, run.dumps())
    KSR.pv.sets(ANSWER_AVP, run.answer_state().dumps())


def relay_to_carrier(run):
    """Send the call out through the carrier trunk (Request-URI set by send_to_carrier):
    every leg towards the carrier rings as long as the callee lets it, but a trunk that
    answers nothing within CARRIER_REPLY_SECONDS is down (408, then the failure route)."""
    return relay(DIRECT_RING_SECONDS, run, first_reply_seconds=CARRIER_REPLY_SECONDS)


def relay(seconds, run, first_reply_seconds=None):
    """Send the branches, each ringing for `seconds` at most (and answering anything at all
    within `first_reply_seconds`, when given). `run`: the call's flow state, just stored."""
    KSR.tm.t_set_fr(seconds * 1000, (first_reply_seconds or seconds) * 1000)
    KSR.tm.t_on_reply("ksr_onreply_media")
    KSR.tm.t_on_failure("ksr_failure_media")
    media.on_relay(run)
    if KSR.tm.t_relay() < 0:
        media.end_media()
        KSR.sl.sl_reply_error()
    return STOP
