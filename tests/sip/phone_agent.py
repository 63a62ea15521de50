"""One SIP test phone in its own process, driven by JSON lines.

PJSUA2 allows only one Endpoint per process (and few calls/accounts per
Endpoint), so every test phone runs this program as a subprocess; the pytest
side talks to it through :class:`tests.sip.phone.Phone`.

Run as ``python tests/sip/phone_agent.py --username alice ...`` or
``python -m tests.sip.phone_agent ...``; ``--help`` lists the options.

Protocol
--------
stdin carries one JSON object per line, a command::

    {"id": 7, "cmd": "call", "args": {"uri": "sip:7956@acme.pbx.test"}}

stdout carries one JSON object per line, either the reply to a command
(sent once the command has been carried out or has failed)::

    {"type": "reply", "id": 7, "ok": true, "result": {"call": 1}}
    {"type": "reply", "id": 7, "ok": false, "error": "..."}

or an event, numbered in the order it happened::

    {"type": "event", "seq": 12, "event": "call_state", "call": 1,
     "state": "CONFIRMED", "mono": 1234.5, "wall": 1712345678.9, ...}

Event kinds: ``ready`` (first line: SIP port and contact URI), ``reg_state``,
``incoming_call``, ``call_state``, ``media_state``, ``sip_rx`` (every SIP
message received inside a call, with its raw text), ``transfer_request``,
``transfer_status``, ``replace_request`` (an INVITE with Replaces arrived for a call:
``new_call`` is the call that takes its place), ``recording_finished`` (a call's WAV file
is complete), ``agent_error`` (a callback or command failed; the agent carries on) and
``stopped`` (last line).  ``mono`` is ``time.monotonic()``,
which is system-wide on Linux and so comparable with the test process's.

Calls are named by an integer handle that this agent gives out (1, 2, ...)
and never reuses; pjsua's own call ids are reused and so are not exposed.

Threads: ``uaConfig.threadCnt = 0`` and ``mainThreadOnly = True``, so every
PJSUA2 callback and every command runs in the main thread, which loops on
``libHandleEvents``; a helper thread only reads stdin into a queue.  PJSUA2
callbacks never raise: failures become ``agent_error`` events.

The pjsip log goes to the file given by ``--log-file``.  Anything the C
library would print goes to stderr: file descriptor 1 is pointed at stderr
at start-up and the protocol is written to a private copy of the original
stdout.
"""

from __future__ import annotations

import argparse
import functools
import gc
import itertools
import json
import os
import queue
import struct
import sys
import threading
import time
import traceback
from typing import Any, Callable, Optional

import pjsua2 as pj

CLOCK_RATE = 8000
STATS_POLL_INTERVAL = 0.2
EVENT_LOOP_SLICE_MS = 10
SHUTDOWN_GRACE_SECONDS = 1.0
# A tone segment as long as pjmedia allows; played in a loop it is continuous.
TONE_SEGMENT_MSEC = 30000

CALL_STATE_NAMES = {
    pj.PJSIP_INV_STATE_NULL: "NULL",
    pj.PJSIP_INV_STATE_CALLING: "CALLING",
    pj.PJSIP_INV_STATE_INCOMING: "INCOMING",
    pj.PJSIP_INV_STATE_EARLY: "EARLY",
    pj.PJSIP_INV_STATE_CONNECTING: "CONNECTING",
    pj.PJSIP_INV_STATE_CONFIRMED: "CONFIRMED",
    pj.PJSIP_INV_STATE_DISCONNECTED: "DISCONNECTED",
}
MEDIA_STATUS_NAMES = {
    pj.PJSUA_CALL_MEDIA_NONE: "NONE",
    pj.PJSUA_CALL_MEDIA_ACTIVE: "ACTIVE",
    pj.PJSUA_CALL_MEDIA_LOCAL_HOLD: "LOCAL_HOLD",
    pj.PJSUA_CALL_MEDIA_REMOTE_HOLD: "REMOTE_HOLD",
    pj.PJSUA_CALL_MEDIA_ERROR: "ERROR",
}
MEDIA_DIR_NAMES = {
    pj.PJMEDIA_DIR_NONE: "inactive",
    pj.PJMEDIA_DIR_ENCODING: "sendonly",
    pj.PJMEDIA_DIR_DECODING: "recvonly",
    pj.PJMEDIA_DIR_ENCODING_DECODING: "sendrecv",
}


