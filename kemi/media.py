"""A call's media at rtpengine: its end, the ringback tone while a group rings, music on hold.

- `end_media`: the call's media session ends (hang-up, cancel, final failure), even when
  Kamailio's rtpengine module would send nothing.
- `on_relay`: every relayed new call remembers its tenant in the dialog (for the music on
  hold of its later re-INVITEs); a group with a ringback tone starts it (`start_ringback`),
  and the first answer (`on_reply`) or the end of the call (`on_failure`) stops it.
- `in_dialog_invite`: a re-INVITE that puts a call on hold makes rtpengine play the tenant's
  music on hold to the held party; the re-INVITE that resumes it stops the music.

What KSR.rtpengine cannot address (a side call, a delete after the module gave up on a relay,
a ping) goes over rtpengine's ng protocol with rtpengine.ngclient.
"""
import KSR

from rtpengine.ngclient import NgClient, NgError, NgNoAnswer
from sip import Worker, kemi_callback, pv
from vpbx.voicemail import store as media_store

TENANT_VAR = "vpbx_tid"            # dialog variable: the tenant whose call this is
HOLD_VAR = "vpbx_moh"              # dialog variable: "<held tag> <holder tag>" during a hold
NG_TIMEOUT = 0.5                   # seconds for rtpengine's answer to an ng command
RELAY_PING_SECONDS = 0.2           # rtpengine that does not answer a ping by then is away
END_MEDIA_TIMEOUT = 0.2            # seconds: a delete rtpengine has not answered by then is lost


class _Media:
    relayed = False        # set by on_relay: the failure route went on with new branches


def ng_client(timeout=NG_TIMEOUT):
    """The ng client of this platform's rtpengine."""
    return NgClient(port=Worker.cfg.rtp_ng_port, timeout=timeout)


def end_media():
    """The call's media session at rtpengine ends (hang-up, cancel, final failure).

    Kamailio's rtpengine module sends no command for a call it anchored on a relay it has
    since marked unavailable (one command answered too late), until a new call re-probes
    that relay: the delete then goes straight to rtpengine, briefly (an rtpengine that is
    really down costs the request a fifth of a second), so that no session is left behind.
    """
    if KSR.rtpengine.rtpengine_delete0() > 0:
        return
    delete_session(pv("$ci"), "media session of %s" % pv("$ci"), timeout=END_MEDIA_TIMEOUT)


def delete_session(call_id, what, timeout=NG_TIMEOUT):
    """rtpengine's session `call_id` is deleted; one it does not know is deleted already (or
    was never made); `what` names it in the warning when rtpengine cannot be reached."""
    try:
        ng_client(timeout).request("delete", call_id=call_id)
    except (NgNoAnswer, OSError) as exc:
        KSR.warn("vpbx: %s not deleted: %s\n" % (what, exc))
    except NgError:
        pass                # rtpengine has no such call


def relay_answers():
    """Whether rtpengine answers (a ping on its control port) right now."""
    try:
        ng_client(RELAY_PING_SECONDS).request("ping")
        return True
    except (OSError, NgError, ValueError):
        return False


# -- every relayed call ---------------------------------------------------------------------------
@kemi_callback("ringback", answer=None)     # a ringback tone is never worth failing the call
def on_relay(run):
    """Called just before a new call's branches are relayed (request or failure route), with
    the call's flow state `run`."""
    _Media.relayed = True
    if not pv("$dlg_var(%s)" % TENANT_VAR):
        KSR.pv.sets("$dlg_var(%s)" % TENANT_VAR, str(run.tenant_id))
    group = run.current_group if run.contacts else None
    if group and not pv(RINGBACK_AVP):
        start_ringback(run, group)


def on_pause():
    """The plan waits before its next ring (ringing.wait_then_ring): the call goes on, and
    so does its ringback tone."""
    _Media.relayed = True


def on_failure(failure_route):
    """Runs the failure route; when it relayed no new branch, the call is over: so is its
    ringback tone."""
    _Media.relayed = False
    try:
        return failure_route()
    finally:
        if not _Media.relayed:
            end_ringback()


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
    client = ng_client()
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
        client.request("delete", call_id=side)
        raise
    KSR.pv.sets(RINGBACK_AVP, side)
    KSR.info("vpbx: ringback tone of group %s for %s\n" % (group, pv("$ci")))


def stop_ringback():
    side = pv(RINGBACK_AVP)
    if side:
        try:
            ng_client().request("delete", call_id=side)
        except (OSError, NgError) as exc:
            KSR.warn("vpbx: ringback side call %s not deleted: %s\n" % (side, exc))
        KSR.pv.sets(RINGBACK_AVP, "")


@kemi_callback("ringback end", answer=None)
def end_ringback():
    """The call is over: so is its ringback tone, if one plays."""
    stop_ringback()


@kemi_callback("ringback reply", answer=None)
def on_reply():
    """Replies of a call's INVITE (before answers.onreply_media): an answer ends the ringback."""
    if 200 <= int(KSR.pv.get("$rs") or 0) < 300 and pv(RINGBACK_AVP):
        stop_ringback()


def stop_ringback_of_cancelled_call():
    """The ringback side call of a call whose caller hung up during a pause (from the CANCEL:
    the INVITE's AVPs are out of reach, the side call is named after the Call-ID)."""
    delete_session(pv("$ci") + "-rbt", "ringback side call of %s" % pv("$ci"))


# -- music on hold --------------------------------------------------------------------------------
def _holds(body):
    """Whether an SDP body puts its sender's peer on hold (sendonly / inactive / 0.0.0.0)."""
    text = body.replace("\r", "")
    return ("\na=sendonly" in text or "\na=inactive" in text
            or "\nc=IN IP4 0.0.0.0" in text)


def music_file(tenant_id):
    """The tenant's selected music on hold, else the platform's default."""
    cfg = Worker.cfg
    row = (Worker.store.read(lambda cur: media_store.selected_music(cur, tenant_id))
           if tenant_id else None)
    if row is not None:
        try:
            return media_store.abs_path(cfg.data_dir, row["path"])
        except ValueError:
            pass
    return "%s/prompts/music_on_hold.wav" % cfg.data_dir


@kemi_callback("music on hold", answer=None)    # music is never worth failing the re-INVITE
def in_dialog_invite():
    """A re-INVITE (after loose_route and rtpengine's offer): music on hold for the other
    party when it puts the call on hold, stopped when it resumes it."""
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
