"""Calls the media application answers, and what rtpengine plays into calls (SPEC F5, F7).

- `to_media`: the end of a plan at a voicemail or an announcement: the call is relayed (with
  rtpengine kept on it) to the media application, whose Request-URI says what for:
  sip:vm-<E.164 digits>@<media> or sip:ann-<audio id>@<media>. Only Kamailio can reach the
  media app (it refuses any other source), so nothing a phone writes can choose a mailbox.
- `voicemail_access`: a phone dialling 086 + one of its tenant's global numbers reaches that
  number's mailbox (remote access: * during the greeting, then the PIN).
- `in_dialog_invite`: a re-INVITE that puts a call on hold makes rtpengine play the tenant's
  music on hold to the held party; the re-INVITE that resumes it stops the music.
- `on_relay`: every relayed new call remembers its tenant in the dialog (for the music on
  hold of its later re-INVITEs); a group with a ringback tone starts it (`start_ringback`),
  and the first answer (`on_reply`) or the end of the call (`on_failure`) stops it.
"""
import os
import socket

import KSR

import calls
from sip import Worker, log_error, log_route, pv, reply
from vpbx.voicemail import store as media_store
from vpbx.engine.plan_runner import FlowRun
from vpbx.model.numbers import external_form, international_form

MEDIA_REPLY_SECONDS = 3            # a media application that answers nothing by then is down
ACCESS_PREFIX = "086"
TENANT_VAR = "vpbx_tid"            # dialog variable: the tenant whose call this is
HOLD_VAR = "vpbx_moh"              # dialog variable: "<held tag> <holder tag>" during a hold


class _Media:
    relayed = False        # set by on_relay: the failure route went on with new branches


RELAY_PING_SECONDS = 0.2        # rtpengine that does not answer a ping by then is away
END_MEDIA_TIMEOUT = 0.2         # seconds: a delete rtpengine has not answered by then is lost


def media_address():
    """host:port of the media application."""
    return "%s:%d" % (Worker.cfg.media_address, Worker.cfg.media_port)


def _db(work):
    return Worker.store.read(work)


# -- voicemail and announcements at the end of a plan -------------------------------------------
def to_media(run, action):
    """The plan ends at a voicemail or an announcement: relay the call to the media app."""
    decision = "%s:%s" % (action.kind, action.target or "")
    if action.kind == "voicemail":
        box = _db(lambda cur: media_store.mailbox_of_tenant(cur, run.tenant_id, action.target))
        if box is None:
            return refuse(run, decision, "480:no_such_voicemail", "Voicemail Not Found")
        if box["mode"] == "disabled":
            return refuse(run, decision, "480:voicemail_disabled", "Voicemail Disabled")
        service = "vm-" + action.target.lstrip("+")
    else:
        row = _db(lambda cur: media_store.audio_by_name(cur, run.tenant_id, "announcement",
                                                         action.target))
        if row is None:
            return refuse(run, decision, "480:no_such_announcement", "Announcement Not Found")
        service = "ann-%d" % row["id"]
    log_route(tenant=run.tenant, caller=run.caller, dialled=run.dialled, decision=decision,
              outcome="media", range=run.range, service=service)
    run.contacts = {}
    calls.store_flow(run)
    KSR.pv.sets("$ru", "sip:%s@%s" % (service, media_address()))
    return calls.relay(calls.DIRECT_RING_SECONDS, first_reply_seconds=MEDIA_REPLY_SECONDS)


def refuse(run, decision, outcome, reason):
    log_route(tenant=run.tenant, caller=run.caller, dialled=run.dialled, decision=decision,
              outcome=outcome, range=run.range)
    end_media()
    return reply(480, reason)


