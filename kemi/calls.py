"""Calls: which phones ring for a new INVITE, step by step, and what follows when nobody answers.

The decisions come from the `vpbx` package (dialplan, callflow, flowrun); this module only
turns them into SIP: branches to the registered phones of the members of a step, each step's
ring time as the branches' timeout, the next step from the failure route, rtpengine for the
media throughout. The call's FlowRun (and apart, its AnswerState) travels with the
transaction in AVPs.
"""
import datetime
import re
import time
from dataclasses import replace
from typing import NamedTuple

import KSR

import digest
import identity
import media_calls
from sip import (RTPENGINE_FLAGS, STOP, Worker, dialled_number, log_call, log_error, log_route,
                 pv, pv_text, record, refresh_configuration, reply)
from vpbx.live import busy
from vpbx.engine import call_plan as callflow
from vpbx.records import call_records as cdr
from vpbx.engine import dial_plan as dialplan
from vpbx.records import log_line as logline
from vpbx.engine import caller_id as outgoing
from vpbx.live.busy import party
from vpbx.engine.plan_runner import AnswerState, FlowRun, contact_key
from vpbx.model.numbers import external_form, international_form
from vpbx.storage.routing_data import DatabaseUnavailable

FLOW_AVP = "$avp(vpbx_flow)"
ANSWER_AVP = "$avp(vpbx_answer)"  # the flow's AnswerState: all that an answer needs
ANSWERED_AVP = "$avp(vpbx_answered)"
PARTIES_VAR = "vpbx_parties"        # dialog variable: the users of an answered call
DIRECT_RING_SECONDS = 120           # a call to one user rings until the caller gives up
CARRIER_REPLY_SECONDS = 5           # a carrier that answers nothing at all by then is down
IDENTITY_HEADERS = ("P-Asserted-Identity", "P-Preferred-Identity", "Remote-Party-ID")
PAUSED_FLAG = 1                     # the INVITE's transaction waits out a pause (wait_then_ring)
REDIRECT_CODES = (301, 302)         # a phone's own call forwarding (Moved)
MAX_REDIRECTS = 3                   # then the phones' forwarding loops: the 3xx goes back
OUT_OF_MEMORY = -2                  # Kamailio's E_OUT_OF_MEM (t_newtran's result)
_CONTACT_USER = re.compile(r"sips?:([^@;>]+)@")


def record_start(callee_tenant_id, caller, dialled, caller_party, route, on_net=True):
    """The call record's start: the calling user's tenant (else the called one) and route."""
    caller_tenant_id = int(caller_party.split(":")[0]) if caller_party else callee_tenant_id
    record("start", tenant_id=caller_tenant_id, callee_tenant_id=callee_tenant_id,
           caller=caller, dialled=dialled, on_net=1 if on_net else 0, route=route)


def record_refusal(code):
    """A call that ends here with `code`, before anything rang."""
    record("end", final_code=code, outcome=cdr.outcome_of(code, False, False))


# -- new calls ---------------------------------------------------------------------------------
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


def route_initial_invite(in_transaction=False):
    """A new call; `in_transaction`: its transaction exists already (transaction_first)."""
    store = Worker.store
    if comes_from(store.carrier()):
        return route_carrier_call() if in_transaction or take_transaction() else STOP
    tenant = digest.authenticated_tenant(pv("$fd"), pv("$fU"))
    if tenant is None or not (in_transaction or take_transaction()):
        return STOP
    drop_claimed_identity()
    dialled = dialled_number()
    config = store.tenant_config(tenant)
    caller = store.user_by_username(tenant.id, pv("$fU"))
    caller_party = party(tenant.id, caller.extension) if caller else None
    if media_calls.is_voicemail_access(dialled):     # 086 + global number: its mailbox
        return media_calls.voicemail_access(tenant, config, pv("$fU"), dialled, caller_party)
    plan = callflow.plan_group(config, dialled, member_state(tenant.id))   # a group's short number
    if plan is not None:
        return start_flow(plan, tenant, config, pv("$fU"), dialled, caller_party)
    target = dialplan.resolve_user_call(store, tenant, dialled)
    if target.number_tenant is not None:             # a global number of the platform
        owner = target.number_tenant
        owner_config, plan = number_plan(owner, target.number)
        return start_flow(plan, owner, owner_config, pv("$fU"), dialled, caller_party,
                          on_net=1, caller_tenant=tenant.slug)
    if target.external:
        return route_to_carrier(target.number, tenant, config, caller, dialled, caller_party)
    return ring_user(target, tenant.slug, pv("$fU"), dialled, caller_party)


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