def event_times() -> dict:
    """Return the monotonic and wall-clock time stamps put on every event."""
    return {"mono": time.monotonic(), "wall": time.time()}


class EventWriter:
    """Writes replies and numbered events as JSON lines to the protocol stream."""

    def __init__(self, stream):
        self._stream = stream
        self._seq = 0
        self.closed = False  # the reader has gone: nothing can be written any more

    def event(self, kind: str, /, **fields: Any) -> None:
        """Emit one event; fields without their own time stamps get the current ones."""
        self._seq += 1
        record = {"type": "event", "seq": self._seq, "event": kind}
        record.update(event_times())
        record.update(fields)
        self._write(record)

    def reply(self, command_id: Any, result: Any = None, error: Optional[str] = None) -> None:
        """Emit the reply to one command: a result, or an error text."""
        record: dict = {"type": "reply", "id": command_id, "ok": error is None}
        if error is None:
            record["result"] = result
        else:
            record["error"] = error
        self._write(record)

    def _write(self, record: dict) -> None:
        if self.closed:
            return
        try:
            self._stream.write(json.dumps(record) + "\n")
            self._stream.flush()
        except (BrokenPipeError, OSError, ValueError):
            self.closed = True


def never_raises(method: Callable) -> Callable:
    """Wrap a PJSUA2 callback so that an exception becomes an agent_error event.

    An exception escaping a SWIG director callback would abort the process.
    """

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception:  # noqa: BLE001 - reported, never propagated into C++
            self.agent.report_error(f"{type(self).__name__}.{method.__name__}")
            return None

    return guarded


class CallRecord:
    """What the agent remembers about one call, kept after the call ends."""

    def __init__(self, handle: int, record_to: Optional[str]):
        self.handle = handle
        self.record_to = record_to
        self.state = "NULL"
        self.invite_status: Optional[int] = None
        self.confirmed = False
        # RTP counters of streams already destroyed (hold/unhold may recreate
        # the stream) plus those of the live stream, read at each poll.
        self.rx_packets_before = 0
        self.tx_packets_before = 0
        self.rx_packets_live = 0
        self.tx_packets_live = 0
        self.remote_rtp_address: Optional[str] = None
        self.codec: Optional[str] = None

    def rtp_stats(self) -> dict:
        """Return the call's RTP packet counts and where its media is sent."""
        return {
            "call": self.handle,
            "rx_packets": self.rx_packets_before + self.rx_packets_live,
            "tx_packets": self.tx_packets_before + self.tx_packets_live,
            "remote_rtp_address": self.remote_rtp_address,
            "codec": self.codec,
            "state": self.state,
        }


