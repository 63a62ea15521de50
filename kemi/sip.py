"""Small KSR helpers shared by the route modules: reading pseudo-variables, replying, logging,
and `kemi_callback`, the one guard of the KEMI callbacks."""
import functools
import gc
import time
import traceback
import urllib.parse

import KSR

from vpbx.edge import backlog
from vpbx.records import call_records as cdr
from vpbx.settings import platform as config
from vpbx.records import log_line as logline
from vpbx.storage.routing_data import DATABASE_BACKOFF_SECONDS, DatabaseUnavailable, SipStore

STOP = -255
# Python's cyclic garbage collector in a routing worker: a young collection after this many
# new objects still alive (Python's default is 700), the older generations as by default
GC_THRESHOLDS = (20000, 20, 20)
# rtpengine: anchor every call's media on the platform's address; once a party's media address
# is learnt (rtpengine.conf: endpoint-learning, the SDP's address first), packets from any
# other source are dropped: nobody else can take over a call's audio (RTP bleed)
RTPENGINE_FLAGS = "replace-origin replace-session-connection ICE=remove strict-source"


class Worker:
    """Per-process state: the platform configuration and the database store (opened
    lazily, one connection per worker); child_init sets them in each worker."""
    cfg: config.Config
    store: SipStore
    sip_queue: backlog.QueueGauge     # of the edge's UDP socket


def child_init(rank):
    Worker.cfg = config.load()
    Worker.store = SipStore(Worker.cfg)
    Worker.sip_queue = backlog.QueueGauge(Worker.cfg.sip_port,
                                          Worker.cfg.sip_overload_queue_kb * 1024)
    tune_garbage_collector()


def tune_garbage_collector():
    """The routing frees what it allocates for a call by reference counting, nearly never in
    cycles, yet the default thresholds ran the cyclic collector so often that it weighed
    ~4 % of Kamailio's CPU per group call (bench.ab). What exists at the fork (modules,
    the configuration) is frozen out of every collection; new objects are scanned
    far less often."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def record(kind, **fields):
    """A call-record event for this call (see vpbx.records.call_records); never stops the routing."""
    try:
        cdr.append_event(Worker.cfg.data_dir, {"kind": kind, "call_id": pv("$ci"), **fields})
    except OSError as exc:
        KSR.err("vpbx: call record event %s of %s not written: %s\n" % (kind, pv("$ci"), exc))


class DatabaseBackingOff(DatabaseUnavailable):
    """The database was found unavailable moments ago; it is not asked again yet."""


def note_database_down():
    """Start the back-off (DATABASE_BACKOFF_SECONDS): every worker sees it
    ($shv(vpbx_db_down), epoch seconds)."""
    KSR.pv.seti("$shv(vpbx_db_down)", int(time.time()) + DATABASE_BACKOFF_SECONDS)


def database_backing_off():
    """Whether the database was found unavailable moments ago (see note_database_down)."""
    return int(KSR.pv.get("$shv(vpbx_db_down)") or 0) > time.time()


def refresh_configuration():
    """Before routing a new request: drop this worker's cached configuration if it changed.

    $shv(vpbx_gen) is the configuration generation all workers share; `vpbx` and the web UI
    set it after each change, and a worker that finds the database ahead sets it for the others.
    """
    if database_backing_off():
        raise DatabaseBackingOff("database unavailable moments ago (not asked again for up "
                                 "to %d s)" % DATABASE_BACKOFF_SECONDS)
    announced = int(KSR.pv.get("$shv(vpbx_gen)") or 0)
    stored = Worker.store.begin_request(announced)
    if stored is not None:
        KSR.pv.seti("$shv(vpbx_gen)", stored)


def dialled_number():
    """The Request-URI's user part as dialled: '#' arrives escaped (%23) in a SIP URI."""
    return urllib.parse.unquote(pv("$rU"))


class NotUtf8(Exception):
    """A part of the request that the routing reads holds bytes that are not UTF-8 text."""

    def __init__(self, name):
        super().__init__("%s is not UTF-8" % name)
        self.name = name


def pv(name):
    """A pseudo-variable's value as text ("" when unset); NotUtf8 for bytes that are not
    UTF-8, which nothing may route on (the request gets a 400, see edge.request_route)."""
    try:
        value = KSR.pv.get(name)
    except UnicodeDecodeError:
        raise NotUtf8(name) from None
    return "" if value is None else str(value)


def pv_text(name):
    """A pseudo-variable's value for a log line, whatever bytes it holds: bytes that are not
    UTF-8 come as surrogate escapes, which vpbx.records.log_line writes as \\xNN."""
    try:
        return pv(name)
    except NotUtf8:
        # "$ci" -> "$(ci{s.encode.hexa})": the raw bytes, read safely as hex digits
        hexa = KSR.pv.get("$(%s{s.encode.hexa})" % name[1:]) or ""
        return bytes.fromhex(str(hexa)).decode("utf-8", "surrogateescape")


def reply(code, reason):
    """Reply to the current request (statefully when a transaction exists)."""
    KSR.sl.send_reply(code, reason)
    return STOP


def log_route(**fields):
    KSR.info(logline.route_line(call_id=pv_text("$ci"), **fields) + "\n")


def log_call(outcome, tenant=None, **extra):
    """The end of a call's routing: answered (by whom), cancelled, or the final failure code."""
    KSR.info(logline.format_line("VPBX-CALL", {"call_id": pv_text("$ci"), "tenant": tenant,
                                               "decision": "final", "outcome": outcome},
                                 extra) + "\n")


def kemi_callback(where, answer=1, then=None):
    """Decorator of a KEMI callback (or of a part of one that must never fail the call): an
    exception escaping it is logged (log_error, with the request's Call-ID and the
    traceback on one line), `then()` runs if given, and the callback returns `answer`:
    Kamailio would otherwise log a bare Python error and, for a request, answer nothing
    (the phone retransmits). Return codes follow KEMI's: 1 go on, STOP (-255) finished."""
    def guard(callback):
        @functools.wraps(callback)
        def guarded(*args):
            try:
                return callback(*args)
            except Exception:
                log_error(where)
                if then is not None:
                    then()
                return answer
        return guarded
    return guard


def log_error(where):
    """An unexpected error, with its traceback on one line (every value escaped)."""
    trace = traceback.format_exc().replace("\n", " | ")
    KSR.err("vpbx: %s error for %s %s: %s\n"
            % (where, pv_text("$rm"), logline.escape(pv_text("$ci")),
               logline.escape(trace, limit=logline.TRACE_CHARS)))
