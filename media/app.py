"""The media application's SIP side: one PJSUA2 endpoint on <media address>:<media sip_port>.

Only Kamailio talks to it: the kernel drops whatever reaches its SIP port from elsewhere
before PJSIP reads it (media/door.py), and an INVITE from another address than the edge's
that got through anyway is refused (403), so nothing a phone writes in its headers can reach
a mailbox. The Request-URI that the routing chose says what the call is for:

    sip:vm-<E.164 digits>@…     the voicemail of a global number (deposit; * → remote access)
    sip:ann-<audio id>@…        an announcement, then the call ends

Each answered call runs a flow (media/flows.py) one action at a time (media/actions.py).
Everything runs in the main thread (PJSUA2 with mainThreadOnly); DTMF digits are queued by
the callback and handled in the loop; the voice-to-mail thread and the workers of Background
actions only touch the database, files and SMTP.
"""
import collections
import concurrent.futures
import gc
import logging
import os
import re
import time
import uuid

import pjsua2 as pj
import pymysql

from vpbx.audio import files as audio_files
from vpbx.storage import connection
from vpbx.records import log_line
from vpbx.settings import media as media_settings
from vpbx.voicemail import mail as voicemail_mail
from vpbx.voicemail import store as voicemail_store

from . import door, flows, prompts
from .actions import Background, CallEnded, CloseRecording, Collect, Hangup, Play, Record

log = logging.getLogger("vpbx.media")
EVENT_SLICE_MS = 20
PLAY_MARGIN_SECONDS = 0.25
UNUSED_AUDIO_SECONDS = 24 * 3600     # an unused conversion this old is removed at start-up
POLL_SECONDS = 0.05                  # how often a finishing recording or background work is checked
BACKGROUND_WORKERS = 2
STALL_SECONDS = 0.5                  # a main-loop turn this long is logged (SIP waits meanwhile)
# a refused call keeps its PJSUA call slot this long before its answer: the slot is what
# stops a burst of refused INVITEs from the edge (see MediaAccount.onIncomingCall)
REFUSAL_HOLD_SECONDS = 0.25
VOICEMAIL_TAG = "VPBX-MEDIA"
_REQUEST_URI = re.compile(r"^INVITE\s+sips?:([^@\s;>]+)@", re.I)
_VOICEMAIL = re.compile(r"vm-([1-9][0-9]{5,14})")        # fullmatch; ASCII digits only
_ANNOUNCEMENT = re.compile(r"ann-([0-9]{1,10})")
_FROM_URI = re.compile(r"sips?:(?:([^@;>]+)@)?([^;>:]+)")


class Refused(Exception):
    """A call the media app does not answer: (SIP code, reason)."""

    def __init__(self, code: int, reason: str):
        super().__init__(f"{code} {reason}")
        self.code, self.reason = code, reason


def wav_is_complete(path: str) -> bool:
    """Whether pjmedia has closed the WAV file (its RIFF size covers the whole file)."""
    try:
        with open(path, "rb") as wav:
            header = wav.read(8)
            size = os.fstat(wav.fileno()).st_size
    except FileNotFoundError:
        return False
    return (len(header) == 8 and header[:4] == b"RIFF"
            and int.from_bytes(header[4:], "little") == size - 8)


class FlowContext:
    """What a flow may use: the data and scratch folders, settings, database, caller, log."""

    def __init__(self, app: "MediaApp", call_id: str, caller: str, tenant: str | None):
        self.app, self.call_id, self.caller, self.tenant = app, call_id, caller, tenant
        self.data_dir, self.tmp_dir, self.settings = app.data_dir, app.tmp_dir, app.settings

    def db(self, work):
        return self.app.db(work)

    def connection(self):
        return self.app.connection()

    def reset_connection(self):
        self.app.reset_connection()

    def event(self, decision: str, outcome: str, warning: bool = False, **extra) -> None:
        line = log_line.format_line(VOICEMAIL_TAG, {
            "call_id": self.call_id, "tenant": self.tenant, "from": self.caller,
            "to": extra.pop("number", None), "decision": decision, "outcome": outcome},
            {k: v for k, v in extra.items() if v is not None})
        (log.warning if warning else log.info)("%s", line)

    def message_stored(self, message_id: int) -> None:
        self.app.wake_mailer()

    def message_kept(self, **row) -> None:
        """A message on disk whose row could not be written: stored later, in the background,
        once the database answers again (voicemail_mail.Mailer.keep_for_retry)."""
        self.app.mailer.keep_for_retry(row)