def end_media():
    """The call's media session at rtpengine ends (hang-up, cancel, final failure).

    Kamailio's rtpengine module sends no command for a call it anchored on a relay it has
    since marked unavailable (one command answered too late), until a new call re-probes
    that relay: the delete then goes straight to rtpengine, briefly (an rtpengine that is
    really down costs the request a fifth of a second), so that no session is left behind.
    """
    if KSR.rtpengine.rtpengine_delete0() > 0:
        return
    try:
        NgClient(Worker.cfg.rtp_ng_port, timeout=END_MEDIA_TIMEOUT).request(
            "delete", **{"call-id": pv("$ci")})
    except NgError:
        pass                # rtpengine has no such call: deleted already, or never anchored
    except OSError as exc:
        KSR.warn("vpbx: media session of %s not deleted: %s\n" % (pv("$ci"), exc))


# -- remote access: 086 + global number ---------------------------------------------------------
def is_voicemail_access(dialled):
    return dialled.startswith(ACCESS_PREFIX) and len(dialled) > len(ACCESS_PREFIX) + 6


def voicemail_access(tenant, config, caller, dialled, caller_party):
    """A phone of `tenant` dialled 086 + a global number: that number's mailbox, if it is
    one of the tenant's own numbers."""
    rest = dialled[len(ACCESS_PREFIX):]
    number = international_form(rest) or external_form(rest, access_code=False)
    if number is None or number not in {n.number for n in config.numbers or []}:
        log_route(tenant=tenant.slug, caller=caller, dialled=dialled,
                  decision="voicemail_access", outcome=404)
        return reply(404, "Not Found")
    box = _db(lambda cur: media_store.mailbox_of_tenant(cur, tenant.id, number))
    if box is None or box["mode"] == "disabled":
        log_route(tenant=tenant.slug, caller=caller, dialled=dialled,
                  decision="voicemail_access:%s" % number, outcome="480:voicemail_disabled")
        return reply(480, "Voicemail Disabled")
    if refused := calls.anchor_call(caller_party):
        log_route(tenant=tenant.slug, caller=caller, dialled=dialled,
                  decision="voicemail_access:%s" % number, outcome=refused.outcome)
        return reply(refused.code, refused.reason)
    run = FlowRun(tenant.slug, tenant.id, caller, dialled, None, [], caller_party=caller_party)
    calls.store_flow(run)
    service = "vm-" + number.lstrip("+")
    KSR.pv.sets("$ru", "sip:%s@%s" % (service, media_address()))
    log_route(tenant=tenant.slug, caller=caller, dialled=dialled,
              decision="voicemail_access:%s" % number, outcome="media", service=service)
    return calls.relay(calls.DIRECT_RING_SECONDS, first_reply_seconds=MEDIA_REPLY_SECONDS)


# -- every relayed call ---------------------------------------------------------------------------
def on_relay(run=None):
    """Called just before a new call's branches are relayed (request or failure route);
    `run`: the call's flow state when the caller has it at hand (else read from its AVP)."""
    _Media.relayed = True
    try:
        if run is None:
            flow = pv(calls.FLOW_AVP)
            if not flow:
                return
            run = FlowRun.loads(flow)
        if not pv("$dlg_var(%s)" % TENANT_VAR):
            KSR.pv.sets("$dlg_var(%s)" % TENANT_VAR, str(run.tenant_id))
        group = run.current_group if run.contacts else None
        if group and not pv(RINGBACK_AVP):
            start_ringback(run, group)
    except Exception:   # noqa: BLE001 - a ringback tone is never worth failing the call
        log_error("ringback")


# -- ringback tones -------------------------------------------------------------------------------
# While a group with a ringback tone rings, the caller gets early media: a 183 with SDP from a
# side call of rtpengine ("<Call-ID>-rbt", answered by no one) into which rtpengine plays the
# tone. When a branch answers (a member, or the media app after the no-answer rule), the side
# call is deleted before the 200 goes on: the caller's phone takes the 200's SDP (a forked
# answer after early media) and hears the call's own media from then on.
RINGBACK_AVP = "$avp(vpbx_rbt)"          # the side call's Call-ID while the tone plays
_FAKE_CALLEE = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=ringback\r\nc=IN IP4 127.0.0.1\r\n"
                "t=0 0\r\nm=audio 9 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n"
                "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")