def route_carrier_call():
    """A call from the carrier's trunk, trusted by its source address (no digest): to a
    global number (routed by time range) or to a user's direct number."""
    store = Worker.store
    dialled = dialled_number()
    number = international_form(dialled)
    tenant = store.tenant_by_global_number(number) if number else None
    if tenant is not None:
        config, plan = number_plan(tenant, number)
        return start_flow(plan, tenant, config, pv("$fU"), dialled, None, source="carrier")
    target = dialplan.resolve_carrier_call(store, dialled)
    tenant_slug = target.user.tenant_slug if target.user else None
    return ring_user(target, tenant_slug, pv("$fU"), dialled, None, source="carrier")


def route_to_carrier(number, tenant, config, caller, dialled, caller_party):
    """An external call: out through the carrier's trunk, in E.164, showing a number the
    tenant owns (never what the phone claims)."""
    store = Worker.store
    carrier = store.carrier()
    presented = outgoing.presented_number(config, caller.extension if caller else None,
                                          store.presentation_rules(tenant.id))
    if carrier is None:
        log_route(tenant=tenant.slug, caller=pv("$fU"), dialled=dialled, decision="external",
                  outcome="503:no_carrier", number=number)
        return reply(503, "No Carrier Configured")
    if refused := anchor_call(caller_party):
        log_route(tenant=tenant.slug, caller=pv("$fU"), dialled=dialled, decision="external",
                  outcome=refused.outcome, number=number)
        return reply(refused.code, refused.reason)
    identity.show_number(presented, tenant.domain)
    send_to_carrier(number, carrier)
    run = FlowRun(tenant.slug, tenant.id, pv("$fU"), dialled, None, [], caller_party=caller_party)
    store_flow(run)
    log_route(tenant=tenant.slug, caller=pv("$fU"), dialled=dialled, decision="external",
              outcome="carrier", number=number, presented=presented)
    record_start(None, pv("$fU"), dialled, caller_party, f"carrier:{number}", on_net=False)
    return relay(DIRECT_RING_SECONDS, first_reply_seconds=CARRIER_REPLY_SECONDS, run=run)


def drop_claimed_identity():
    """A phone does not choose who it is to the others: the identity headers it sent are
    removed from every call it makes, whatever the call becomes (to the carrier, only the
    platform's P-Asserted-Identity goes, see route_to_carrier), and from its re-INVITEs and
    UPDATEs within any call (edge.route_within_dialog)."""
    for header in IDENTITY_HEADERS:
        KSR.hdr.remove(header)


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


def send_to_carrier(number, carrier):
    """The Request-URI of a call out through the carrier trunk to E.164 `number`."""
    KSR.pv.sets("$ru", "sip:%s@%s:%d" % (number, carrier[0], carrier[1]))


def store_flow(run):
    """The call's flow state goes with its transaction (AVPs, seen by every process that
    handles its replies and timeouts): the whole of it for the failure route, and apart
    what an answer needs, so the reply route of an answered call does not read the plan."""
    KSR.pv.sets(FLOW_AVP, run.dumps())
    KSR.pv.sets(ANSWER_AVP, run.answer_state().dumps())


def number_plan(tenant, number):
    """The tenant's configuration and the plan of its global `number` now (the time range
    in force, the members' state)."""
    config = Worker.store.tenant_config(tenant)
    return config, callflow.plan_number(config, number,
                                        datetime.datetime.now(datetime.timezone.utc),
                                        member_state(tenant.id))