class PhoneCall(pj.Call):
    """A PJSUA2 call whose callbacks report to the agent."""

    def __init__(self, agent: "PhoneAgent", record: CallRecord, call_id: int = pj.PJSUA_INVALID_ID):
        super().__init__(agent.account, call_id)
        self.agent = agent
        self.record = record
        self.recorder: Optional[pj.AudioMediaRecorder] = None

    # --- callbacks -------------------------------------------------------

    @never_raises
    def onCallState(self, prm):
        info = self.getInfo()
        state = CALL_STATE_NAMES.get(info.state, str(info.state))
        self.record.state = state
        if state == "CONFIRMED" and not self.record.confirmed:
            self.record.confirmed = True
            self.record.invite_status = info.lastStatusCode
        elif state == "DISCONNECTED":
            if not self.record.confirmed:
                self.record.invite_status = info.lastStatusCode
            self.poll_rtp_stats()
            self.close_recorder()
        self.agent.events.event(
            "call_state",
            call=self.record.handle,
            state=state,
            last_status=info.lastStatusCode,
            last_reason=info.lastReason,
            invite_status=self.record.invite_status,
            remote_uri=info.remoteUri,
            sip_call_id=info.callIdString,
        )

    @never_raises
    def onCallMediaState(self, prm):
        info = self.getInfo()
        for media in info.media:
            if media.type != pj.PJMEDIA_TYPE_AUDIO:
                continue
            status = MEDIA_STATUS_NAMES.get(media.status, str(media.status))
            if media.status in (pj.PJSUA_CALL_MEDIA_ACTIVE, pj.PJSUA_CALL_MEDIA_REMOTE_HOLD):
                self.connect_audio(media.index)
            self.poll_rtp_stats()
            self.agent.events.event(
                "media_state",
                call=self.record.handle,
                status=status,
                dir=MEDIA_DIR_NAMES.get(media.dir, str(media.dir)),
                remote_rtp_address=self.record.remote_rtp_address,
            )

    @never_raises
    def onStreamDestroyed(self, prm):
        # Fold the finished stream's counters into the call's totals, since a
        # re-created stream (e.g. after hold) starts counting from zero again.
        self.poll_rtp_stats(prm.streamIdx)
        self.record.rx_packets_before += self.record.rx_packets_live
        self.record.tx_packets_before += self.record.tx_packets_live
        self.record.rx_packets_live = 0
        self.record.tx_packets_live = 0

    @never_raises
    def onCallTsxState(self, prm):
        body = prm.e.body.tsxState
        if body.type != pj.PJSIP_EVENT_RX_MSG:
            return
        tsx = body.tsx
        received_request = tsx.role == pj.PJSIP_ROLE_UAS
        self.agent.events.event(
            "sip_rx",
            call=self.record.handle,
            kind="request" if received_request else "response",
            method=tsx.method,
            status=None if received_request else tsx.statusCode,
            text=body.src.rdata.wholeMsg,
        )

    @never_raises
    def onCallTransferRequest(self, prm):
        accepted = self.agent.accept_transfers
        new_handle = None
        if accepted:
            new_call = self.agent.new_call()
            prm.newCall = new_call
            new_handle = new_call.record.handle
        else:
            prm.statusCode = 603
        self.agent.events.event(
            "transfer_request",
            call=self.record.handle,
            target=prm.dstUri,
            accepted=accepted,
            new_call=new_handle,
        )

    @never_raises
    def onCallReplaceRequest(self, prm):
        new_call = self.agent.new_call()
        prm.newCall = new_call
        self.agent.events.event("replace_request", call=self.record.handle,
                                new_call=new_call.record.handle)

    @never_raises
    def onCallTransferStatus(self, prm):
        self.agent.events.event(
            "transfer_status",
            call=self.record.handle,
            status=prm.statusCode,
            reason=prm.reason,
            final=bool(prm.finalNotify),
        )

    # --- helpers ---------------------------------------------------------

    def connect_audio(self, media_index: int) -> None:
        """Play this phone's tone into the call and record what it hears, if asked."""
        audio = self.getAudioMedia(media_index)
        self.agent.tone.startTransmit(audio)
        if self.record.record_to:
            if self.recorder is None:
                self.recorder = pj.AudioMediaRecorder()
                self.recorder.createRecorder(self.record.record_to)
            audio.startTransmit(self.recorder)

    def close_recorder(self) -> None:
        """Start finishing the call's WAV file; the agent reports when it is complete.

        The conference bridge removes the recorder asynchronously, and pjmedia
        writes the WAV header only when the recorder is finally destroyed.
        """
        if self.recorder is not None:
            self.recorder = None
            self.agent.recordings_closing[self.record.handle] = self.record.record_to

    def poll_rtp_stats(self, media_index: Optional[int] = None) -> None:
        """Copy the live audio stream's RTP counters and remote address, if any."""
        if media_index is None:
            media_index = self.audio_media_index()
            if media_index is None:
                return
        try:
            stat = self.getStreamStat(media_index)
            stream = self.getStreamInfo(media_index)
        except pj.Error:
            return  # no stream (yet, or any more)
        self.record.rx_packets_live = stat.rtcp.rxStat.pkt
        self.record.tx_packets_live = stat.rtcp.txStat.pkt
        self.record.remote_rtp_address = stream.remoteRtpAddress
        self.record.codec = stream.codecName

    def audio_media_index(self) -> Optional[int]:
        """Return the index of the call's first audio media, or None."""
        if not self.isActive():
            return None
        info = self.getInfo()  # keep it alive while its media vector is read
        for media in info.media:
            if media.type == pj.PJMEDIA_TYPE_AUDIO:
                return media.index
        return None