class MediaCall(pj.Call):
    """An answered call running a flow."""

    def __init__(self, account, call_id, app: "MediaApp"):
        super().__init__(account, call_id)
        self.app = app
        self.flow = None
        self.ctx = None
        self.sip_call_id = ""
        self.audio = None
        self.started = False
        self.ended = False
        self.finished = False
        self.action = None
        self.deadline = None
        self.player = None
        self.play_file = None
        self.recorder = None
        self.recording_path = None
        self.future = None                      # of the running Background action
        self.digits = collections.deque()       # typed, not used yet
        self.pending_digits = collections.deque()   # from the callback, for the loop
        self.pending_answer = None              # (code, reason) the loop sends next,
        self.answer_at = 0.0                    # at this time.monotonic()
        self.collected = ""
        self.prompt_playing = False

    # -- PJSUA2 callbacks (never raise into C++) ---------------------------------------
    def onCallState(self, prm):
        try:
            info = self.getInfo()
            if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
                self.ended = True
                log.info("call %s ended (%s)", info.callIdString, info.lastStatusCode)
        except Exception:  # noqa: BLE001
            log.exception("onCallState")

    def onCallMediaState(self, prm):
        try:
            info = self.getInfo()
            for media in info.media:
                if media.type == pj.PJMEDIA_TYPE_AUDIO and \
                        media.status == pj.PJSUA_CALL_MEDIA_ACTIVE and self.audio is None:
                    self.audio = self.getAudioMedia(media.index)
        except Exception:  # noqa: BLE001
            log.exception("onCallMediaState")

    def onDtmfDigit(self, prm):
        self.pending_digits.append(prm.digit)      # (never logged: PINs are typed here)

    def send_answer(self) -> None:
        """Answer the INVITE as onIncomingCall decided (once; not if the caller gave up)."""
        code, reason = self.pending_answer
        self.pending_answer = None
        if self.ended:
            return
        answer = pj.CallOpParam()
        answer.statusCode = code
        if reason:
            answer.reason = reason
        try:
            self.answer(answer)
        except pj.Error as exc:
            log.error("call %s: answer %d failed: %s", self.sip_call_id, code, exc.info())
            self.finish()
            try:
                self.hangup(pj.CallOpParam())
            except pj.Error:
                self.ended = True             # PJSUA has no such call any more

    # -- the flow ----------------------------------------------------------------------
    def tick(self, now: float) -> None:
        """Called by the loop: start the flow once media is up, deliver digits, timers,
        the caller's hang-up."""
        if self.pending_answer is not None and now >= self.answer_at:
            self.send_answer()
        if self.finished:
            return
        try:
            if not self.started:
                if self.ended:
                    self.finish()
                elif self.audio is not None:
                    self.started = True
                    self.advance(None)
                return
            while self.pending_digits and not self.finished:
                self.on_digit(self.pending_digits.popleft())
            if self.ended and not self.finished:
                self.on_hangup()
            if self.deadline is not None and now >= self.deadline and not self.finished:
                self.deadline = None
                self.on_deadline(now)
        except Exception:  # noqa: BLE001 - one call's error must not stop the others
            log.exception("call %s: flow error", self.sip_call_id)
            self.finish(hangup=True)

    def advance(self, value=None, error: Exception | None = None) -> None:
        """Resume the flow with the last action's result, and start its next action."""
        while True:
            self.action = None
            try:
                action = self.flow.throw(error) if error is not None else self.flow.send(value)
            except (StopIteration, CallEnded):
                self.finish(hangup=True)
                return
            error, value = None, None
            if isinstance(action, Hangup):
                self.finish(hangup=True)
                return
            if self.ended and not isinstance(action, (CloseRecording, Record, Background)):
                error = CallEnded()
                continue
            self.action = action
            done, value = self.begin(action)
            if not done:
                return

    def begin(self, action):
        """Start an action; (True, result) when it is over at once."""
        now = time.monotonic()
        if isinstance(action, Play):
            if action.interrupt == "any" and self.digits:
                return True, self.digits[0]
            self.start_player(action.parts, action.loop, now)
            return False, None
        if isinstance(action, Collect):
            self.collected = ""
            while self.digits and len(self.collected) < action.count:
                digit = self.digits.popleft()
                if digit == "#":
                    return True, self.collected
                self.collected += digit
            if len(self.collected) >= action.count:
                return True, self.collected
            if action.prompt and not self.collected:
                self.prompt_playing = True
                self.start_player(action.prompt, False, now)
            else:
                self.deadline = now + action.timeout
            return False, None
        if isinstance(action, Record):
            if self.ended:
                return True, "hangup"
            self.digits.clear()           # typed before the recording: not for it
            self.recording_path = action.path
            self.recorder = pj.AudioMediaRecorder()
            self.recorder.createRecorder(action.path)
            self.audio.startTransmit(self.recorder)
            self.deadline = now + action.max_seconds
            return False, None
        if isinstance(action, CloseRecording):
            self.stop_recorder()
            if self.recording_path is None:
                return True, False
            self.deadline = now + POLL_SECONDS
            self.close_until = now + action.timeout
            return False, None
        if isinstance(action, Background):
            self.future = self.app.background(action.work)
            self.deadline = now + POLL_SECONDS
            return False, None
        raise TypeError(f"unknown action {action!r}")

    def on_digit(self, digit: str) -> None:
        action = self.action
        if isinstance(action, Play):
            if action.interrupt == "any" or digit in action.interrupt:
                self.stop_player()
                if action.interrupt == "any":
                    self.digits.append(digit)
                self.advance(digit)
                return
        elif isinstance(action, Collect):
            if self.prompt_playing:
                self.stop_player()
                self.prompt_playing = False
            if digit == "#":
                self.advance(self.collected)
                return
            self.collected += digit
            if len(self.collected) >= action.count:
                self.advance(self.collected)
                return
            self.deadline = time.monotonic() + action.timeout
            return
        elif isinstance(action, Record):
            if digit in action.stop_keys:
                self.deadline = None
                self.advance("key")
            return                      # other digits typed while recording are dropped
        self.digits.append(digit)

    def on_deadline(self, now: float) -> None:
        action = self.action
        if isinstance(action, Play):
            if action.loop:
                return
            self.stop_player()
            self.advance(None)
        elif isinstance(action, Collect):
            if self.prompt_playing:
                self.stop_player()
                self.prompt_playing = False
                self.deadline = now + action.timeout
                return
            self.advance(self.collected)
        elif isinstance(action, Record):
            self.advance("max")
        elif isinstance(action, CloseRecording):
            if wav_is_complete(self.recording_path):
                self.recording_path = None
                self.advance(True)
            elif now >= self.close_until:
                log.error("call %s: recording %s not finished in time", self.sip_call_id,
                          self.recording_path)
                self.recording_path = None
                self.advance(False)
            else:
                self.deadline = now + POLL_SECONDS
        elif isinstance(action, Background):
            if not self.future.done():
                self.deadline = now + POLL_SECONDS
                return
            future, self.future = self.future, None
            error = future.exception()
            if error is not None:
                self.advance(error=error)
            else:
                self.advance(future.result())

    def on_hangup(self) -> None:
        """The caller hung up: a recording is kept and background work finishes, anything
        else ends the flow."""
        action = self.action
        if isinstance(action, Record):
            self.deadline = None
            self.advance("hangup")
        elif isinstance(action, (CloseRecording, Background)):
            return
        else:
            self.stop_player()
            self.deadline = None
            self.advance(error=CallEnded())

    # -- players and recorders ---------------------------------------------------------
    def start_player(self, parts, loop: bool, now: float) -> None:
        if len(parts) == 1:
            path, self.play_file = parts[0], None
        else:
            path = self.play_file = prompts.concatenate(
                parts, os.path.join(self.app.tmp_dir, f"play-{uuid.uuid4().hex}.wav"))
        self.player = pj.AudioMediaPlayer()
        self.player.createPlayer(path, 0 if loop else pj.PJMEDIA_FILE_NO_LOOP)
        self.player.startTransmit(self.audio)
        self.deadline = None if loop else now + prompts.wav_seconds(path) + PLAY_MARGIN_SECONDS

    def stop_player(self) -> None:
        if self.player is not None:
            try:
                if self.audio is not None and not self.ended:
                    self.player.stopTransmit(self.audio)
            except pj.Error:
                pass
            self.player = None
        if self.play_file:
            try:
                os.unlink(self.play_file)
            except FileNotFoundError:
                pass
            self.play_file = None

    def stop_recorder(self) -> None:
        if self.recorder is not None:
            try:
                if self.audio is not None and not self.ended:
                    self.audio.stopTransmit(self.recorder)
            except pj.Error:
                pass
            self.recorder = None          # destroying it writes the WAV header

    def finish(self, hangup: bool = False) -> None:
        if self.finished:
            return
        self.finished = True
        self.deadline = None
        self.stop_player()
        self.stop_recorder()
        if self.flow is not None:
            self.flow.close()
        if hangup and not self.ended:
            try:
                self.hangup(pj.CallOpParam())
            except pj.Error:
                pass


