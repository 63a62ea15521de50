"""The baseline route of bench/kamailio-native.cfg, step for step, in KEMI Python.

Loaded by the product's kamailio.cfg in place of kemi/vpbx_kemi.py (`python -m bench.ab
kemi-minimal native`), it measures what routing in KEMI Python costs by itself, before any
of the product's own work: the floor of the architecture, next to the native baseline.
"""
import KSR

RTP_FLAGS = "replace-origin replace-session-connection ICE=remove"   # as kemi/sip.py
STOP = -255


def mod_init():
    return kamailio()


class kamailio:  # noqa: N801 (the name app_python3 expects)
    def child_init(self, rank):
        return 0

    def ksr_request_route(self, msg):
        if KSR.maxfwd.process_maxfwd(10) < 0:
            KSR.sl.sl_send_reply(483, "Too Many Hops")
            return STOP
        if KSR.sanity.sanity_check_defaults() < 0:
            return STOP
        if KSR.is_CANCEL():
            if KSR.tm.t_check_trans() > 0:
                KSR.tm.t_relay()
            return STOP
        if KSR.siputils.has_totag() > 0:
            return within_dialog()
        if KSR.tm.t_check_trans() == 0:
            return STOP
        if KSR.is_ACK():
            return STOP
        if KSR.is_REGISTER():
            return register()
        if KSR.is_INVITE():
            return invite()
        KSR.sl.sl_send_reply(405, "Method Not Allowed")
        return STOP

    def ksr_manage_reply(self, msg):
        if KSR.pv.get("$rs") < 300:
            KSR.rtpengine.rtpengine_manage(RTP_FLAGS)
        return 1

    def ksr_manage_failure(self, msg):
        KSR.rtpengine.rtpengine_delete0()
        return 1


def within_dialog():
    if KSR.rr.loose_route() > 0:
        if KSR.is_BYE():
            KSR.rtpengine.rtpengine_delete0()
        elif KSR.is_method_in("IA") > 0:
            KSR.rtpengine.rtpengine_manage(RTP_FLAGS)
            if KSR.is_INVITE():
                KSR.tm.t_on_reply("ksr_manage_reply")
        if KSR.tm.t_relay() < 0:
            KSR.sl.sl_reply_error()
        return STOP
    if KSR.is_ACK():
        if KSR.tm.t_check_trans() > 0:
            KSR.tm.t_relay()
        return STOP
    KSR.sl.sl_send_reply(404, "Not Here")
    return STOP


def register():
    code = KSR.auth_db.auth_check(KSR.pv.get("$td"), "subscriber", 1)
    if code < 0:
        if code in (-4, -5, -6):
            KSR.auth.auth_challenge(KSR.pv.get("$td"), 1)
        else:
            KSR.sl.sl_send_reply(403, "Forbidden")
        return STOP
    KSR.auth.consume_credentials()
    if KSR.registrar.save("location", 0) < 0:
        KSR.sl.sl_reply_error()
    return STOP


def invite():
    # the dialled extension is the callee's SIP user in the caller's domain
    KSR.pv.sets("$ru", "sip:%s@%s" % (KSR.pv.get("$rU"), KSR.pv.get("$fd")))
    found = KSR.registrar.lookup("location")
    if found < 0:
        if found == -2:
            KSR.sl.sl_send_reply(405, "Method Not Allowed")
        else:
            KSR.sl.sl_send_reply(480, "Temporarily Unavailable")
        return STOP
    KSR.rr.record_route()
    if KSR.rtpengine.rtpengine_manage(RTP_FLAGS) < 0:
        KSR.sl.sl_send_reply(503, "Media Relay Unavailable")
        return STOP
    KSR.tm.t_on_reply("ksr_manage_reply")
    KSR.tm.t_on_failure("ksr_manage_failure")
    if KSR.tm.t_relay() < 0:
        KSR.rtpengine.rtpengine_delete0()
        KSR.sl.sl_reply_error()
    return STOP