def start_ringback(run, group):
    row = Worker.store.group_ringback(run.tenant_id, group)      # cached per generation
    if row is None:
        return
    path = media_store.abs_path(Worker.cfg.data_dir, row["path"])
    offer = pv("$rb")                       # the caller's own SDP (lumps are not applied)
    if "m=audio" not in offer:
        return
    side = pv("$ci") + "-rbt"
    client = NgClient(Worker.cfg.rtp_ng_port)
    common = {"call-id": side, "from-tag": pv("$ft"), "replace": ["origin", "session-connection"],
              "ICE": "remove"}
    client.request("offer", sdp=offer, **common)
    try:
        answer = client.request("answer", sdp=_FAKE_CALLEE, **{**common, "to-tag": "ringback"})
        client.request("play media", **{"call-id": side, "from-tag": pv("$ft"), "file": path,
                                        "repeat-times": 1000})
        KSR.textops.set_reply_body(answer["sdp"], "application/sdp")
        if KSR.tm.t_reply(183, "Session Progress") < 0:
            raise NgError("the 183 could not be sent")
    except Exception:
        client.request("delete", **{"call-id": side})
        raise
    KSR.pv.sets(RINGBACK_AVP, side)
    KSR.info("vpbx: ringback tone of group %s for %s\n" % (group, pv("$ci")))


def stop_ringback():
    side = pv(RINGBACK_AVP)
    if side:
        try:
            NgClient(Worker.cfg.rtp_ng_port).request("delete", **{"call-id": side})
        except (OSError, NgError) as exc:
            KSR.warn("vpbx: ringback side call %s not deleted: %s\n" % (side, exc))
        KSR.pv.sets(RINGBACK_AVP, "")


def on_reply():
    """Replies of a call's INVITE (before calls.onreply_media): an answer ends the ringback."""
    try:
        if 200 <= int(KSR.pv.get("$rs") or 0) < 300 and pv(RINGBACK_AVP):
            stop_ringback()
    except Exception:   # noqa: BLE001
        log_error("ringback reply")


def on_pause():
    """The plan waits before its next ring (calls.wait_then_ring): the call goes on, and so
    does its ringback tone."""
    _Media.relayed = True


def stop_ringback_of_cancelled_call():
    """The ringback side call of a call whose caller hung up during a pause (from the CANCEL:
    the INVITE's AVPs are out of reach, the side call is named after the Call-ID)."""
    try:
        NgClient(Worker.cfg.rtp_ng_port).request("delete", **{"call-id": pv("$ci") + "-rbt"})
    except NgError:
        pass                            # no tone was playing: rtpengine knows no such call
    except OSError as exc:
        KSR.warn("vpbx: ringback side call of %s not deleted: %s\n" % (pv("$ci"), exc))


def on_failure(failure_route):
    """Runs the failure route; when it relayed no new branch, the call is over: so is its
    ringback tone."""
    _Media.relayed = False
    try:
        return failure_route()
    finally:
        if not _Media.relayed:
            try:
                stop_ringback()
            except Exception:   # noqa: BLE001
                log_error("ringback end")


# -- rtpengine's ng protocol (for the side call, which KSR.rtpengine cannot address) ---------------
class NgError(RuntimeError):
    pass


def _bencode(value):
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, (list, tuple)):
        return b"l" + b"".join(_bencode(item) for item in value) + b"e"
    if isinstance(value, dict):
        return b"d" + b"".join(_bencode(key) + _bencode(value[key])
                               for key in sorted(value)) + b"e"
    raise TypeError("cannot bencode %r" % (value,))


def _bdecode(data, index=0):
    kind = data[index:index + 1]
    if kind == b"i":
        end = data.index(b"e", index)
        return int(data[index + 1:end]), end + 1
    if kind in (b"l", b"d"):
        items, index = [], index + 1
        while data[index:index + 1] != b"e":
            item, index = _bdecode(data, index)
            items.append(item)
        if kind == b"l":
            return items, index + 1
        return dict(zip(items[::2], items[1::2])), index + 1
    colon = data.index(b":", index)
    length = int(data[index:colon])
    text = data[colon + 1:colon + 1 + length]
    return text.decode("utf-8", "replace"), colon + 1 + length