class MediaAccount(pj.Account):
    def __init__(self, app):
        super().__init__()
        self.app = app

    def onIncomingCall(self, prm):
        """Decide what the call is for; the main loop answers it on its next turn, never
        here: PJSUA2 2.15 frees the INVITE it cloned for this callback once the callback
        returns, without checking that it still has it; a final response sent from here to
        an INVITE without SDP ends the call at once, which frees that clone already, and the
        second free is an assertion that aborts the process.

        A refusal waits REFUSAL_HOLD_SECONDS. For an INVITE with SDP, PJSUA opened the
        call's RTP and RTCP sockets before this callback; a closed socket's place in PJSUA's
        I/O queue (64 places) is free again only 500 ms later, so about 30 calls refused
        within half a second filled it and the next socket aborted the process. Held, the
        refused calls keep PJSUA's call slots (4: PJSUA_MAX_CALLS of the wheel) busy, and
        PJSUA answers the INVITEs beyond them 486 before opening anything: at most 4 calls'
        sockets per REFUSAL_HOLD_SECONDS."""
        call = MediaCall(self, prm.callId, self.app)
        try:
            flow, ctx = self.app.accept(prm.rdata)
            call.flow, call.ctx = flow, ctx
            call.sip_call_id = ctx.call_id
            call.pending_answer = (200, "")
        except Refused as refused:
            call.pending_answer = (refused.code, refused.reason)
            call.finished = True
        except Exception:  # noqa: BLE001
            log.exception("incoming call")
            call.pending_answer = (500, "Media Application Error")
            call.finished = True
        if call.finished:
            call.answer_at = time.monotonic() + REFUSAL_HOLD_SECONDS
        self.app.calls.append(call)


