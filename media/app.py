"""The media application's SIP side: one PJSUA2 endpoint on 127.0.0.1:<media sip_port>."""
import logging
import time

import pjsua2 as pj

from . import prompts

log = logging.getLogger("vpbx.media")
EVENT_SLICE_MS = 20


class PromptCall(pj.Call):
    """An answered call that plays one WAV to the caller, then hangs up."""

    def __init__(self, account, call_id, app):
        super().__init__(account, call_id)
        self.app = app
        self.player = None
        self.hangup_at = None

    def onCallState(self, prm):
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            log.info("call %s ended", info.callIdString)
            self.app.forget(self)

    def onCallMediaState(self, prm):
        info = self.getInfo()
        for index, media in enumerate(info.media):
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE \
                    and self.player is None:
                wav = prompts.resolve(self.app.data_dir, self.app.dialled(info))
                self.player = pj.AudioMediaPlayer()
                self.player.createPlayer(wav, pj.PJMEDIA_FILE_NO_LOOP)
                self.player.startTransmit(self.getAudioMedia(index))
                self.hangup_at = time.monotonic() + prompts.wav_seconds(wav) + 0.3
                log.info("call %s: playing %s", info.callIdString, wav)


class MediaAccount(pj.Account):
    def __init__(self, app):
        super().__init__()
        self.app = app

    def onIncomingCall(self, prm):
        call = PromptCall(self, prm.callId, self.app)
        answer = pj.CallOpParam()
        answer.statusCode = 200
        call.answer(answer)
        self.app.calls.append(call)


class MediaApp:
    """Owns the PJSUA2 endpoint; `run()` handles SIP and media events until stopped."""

    def __init__(self, address: str, port: int, data_dir: str):
        self.address, self.port, self.data_dir = address, port, data_dir
        self.calls = []
        self.running = True
        self.endpoint = pj.Endpoint()
        self.endpoint.libCreate()
        ep_cfg = pj.EpConfig()
        ep_cfg.uaConfig.threadCnt = 0
        ep_cfg.uaConfig.mainThreadOnly = True
        ep_cfg.uaConfig.userAgent = "vpbx-media"
        ep_cfg.logConfig.level = 2
        ep_cfg.logConfig.consoleLevel = 2
        ep_cfg.medConfig.clockRate = prompts.SAMPLE_RATE
        ep_cfg.medConfig.noVad = True
        self.endpoint.libInit(ep_cfg)
        transport = pj.TransportConfig()
        transport.port = port
        transport.boundAddress = address
        transport.publicAddress = address
        self.endpoint.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
        self.endpoint.libStart()
        self.endpoint.audDevManager().setNullDev()
        account_cfg = pj.AccountConfig()
        account_cfg.idUri = f"sip:media@{address}:{port}"
        self.account = MediaAccount(self)
        self.account.create(account_cfg)

    @staticmethod
    def dialled(info) -> str:
        """The user part of the URI the call was sent to (which prompt to play)."""
        uri = info.localUri.split("<", 1)[-1].split(">", 1)[0]
        return uri.split(":", 1)[-1].split("@", 1)[0]

    def forget(self, call) -> None:
        if call in self.calls:
            self.calls.remove(call)

    def run(self) -> None:
        log.info("media application listening on %s:%d", self.address, self.port)
        while self.running:
            self.endpoint.libHandleEvents(EVENT_SLICE_MS)
            now = time.monotonic()
            for call in list(self.calls):
                if call.hangup_at is not None and now >= call.hangup_at:
                    call.hangup_at = None
                    call.hangup(pj.CallOpParam())
        self.endpoint.hangupAllCalls()
        self.endpoint.libDestroy()