def member_state(tenant_id):
    last_answered, idle_since = Worker.store.member_state(tenant_id)
    return callflow.MemberState(last_answered=last_answered, idle_since=idle_since)


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
    of onreply_media and edge.route_within_dialog). An offer rtpengine refuses is the
    caller's fault (488) while rtpengine answers, the platform's (503) when it does not."""
    if KSR.textops.has_body() < 0:
        return None
    if KSR.textops.has_body_type("application/sdp") > 0 and \
            KSR.rtpengine.rtpengine_manage(RTPENGINE_FLAGS) > 0:
        return None
    return BAD_OFFER if media_calls.relay_answers() else NO_MEDIA_RELAY


def ring_user(target, tenant_slug, caller, dialled, caller_party, **extra):
    """Refuse the call, or ring every registered phone of one user through rtpengine."""
    on_net = extra.get("source") != "carrier"
    if target.refused:
        log_route(tenant=tenant_slug, caller=caller, dialled=dialled, decision=target.decision,
                  outcome=target.code, **extra)
        if caller_party:
            record_start(None, caller, dialled, caller_party, target.decision, on_net)
            record_refusal(target.code)
        return reply(target.code, target.reason)
    user = target.user
    decision = f"{target.decision}:{user.extension}"
    record_start(user.tenant_id, caller, dialled, caller_party, decision, on_net)
    KSR.pv.sets("$ru", user.aor)
    found = KSR.registrar.lookup("location")
    if found < 0:
        code, reason = (405, "Method Not Allowed") if found == -2 else (480, "Temporarily Unavailable")
        log_route(tenant=tenant_slug, caller=caller, dialled=dialled, decision=decision,
                  outcome=code, callee_tenant=user.tenant_slug, **extra)
        record_refusal(code)
        return reply(code, reason)
    if refused := anchor_call(caller_party):
        log_route(tenant=tenant_slug, caller=caller, dialled=dialled, decision=decision,
                  outcome=refused.outcome, **extra)
        return reply(refused.code, refused.reason)
    run = FlowRun(user.tenant_slug, user.tenant_id, caller, dialled, None, [],
                  aors={user.extension: user.aor}, caller_party=caller_party)
    run.contacts = {contact_key(uri): user.extension for uri in dset_uris()}
    store_flow(run)
    log_route(tenant=tenant_slug, caller=caller, dialled=dialled, decision=decision,
              outcome="ring", callee_tenant=user.tenant_slug, branches=len(run.contacts), **extra)
    return relay(DIRECT_RING_SECONDS, run=run)


def start_flow(plan, tenant, config, caller, dialled, caller_party, **extra):
    """A call to a global number or a group: log the plan's decision, anchor the media and
    take its first action."""
    aors = member_aors(tenant, config, plan.steps)
    run = FlowRun(tenant.slug, tenant.id, caller, dialled, plan.range, plan.steps, aors=aors,
                  caller_party=caller_party, access_code=tenant.access_code)
    first = plan.steps[0]
    log_route(tenant=tenant.slug, caller=caller, dialled=dialled,
              decision=f"{first['kind']}:{first.get('name') or first.get('reason') or ''}".rstrip(":"),
              outcome="plan", range=plan.range, plan=plan_text(plan.steps), **extra)
    record_start(tenant.id, caller, dialled, caller_party,
                 ">".join(f"{s['kind']}:{s.get('name') or ''}".rstrip(":") for s in plan.steps),
                 on_net=extra.get("source") != "carrier")
    if refused := anchor_call(caller_party):
        log_route(tenant=tenant.slug, caller=caller, dialled=dialled, decision="media",
                  outcome=refused.outcome, **extra)
        return reply(refused.code, refused.reason)
    return next_action(run)


def plan_text(steps):
    """A plan's steps as the NOC's log shows them: kind:name>kind:name…"""
    return ">".join(f"{s['kind']}:{s.get('name') or ''}" for s in steps)


def member_aors(tenant, config, steps):
    """extension → SIP address of record, for the members the plan may ring (only those:
    the flow state travels with every reply of the call)."""
    known = Worker.store.member_aors(tenant, config)
    return {member: known[member] for step in steps if step["kind"] == "group"
            for ring in step["ring"] for member in ring["members"] if member in known}


# -- one step at a time ------------------------------------------------------------------------
def member_available(run, extension):
    """Can this member ring now: a phone registered, and not already in a call?"""
    aor = run.aors.get(extension)
    if aor is None or KSR.registrar.registered_uri("location", aor) < 0:
        return False
    value = party(run.tenant_id, extension)
    if KSR.dialog.get_profile_size(busy.profile_of(value), value, "$var(vpbx_busy)") < 0:
        KSR.err("vpbx: busy state of %s unknown (dialog profile): rings\n" % value)
        return True         # ($var keeps an earlier member's count: never read it then)
    return int(KSR.pv.get("$var(vpbx_busy)") or 0) == 0


def mark_busy(value):
    """The user `value` ("tenant_id:extension") is in this call until its dialog ends."""
    KSR.dialog.set_dlg_profile(busy.profile_of(value), value)


def next_action(run):
    """Take the plan's next action: ring the available members of the next step (after a
    pause if one of them rang for this call moments ago), or end at a final destination.
    Called from the request route and from the failure route."""
    while True:
        action = run.next_action(lambda extension: member_available(run, extension))
        if action.kind != "ring":
            return final_destination(run, action)
        pause = run.pause_before(action, time.monotonic())
        if pause > 0:
            return wait_then_ring(run, action, pause)
        if ring_members(run, action.members):
            return ring_action(run, action)


def wait_then_ring(run, action, seconds):
    """Hold `action` for `seconds` (failure route only): the transaction is suspended with
    a branch that sends nothing and times out then, which brings the failure route back
    (failure_media rings the held action)."""
    run.hold(action)
    store_flow(run)
    log_route(tenant=run.tenant, caller=run.caller, dialled=run.dialled,
              decision=f"group:{action.group}", outcome="pause", range=run.range,
              waiting=",".join(action.members), seconds=round(seconds, 1))
    milliseconds = max(100, int(seconds * 1000))
    KSR.tm.t_set_fr(milliseconds, milliseconds)
    KSR.tm.t_on_failure("ksr_failure_media")
    KSR.setflag(PAUSED_FLAG)
    if KSR.tmx.t_suspend() < 0:
        KSR.warn("vpbx: no pause possible for %s: ringing at once\n" % pv("$ci"))
        return ring_held(run)
    media_calls.on_pause()
    return STOP


def end_paused_call():
    """The caller hung up (CANCEL) during a pause: tm answers 487 itself and no failure
    route follows, as no branch was sent; the call ends here."""
    media_calls.end_media()
    media_calls.stop_ringback_of_cancelled_call()
    log_call("cancelled")
    record_refusal(487)


def ring_held(run):
    """The held action rings now (its members, if they still can), else the plan goes on."""
    KSR.resetflag(PAUSED_FLAG)
    held = run.take_held()
    action = replace(held, members=tuple(m for m in held.members if member_available(run, m)))
    run.skipped = [m for m in held.members if m not in action.members]
    if action.members and ring_members(run, action.members):
        return ring_action(run, action)
    return next_action(run)


def ring_action(run, action):
    """Log the ring of `action`'s members and send their branches."""
    log_route(tenant=run.tenant, caller=run.caller, dialled=run.dialled,
              decision=f"group:{action.group}", outcome="ring", range=run.range,
              strategy=action.distribution, ringing=",".join(action.members),
              seconds=action.seconds, skipped=",".join(run.skipped))
    store_flow(run)
    return relay(action.seconds, run=run)


