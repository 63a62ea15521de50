"""Kamailio's entry point for the Virtual PBX (app_python3 loads this file).

`mod_init()` returns the `kamailio` object whose ksr_* methods Kamailio calls; they only
dispatch to the route modules: edge.py (requests, registration), new_calls.py (a new call, as
vpbx.engine.decision decides), ringing.py (plan steps, failures), answers.py (answers, ends),
media.py (rtpengine: ringback, music on hold), media_app.py, legs.py, digest.py, identity.py
(see each). The decision logic lives in the `vpbx` package (plain Python, no KSR), shared with
`vpbx simulate`, the web UI and the tests.
"""
import KSR  # noqa: E402  (exists only inside Kamailio)

import answers  # noqa: E402
import edge  # noqa: E402
import identity  # noqa: E402
import media  # noqa: E402
import ringing  # noqa: E402
import sip  # noqa: E402


def mod_init():
    """Called once before Kamailio forks its workers."""
    KSR.info("vpbx: KEMI routing loaded from %s\n" % __file__)
    return kamailio()


class kamailio:  # noqa: N801 (the name app_python3 expects)
    def child_init(self, rank):
        """Each worker opens its own database connection, lazily, on first use."""
        sip.child_init(rank)
        return 0

    def ksr_request_route(self, msg):
        return edge.request_route()

    def ksr_stray_reply(self, msg, event=None):
        return edge.drop_stray_reply()

    def ksr_onreply_media(self, msg):
        media.on_reply()                # an answer ends the ringback tone
        return answers.onreply_media()

    def ksr_failure_media(self, msg):
        return media.on_failure(ringing.failure_media)

    def ksr_branch_forward(self, msg):
        return identity.branch_forward()

    def ksr_dialog_event(self, msg, event):
        return answers.dialog_event(event)