class MediaApp:
    """Owns the PJSUA2 endpoint; `run()` handles SIP and media events until stopped."""

    def __init__(self, cfg, settings=None):
        self.cfg = cfg
        self.address, self.port, self.data_dir = cfg.media_address, cfg.media_port, cfg.data_dir
        self.edge = (cfg.sip_address, cfg.sip_port)
        self.settings = settings or media_settings.load(cfg)
        self.tmp_dir = os.path.join(self.data_dir, "tmp")
        os.makedirs(self.tmp_dir, exist_ok=True)
        self.calls = []
        self.running = True
        self._conn = None
        self.mailer = voicemail_mail.Mailer(cfg, self.settings)
        self.workers = concurrent.futures.ThreadPoolExecutor(
            max_workers=BACKGROUND_WORKERS, thread_name_prefix="media-work")
        self.endpoint = pj.Endpoint()
        self.endpoint.libCreate()
        ep_cfg = pj.EpConfig()
        ep_cfg.uaConfig.threadCnt = 0
        ep_cfg.uaConfig.mainThreadOnly = True
        ep_cfg.uaConfig.maxCalls = 32
        ep_cfg.uaConfig.userAgent = "vpbx-media"
        ep_cfg.logConfig.level = 2
        ep_cfg.logConfig.consoleLevel = 2
        ep_cfg.medConfig.clockRate = prompts.SAMPLE_RATE
        ep_cfg.medConfig.sndClockRate = prompts.SAMPLE_RATE
        ep_cfg.medConfig.noVad = True
        ep_cfg.medConfig.ecTailLen = 0
        self.endpoint.libInit(ep_cfg)
        transport = pj.TransportConfig()
        transport.port = self.port
        transport.boundAddress = self.address
        transport.publicAddress = self.address
        self.endpoint.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
        door.admit_only_edge((self.address, self.port), self.edge)
        self.endpoint.libStart()
        self.endpoint.audDevManager().setNullDev()
        self.endpoint.codecSetPriority("PCMU/8000/1", 255)
        self.endpoint.codecSetPriority("PCMA/8000/1", 254)
        account_cfg = pj.AccountConfig()
        account_cfg.idUri = f"sip:media@{self.address}:{self.port}"
        account_cfg.mediaConfig.transportConfig.boundAddress = self.address
        account_cfg.mediaConfig.transportConfig.publicAddress = self.address
        account_cfg.natConfig.iceEnabled = False
        self.account = MediaAccount(self)
        self.account.create(account_cfg)

    # -- database ----------------------------------------------------------------------
    def connection(self):
        if self._conn is None:
            self._conn = connection.connect(self.cfg, connect_timeout=2, read_timeout=5)
        return self._conn

    def reset_connection(self):
        try:
            if self._conn is not None:
                self._conn.close()
        except Exception:  # noqa: BLE001 - it is being thrown away
            pass
        self._conn = None

    def db(self, work):
        """work(cursor) on the app's connection, re-opened once if it was lost."""
        for attempt in (1, 2):
            try:
                with self.connection().cursor() as cur:
                    return work(cur)
            except (pymysql.err.OperationalError, pymysql.err.InterfaceError):
                self._conn = None
                if attempt == 2:
                    raise

    def wake_mailer(self) -> None:
        self.mailer.wake()

    def background(self, work) -> concurrent.futures.Future:
        """Run work(connection) in a worker thread with a database connection of its own."""
        def run():
            conn = connection.connect(self.cfg, connect_timeout=2, read_timeout=30)
            try:
                return work(conn)
            finally:
                conn.close()
        return self.workers.submit(run)

    # -- incoming calls ----------------------------------------------------------------
    def accept(self, rdata):
        """The flow for an incoming INVITE, or Refused."""
        if door.source_of(rdata.srcAddress) != self.edge:    # (media/door.py drops them first)
            log.warning("INVITE from %s refused: only the SIP edge %s:%d may call the media app",
                        rdata.srcAddress, *self.edge)
            raise Refused(403, "Forbidden")
        message = rdata.wholeMsg
        match = _REQUEST_URI.match(message)
        service = match.group(1) if match else ""
        call_id = _header(message, "Call-ID", "i")
        caller_uri = _header(message, "From", "f")
        try:
            return self._flow_for(service, call_id, caller_uri)
        except pymysql.err.Error as exc:
            log.error("database unavailable for call %s: %s", call_id, exc)
            raise Refused(503, "Service Unavailable") from exc

    def _flow_for(self, service: str, call_id: str, caller_uri: str):
        voicemail = _VOICEMAIL.fullmatch(service)
        if voicemail:
            number = "+" + voicemail.group(1)
            box = self.db(lambda cur: voicemail_store.mailbox(cur, number))
            if box is None:
                raise Refused(404, "No Such Mailbox")
            if box["mode"] == "disabled":
                raise Refused(480, "Voicemail Disabled")
            ctx = FlowContext(self, call_id, self.caller_of(caller_uri, box["tenant_id"]),
                              box["tenant"])
            ctx.event("voicemail", "answered", number=number, mode=box["mode"])
            return flows.voicemail(ctx, box), ctx
        announcement = _ANNOUNCEMENT.fullmatch(service)
        if announcement:
            row = self.db(lambda cur: voicemail_store.audio_file(cur, int(announcement.group(1)),
                                                              "announcement"))
            path = voicemail_store.abs_path(self.data_dir, row["path"]) if row else None
            if path is None or not os.path.isfile(path):
                raise Refused(404, "No Such Announcement")
            ctx = FlowContext(self, call_id, self.caller_of(caller_uri, row["tenant_id"]),
                              row["tenant"])
            ctx.event("announcement", "answered", name=row["name"])
            return flows.announcement(ctx, path), ctx
        log.warning("call %s for %r refused: unknown service", call_id, service)
        raise Refused(404, "Not Found")

    def caller_of(self, from_uri: str, tenant_id: int) -> str:
        """Who calls: a user's extension when the caller is a user of the tenant, else the
        user part of From (the carrier's calling number)."""
        match = _FROM_URI.search(from_uri or "")
        if not match:
            return ""
        user, domain = match.group(1) or "", match.group(2).lower()
        row = self.db(lambda cur: _user_extension(cur, tenant_id, domain, user))
        return row or user

    # -- main loop ---------------------------------------------------------------------
    def recover(self) -> None:
        """Start-up repair: messages stored without their row get it; conversions of audio
        files nothing uses any more (removed, replaced, or left by a refused upload) go."""
        try:
            voicemail_store.recover_messages(self.connection(), self.data_dir, log)
            with self.connection().cursor() as cur:
                unused = audio_files.unused_files(cur, self.data_dir)
            for path in unused:
                if time.time() - os.path.getmtime(path) > UNUSED_AUDIO_SECONDS:
                    os.unlink(path)
                    log.info("unused audio file %s removed", path)
        except pymysql.err.Error as exc:
            log.error("voicemail recovery skipped (database unavailable): %s", exc)
        for name in os.listdir(self.tmp_dir):
            try:
                os.unlink(os.path.join(self.tmp_dir, name))
            except OSError:
                pass

    def forget_ended_calls(self) -> None:
        """Drop the calls that are over, and free their PJSUA2 objects now. PJSUA reuses its
        call slots in turn; a Call object freed later (a reference cycle through a flow's
        exception keeps it alive until the garbage collector runs) would hang up whichever
        new call holds its slot by then (603 Decline)."""
        over = [call for call in self.calls if call.finished and call.ended]
        if over:
            self.calls = [call for call in self.calls if not (call.finished and call.ended)]
            del over
            gc.collect()

    def tick_calls(self, now: float) -> None:
        """Give each call its turn. A method of its own, so that no loop variable of run()
        keeps the last call's PJSUA2 object alive after forget_ended_calls (nor after
        libDestroy, where freeing it aborts the process)."""
        for call in list(self.calls):
            call.tick(now)

    def report_stall(self, started, handled, ticked, done) -> None:
        """Everything here runs in one thread: while a turn of the loop lasts, no INVITE is
        answered (the edge gives up on the media app after a few seconds). A long turn is
        logged with where its time went: SIP and media events (our callbacks, the database
        reads of a new call), the calls' flows, or freeing ended calls."""
        if done - started >= STALL_SECONDS:
            log.warning("main loop stalled %.2f s (SIP events and callbacks %.2f s, flows"
                        " %.2f s, ended calls %.2f s; %d calls)", done - started,
                        max(0.0, handled - started - EVENT_SLICE_MS / 1000), ticked - handled,
                        done - ticked, len(self.calls))

    def run(self) -> None:
        log.info("media application listening on %s:%d (edge %s:%d)", self.address, self.port,
                 *self.edge)
        self.recover()
        self.mailer.start()
        while self.running:
            started = time.monotonic()
            self.endpoint.libHandleEvents(EVENT_SLICE_MS)
            handled = time.monotonic()
            self.tick_calls(handled)
            ticked = time.monotonic()
            self.forget_ended_calls()
            self.report_stall(started, handled, ticked, time.monotonic())
        self.mailer.stop()
        self.workers.shutdown(wait=True)
        for call in self.calls:
            call.finish(hangup=True)
        self.endpoint.hangupAllCalls()
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and any(not c.ended for c in self.calls):
            self.endpoint.libHandleEvents(EVENT_SLICE_MS)
        # every PJSUA2 object must be gone before libDestroy (a Call destroyed later aborts)
        self.calls.clear()
        self.account.shutdown()
        self.account = None
        gc.collect()
        self.endpoint.libDestroy()


def _user_extension(cur, tenant_id: int, domain: str, username: str) -> str | None:
    cur.execute("SELECT u.extension FROM users u JOIN tenants t ON t.id = u.tenant_id"
                " WHERE u.tenant_id = %s AND t.domain = %s AND u.username = %s",
                (tenant_id, domain, username))
    row = cur.fetchone()
    return row["extension"] if row else None


def _header(message: str, name: str, compact: str) -> str:
    for line in message.split("\r\n")[1:]:
        if not line:
            break
        key, _, value = line.partition(":")
        if key.strip().lower() in (name.lower(), compact):
            return value.strip()
    return ""