def ring_members(run, members):
    """Branches to every registered phone of these members; False if none is left.

    The first member found becomes the Request-URI (lookup) and its other phones branches;
    the next members' phones are added as branches (lookup_to_dset).
    """
    contacts = {}
    for extension in members:
        aor = run.aors[extension]
        if not contacts:
            KSR.pv.sets("$ru", aor)
            if KSR.registrar.lookup("location") > 0:
                contacts.update({contact_key(uri): extension for uri in dset_uris()})
        else:
            count = branch_count()
            if KSR.registrar.lookup_to_dset("location", aor) > 0:
                contacts.update({contact_key(uri): extension for uri in dset_uris()[count + 1:]})
    run.contacts = contacts
    return bool(contacts)


def branch_count():
    return int(KSR.pv.get("$branch(count)") or 0)


def dset_uris():
    """The Request-URI and every branch of the destination set."""
    return [pv("$ru")] + [pv("$(branch(uri)[%d])" % index) for index in range(branch_count())]


def relay(seconds, first_reply_seconds=None, run=None):
    """Send the branches, each ringing for `seconds` at most (and answering anything at all
    within `first_reply_seconds`, when given). `run`: the flow state just stored, if any."""
    KSR.tm.t_set_fr(seconds * 1000, (first_reply_seconds or seconds) * 1000)
    KSR.tm.t_on_reply("ksr_onreply_media")
    KSR.tm.t_on_failure("ksr_failure_media")
    media_calls.on_relay(run)
    if KSR.tm.t_relay() < 0:
        media_calls.end_media()
        KSR.sl.sl_reply_error()
    return STOP


