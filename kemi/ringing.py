"""A plan's steps, carried out: the members of a step ring (their registered phones, each
step's ring time as the branches' timeout), a pause when a member rang moments ago, the
next step from the failure route when nobody answered, and the plan's final destination.

The plan comes from vpbx.engine.decision (start_flow); its progress is vpbx.engine.plan_runner's
FlowRun, which travels with the transaction in AVPs (legs.store_flow).
"""
import datetime
import re
import time
from dataclasses import replace

import KSR

import identity
from legs import (DIRECT_RING_SECONDS, FLOW_AVP, anchor_call, dset_uris, branch_count,
                  record_refusal, record_start, relay, relay_to_carrier, send_to_carrier,
                  store_flow)
from media import end_media, on_pause, stop_ringback_of_cancelled_call
from media_app import to_media
from sip import STOP, Worker, kemi_callback, log_call, log_route, pv, reply
from vpbx.engine import dial_plan
from vpbx.engine.call_plan import derived
from vpbx.engine.decision import plan_of_number
from vpbx.engine.plan_runner import FlowRun, contact_key
from vpbx.live import busy
from vpbx.model.numbers import destination_number

PAUSED_FLAG = 1                     # the INVITE's transaction waits out a pause (wait_then_ring)
REDIRECT_CODES = (301, 302)         # a phone's own call forwarding (Moved)
MAX_REDIRECTS = 3                   # then the phones' forwarding loops: the 3xx goes back
_CONTACT_USER = re.compile(r"sips?:([^@;>]+)@")


def start_flow(decision, caller, dialled):
    """A call to a global number or a group (the Decision START_PLAN): log the plan, anchor
    the media and take its first action."""
    tenant, plan, extra = decision.tenant, decision.plan, decision.log_fields
    steps = plan.steps      # (what is derived from them is computed once when they are shared)
    aors = member_aors(tenant, decision.config, steps)
    run = FlowRun(tenant.slug, tenant.id, caller, dialled, plan.range, steps, aors=aors,
                  caller_party=decision.caller_party, access_code=tenant.access_code)
    log_route(tenant=tenant.slug, caller=caller, dialled=dialled, decision=decision.label,
              outcome="plan", range=plan.range, plan=derived(steps, "plan_text", plan_text),
              **extra)
    record_start(tenant.id, caller, dialled, decision.caller_party,
                 derived(steps, "route", route_text), on_net=decision.on_net)
    if refused := anchor_call(decision.caller_party):
        log_route(tenant=tenant.slug, caller=caller, dialled=dialled, decision="media",
                  outcome=refused.outcome, **extra)
        return reply(refused.code, refused.reason)
    return next_action(run)


def plan_text(steps):
    """A plan's steps as the NOC's log shows them: kind:name>kind:name…"""
    return ">".join(f"{s['kind']}:{s.get('name') or ''}" for s in steps)


def route_text(steps):
    """A plan's steps as the call record's route: kind:name>kind>…"""
    return ">".join(f"{s['kind']}:{s.get('name') or ''}".rstrip(":") for s in steps)


def member_aors(tenant, config, steps):
    """extension → SIP address of record, for the members the plan may ring (only those:
    the flow state travels with every reply of the call). Shared steps share it too."""
    known = Worker.store.member_aors(tenant, config)
    return derived(steps, "aors", lambda _: {
        member: known[member] for step in steps if step["kind"] == "group"
        for ring in step["ring"] for member in ring["members"] if member in known}, along=known)


# -- one step at a time ------------------------------------------------------------------------
def member_available(run, extension):
    """Can this member ring now: a phone registered, and not already in a call?"""
    aor = run.aors.get(extension)
    if aor is None or KSR.registrar.registered_uri("location", aor) < 0:
        return False
    value = busy.party(run.tenant_id, extension)
    if KSR.dialog.get_profile_size(busy.profile_of(value), value, "$var(vpbx_busy)") < 0:
        KSR.err("vpbx: busy state of %s unknown (dialog profile): rings\n" % value)
        return True         # ($var keeps an earlier member's count: never read it then)
    return int(KSR.pv.get("$var(vpbx_busy)") or 0) == 0


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
    on_pause()
    return STOP


def end_paused_call():
    """The caller hung up (CANCEL) during a pause: tm answers 487 itself and no failure
    route follows, as no branch was sent; the call ends here."""
    end_media()
    stop_ringback_of_cancelled_call()
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
    return relay(action.seconds, run)


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


def final_destination(run, action):
    """The plan's end: a voicemail or an announcement (the media application answers), an
    external number through the carrier, or the end of the call."""
    if action.kind in ("voicemail", "announcement"):
        return to_media(run, action)
    outcome = {"number": "carrier"}.get(action.kind, "480:hangup")
    log_route(tenant=run.tenant, caller=run.caller, dialled=run.dialled,
              decision=f"{action.kind}:{action.target or action.reason or ''}".rstrip(":"),
              outcome=outcome, range=run.range)
    carrier = Worker.store.carrier() if action.kind == "number" else None
    if carrier is not None:
        identity.forward(run)
        run.contacts = {}
        store_flow(run)
        # stored in E.164; a number stored as written before then is read as it was written
        number = destination_number(action.target, access_code=run.access_code) or action.target
        send_to_carrier(number, carrier)
        return relay_to_carrier(run)
    end_media()
    record_refusal(480)
    return reply(480, "Nobody Answered")


# -- the failure route ----------------------------------------------------------------------------
@kemi_callback("failure route", then=end_media)
def failure_media():
    """The branches of a step all failed: the next step of the plan, else the end."""
    flow = pv(FLOW_AVP)
    if KSR.tm.t_is_canceled() > 0 or not flow:
        end_media()
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
        end_media()
        log_call(pv("$T_reply_code"), tenant=run.tenant)
        record_refusal(int(pv("$T_reply_code") or 0))
        return 1
    log_route(tenant=run.tenant, caller=run.caller, dialled=run.dialled,
              decision=f"group:{run.current_group}", outcome=f"no_answer:{pv('$T_reply_code')}",
              range=run.range, rang=",".join(sorted(set(run.contacts.values()))))
    run.end_ring(time.monotonic())
    return next_action(run)


def follow_redirect(run):
    """The called user's phone answered 301/302 (its own call forwarding): the platform
    follows the Contact as if that user had dialled it (vpbx.engine.dial_plan), instead of
    handing the 3xx to the caller (an outside caller's carrier could not follow an internal
    address). Another user rings, or the call goes out through the carrier with a Diversion
    (reason deflection). False: not followed (an unknown target, a loop), the 3xx goes back
    to the caller."""
    store = Worker.store
    forwarder = next(iter(set(run.contacts.values())))
    match = _CONTACT_USER.search(pv("$T_rpl($ct)") or "")
    run.redirects += 1
    tenant = store.tenant_by_id(run.tenant_id)
    target = (dial_plan.resolve_user_call(store, tenant, match.group(1))
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
        config, plan = plan_of_number(owner, target.number,
                                      datetime.datetime.now(datetime.timezone.utc), store)
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
        relay_to_carrier(run)
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
    relay(DIRECT_RING_SECONDS, run)
    return True
