"""The answer of a call and its end: who answered (busy from then on, the cyclic groups'
pointer moved, the call record's answer) and, when its dialog ends, who is idle again."""
import KSR

from legs import ANSWER_AVP, mark_busy
from sip import (RTPENGINE_FLAGS, Worker, kemi_callback, log_call, pv, record,
                 refresh_configuration)
from vpbx.engine.plan_runner import AnswerState
from vpbx.live.busy import party
from vpbx.records import call_records as cdr
from vpbx.storage.routing_data import DatabaseUnavailable

ANSWERED_AVP = "$avp(vpbx_answered)"
PARTIES_VAR = "vpbx_parties"        # dialog variable: the users of an answered call
OUTCOME_VAR = "vpbx_outcome"        # dialog variable: a call the media app answered (its kind)


@kemi_callback("reply route")
def onreply_media():
    """Replies of INVITEs: their SDP to rtpengine; on an answer, who answered."""
    status = int(KSR.pv.get("$rs") or 0)
    if status < 300:
        KSR.rtpengine.rtpengine_manage(RTPENGINE_FLAGS)
    if 200 <= status < 300 and not pv(ANSWERED_AVP):
        state = pv(ANSWER_AVP)                 # (only answers need it)
        if state:
            KSR.pv.seti(ANSWERED_AVP, 1)       # retransmitted 200s are not a new answer
            try:
                record_answer(AnswerState.loads(state))
            except DatabaseUnavailable as exc:
                KSR.warn("vpbx: answer of %s not recorded (cyclic pointer): %s\n"
                         % (pv("$ci"), exc))
    return 1


def record_answer(state):
    """The member who answered (`state`: the call's AnswerState): busy from now, idle again
    when the call ends, and the cyclic distribution's next call starts after them."""
    member = state.answered_by(pv("$(ct{nameaddr.uri})") or pv("$ct"))
    group = state.group
    if member is not None:
        mark_busy(party(state.tenant_id, member))
        if state.cyclic:
            Worker.store.record_answer(state.tenant_id, group, member)
    parties = [p for p in (state.caller_party, member and party(state.tenant_id, member)) if p]
    KSR.dialog.var_sets(PARTIES_VAR, ",".join(parties))
    if state.media:
        # a voicemail or an announcement answered: the record says which, and so will its end
        kind, _sep, target = state.media.partition(":")
        KSR.dialog.var_sets(OUTCOME_VAR, cdr.media_outcome(kind))
        record("answer", callee=target, group_name=group, member=None)
    else:
        record("answer", callee=member or pv("$rU"), group_name=group, member=member)
    log_call("answered", tenant=state.tenant, member=member, group=group)


@kemi_callback("dialog event")
def dialog_event(event):
    """A dialog ended: its users are idle from now (the least-active distribution)."""
    if event != "dialog:end":
        return 1
    parties = pv("$dlg_var(%s)" % PARTIES_VAR)
    # the parties' end time goes with the record (vpbx.records.call_records writes it to users)
    outcome = pv("$dlg_var(%s)" % OUTCOME_VAR) or "answered"
    record("end", final_code=200, outcome=outcome, **({"parties": parties} if parties else {}))
    ended = []
    for item in filter(None, parties.split(",")):
        tenant_id, extension = item.split(":", 1)
        ended.append((int(tenant_id), extension))
    if ended:
        try:
            refresh_configuration()        # who is in a least-active group now
            Worker.store.record_call_end(ended)
        except DatabaseUnavailable as exc:
            KSR.warn("vpbx: end of call %s not recorded (idle times): %s\n" % (pv("$ci"), exc))
    return 1