def final_destination(run, action):
    """The plan's end: a voicemail or an announcement (the media application answers), an
    external number through the carrier, or the end of the call."""
    if action.kind in ("voicemail", "announcement"):
        return media_calls.to_media(run, action)
    outcome = {"number": "carrier"}.get(action.kind, "480:hangup")
    log_route(tenant=run.tenant, caller=run.caller, dialled=run.dialled,
              decision=f"{action.kind}:{action.target or action.reason or ''}".rstrip(":"),
              outcome=outcome, range=run.range)
    carrier = Worker.store.carrier() if action.kind == "number" else None
    if carrier is not None:
        identity.forward(run)
        run.contacts = {}
        store_flow(run)
        number = external_form(action.target, access_code=run.access_code) or action.target
        send_to_carrier(number, carrier)
        return relay(DIRECT_RING_SECONDS, run=run)
    media_calls.end_media()
    record_refusal(480)
    return reply(480, "Nobody Answered")


# -- replies, failures and the end of calls ---------------------------------------------------
def onreply_media():
    """Replies of INVITEs: their SDP to rtpengine; on an answer, who answered."""
    try:
        status = int(KSR.pv.get("$rs") or 0)
        if status < 300:
            KSR.rtpengine.rtpengine_manage(RTPENGINE_FLAGS)
        if 200 <= status < 300 and not pv(ANSWERED_AVP):
            state = pv(ANSWER_AVP)                 # (only answers need it)
            if state:
                KSR.pv.seti(ANSWERED_AVP, 1)       # retransmitted 200s are not a new answer
                record_answer(AnswerState.loads(state))
        return 1
    except DatabaseUnavailable as exc:
        KSR.warn("vpbx: answer of %s not recorded (cyclic pointer): %s\n" % (pv("$ci"), exc))
        return 1
    except Exception:
        log_error("reply route")
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
    record("answer", callee=member or pv("$rU"), group_name=group, member=member)
    log_call("answered", tenant=state.tenant, member=member, group=group)


def failure_media():
    """The branches of a step all failed: the next step of the plan, else the end."""
    try:
        flow = pv(FLOW_AVP)
        if KSR.tm.t_is_canceled() > 0 or not flow:
            media_calls.end_media()
            log_call("cancelled" if KSR.tm.t_is_canceled() > 0 else pv("$T_reply_code"))
            record_refusal(487 if KSR.tm.t_is_canceled() > 0 else int(pv("$T_reply_code") or 0))
            return 1
        run = FlowRun.loads(flow)
        if run.held:                   # a pause is over (its branch timed out): ring now
            return ring_held(run)
        if (not run.steps and run.contacts and int(pv("$T_reply_code") or 0) in REDIRECT_CODES
                and follow_redirect(run)):
            return 1
        if not run.steps or not run.contacts:
            # a call to one user, or to the carrier: the callee's own answer goes back
            media_calls.end_media()
            log_call(pv("$T_reply_code"), tenant=run.tenant)
            record_refusal(int(pv("$T_reply_code") or 0))
            return 1
        log_route(tenant=run.tenant, caller=run.caller, dialled=run.dialled,
                  decision=f"group:{run.current_group}", outcome=f"no_answer:{pv('$T_reply_code')}",
                  range=run.range, rang=",".join(sorted(set(run.contacts.values()))))
        run.end_ring(time.monotonic())
        return next_action(run)
    except Exception:
        log_error("failure route")
        media_calls.end_media()
        return 1