class PhoneAccount(pj.Account):
    """The agent's single SIP account; reports registrations and incoming calls."""

    def __init__(self, agent: "PhoneAgent"):
        super().__init__()
        self.agent = agent

    @never_raises
    def onRegState(self, prm):
        self.agent.reg_state_count += 1
        self.agent.events.event(
            "reg_state",
            code=prm.code,
            reason=prm.reason,
            expiration=prm.expiration,
        )

    @never_raises
    def onIncomingCall(self, prm):
        call = self.agent.new_call(prm.callId)
        ringing = pj.CallOpParam()
        ringing.statusCode = 180
        call.answer(ringing)
        info = call.getInfo()
        self.agent.events.event(
            "incoming_call",
            call=call.record.handle,
            remote_uri=info.remoteUri,
            remote_contact=info.remoteContact,
            sip_call_id=info.callIdString,
            invite_text=prm.rdata.wholeMsg,
            source=prm.rdata.srcAddress,
        )


class PhoneAgent:
    """Owns the Endpoint, transport, account and calls; executes commands."""

    def __init__(self, options: argparse.Namespace, events: EventWriter):
        self.options = options
        self.events = events
        self.accept_transfers = options.accept_transfers
        self.endpoint = pj.Endpoint()
        self.account: Optional[PhoneAccount] = None
        self.account_config: Optional[pj.AccountConfig] = None
        self.tone: Optional[pj.ToneGenerator] = None
        self.calls: dict[int, PhoneCall] = {}
        self.call_handles = itertools.count(1)
        self.recordings_closing: dict[int, str] = {}
        self.reg_state_count = 0
        self.sip_port = 0
        self.running = True

    # --- set-up and tear-down -------------------------------------------

    def start(self) -> None:
        """Create the Endpoint, the UDP transport on the bind address, the tone and the account."""
        ep = self.endpoint
        ep.libCreate()
        ep_cfg = pj.EpConfig()
        ep_cfg.uaConfig.threadCnt = 0
        ep_cfg.uaConfig.mainThreadOnly = True
        ep_cfg.uaConfig.userAgent = f"vpbx-test-phone/{self.options.name}"
        ep_cfg.logConfig.level = self.options.log_level
        ep_cfg.logConfig.consoleLevel = 0
        if self.options.log_file:
            ep_cfg.logConfig.filename = self.options.log_file
            # Appending keeps the lines written before libInit and at libDestroy.
            ep_cfg.logConfig.fileFlags = pj.PJ_O_APPEND
        ep_cfg.medConfig.clockRate = CLOCK_RATE
        ep_cfg.medConfig.sndClockRate = CLOCK_RATE
        ep_cfg.medConfig.noVad = True
        ep_cfg.medConfig.ecTailLen = 0
        ep.libInit(ep_cfg)

        transport_cfg = pj.TransportConfig()
        transport_cfg.port = self.options.sip_port
        transport_cfg.boundAddress = self.options.bind_address
        transport_cfg.publicAddress = self.options.bind_address
        transport_id = ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport_cfg)
        ep.libStart()
        ep.audDevManager().setNullDev()
        self.sip_port = int(ep.transportGetInfo(transport_id).localName.rsplit(":", 1)[1])

        ep.codecSetPriority("PCMU/8000/1", 255)
        ep.codecSetPriority("PCMA/8000/1", 254)

        self.tone = pj.ToneGenerator()
        self.tone.createToneGenerator(CLOCK_RATE, 1)
        tone = pj.ToneDesc()
        tone.freq1 = self.options.tone_hz
        tone.freq2 = 0
        tone.on_msec = TONE_SEGMENT_MSEC
        tone.off_msec = 0
        tone.volume = 0
        tones = pj.ToneDescVector()
        tones.append(tone)
        self.tone.play(tones, True)

        self.account_config = self.build_account_config(transport_id)
        self.account = PhoneAccount(self)
        self.account.create(self.account_config)
        self.events.event(
            "ready",
            sip_port=self.sip_port,
            contact_uri=f"sip:{self.options.username}@{self.options.bind_address}:{self.sip_port}",
            account_uri=self.account_config.idUri,
            pid=os.getpid(),
        )

    def build_account_config(self, transport_id: int) -> pj.AccountConfig:
        """Build the account: registrar and outbound proxy only if a proxy was given."""
        opts = self.options
        cfg = pj.AccountConfig()
        cfg.idUri = f"sip:{opts.username}@{opts.domain or '127.0.0.1'}"
        if opts.display_name:
            cfg.idUri = f'"{opts.display_name}" <{cfg.idUri}>'
        cfg.sipConfig.transportId = transport_id
        if opts.proxy:
            cfg.regConfig.registrarUri = f"sip:{opts.domain}"
            cfg.sipConfig.proxies.append(f"sip:{opts.proxy};lr")
        cfg.regConfig.registerOnAdd = False
        cfg.regConfig.disableRegOnModify = True
        cfg.regConfig.retryIntervalSec = 0  # report failures, never retry on our own
        cfg.regConfig.dropCallsOnFail = False
        if opts.password is not None:
            cfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", opts.username, 0, opts.password))
        nat = cfg.natConfig
        nat.sipOutboundUse = False
        nat.contactRewriteUse = False
        nat.viaRewriteUse = False
        nat.sdpNatRewriteUse = False
        nat.sipStunUse = pj.PJSUA_STUN_USE_DISABLED
        nat.mediaStunUse = pj.PJSUA_STUN_USE_DISABLED
        nat.iceEnabled = False
        cfg.mediaConfig.transportConfig.boundAddress = self.options.bind_address
        cfg.mediaConfig.transportConfig.publicAddress = self.options.bind_address
        return cfg

    def shutdown(self) -> None:
        """Hang up every call and unregister, wait briefly for the answers, then
        destroy the library.

        Unregistering keeps a stopped phone's contact out of the registrar,
        where it would still be called by the following tests.
        """
        ep = self.endpoint
        ep.hangupAllCalls()
        reg_states_before = self.reg_state_count
        unregistering = self.account is not None and self.account.getInfo().regIsActive
        if unregistering:
            self.account.setRegistration(False)
        deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
        while time.monotonic() < deadline and (
            any(call.isActive() for call in self.calls.values())
            or (unregistering and self.reg_state_count == reg_states_before)
        ):
            ep.libHandleEvents(EVENT_LOOP_SLICE_MS)
        # Every PJSUA2 object must be gone before libDestroy: a Call destroyed
        # afterwards trips an assertion in pjsua.  Dropping a call also drops
        # its recorder, which finishes the WAV file.
        self.calls.clear()
        if self.account is not None:
            self.account.shutdown()
            self.account = None
        self.tone = None
        gc.collect()
        # The answers were awaited above; without this flag pjsua sleeps 1 s more.
        ep.libDestroy(pj.PJSUA_DESTROY_NO_RX_MSG)

    # --- bookkeeping -----------------------------------------------------

    def new_call(self, call_id: int = pj.PJSUA_INVALID_ID, record_to: Optional[str] = None) -> PhoneCall:
        """Create a call object with the next handle and keep it for the life of the agent.

        ``call_id`` is pjsua's id of an incoming call; outgoing calls get theirs
        from makeCall.  Call objects are never dropped while the library runs:
        PJSUA2 may still refer to them (e.g. the parent of a transfer) after
        they disconnect.
        """
        call = PhoneCall(self, CallRecord(next(self.call_handles), record_to), call_id)
        self.calls[call.record.handle] = call
        return call

    def report_error(self, where: str) -> None:
        """Log the current exception to stderr and emit it as an agent_error event."""
        text = traceback.format_exc()
        sys.stderr.write(f"[{self.options.name}] error in {where}:\n{text}")
        sys.stderr.flush()
        self.events.event("agent_error", where=where, traceback=text)

    def call_by_handle(self, handle: int) -> PhoneCall:
        """Return the call with that handle, or raise a clear error."""
        if handle not in self.calls:
            raise ValueError(f"no call with handle {handle} (known: {sorted(self.calls)})")
        return self.calls[handle]

    def report_finished_recordings(self) -> None:
        """Emit recording_finished for each closing WAV file whose header is now final."""
        for handle, path in list(self.recordings_closing.items()):
            if wav_is_complete(path):
                del self.recordings_closing[handle]
                self.events.event("recording_finished", call=handle, path=path)

    def poll_all_rtp_stats(self) -> None:
        """Refresh the RTP counters of every call that still has media."""
        for call in self.calls.values():
            if call.record.state != "DISCONNECTED":
                call.poll_rtp_stats()

    # --- commands --------------------------------------------------------

    def cmd_register(self, expires: int = 300) -> None:
        """Send REGISTER (the reg_state event tells the outcome)."""
        if not self.options.proxy:
            raise ValueError("this phone has no registrar: it was started without a proxy")
        if self.account_config.regConfig.timeoutSec != expires:
            self.account_config.regConfig.timeoutSec = expires
            self.account.modify(self.account_config)
        self.account.setRegistration(True)

    def cmd_unregister(self) -> None:
        """Send REGISTER with expires 0 (the reg_state event tells the outcome)."""
        self.account.setRegistration(False)

    def cmd_call(self, uri: str, record_to: Optional[str] = None, headers: Optional[list] = None) -> dict:
        """Send INVITE to the URI, with the extra (name, value) headers given; return the new
        call's handle."""
        call = self.new_call(record_to=record_to)
        prm = call_param(headers)
        prm.opt.audioCount = 1
        prm.opt.videoCount = 0
        call.makeCall(uri, prm)
        return {"call": call.record.handle}

    def cmd_answer(self, call: int, code: int = 200, record_to: Optional[str] = None,
                   headers: Optional[list] = None) -> None:
        """Answer an incoming call with the code (200 connects it) and extra headers (a 302
        needs its Contact)."""
        phone_call = self.call_by_handle(call)
        if record_to:
            phone_call.record.record_to = record_to
        prm = call_param(headers)
        prm.statusCode = code
        phone_call.answer(prm)

    def cmd_hangup(self, call: int, code: int = 0) -> None:
        """End a call: BYE, CANCEL or, for a ringing incoming call, a final response."""
        prm = pj.CallOpParam(True)
        if code:
            prm.statusCode = code
        self.call_by_handle(call).hangup(prm)

    def cmd_hold(self, call: int, headers: Optional[list] = None) -> None:
        """Put the call on hold (re-INVITE with a=sendonly, and the extra headers given)."""
        self.call_by_handle(call).setHold(call_param(headers))

    def cmd_unhold(self, call: int) -> None:
        """Take the call off hold (re-INVITE with a=sendrecv)."""
        prm = pj.CallOpParam(True)
        prm.opt.flag = pj.PJSUA_CALL_UNHOLD
        self.call_by_handle(call).reinvite(prm)

    def cmd_dtmf(self, call: int, digits: str) -> None:
        """Send DTMF digits in the call as RFC 4733 telephone-events."""
        self.call_by_handle(call).dialDtmf(digits)

    def cmd_transfer(self, call: int, uri: str) -> None:
        """Blind-transfer the call: send REFER with Refer-To the URI."""
        self.call_by_handle(call).xfer(uri, pj.CallOpParam(True))

    def cmd_transfer_attended(self, call: int, target_call: int) -> None:
        """Attended transfer: REFER the call's peer to the peer of `target_call`, with a
        Replaces of that call (RFC 3891), so the new call takes its place."""
        self.call_by_handle(call).xferReplaces(self.call_by_handle(target_call),
                                               pj.CallOpParam(True))

    def cmd_rtp_stats(self, call: int) -> dict:
        """Return the call's RTP counters (kept after the call ended)."""
        phone_call = self.call_by_handle(call)
        if phone_call.record.state != "DISCONNECTED":
            phone_call.poll_rtp_stats()
        return phone_call.record.rtp_stats()

    def cmd_quit(self) -> None:
        """Stop the agent after this reply."""
        self.running = False

    def execute(self, command: dict) -> None:
        """Run one command and reply with its result or its error."""
        command_id = command.get("id")
        name = command.get("cmd")
        handler = getattr(self, f"cmd_{name}", None) if isinstance(name, str) else None
        if handler is None:
            self.events.reply(command_id, error=f"unknown command {name!r} in {command}")
            return
        try:
            result = handler(**command.get("args", {}))
        except Exception as exc:  # noqa: BLE001 - the error goes back to the caller
            detail = exc.info() if isinstance(exc, pj.Error) else f"{type(exc).__name__}: {exc}"
            self.events.reply(command_id, error=f"{name} failed: {detail}")
            return
        self.events.reply(command_id, result=result)

    # --- main loop -------------------------------------------------------

    def run(self, commands: "queue.Queue[Optional[dict]]") -> None:
        """Handle SIP events and commands until 'quit', the end of stdin or of stdout."""
        next_poll = time.monotonic() + STATS_POLL_INTERVAL
        while self.running and not self.events.closed:
            self.endpoint.libHandleEvents(EVENT_LOOP_SLICE_MS)
            while self.running:
                try:
                    command = commands.get_nowait()
                except queue.Empty:
                    break
                if command is None:  # stdin closed
                    self.running = False
                else:
                    self.execute(command)
            self.report_finished_recordings()
            if time.monotonic() >= next_poll:
                self.poll_all_rtp_stats()
                next_poll = time.monotonic() + STATS_POLL_INTERVAL