class NgClient:
    """Minimal ng client (Kamailio's embedded Python has no bencode package)."""

    def __init__(self, port, host="127.0.0.1", timeout=0.5):
        self.address, self.timeout = (host, port), timeout

    def request(self, command, **params):
        cookie = os.urandom(6).hex().encode()
        message = {"command": command, **params}
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(self.timeout)
            sock.sendto(cookie + b" " + _bencode(message), self.address)
            while True:
                data, _ = sock.recvfrom(65535)
                got, _sep, body = data.partition(b" ")
                if got == cookie:
                    break
        reply = _bdecode(body)[0]
        if reply.get("result") == "error":
            raise NgError("%s: %s" % (command, reply.get("error-reason")))
        return reply


def relay_answers():
    """Whether rtpengine answers (a ping on its control port) right now."""
    try:
        NgClient(Worker.cfg.rtp_ng_port, timeout=RELAY_PING_SECONDS).request("ping")
        return True
    except (OSError, NgError, ValueError):
        return False


# -- music on hold --------------------------------------------------------------------------------
def _holds(body):
    """Whether an SDP body puts its sender's peer on hold (sendonly / inactive / 0.0.0.0)."""
    text = body.replace("\r", "")
    return ("\na=sendonly" in text or "\na=inactive" in text
            or "\nc=IN IP4 0.0.0.0" in text)


def music_file(tenant_id):
    """The tenant's selected music on hold, else the platform's default."""
    cfg = Worker.cfg
    row = _db(lambda cur: media_store.selected_music(cur, tenant_id)) if tenant_id else None
    if row is not None:
        try:
            return media_store.abs_path(cfg.data_dir, row["path"])
        except ValueError:
            pass
    return "%s/prompts/music_on_hold.wav" % cfg.data_dir


def in_dialog_invite():
    """A re-INVITE (after loose_route and rtpengine's offer): music on hold for the other
    party when it puts the call on hold, stopped when it resumes it."""
    try:
        body = pv("$rb")
        if "m=audio" not in body:
            return
        held_tag = pv("$tt")               # the party the sender of this re-INVITE talks to
        holder_tag = pv("$ft")
        playing, _sep, holder = pv("$dlg_var(%s)" % HOLD_VAR).partition(" ")
        if _holds(body):
            if playing:
                return
            tenant_id = pv("$dlg_var(%s)" % TENANT_VAR)
            path = music_file(int(tenant_id) if tenant_id.isdigit() else None)
            # what the holder still sends must not mix with the music
            KSR.rtpengine.block_media("from-tag=%s" % holder_tag)
            if KSR.rtpengine.play_media("from-tag=%s file=%s repeat-times=1000"
                                        % (held_tag, path)) > 0:
                KSR.pv.sets("$dlg_var(%s)" % HOLD_VAR, "%s %s" % (held_tag, holder_tag))
                KSR.info("vpbx: music on hold for %s in %s\n" % (held_tag, pv("$ci")))
            else:
                KSR.rtpengine.unblock_media("from-tag=%s" % holder_tag)
                KSR.warn("vpbx: music on hold could not start in %s\n" % pv("$ci"))
        elif playing and holder == holder_tag:      # resumed by the one who held
            KSR.rtpengine.stop_media("from-tag=%s" % playing)
            KSR.rtpengine.unblock_media("from-tag=%s" % holder_tag)
            KSR.pv.sets("$dlg_var(%s)" % HOLD_VAR, "")
            KSR.info("vpbx: music on hold stopped for %s in %s\n" % (playing, pv("$ci")))
    except Exception:   # noqa: BLE001 - music is never worth failing the re-INVITE
        log_error("music on hold")