def follow_redirect(run):
    """The called user's phone answered 301/302 (its own call forwarding): the platform
    follows the Contact as if that user had dialled it, instead of handing the 3xx to the
    caller (an outside caller's carrier could not follow an internal address). Another user
    rings, or the call goes out through the carrier with a Diversion (reason deflection).
    False: not followed (an unknown target, a loop), the 3xx goes back to the caller."""
    store = Worker.store
    forwarder = next(iter(set(run.contacts.values())))
    match = _CONTACT_USER.search(pv("$T_rpl($ct)") or "")
    run.redirects += 1
    tenant = store.tenant_by_id(run.tenant_id)
    target = (dialplan.resolve_user_call(store, tenant, match.group(1))
              if match and tenant and run.redirects <= MAX_REDIRECTS else None)
    carrier = store.carrier() if target is not None and target.external else None

    def log(outcome, decision="redirect", **extra):
        log_route(tenant=run.tenant, caller=run.caller, dialled=run.dialled, decision=decision,
                  outcome=outcome, forwarded_by=forwarder, **extra)

    if target is None or target.refused or (target.external and carrier is None):
        log(f"{pv('$T_reply_code')}:not_followed", redirects=run.redirects)
        return False
    if target.number_tenant is not None:      # a global number: its plan, from the start
        owner = target.number_tenant
        config, plan = number_plan(owner, target.number)
        run.tenant, run.tenant_id, run.range = owner.slug, owner.id, plan.range
        run.steps, run.step, run.ring, run.contacts = plan.steps, 0, 0, {}
        run.aors = member_aors(owner, config, plan.steps)
        log("plan", range=plan.range, number=target.number, plan=plan_text(plan.steps))
        next_action(run)
        return True
    if target.external:
        identity.forward(run, reason="deflection", forwarded_by=forwarder)
        run.contacts = {}
        store_flow(run)
        send_to_carrier(target.number, carrier)
        log("carrier", number=target.number)
        relay(DIRECT_RING_SECONDS, first_reply_seconds=CARRIER_REPLY_SECONDS, run=run)
        return True
    user = target.user
    KSR.pv.sets("$ru", user.aor)
    if KSR.registrar.lookup("location") < 0:
        log(f"{pv('$T_reply_code')}:not_followed", decision=f"redirect:{user.extension}",
            reason="not_registered")
        return False
    run.aors = {user.extension: user.aor}
    run.contacts = {contact_key(uri): user.extension for uri in dset_uris()}
    store_flow(run)
    log("ring", decision=f"redirect:{user.extension}", branches=len(run.contacts))
    relay(DIRECT_RING_SECONDS, run=run)
    return True


def dialog_event(event):
    """A dialog ended: its users are idle from now (the least-active distribution)."""
    try:
        if event != "dialog:end":
            return 1
        parties = pv("$dlg_var(%s)" % PARTIES_VAR)
        # the parties' end time goes with the record (vpbx.records.call_records writes it to users)
        record("end", final_code=200, outcome="answered", **({"parties": parties} if parties else {}))
        ended = []
        for item in filter(None, parties.split(",")):
            tenant_id, extension = item.split(":", 1)
            ended.append((int(tenant_id), extension))
        if ended:
            refresh_configuration()        # who is in a least-active group now
            Worker.store.record_call_end(ended)
        return 1
    except DatabaseUnavailable as exc:
        KSR.warn("vpbx: end of call %s not recorded (idle times): %s\n" % (pv("$ci"), exc))
        return 1
    except Exception:
        log_error("dialog event")
        return 1
