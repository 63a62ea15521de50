"""Calls the media application answers (SPEC F5, F7): voicemail, announcements, and the
remote access to a mailbox.

The call is relayed (with rtpengine kept on it) to the media application, whose Request-URI
says what for: sip:vm-<E.164 digits>@<media> or sip:ann-<audio id>@<media>. Only Kamailio
can reach the media app (it refuses any other source), so nothing a phone writes can choose
a mailbox.
"""
import KSR

from legs import DIRECT_RING_SECONDS, anchor_call, record_refusal, record_start, relay, store_flow
from media import end_media
from sip import Worker, log_route, reply
from vpbx.engine.plan_runner import FlowRun
from vpbx.voicemail import store as media_store

MEDIA_REPLY_SECONDS = 3            # a media application that answers nothing by then is down


def media_address():
    """host:port of the media application."""
    return "%s:%d" % (Worker.cfg.media_address, Worker.cfg.media_port)


def relay_to_media(service, run):
    """The call to the media application's `service`; `run`: its flow state, stored here."""
    store_flow(run)
    KSR.pv.sets("$ru", "sip:%s@%s" % (service, media_address()))
    return relay(DIRECT_RING_SECONDS, run, first_reply_seconds=MEDIA_REPLY_SECONDS)


def to_media(run, action):
    """The plan ends at a voicemail or an announcement (`action`): relay the call to the
    media app, or 480 when the mailbox or the announcement is missing or off."""
    decision = "%s:%s" % (action.kind, action.target or "")
    if action.kind == "voicemail":
        box = Worker.store.mailbox(run.tenant_id, action.target)
        if box is None:
            return refuse(run, decision, "480:no_such_voicemail", "Voicemail Not Found")
        if box["mode"] == "disabled":
            return refuse(run, decision, "480:voicemail_disabled", "Voicemail Disabled")
        service = "vm-" + action.target.lstrip("+")
    else:
        row = Worker.store.read(lambda cur: media_store.audio_by_name(
            cur, run.tenant_id, "announcement", action.target))
        if row is None:
            return refuse(run, decision, "480:no_such_announcement", "Announcement Not Found")
        service = "ann-%d" % row["id"]
    log_route(tenant=run.tenant, caller=run.caller, dialled=run.dialled, decision=decision,
              outcome="media", range=run.range, service=service)
    run.contacts = {}
    run.media = "%s:%s" % (action.kind, action.target)    # the call record's outcome if answered
    return relay_to_media(service, run)


def refuse(run, decision, outcome, reason):
    log_route(tenant=run.tenant, caller=run.caller, dialled=run.dialled, decision=decision,
              outcome=outcome, range=run.range)
    end_media()
    record_refusal(480)
    return reply(480, reason)


def voicemail_access(decision, caller, dialled):
    """A phone dialled 086 + one of its tenant's global numbers (the Decision TO_MEDIA): that
    number's mailbox (* during the greeting, then the PIN)."""
    tenant = decision.tenant
    # the call is the tenant's (the owner's, from one of its phones): recorded as the others
    record_start(tenant.id, caller, dialled, decision.caller_party, decision.label)
    if refused := anchor_call(decision.caller_party):
        log_route(tenant=tenant.slug, caller=caller, dialled=dialled, decision=decision.label,
                  outcome=refused.outcome)
        record_refusal(refused.code)
        return reply(refused.code, refused.reason)
    run = FlowRun(tenant.slug, tenant.id, caller, dialled, None, [],
                  caller_party=decision.caller_party, media=decision.label)
    log_route(tenant=tenant.slug, caller=caller, dialled=dialled, decision=decision.label,
              outcome="media", service=decision.service)
    return relay_to_media(decision.service, run)