def call_param(headers: Optional[list] = None) -> "pj.CallOpParam":
    """A CallOpParam whose request carries the extra (name, value) headers given."""
    prm = pj.CallOpParam(True)
    for name, value in headers or ():
        header = pj.SipHeader()
        header.hName = name
        header.hValue = value
        prm.txOption.headers.append(header)
    return prm


def wav_is_complete(path: str) -> bool:
    """Tell whether pjmedia has closed the WAV file: its RIFF size covers the whole file."""
    try:
        with open(path, "rb") as wav:
            header = wav.read(8)
            size = os.fstat(wav.fileno()).st_size
    except FileNotFoundError:
        return False
    return len(header) == 8 and header[:4] == b"RIFF" and struct.unpack("<I", header[4:])[0] == size - 8


def read_commands(stdin, commands: "queue.Queue[Optional[dict]]") -> None:
    """Read JSON commands from stdin into the queue; put None at end of input.

    A line that is not a JSON object is queued as a command without a name,
    which the agent answers with an error.
    """
    for line in stdin:
        line = line.strip()
        if not line:
            continue
        try:
            command = json.loads(line)
        except json.JSONDecodeError:
            command = None
        commands.put(command if isinstance(command, dict) else {"id": None, "cmd": None, "line": line})
    commands.put(None)


