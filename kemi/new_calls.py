"""A new call: read the INVITE (who sends it, who calls, what was dialled), ask
vpbx.engine.decision what to do with it, and do that: refuse, ring a user, start a plan
(ringing.py), go out through the carrier, or go to the media application (media_app.py)."""
import datetime

import KSR

import digest
import identity
from legs import (DIRECT_RING_SECONDS, anchor_call, comes_from,
                  drop_claimed_identity, dset_uris, record_refusal, record_start, relay,
                  relay_to_carrier, send_to_carrier, store_flow, take_transaction)
from media_app import voicemail_access
from ringing import start_flow
from sip import STOP, Worker, dialled_number, log_route, pv, reply
from vpbx.engine import decision as engine
from vpbx.engine.plan_runner import FlowRun, contact_key


def route_initial_invite(in_transaction=False):
    """A new call; `in_transaction`: its transaction exists already (legs.transaction_first).
    A call from the carrier is trusted by its source address; any other must come from a
    phone that passes digest authentication (else it is challenged or refused here)."""
    store = Worker.store
    if comes_from(store.carrier()):
        if not (in_transaction or take_transaction()):
            return STOP
        facts = engine.CallFacts(engine.FROM_CARRIER, dialled_number(), now(), pv("$fU"))
    else:
        tenant = digest.authenticated_tenant(pv("$fd"), pv("$fU"))
        if tenant is None or not (in_transaction or take_transaction()):
            return STOP
        drop_claimed_identity()
        facts = engine.CallFacts(engine.FROM_USER, dialled_number(), now(), pv("$fU"), tenant)
    return carry_out(engine.decide(facts, store), facts.caller, facts.dialled)


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def carry_out(decision, caller, dialled):
    """Do what `decision` (vpbx.engine.decision.Decision) says with the INVITE being routed."""
    if decision.kind == engine.START_PLAN:
        return start_flow(decision, caller, dialled)
    if decision.kind == engine.RING_USER:
        return ring_user(decision, caller, dialled)
    if decision.kind == engine.TO_CARRIER:
        return route_to_carrier(decision, caller, dialled)
    if decision.kind == engine.TO_MEDIA:
        return voicemail_access(decision, caller, dialled)
    return refuse(decision, caller, dialled)


def refuse(decision, caller, dialled):
    """The call is refused before anything rings (the Decision REFUSE)."""
    log_route(tenant=decision.tenant_slug, caller=caller, dialled=dialled,
              decision=decision.label, outcome=decision.outcome, **decision.log_fields)
    if decision.recorded:
        record_start(None, caller, dialled, decision.caller_party, decision.label,
                     decision.on_net)
        record_refusal(decision.code)
    return reply(decision.code, decision.reason)


def ring_user(decision, caller, dialled):
    """Ring every registered phone of one user through rtpengine (the Decision RING_USER)."""
    user, label, extra = decision.user, decision.label, decision.log_fields
    caller_party = decision.caller_party
    record_start(user.tenant_id, caller, dialled, caller_party, label, decision.on_net)
    KSR.pv.sets("$ru", user.aor)
    found = KSR.registrar.lookup("location")
    if found < 0:
        code, reason = (405, "Method Not Allowed") if found == -2 else (480, "Temporarily Unavailable")
        log_route(tenant=decision.tenant_slug, caller=caller, dialled=dialled, decision=label,
                  outcome=code, callee_tenant=user.tenant_slug, **extra)
        record_refusal(code)
        return reply(code, reason)
    if refused := anchor_call(caller_party):
        log_route(tenant=decision.tenant_slug, caller=caller, dialled=dialled, decision=label,
                  outcome=refused.outcome, **extra)
        return reply(refused.code, refused.reason)
    run = FlowRun(user.tenant_slug, user.tenant_id, caller, dialled, None, [],
                  aors={user.extension: user.aor}, caller_party=caller_party)
    run.contacts = {contact_key(uri): user.extension for uri in dset_uris()}
    store_flow(run)
    log_route(tenant=decision.tenant_slug, caller=caller, dialled=dialled, decision=label,
              outcome="ring", callee_tenant=user.tenant_slug, branches=len(run.contacts),
              **extra)
    return relay(DIRECT_RING_SECONDS, run)


def route_to_carrier(decision, caller, dialled):
    """An external call (the Decision TO_CARRIER): out through the carrier's trunk, in E.164,
    showing the number the decision presents."""
    tenant, number, caller_party = decision.tenant, decision.number, decision.caller_party
    if refused := anchor_call(caller_party):
        log_route(tenant=tenant.slug, caller=caller, dialled=dialled, decision=decision.label,
                  outcome=refused.outcome, number=number)
        return reply(refused.code, refused.reason)
    identity.show_number(decision.presented, tenant.domain)
    send_to_carrier(number, decision.carrier)
    run = FlowRun(tenant.slug, tenant.id, caller, dialled, None, [], caller_party=caller_party)
    store_flow(run)
    log_route(tenant=tenant.slug, caller=caller, dialled=dialled, decision=decision.label,
              outcome="carrier", number=number, presented=decision.presented)
    record_start(None, caller, dialled, caller_party, f"carrier:{number}", on_net=False)
    return relay_to_carrier(run)