def take_over_stdout():
    """Return a private stream on the original stdout and point fd 1 at stderr.

    pjsip and other C code may print to fd 1; that must never corrupt the protocol.
    """
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(protocol_fd, "w", buffering=1, encoding="utf-8")


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line of the agent."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", default="phone", help="label used in logs")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", default=None)
    parser.add_argument("--domain", default=None, help="SIP domain of the account (default 127.0.0.1)")
    parser.add_argument("--proxy", default=None, help="HOST:PORT of the outbound proxy and registrar")
    parser.add_argument("--sip-port", type=int, default=0, help="UDP port; 0 lets the OS choose")
    parser.add_argument("--bind-address", default="127.0.0.1",
                        help="loopback address for SIP and RTP (e.g. 127.0.0.2 to play the carrier)")
    parser.add_argument("--tone-hz", type=int, default=440, help="frequency of the tone this phone sends")
    parser.add_argument("--log-file", default=None, help="file for pjsip's log")
    parser.add_argument("--log-level", type=int, default=3)
    parser.add_argument("--display-name", default=None, help="display name of the From of its requests")
    parser.add_argument(
        "--refuse-transfers",
        dest="accept_transfers",
        action="store_false",
        help="answer REFER with 603 instead of following it",
    )
    options = parser.parse_args(argv)
    if options.proxy and not options.domain:
        parser.error("--proxy needs --domain")
    return options


def main(argv=None) -> int:
    """Run one phone until stdin ends or a 'quit' command arrives."""
    options = parse_args(argv)
    events = EventWriter(take_over_stdout())
    commands: "queue.Queue[Optional[dict]]" = queue.Queue()
    agent = PhoneAgent(options, events)
    try:
        agent.start()
    except pj.Error as exc:
        events.event("agent_error", where="start", traceback=exc.info())
        return 1
    threading.Thread(target=read_commands, args=(sys.stdin, commands), daemon=True).start()
    try:
        agent.run(commands)
    finally:
        agent.shutdown()
        events.event("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
