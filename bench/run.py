"""`make bench`: call and registration rates through the full stack, next to a native baseline.

    python -m bench.run [--profile full|quick|smoke] [--children N] [--keep] [--results DIR]

Four platform instances run side by side on one throwaway database (tests.support.instance),
each with its own Kamailio (4 SIP workers as the platform's default, -m 1024) and its own
rtpengine (offer, answer and delete on every call):

  kemi    the platform's kamailio.cfg with its KEMI Python routing (kemi/): digest auth on every
          INVITE (407, then the INVITE again: 2 INVITEs per call), tenant and user from MariaDB,
          lookup("location"), record_route, dialog tracking, rtpengine, t_relay
  native  bench/kamailio-native.cfg: the same modules and parameters, a minimal native route
          (lookup + relay, the same rtpengine use), no digest auth on INVITE
  group   the same kamailio.cfg + kemi/ as `kemi`, called by the carrier: the caller sends from
          the carrier's address (127.0.0.2, platform_settings carrier_address), so the INVITE
          is trusted without digest auth (1 INVITE per call) and routed to a global number of
          the bench tenant, through the time range in force ("Always") to a call group
          (hierarchical) whose member's phone rings (route_carrier_call, start_flow)
  direct  the same kamailio.cfg + kemi/ again, called by the carrier in the same way, at a
          user's direct number: no time range, no group (route_carrier_call, ring_user). The
          trivial route of the same stack: group/direct is the cost of the range and group
          routing alone, group/native that plus the cost of the platform's stack

A group member in a call is busy and skipped (with one member, a second call would end at
the group's no-answer rule), so the group route has a pool of callees: `group_pool` in
PROFILES = (K groups, M members each). Each group ("Bench group N", hierarchical) sits behind
its own global number (+41215550999 + N - 1), all routed through "Always"; the caller's CSV
walks through the K numbers, and a call rings the first of its group's members not in a call
(busy ones are skipped: VPBX-ROUTE ... skipped=…). K x M exceeds the calls held at once
(rate x ~1.1 s). The calls are counted in the Kamailio log (VPBX-ROUTE ...
decision="group:Bench group N" outcome=ring) after each step: a call refused at once with
"480 member busy" (all M busy) means the pool was too small for the rate (or, in an
overloaded step, calls lasted far longer than the hold).

All four run a copy of the routing code taken at the start, so one run measures one version
of it. sipp (scenarios in bench/*.xml, on 127.0.0.1, the carrier on 127.0.0.2) plays the
callee phones per instance (REGISTERs with digest auth, then answers with SDP) and a caller
(INVITE with SDP, ACK and BYE along the recorded route, 1 s hold). The call rate is stepped,
rotating which instance goes first at each step so drifts of the machine hit all; after every
step rtpengine must hold no session. A route stops after two failed steps, and its stack is
restarted after a failed call step (an overload leaves dialogs, transactions and media
sessions behind). Then REGISTER with digest auth over 500 users, stepped the same way (kemi
and native only). The request-route latency comes from Kamailio's "request-route executed
in: N usec" lines (latency_cfg_log) at a moderate rate.

The table is printed and written to bench/results/latest.txt, everything (with the SIP
evidence of failures) to bench/results/bench-<UTC timestamp>.json (or into --results; the JSON
files stay out of git: only latest.txt, the latest summary, is committed). The
`quick` profile steps to 100 calls/s only; `smoke`, one low step per route, is the test
suite's check that the benchmark runs at all (tests/integration/test_bench.py). The stacks
are stopped and the database dropped at the end, also on failure, Ctrl-C or SIGTERM; the
work folder (logs, sipp traces) is kept on failure or with --keep.
"""
import argparse
import contextlib
import datetime
import hashlib
import json
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

from rtpengine.ngclient import NgClient, NgError
from tests.support import instance
from vpbx.settings import platform as config_mod
from vpbx.storage import connection as db
from vpbx.edge import credentials as sipauth
from vpbx.stack.control import ROOT, Component, Stack, log_size, log_slice, tail

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
RESULTS_DIR = os.path.join(BENCH_DIR, "results")
NATIVE_CFG = os.path.join(BENCH_DIR, "kamailio-native.cfg")
DOMAIN = "bench.pbx.test"
CALLER = "1001"                      # SIP username = extension (the baseline has no database)
CALLEES = {"kemi": "2001", "native": "2002", "group": "20001",   # group: the first of its pool
           "direct": "2004"}
DIRECT_NUMBER = "+41215540001"       # the direct route's callee's direct number
# the group route: the carrier's trunk calls global numbers of the bench tenant
CARRIER_ADDRESS = "127.0.0.2"        # on loopback; platform_settings carrier_address
CARRIER_PORT = 5060                  # platform_settings carrier_port (only used to call out)
CARRIER_CALLER = "+41790000001"      # the calling party the carrier presents (From)
GROUP_NUMBER_FIRST = 41215550999     # +41215550999, +41215551000, … one per pool member
GROUP_SHORT_FIRST = 480              # the groups' short numbers: 480 … 999, then 200 …
FIRST_REG_USER = 3000
SIP_CHILDREN = 4
SHM_MB = 1024
HOLD_MS = 1000                       # time between the caller's ACK and its BYE
RECV_TIMEOUT_MS = 5000               # a call waiting longer than this for a message fails
MAX_FAILED = 0.005                   # a step "passes" with at most 0.5 % failed ...
RATE_HELD = 0.95                     # ... and at least 95 % of the offered rate completed
STOP_AFTER_FAILED = 2                # a route stops stepping up after this many failed steps
# rtpengine port ranges: 4 ports per call (RTP+RTCP each side); a call holds its ports for
# the 1 s hold and a little more, so a range of N ports holds about N / 4.4 calls/s: sized
# above where each route reaches its limit on these machines (KEMI, two INVITEs per call,
# ~1000 calls/s; group and direct ~1100 and ~1300; native beyond 1500), so that no route stops
# for want of ports. 30000-40000, the platform's own default range (a `make run` beside the
# bench), is left alone. The ranges may lie in the kernel's ephemeral range because every
# port the bench's services listen on (SIP, ng, media app, sipp) comes from SERVICE_PORTS,
# apart from them: rtpengine binds its media sockets with SO_REUSEADDR, like Kamailio its SIP
# socket, so an RTP port equal to Kamailio's SIP port would take over its traffic.
# NB the test suite's instances take 100 ports each within 10000-19999
# (tests.support.instance), which the kemi and group ranges overlap (the heavy-run lock
# keeps tests and bench apart).
RTP_RANGES = {"kemi": (6000, 11999), "group": (12000, 19999), "direct": (20000, 29999),
              "native": (41000, 58999)}
# the low-rate profiles' (up to 100 calls/s: ~440 ports a route) lie apart from the test
# suite's instances and below the ephemeral ports, so that the suite can run the benchmark
# beside its own platforms (tests/integration/test_bench.py)
LOW_RATE_RTP_RANGES = {"kemi": (20000, 22499), "group": (22500, 24999),
                       "direct": (25000, 27499), "native": (27500, 29999)}
SERVICE_PORTS = (61000, 64999)


_handed_out = set()  # ports already given: routes pick all their ports before any binds them


def service_port(host="127.0.0.1", span: int = 1) -> int:
    """A port of SERVICE_PORTS free for both UDP and TCP on `host`, for a service to listen on,
    and never handed out before in this process; with `span`, the first of that many
    consecutive such ports (sipp's -mp P binds P to P+3: audio and video RTP and RTCP)."""
    low, high = SERVICE_PORTS
    for port in random.sample(range(low, high - span + 2), high - low - span + 2):
        block = range(port, port + span)
        if any(candidate in _handed_out for candidate in block):
            continue
        try:
            with contextlib.ExitStack() as held:
                for candidate in block:
                    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                        held.enter_context(socket.socket(socket.AF_INET, kind)).bind(
                            (host, candidate))
            _handed_out.update(block)
            return port
        except OSError:
            continue
    raise RuntimeError(f"no {span} free port(s) in a row in {low}-{high} on {host}")


def sipp_media_port(host="127.0.0.1") -> int:
    """A port for sipp's -mp, the four ports from it free (a video RTP port already taken
    made a restarted callee exit at once: "Unable to bind video RTP socket")."""
    return service_port(host, span=4)


# full: 6 s call steps keep the whole run around 12 minutes with four routes; steps of 100
# calls/s from 200 up, where the routes reach their limits (a slower machine day: 400 to 800
# calls/s, as on 2026-11-27, ~2.3 times the CPU per call; with steps of 200, a ratio of the
# highest rates passed could only be 0.6, 0.75, 0.8 or 1), on to 2400, since the native route
# passed every step up to 1500 on a quiet machine (a ratio to a route that passed every step
# is only a bound). group_pool: (groups, members per group) of the group route; 160 x 12
# holds up to ~1600 calls/s (a group's calls at once: rate / 160 x ~1.1 s < 12).
PROFILES = {
    "full": dict(call_rates=(100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1200,
                             1300, 1400, 1500, 1600, 1700, 1800, 1900, 2000, 2200, 2400),
                 call_seconds=6,
                 reg_rates=(1000, 2000, 3000, 4000, 5000, 6000, 8000, 10000, 12000, 14000,
                            16000), reg_seconds=4,
                 reg_users=500, group_pool=(160, 12),
                 latency_rate=50, latency_seconds=4, reg_latency_rate=100),
    "quick": dict(call_rates=(50, 100), call_seconds=3, reg_rates=(200, 400), reg_seconds=2,
                  reg_users=50, group_pool=(10, 15), latency_rate=20, latency_seconds=2,
                  reg_latency_rate=50, rtp_ranges="low-rate"),
    # the test suite's check that the benchmark still runs end to end (every route, one low
    # step each): not a measurement
    "smoke": dict(call_rates=(50,), call_seconds=2, reg_rates=(200,), reg_seconds=2,
                  reg_users=50, group_pool=(10, 15), latency_rate=20, latency_seconds=1,
                  reg_latency_rate=50, rtp_ranges="low-rate"),
}

LATENCY_LINE = re.compile(r"\{(\S+) (\S+)\} <core> .*request-route executed in: (\d+) usec")


class Interrupted(Exception):
    """SIGTERM: unwind through the clean-up like Ctrl-C does."""


def _on_sigterm(signum, frame):
    raise Interrupted(f"signal {signum}")


# -- sipp -------------------------------------------------------------------------------------
_running = set()   # sipp processes to kill on the way out


def start_sipp(args: list, workdir: str, tag: str) -> tuple:
    """Start sipp with statistics (every second), unexpected-message trace and final screen."""
    files = {kind: os.path.join(workdir, f"{tag}-{kind}.{ext}") for kind, ext in
             (("stat", "csv"), ("errors", "log"), ("screen", "log"), ("output", "txt"))}
    argv = ["sipp", *map(str, args), "-nostdin", "-default_behaviors", "all,-abortunexp",
            "-trace_stat", "-stf", files["stat"], "-fd", "1",
            "-trace_err", "-error_file", files["errors"],
            "-trace_screen", "-screen_file", files["screen"]]
    out = open(files["output"], "wb")
    proc = subprocess.Popen(argv, cwd=workdir, stdin=subprocess.DEVNULL, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)
    out.close()
    _running.add(proc)
    return proc, files


def stop_sipp(proc) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=3)
        except (OSError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait()
    _running.discard(proc)


def run_sipp(args: list, workdir: str, tag: str, limit_s: float) -> dict:
    """Run sipp to the end (bounded by limit_s); its final counters and wall time."""
    started = time.monotonic()
    proc, files = start_sipp(args, workdir, tag)
    try:
        proc.wait(timeout=limit_s)
    except subprocess.TimeoutExpired:
        pass
    wall = time.monotonic() - started
    killed = proc.poll() is None
    stop_sipp(proc)
    stats = read_stats(files["stat"])
    stats.update(wall_s=round(wall, 3), exit_code=proc.returncode, killed=killed, files=files)
    if not stats.get("TotalCallCreated") and "SuccessfulCall(C)" not in stats:
        raise RuntimeError(f"sipp {tag} produced no statistics (exit {proc.returncode}):\n"
                           + tail(files["output"]))
    return stats


def read_stats(path: str) -> dict:
    """The last row of sipp's -trace_stat file, numeric columns as int."""
    try:
        with open(path, errors="replace") as handle:
            rows = [line.rstrip("\n").split(";") for line in handle if line.strip()]
    except OSError:
        return {}
    if len(rows) < 2:
        return {}
    header = rows[0]
    parsed = []
    for row in rows[1:]:
        stats = {}
        for name, value in zip(header, row):
            try:
                stats[name] = int(value)
            except ValueError:
                stats[name] = value
        parsed.append(stats)
    stats = dict(parsed[-1])
    # [elapsed s, created, successful, failed] at each one-second dump
    stats["timeline"] = [[_seconds(r.get("ElapsedTime(C)")), r.get("TotalCallCreated", 0),
                          r.get("SuccessfulCall(C)", 0), r.get("FailedCall(C)", 0)]
                         for r in parsed]
    return stats


def _seconds(elapsed) -> float:
    """sipp's "HH:MM:SS" (or "HH:MM:SS:usec") as seconds."""
    try:
        parts = [int(p) for p in str(elapsed).split(":")]
    except ValueError:
        return 0.0
    value = parts[0] * 3600 + parts[1] * 60 + parts[2] if len(parts) >= 3 else 0
    return value + (parts[3] / 1e6 if len(parts) > 3 else 0)


def failure_breakdown(stats: dict) -> dict:
    return {name[len("Failed"):-len("(C)")]: value for name, value in stats.items()
            if name.startswith("Failed") and name.endswith("(C)") and name != "FailedCall(C)"
            and isinstance(value, int) and value}


def evidence(path: str, limit: int = 3000) -> str:
    """The beginning of sipp's unexpected-message log (the SIP evidence of failures)."""
    try:
        with open(path, errors="replace") as handle:
            return handle.read(limit)
    except OSError:
        return ""


# -- one instance under test -----------------------------------------------------------------
class Route:
    """One platform instance under test: its stack, its callee phones (one sipp answering for
    every callee user), its caller CSV and the address its caller sends from."""

    def __init__(self, key: str, label: str, kamailio_cfg: str, caller_scenario: str,
                 callees: list, base: config_mod.Config, db_name: str, work: str,
                 kemi_script: str, children: int, source: str = "127.0.0.1",
                 rtp_range: tuple | None = None):
        self.key, self.label = key, label
        self.caller_scenario = caller_scenario
        self.callees = list(callees)
        self.callee = self.callees[0]
        self.source = source          # the caller's address (sipp -i)
        self.pool = []                # the group route's groups (group_pool)
        self.work = work
        self.folder = os.path.join(work, key)
        low, high = rtp_range or RTP_RANGES[key]
        self.cfg = config_mod.write(
            os.path.join(self.folder, "vpbx.conf"), db_name=db_name, db_user=base.db_user,
            db_password=base.db_password, db_host=base.db_host, db_port=base.db_port,
            run_dir=os.path.join(self.folder, "run"), log_dir=os.path.join(self.folder, "log"),
            data_dir=os.path.join(self.folder, "data"), sip_port=service_port(),
            sip_children=children, rtp_ng_port=service_port(), rtp_port_min=low,
            rtp_port_max=high, media_port=service_port(),
            # every sipp sends from 127.0.0.1, thousands of requests a second: exempt from the
            # flood guard, as on test platforms (a limit high enough for the bench would be no
            # guard at all)
            webui_port=service_port(), sip_flood_exempt=instance.FLOOD_EXEMPT)
        self.stack = SnapshotStack(self.cfg, kamailio_cfg=kamailio_cfg, shm_mb=SHM_MB,
                                   kemi_script=kemi_script)
        self.ng = NgClient(port=self.cfg.rtp_ng_port)
        self.target = f"{self.cfg.sip_address}:{self.cfg.sip_port}"
        self.uas = None
        self.uas_files = None
        # the same port across restarts: the registered contact stays the same, so a contact
        # preloaded from the `location` table after a restart is the one registered again
        self.uas_port = service_port()
        self.callee_totals = []   # the callee sipp's final counters, one per start
        self.starts = 0

    @property
    def log_path(self) -> str:
        return self.stack.log_file("kamailio")

    def log_size(self) -> int:
        return log_size(self.log_path)

    def log_slice(self, start: int, end: int | None = None) -> str:
        return log_slice(self.log_path, start, end)

    def cpu_seconds(self) -> dict:
        """CPU time used so far by Kamailio's processes and by rtpengine."""
        cpu = {name: group_cpu_seconds(self.stack.pid(name)) for name in ("kamailio", "rtpengine")}
        cpu["mariadb"] = mariadb_cpu_seconds()
        return cpu

    def start(self, files: dict) -> None:
        """Start rtpengine and Kamailio, the answering callee, and register the callee."""
        self.starts += 1
        suffix = "" if self.starts == 1 else f"-{self.starts}"
        self.stack.start()
        self.uas, self.uas_files = start_sipp(
            ["-sf", os.path.join(BENCH_DIR, "uas.xml"), "-i", "127.0.0.1", "-p", self.uas_port,
             "-mp", sipp_media_port(), "-recv_timeout", 10000, "-buff_size", 4194304],
            self.work, f"{self.key}-callee{suffix}")
        time.sleep(0.3)
        if self.uas.poll() is not None:
            raise RuntimeError(f"callee sipp for {self.key} exited:\n" + tail(self.uas_files["output"]))
        # the callee phones register with digest auth, their Contacts pointing at the
        # answering sipp (sip:<user>@127.0.0.1:<its port>)
        count = len(self.callees)
        rate = min(count, 500)
        stats = run_sipp([self.target, "-sf", os.path.join(BENCH_DIR, "register.xml"),
                          "-inf", files[f"{self.key}-callee"],
                          "-i", "127.0.0.1", "-p", service_port(), "-m", count,
                          "-r", rate, "-rp", 1000, "-l", max(100, rate),
                          "-recv_timeout", 3000, "-timeout", 10 + count // rate],
                         self.work, f"{self.key}-callee-register{suffix}", 15 + count // rate)
        if stats.get("SuccessfulCall(C)") != count:
            raise RuntimeError(f"the callees could not register on the {self.key} route "
                               f"({stats.get('SuccessfulCall(C)')} of {count}):\n"
                               + evidence(stats["files"]["errors"]) + tail(self.log_path))

    def restart(self, files: dict) -> None:
        self.stop()
        self.start(files)

    def stop(self) -> None:
        if self.uas is not None:
            time.sleep(1.1)   # the callee's statistics are written every second
            stats = read_stats(self.uas_files["stat"])
            stats["errors_file"] = self.uas_files["errors"]
            self.callee_totals.append(stats)
            stop_sipp(self.uas)
            self.uas = None
        self.stack.stop()

    def callee_summary(self) -> dict:
        total = {"answered": 0, "failed": 0, "failures": {}}
        for stats in self.callee_totals:
            total["answered"] += stats.get("SuccessfulCall(C)", 0) or 0
            total["failed"] += stats.get("FailedCall(C)", 0) or 0
            for name, value in failure_breakdown(stats).items():
                total["failures"][name] = total["failures"].get(name, 0) + value
            if stats.get("FailedCall(C)") and "sipp_unexpected" not in total:
                total["sipp_unexpected"] = evidence(stats["errors_file"])
        return total

    def wait_media_drained(self, timeout: float = 5.0) -> list:
        """Wait until rtpengine holds no session; the Call-IDs still held after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                left = self.ng.call_ids()
            except NgError as exc:
                return [f"rtpengine did not answer: {exc}"]
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.2)

    def kamcmd(self, *args) -> subprocess.CompletedProcess:
        ctl = os.path.join(self.cfg.run_dir, "kamailio", "kamailio_ctl")
        return subprocess.run(["kamcmd", "-s", f"unix:{ctl}", *args],
                              capture_output=True, text=True, timeout=5)

    def log_request_times(self, on: bool) -> None:
        """Kamailio's per-request latency lines on or off (latency_cfg_log: 2 = logged at
        debug=2, 3 = not), without a restart."""
        result = self.kamcmd("cfg.seti", "core", "latency_cfg_log", "2" if on else "3")
        if result.returncode != 0:
            raise RuntimeError(f"latency_cfg_log not set: {result.stdout}{result.stderr}")

    def active_dialogs(self) -> int | None:
        """Dialogs Kamailio still tracks (the dialog module: KEMI and group routes), else None."""
        try:
            out = self.kamcmd("dlg.stats_active")
        except (OSError, subprocess.TimeoutExpired):
            return None
        match = re.search(r"all:\s*(\d+)", out.stdout)
        return int(match.group(1)) if match and out.returncode == 0 else None

    def wait_quiet(self, timeout: float = 4.0) -> None:
        """Wait until Kamailio and rtpengine use less than 10 % of a CPU (retransmissions,
        timers of the step before), so the next step starts from rest."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = self.cpu_seconds()
            time.sleep(0.3)
            after = self.cpu_seconds()
            if after["kamailio"] + after["rtpengine"] - before["kamailio"] - before["rtpengine"] < 0.03:
                return


# defines that kamailio.cfg of earlier versions uses and today's instance.cfg no longer has
# (bench.ab runs earlier versions beside today's): the flood guard on pike, until c553ea0
LEGACY_DEFINES = ("#!ifndef FLOOD_SAMPLING_SECONDS\n#!define FLOOD_SAMPLING_SECONDS 2\n#!endif\n",
                  "#!ifndef FLOOD_REQUESTS\n#!define FLOOD_REQUESTS 200\n#!endif\n")


class SnapshotStack(Stack):
    """A Stack whose Kamailio runs a copy of the routing code taken when the bench began.

    The bench restarts stacks between steps; with a copy, every run of the bench measures
    one version of kamailio.cfg, kemi/ and vpbx/ even when they are edited meanwhile.
    """

    def __init__(self, cfg, *, kemi_script: str, **kwargs):
        super().__init__(cfg, **kwargs)
        self.kemi_script = kemi_script

    def kamailio(self) -> Component:
        """Kamailio as the product starts it, its embedded Python finding `vpbx` in the copy
        (the folder above the script's kemi/) before the installed package, so that the
        version measured is the copy's, whole (bench.ab copies older versions the same way)."""
        component = super().kamailio()
        component.env["PYTHONPATH"] = os.path.dirname(os.path.dirname(self.kemi_script))
        return component

    def _write_kamailio_instance(self, run: str) -> None:
        super()._write_kamailio_instance(run)
        path = os.path.join(run, "instance.cfg")
        with open(path) as handle:
            text = handle.read()
        text = re.sub(r'(?m)^#!define KEMI_SCRIPT .*$',
                      lambda m: f'#!define KEMI_SCRIPT "{self.kemi_script}"', text)
        with open(path, "w") as handle:
            handle.write(text + "".join(LEGACY_DEFINES))


def snapshot_code(work: str) -> dict:
    """Copy kamailio.cfg, kemi/, vpbx/ and the native cfg into the work folder."""
    code = os.path.join(work, "code")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("kemi", "vpbx"):
        shutil.copytree(os.path.join(ROOT, folder), os.path.join(code, folder), ignore=ignore)
    shutil.copy2(os.path.join(ROOT, "kamailio.cfg"), os.path.join(code, "kamailio.cfg"))
    shutil.copy2(NATIVE_CFG, os.path.join(code, "kamailio-native.cfg"))
    # the copy's fingerprint: two runs measured the same routing code iff they show the same
    # one (the commit alone does not tell, with uncommitted changes)
    digest = hashlib.sha256()
    for folder, dirs, names in sorted(os.walk(code)):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(folder, name)
            digest.update(os.path.relpath(path, code).encode() + b"\0")
            with open(path, "rb") as handle:
                digest.update(handle.read() + b"\0")
    return {"sha256": digest.hexdigest()[:12],
            "kamailio_cfg": os.path.join(code, "kamailio.cfg"),
            "kemi_script": os.path.join(code, "kemi", "vpbx_kemi.py"),
            "native_cfg": os.path.join(code, "kamailio-native.cfg")}


def git_state() -> dict:
    def git(*args):
        try:
            out = subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True,
                                 timeout=10)
            return out.stdout.strip() if out.returncode == 0 else None
        except (OSError, subprocess.TimeoutExpired):
            return None
    changed = git("status", "--porcelain", "--", "kamailio.cfg", "kemi", "vpbx", "bench")
    return {"commit": git("rev-parse", "--short", "HEAD"),
            "routing_code_modified": None if changed is None else bool(changed),
            "modified_files": changed.splitlines() if changed else []}


def _proc_stats():
    """(pid, pgid, comm, utime + stime in ticks) of every process."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                data = handle.read()
        except OSError:
            continue
        fields = data[data.rindex(")") + 2:].split()
        yield (int(entry), int(fields[2]), data[data.index("(") + 1:data.rindex(")")],
               int(fields[11]) + int(fields[12]))


def group_cpu_seconds(pgid: int | None) -> float:
    """utime + stime of every process in the process group (Kamailio forks its workers)."""
    if not pgid:
        return 0.0
    ticks = sum(t for _, group, _, t in _proc_stats() if group == pgid)
    return ticks / os.sysconf("SC_CLK_TCK")


def mariadb_cpu_seconds() -> float:
    """CPU time of the MariaDB server (shared with anything else using it on this machine)."""
    ticks = sum(t for _, _, comm, t in _proc_stats() if comm in ("mariadbd", "mysqld"))
    return ticks / os.sysconf("SC_CLK_TCK")


# -- database ---------------------------------------------------------------------------------
def group_pool(groups: int, members: int) -> list:
    """The group route's pool: per group (name, short number, global number, member
    extensions in their hierarchical order)."""
    if not 1 <= groups <= 800 or groups * members > 9999:   # short numbers 200-999;
        raise ValueError(f"group pool {groups} x {members}")  # extensions 20001-29999
    first = int(CALLEES["group"])
    return [(f"Bench group {g + 1}", 200 + (GROUP_SHORT_FIRST - 200 + g) % 800,
             f"+{GROUP_NUMBER_FIRST + g}",
             [str(first + g * members + m) for m in range(members)])
            for g in range(groups)]


def provision(base: config_mod.Config, db_name: str, reg_users: int, routes: list,
              work: str) -> dict:
    """The bench tenant and its users (SQL, parameterised), and sipp's CSV files.

    The caller calls a callee of its own per route (the instances share the database, hence
    the `location` table); the registration users register on kemi and native. For the group
    route: the carrier (platform_settings), a time range "Always" (every day, 00:00-24:00),
    and per pool group a call group (hierarchical, 6 rings, 1 cycle, then hang up) with its
    members and a global number routed through "Always" to that group (outside hours: hang
    up). For the direct route: the carrier too, and its callee's direct number. The kemi and
    native callers send from 127.0.0.1, not the carrier's address, and dial extensions: none
    of this touches their calls.
    """
    regs = [str(FIRST_REG_USER + i) for i in range(reg_users)]
    callees = [callee for route in routes for callee in route.callees]
    users = [CALLER] + callees + regs
    assert len(set(users)) == len(users), "an extension is used twice"
    passwords = {user: secrets.token_hex(8) for user in users}
    group_route = next((route for route in routes if route.key == "group"), None)
    pool = group_route.pool if group_route else []
    conn = db.connect(base, database=db_name, autocommit=False)
    try:
        with conn.cursor() as cur:
            tenant_id = insert_tenant(cur, users, carrier=any(
                route.source == CARRIER_ADDRESS for route in routes))
            cur.executemany("INSERT INTO subscriber (username, domain, ha1) VALUES (%s, %s, %s)",
                            [(user, DOMAIN, sipauth.ha1(user, DOMAIN, passwords[user]))
                             for user in users])
            if pool:
                provision_group_route(cur, tenant_id, pool)
            if any(route.key == "direct" for route in routes):
                cur.execute("UPDATE users SET direct_number = %s"
                            " WHERE tenant_id = %s AND extension = %s",
                            (DIRECT_NUMBER, tenant_id, CALLEES["direct"]))
        conn.commit()
    finally:
        conn.close()

    def auth(user):
        # sipp 3.6.1 cannot put [fieldN] inside [authentication]: the whole keyword is a field
        return f"[authentication username={user} password={passwords[user]}]"

    def write(name, lines):
        path = os.path.join(work, f"{name}-users.csv")
        with open(path, "w") as handle:
            handle.write("SEQUENTIAL\n" + "".join(line + "\n" for line in lines))
        return path

    files = {"register": write("register", [f"{u};{DOMAIN};127.0.0.1:5999;{auth(u)}" for u in regs])}
    for route in routes:
        if route.key == "group":
            # the carrier calls the pool's global numbers in turn (uac-noauth.xml: field1 is
            # the Request-URI's user)
            lines = [f"{CARRIER_CALLER};{number};{DOMAIN};-" for _, _, number, _ in pool]
        elif route.key == "direct":
            lines = [f"{CARRIER_CALLER};{DIRECT_NUMBER};{DOMAIN};-"]    # the carrier, no auth
        else:
            lines = [f"{CALLER};{route.callee};{DOMAIN};{auth(CALLER)}"]
        files[f"{route.key}-caller"] = write(f"{route.key}-caller", lines)
        files[f"{route.key}-callee"] = write(
            f"{route.key}-callee",
            [f"{callee};{DOMAIN};127.0.0.1:{route.uas_port};{auth(callee)}"
             for callee in route.callees])
    return files


def insert_tenant(cur, users: list, carrier: bool) -> int:
    """The bench tenant and its users (extension = SIP username); with `carrier`, the
    platform's carrier trunk. Its id."""
    cur.execute("INSERT INTO tenants (slug, name, domain) VALUES (%s, %s, %s)",
                ("bench", "Benchmark", DOMAIN))
    tenant_id = cur.lastrowid
    cur.executemany("INSERT INTO users (tenant_id, extension, name, username)"
                    " VALUES (%s, %s, %s, %s)",
                    [(tenant_id, user, f"Bench {user}", user) for user in users])
    if carrier:
        cur.executemany("INSERT INTO platform_settings (name, value) VALUES (%s, %s)"
                        " ON DUPLICATE KEY UPDATE value = VALUES(value)",
                        [("carrier_address", CARRIER_ADDRESS),
                         ("carrier_port", str(CARRIER_PORT))])
    return tenant_id


def provision_group_route(cur, tenant_id: int, pool: list) -> None:
    """The time range "Always", and per pool group the group, its members and its global
    number."""
    cur.execute("INSERT INTO time_ranges (tenant_id, name, days) VALUES (%s, %s, %s)",
                (tenant_id, "Always", "mon,tue,wed,thu,fri,sat,sun"))
    range_id = cur.lastrowid
    cur.execute("INSERT INTO time_range_periods (time_range_id, start_minute, end_minute)"
                " VALUES (%s, %s, %s)", (range_id, 0, 1440))
    cur.executemany("INSERT INTO call_groups (tenant_id, name, short_number, distribution, rings,"
                    " cycles, no_answer_kind, no_answer_target)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    [(tenant_id, name, short, "hierarchical", 6, 1, "hangup", None)
                     for name, short, _, _ in pool])
    cur.execute("SELECT id, name FROM call_groups WHERE tenant_id = %s", (tenant_id,))
    group_ids = {row["name"]: row["id"] for row in cur.fetchall()}
    cur.execute("SELECT id, extension FROM users WHERE tenant_id = %s", (tenant_id,))
    user_ids = {row["extension"]: row["id"] for row in cur.fetchall()}
    cur.executemany("INSERT INTO group_members (group_id, user_id, position) VALUES (%s, %s, %s)",
                    [(group_ids[name], user_ids[ext], position)
                     for name, _, _, members in pool
                     for position, ext in enumerate(members, start=1)])
    cur.executemany("INSERT INTO global_numbers (tenant_id, number, label, outside_kind,"
                    " outside_target) VALUES (%s, %s, %s, %s, %s)",
                    [(tenant_id, number, f"Bench line {name}", "hangup", None)
                     for name, _, number, _ in pool])
    cur.execute("SELECT id, number FROM global_numbers WHERE tenant_id = %s", (tenant_id,))
    number_ids = {row["number"]: row["id"] for row in cur.fetchall()}
    cur.executemany("INSERT INTO number_routes (number_id, position, time_range_id, dest_kind,"
                    " dest_target) VALUES (%s, %s, %s, %s, %s)",
                    [(number_ids[number], 1, range_id, "group", name)
                     for name, _, number, _ in pool])


# -- steps ------------------------------------------------------------------------------------
def machine_cpu() -> tuple:
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def udp_drops() -> int:
    """UDP datagrams the kernel dropped for a full receive buffer (the whole machine)."""
    try:
        with open("/proc/net/snmp") as handle:
            rows = [line.split() for line in handle if line.startswith("Udp:")]
        return int(dict(zip(rows[0][1:], rows[1][1:])).get("RcvbufErrors", 0))
    except (OSError, IndexError, ValueError):
        return 0


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def snapshot(route: Route) -> dict:
    return {"route": route.cpu_seconds(), "machine": machine_cpu(), "sipp": children_cpu(),
            "callee": group_cpu_seconds(route.uas.pid if route.uas else None),
            "log": route.log_size(), "time": time.monotonic(), "udp_drops": udp_drops()}


def climb(routes: list, rates, take_step, after_failure) -> list:
    """The routes climb the ladder of `rates`, each rate's steps in a rotated order (so slow
    drifts of the machine hit all); a route that failed STOP_AFTER_FAILED steps in a row
    stops there. `take_step(route, rate)` runs and returns a step; `after_failure(route,
    more)` follows each failed one (`more`: the route goes on climbing). The steps taken."""
    steps = []
    failed_in_row = {route: 0 for route in routes}
    for index, rate in enumerate(rates):
        shift = index % len(routes)
        for route in routes[shift:] + routes[:shift]:
            if failed_in_row[route] >= STOP_AFTER_FAILED:
                continue   # overloaded twice in a row: higher rates tell nothing more
            route.wait_quiet()
            step = take_step(route, rate)
            steps.append(step)
            failed_in_row[route] = 0 if step["passed"] else failed_in_row[route] + 1
            if not step["passed"]:
                after_failure(route, index + 1 < len(rates)
                              and failed_in_row[route] < STOP_AFTER_FAILED)
    return steps


def call_step(route: Route, rate: int, seconds: float, files: dict, work: str, tag: str) -> dict:
    calls = int(rate * seconds)
    before = snapshot(route)
    limit_s = seconds + HOLD_MS / 1000 + RECV_TIMEOUT_MS / 1000 + 10
    source = route.source
    stats = run_sipp([route.target, "-sf", route.caller_scenario, "-inf", files[f"{route.key}-caller"],
                      "-i", source, "-p", service_port(host=source),
                      "-mp", sipp_media_port(host=source),
                      "-r", rate, "-rp", 1000, "-m", calls, "-l", max(100, rate * 4),
                      "-d", HOLD_MS, "-recv_timeout", RECV_TIMEOUT_MS, "-timeout", int(limit_s),
                      "-buff_size", 4194304],
                     work, tag, limit_s + 5)
    after = snapshot(route)
    left = route.wait_media_drained()
    step = summarise(route, "calls", rate, calls, stats, before, after, busy_s=HOLD_MS / 1000,
                     left=left)
    # calls whose BYE never arrived: rtpengine forgets them after its media timeout, the
    # dialog module (and so the users' busy state) only after the dialog's own timeout
    step["dialogs_left"] = route.active_dialogs()
    if route.key in ("group", "direct"):
        step["routing"] = routing_outcomes(route.log_slice(before["log"], after["log"]))
    return step


ROUTE_OUTCOME = re.compile(r'VPBX-ROUTE call_id=(\S+) .*? decision=("[^"]*"|\S+) outcome=(\S+)(.*)')
SKIPPED = re.compile(r' skipped=(\S+)')


def routing_outcomes(text: str) -> dict:
    """What the KEMI routing decided for the step's new calls (VPBX-ROUTE lines), by the
    first routing of each Call-ID: rang a group's member (group_ring; skipped: busy members
    passed over on the way, in all), rang a user at their direct number (direct_ring), ended
    at the group's hangup because all its members were busy (hangup: the pool is too small
    for the rate), refused by the overload control (overload: 503, the workers behind), or
    anything else. rerouted: INVITEs
    routed again (retransmissions that came before the first copy had its transaction: an
    overloaded stack)."""
    out = {"group_ring": 0, "skipped": 0, "direct_ring": 0, "hangup": 0, "overload": 0,
           "other": 0, "rerouted": 0}
    seen = set()
    for call_id, decision, outcome, rest in ROUTE_OUTCOME.findall(text):
        decision = decision.strip('"')
        if outcome == "plan" or outcome.startswith("no_answer"):
            continue                       # the plan's first line; the action follows
        if call_id in seen:
            out["rerouted"] += 1
            continue
        seen.add(call_id)
        if outcome == "ring" and decision.startswith("group:Bench group "):
            out["group_ring"] += 1
            skipped = SKIPPED.search(rest)
            if skipped and skipped.group(1) != "-":
                out["skipped"] += len(skipped.group(1).split(","))
        elif outcome == "ring" and decision.startswith("direct_number:"):
            out["direct_ring"] += 1
        elif outcome == "480:hangup":
            out["hangup"] += 1
        elif outcome == "503:overload":
            out["overload"] += 1
        else:
            out["other"] += 1
            out.setdefault("other_sample", f"decision={decision} outcome={outcome}")
    return out


def register_step(route: Route, rate: int, seconds: float, files: dict, work: str,
                  tag: str) -> dict:
    count = int(rate * seconds)
    before = snapshot(route)
    limit_s = seconds + 3 + 10
    stats = run_sipp([route.target, "-sf", os.path.join(BENCH_DIR, "register.xml"),
                      "-inf", files["register"], "-i", "127.0.0.1", "-p", service_port(),
                      "-r", rate, "-rp", 1000, "-m", count, "-l", max(100, rate),
                      "-recv_timeout", 3000, "-timeout", int(limit_s), "-buff_size", 4194304],
                     work, tag, limit_s + 5)
    after = snapshot(route)
    return summarise(route, "registrations", rate, count, stats, before, after, busy_s=0.0,
                     left=None)


def summarise(route, kind, rate, planned, stats, before, after, busy_s, left) -> dict:
    attempted = stats.get("TotalCallCreated", 0)
    ok = stats.get("SuccessfulCall(C)", 0)
    failed = attempted - ok       # failed, and unfinished when sipp had to be stopped
    # the rate held: calls/registrations completed within the offered window (plus the hold
    # and one second), per second of the window; a few late ones do not weigh on it, a
    # backlog does
    window = planned / rate
    in_time = [ok_c for elapsed, _, ok_c, _ in stats.get("timeline", [])
               if elapsed <= window + busy_s + 1.0]
    ok_in_time = max(in_time) if in_time else 0
    cpu = {name: round(after["route"][name] - before["route"][name], 3) for name in after["route"]}
    busy = after["machine"][0] - before["machine"][0]
    total = after["machine"][1] - before["machine"][1]
    sipp_cpu = after["sipp"] - before["sipp"]
    everything = sum(cpu.values()) + sipp_cpu + after["callee"] - before["callee"]
    capacity = (after["time"] - before["time"]) * (os.cpu_count() or 1)
    step = {
        "route": route.key, "kind": kind, "rate": rate, "planned": planned,
        "attempted": attempted, "successful": ok, "failed": failed,
        "failed_pct": round(100.0 * failed / attempted, 3) if attempted else 100.0,
        "completed_per_s": round(ok_in_time / window, 1), "wall_s": stats["wall_s"],
        "completed_per_s_overall": round(ok / max(stats["wall_s"] - busy_s, 0.001), 1),
        "retransmissions": stats.get("Retransmissions(C)", 0),
        "udp_receive_drops": after["udp_drops"] - before["udp_drops"],
        "failures": failure_breakdown(stats), "sipp_exit": stats["exit_code"],
        "sipp_killed": stats["killed"], "cpu_s": cpu,
        # Kamailio + rtpengine + MariaDB + both sipps, in % of all CPUs of the machine
        "stack_cpu_pct": round(100.0 * everything / capacity, 1) if capacity else None,
        # /proc/stat's view (includes other processes; under-reports on some VMs)
        "machine_cpu_busy_pct": round(100.0 * busy / total, 1) if total else None,
        "caller_sipp_cpu_pct": round(100.0 * sipp_cpu / stats["wall_s"], 1),
        "kamailio_cpu_ms_per_op": round(1000 * cpu["kamailio"] / ok, 3) if ok else None,
        "rtpengine_cpu_ms_per_op": round(1000 * cpu["rtpengine"] / ok, 3) if ok else None,
        "mariadb_cpu_ms_per_op": round(1000 * cpu["mariadb"] / ok, 3) if ok else None,
        "machine_cpu_ms_per_op": round(1000 * busy / os.sysconf("SC_CLK_TCK") / ok, 3) if ok else None,
    }
    if left is not None:
        step["rtpengine_sessions_left"] = len(left)
        if left:
            step["rtpengine_sessions_left_sample"] = left[:5]
    step["passed"] = (attempted > 0 and failed <= MAX_FAILED * attempted
                      and step["completed_per_s"] >= RATE_HELD * rate and not left)
    if failed or left:
        step["sipp_unexpected"] = evidence(stats["files"]["errors"])
        errors = [line for line in route.log_slice(before["log"], after["log"]).splitlines()
                  if " ERROR: " in line or " CRITICAL: " in line]
        step["kamailio_errors"] = len(errors)
        step["kamailio_error_sample"] = errors[:5]
    return step


def latency_step(route: Route, prof: dict, files: dict, work: str) -> dict:
    """INVITE and REGISTER request-route times at a moderate rate, from the Kamailio log."""
    route.log_request_times(True)
    try:
        return _latency_step(route, prof, files, work)
    finally:
        route.log_request_times(False)


def _latency_step(route: Route, prof: dict, files: dict, work: str) -> dict:
    rate, seconds = prof["latency_rate"], prof["latency_seconds"]
    start = route.log_size()
    calls = call_step(route, rate, seconds, files, work, f"{route.key}-latency-calls")
    middle = route.log_size()
    invites = per_call_times(route.log_slice(start, middle), "INVITE")
    result = {"call_rate": rate, "calls": {k: calls[k] for k in ("attempted", "successful", "failed")}}
    if route.key in ("group", "direct"):   # calls only: they take no part in REGISTER
        result["invite_routed"] = distribution([t[0] for t in invites.values() if t])
        return result
    regs = register_step(route, prof["reg_latency_rate"], 2, files, work,
                         f"{route.key}-latency-register")
    registers = per_call_times(route.log_slice(middle), "REGISTER")
    result["register_rate"] = prof["reg_latency_rate"]
    result["registrations"] = {k: regs[k] for k in ("attempted", "successful", "failed")}
    # per Call-ID in log order: [first, second, …] request-route times of that method
    if route.key == "kemi":
        result["invite_challenge"] = distribution([t[0] for t in invites.values() if len(t) >= 2])
        result["invite_routed"] = distribution([t[1] for t in invites.values() if len(t) >= 2])
    else:
        result["invite_routed"] = distribution([t[0] for t in invites.values() if t])
    result["register_challenge"] = distribution([t[0] for t in registers.values() if len(t) >= 2])
    result["register_save"] = distribution([t[1] for t in registers.values() if len(t) >= 2])
    return result


def per_call_times(text: str, method: str) -> dict:
    times = {}
    for match in LATENCY_LINE.finditer(text):
        if match.group(1) == method:
            times.setdefault(match.group(2), []).append(int(match.group(3)))
    return times


def distribution(values: list) -> dict:
    if not values:
        return {"n": 0}
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    return {"n": len(values), "median_us": int(statistics.median(values)), "p95_us": p95,
            "max_us": values[-1]}


# -- report -----------------------------------------------------------------------------------
def best_rate(steps: list, route: str, kind: str) -> dict:
    mine = sorted((s for s in steps if s["route"] == route and s["kind"] == kind),
                  key=lambda s: s["rate"])
    best = None
    for step in mine:
        if step["passed"]:
            best = step
    return {"rate": best["rate"] if best else 0,
            "completed_per_s": best["completed_per_s"] if best else 0.0,
            "all_passed": bool(mine) and all(s["passed"] for s in mine)}


def median_cpu(steps: list, route: str, kind: str, name: str) -> float | None:
    values = [s[f"{name}_cpu_ms_per_op"] for s in steps
              if s["route"] == route and s["kind"] == kind and s["passed"]
              and s[f"{name}_cpu_ms_per_op"] is not None]
    return round(statistics.median(values), 3) if values else None


def ratio(a, b):
    return round(a / b, 2) if a and b and b > 0.005 else None


def summary(steps: list) -> dict:
    """Per kind: each route's highest passed rate and CPU per operation, and their ratios to
    the native baseline (KEMI/native, and for calls carrier->global number->group/native),
    and for calls the group route's to the direct route's (group/direct: the same stack).
    `routes` lists kemi, native and group (the lines other runs are compared with); direct
    comes on lines of its own."""
    out = {}
    for kind in ("calls", "registrations"):
        keys = [k for k in ("kemi", "native", "group") if any(
            s["route"] == k and s["kind"] == kind for s in steps)]
        has_direct = any(s["route"] == "direct" and s["kind"] == kind for s in steps)
        best = {k: best_rate(steps, k, kind) for k in keys + ["direct"] * has_direct}
        native = best.get("native")
        out[kind] = {**best, "routes": keys,
                     "ratio_highest_rate": ratio(best["kemi"]["rate"], native["rate"])
                     if "kemi" in best and native else None,
                     "ratio_is_bound": bool(native) and "kemi" in best
                     and (best["kemi"]["all_passed"] or native["all_passed"])}
        if "group" in best and native:
            out[kind]["ratio_group_highest_rate"] = ratio(best["group"]["rate"], native["rate"])
            out[kind]["ratio_group_is_bound"] = best["group"]["all_passed"] or native["all_passed"]
        if has_direct:
            direct = best["direct"]
            if "group" in best:
                out[kind]["ratio_group_direct_highest_rate"] = ratio(best["group"]["rate"],
                                                                     direct["rate"])
                out[kind]["ratio_group_direct_is_bound"] = (best["group"]["all_passed"]
                                                            or direct["all_passed"])
            if native:
                out[kind]["ratio_direct_highest_rate"] = ratio(direct["rate"], native["rate"])
                out[kind]["ratio_direct_is_bound"] = direct["all_passed"] or native["all_passed"]
        for name in ("kamailio", "rtpengine", "mariadb"):
            cpu = {r: median_cpu(steps, r, kind, name) for r in keys + ["direct"] * has_direct}
            out[kind][f"{name}_cpu_ms_per_op"] = cpu
            out[kind][f"ratio_{name}_cpu_per_op"] = ratio(cpu.get("kemi"), cpu.get("native"))
            if "group" in cpu:
                out[kind][f"ratio_group_{name}_cpu_per_op"] = ratio(cpu["group"], cpu.get("native"))
            if "group" in cpu and "direct" in cpu:
                out[kind][f"ratio_group_direct_{name}_cpu_per_op"] = ratio(cpu["group"],
                                                                           cpu["direct"])
    return out


def fmt_dist(d: dict | None) -> str:
    if not d or not d.get("n"):
        return "n/a"
    return f"median {d['median_us']} us, p95 {d['p95_us']} us (n={d['n']})"


def render(result: dict) -> str:
    meta, steps, summ = result["meta"], result["steps"], result["summary"]
    names = {"kemi": "KEMI", "native": "native", "group": "group", "direct": "direct"}
    modified = " + uncommitted changes" if meta["git"]["routing_code_modified"] else ""
    about = (
        "KEMI = kamailio.cfg + the KEMI Python routing (kemi/): digest auth on EVERY INVITE (407, "
        "then a 2nd INVITE: 2 INVITEs per call), MariaDB reads, dialog tracking. "
        "native = bench/kamailio-native.cfg: lookup + relay only, NO auth on INVITE, no database "
        "per call. The KEMI/native ratio includes those costs. "
        "group = the same kamailio.cfg + kemi/ as KEMI, called by the carrier (from "
        f"{CARRIER_ADDRESS}: trusted, no auth, 1 INVITE per call) at a global number, routed "
        "through the time range in force (\"Always\") to a hierarchical call group whose "
        "first member not in a call rings (busy ones are skipped): calls only; a pool of "
        f"{_pool(meta)} global numbers/groups x members, called in turn; the bench tenant has "
        f"{meta.get('tenant_users', '?')} users. "
        "direct = the same kamailio.cfg + kemi/ again, called by the carrier in the same way at "
        "a user's direct number (no time range, no group): the trivial route of the same stack, "
        "so group/direct is the cost of the range and group routing alone. Route times come "
        "after a warm-up (the group route's pool is called ~8 times over, so that each worker "
        "has its numbers and groups cached: after a configuration change a first call pays a "
        "query or two). "
        "All: rtpengine offer/answer/delete per call, record_route, usrloc db_mode 2, REGISTER "
        f"with digest auth, {meta['sip_children']} SIP workers, -m {SHM_MB}, the TLSF memory "
        f"manager (-x tlsf); the caller holds {HOLD_MS} ms; sipp, Kamailio, rtpengine and "
        "MariaDB share the machine's CPUs (127.0.0.1, the carrier 127.0.0.2). "
        f"A step passes with <= {100 * MAX_FAILED:.1f} % failed, >= {100 * RATE_HELD:.0f} % of "
        "the offered rate completed and, for calls, no rtpengine session left. A route stops "
        f"after {STOP_AFTER_FAILED} failed steps; its stack is restarted after a failed call step. "
        "Columns: done/s = successes completed within the step's time (+ hold + 1 s) per second "
        "of the step; retrans = sipp's "
        "retransmissions; drops = UDP datagrams the kernel dropped for a full receive buffer "
        "(whole machine); kam, rtpe, db = CPU ms per success of Kamailio (all its processes), "
        "rtpengine, MariaDB (the whole server, other clients included: native has no database "
        "work per call); cpu% = CPU of Kamailio, rtpengine, MariaDB and both sipps in % of all "
        "the machine's CPUs over the step; left rtp/dlg = sessions rtpengine and dialogs Kamailio "
        "(KEMI, group, direct: native tracks none) still hold after the step; rang via group = the "
        "group route's calls whose first routing sent them to a group member (VPBX-ROUTE ... "
        "outcome=ring in its Kamailio log; busy skipped/call = members in a call passed over), "
        "480 all members busy = calls refused at once (a pool too small for the rate), 503 "
        "overloaded = new calls refused while Kamailio's SIP socket queue was long, INVITEs "
        "routed again = retransmissions routed anew (an overloaded stack).")
    lines = [
        f"Virtual PBX benchmark  {meta['started_utc']}  ({meta['profile']} profile, "
        f"{meta['runtime_s']:.0f} s)",
        f"{meta['os']}, {meta['cpus']} CPUs; {meta['kamailio']}; {meta['rtpengine']}; "
        f"{meta['sipp']}",
        f"code: commit {meta['git']['commit']}{modified} (snapshot "
        f"{meta['git'].get('snapshot_sha256', '?')}); machine busy before the start (other "
        f"processes): {meta['machine_busy_before_pct']} %",
        *textwrap.wrap(about, 96, break_on_hyphens=False),
        "",
    ]
    for kind, unit in (("calls", "calls/s"), ("registrations", "REGISTER/s")):
        lines.append(f"{kind.capitalize()} ({meta[kind + '_seconds']} s per step, the routes' "
                     "order rotated at each rate)")
        header = (f"  {'offered':>8} {'route':<7} {'attempted':>9} {'ok':>7} {'failed':>6} "
                  f"{'fail%':>6} {'done/s':>7} {'retrans':>7} {'drops':>6} {'kam':>5} {'rtpe':>5} {'db':>5}"
                  f" {'cpu%':>5}"
                  + ("  {:>12}".format("left rtp/dlg") if kind == "calls" else "") + "  pass")
        lines.append(header)
        for step in (s for s in steps if s["kind"] == kind):
            row = (f"  {step['rate']:>8} {names[step['route']]:<7} {step['attempted']:>9} "
                   f"{step['successful']:>7} {step['failed']:>6} {step['failed_pct']:>6.2f} "
                   f"{step['completed_per_s']:>7.1f} {step['retransmissions']:>7} "
                   f"{step['udp_receive_drops']:>6} "
                   f"{_num(step['kamailio_cpu_ms_per_op']):>5} "
                   f"{_num(step['rtpengine_cpu_ms_per_op']):>5} "
                   f"{_num(step['mariadb_cpu_ms_per_op']):>5} "
                   f"{step['stack_cpu_pct'] or 0:>5.0f}")
            if kind == "calls":
                dialogs = step.get("dialogs_left")
                left = f"{step.get('rtpengine_sessions_left', 0)}/{'-' if dialogs is None else dialogs}"
                row += f"  {left:>12}"
            row += "  " + ("yes" if step["passed"] else "NO")
            if step["failures"]:
                row += "  " + ", ".join(f"{k}={v}" for k, v in step["failures"].items())
            if step.get("routing") and step["route"] == "direct":
                routing = step["routing"]
                row += f"  rang the direct number: {routing['direct_ring']}" + "".join(
                    f", {label} {routing[key]}" for key, label in
                    (("overload", "503 overloaded"), ("other", "other"),
                     ("rerouted", "INVITEs routed again")) if routing[key])
            elif step.get("routing"):
                routing = step["routing"]
                row += (f"  rang via group: {routing['group_ring']} "
                        f"(busy skipped/call {routing['skipped'] / max(1, routing['group_ring']):.1f})"
                        + "".join(f", {label} {routing[key]}" for key, label in
                                  (("hangup", "480 all members busy"),
                                   ("overload", "503 overloaded"), ("other", "other"),
                                   ("rerouted", "INVITEs routed again")) if routing[key]))
            lines.append(row)
        s = summ[kind]
        bound = lambda r: " (all its steps passed)" if s[r]["all_passed"] else ""
        lines.append(f"  highest {unit} passed: " + ", ".join(
            f"{names[k]} {s[k]['rate']}{bound(k)}" for k in s["routes"]) + "; KEMI/native = "
            f"{_num(s['ratio_highest_rate'])}" + (" (a bound only)" if s["ratio_is_bound"] else ""))
        if "ratio_group_highest_rate" in s:
            lines.append("  carrier->global number->group / native = "
                         f"{_num(s['ratio_group_highest_rate'])}"
                         + (" (a bound only)" if s["ratio_group_is_bound"] else ""))
        if "direct" in s:
            lines.append(f"  carrier->direct number (same stack as group): highest {unit} passed "
                         f"{s['direct']['rate']}{bound('direct')}; direct/native = "
                         f"{_num(s.get('ratio_direct_highest_rate'))}"
                         + (" (a bound only)" if s.get("ratio_direct_is_bound") else ""))
            if "ratio_group_direct_highest_rate" in s:
                lines.append("  carrier->global number->group / carrier->direct number = "
                             f"{_num(s['ratio_group_direct_highest_rate'])}"
                             + (" (a bound only)" if s["ratio_group_direct_is_bound"] else ""))
        lines.append(f"  CPU ms per {kind[:-1]} (median of passed steps), "
                     + " / ".join(names[k] for k in s["routes"])
                     + " (KEMI/native" + (", group/native" if "group" in s["routes"] else "") + "):")
        lines.append("    " + "; ".join(
            f"{label} " + " / ".join(_num(s[name + '_cpu_ms_per_op'][k]) for k in s["routes"])
            + f" ({_num(s['ratio_' + name + '_cpu_per_op'])}"
            + (f", {_num(s['ratio_group_' + name + '_cpu_per_op'])}" if "group" in s["routes"] else "")
            + ")"
            for name, label in (("kamailio", "Kamailio"), ("rtpengine", "rtpengine"),
                                ("mariadb", "MariaDB"))
            if kind == "calls" or name != "rtpengine"))
        if "direct" in s:
            lines.append(f"  CPU ms per {kind[:-1]} (median of passed steps), direct (group/direct):")
            lines.append("    " + "; ".join(
                f"{label} {_num(s[name + '_cpu_ms_per_op'].get('direct'))}"
                f" ({_num(s.get('ratio_group_direct_' + name + '_cpu_per_op'))})"
                for name, label in (("kamailio", "Kamailio"), ("rtpengine", "rtpengine"),
                                    ("mariadb", "MariaDB"))))
        lines.append("")
    lat = result["latency"]
    lines.append(f"Request-route wall time (Kamailio latency_cfg_log; calls at "
                 f"{lat['kemi']['call_rate']}/s, REGISTER at {lat['kemi']['register_rate']}/s)")
    lines.append(f"  KEMI   INVITE, authenticated (routed):  {fmt_dist(lat['kemi']['invite_routed'])}")
    lines.append(f"  KEMI   INVITE, first (407 challenge):   {fmt_dist(lat['kemi']['invite_challenge'])}")
    lines.append(f"  native INVITE (routed):                 {fmt_dist(lat['native']['invite_routed'])}")
    if "group" in lat:
        lines.append(f"  group  INVITE, carrier (routed):        {fmt_dist(lat['group']['invite_routed'])}")
    if "direct" in lat:
        lines.append(f"  direct INVITE, carrier (routed):        {fmt_dist(lat['direct']['invite_routed'])}")
    for key in ("kemi", "native"):
        lines.append(f"  {names[key]:<6} REGISTER challenge / save:     "
                     f"{fmt_dist(lat[key]['register_challenge'])} / "
                     f"{fmt_dist(lat[key]['register_save'])}")
    for key in result["callee"]:
        callee = result["callee"][key]
        lines.append(f"Callee sipp ({names[key]}): {callee['answered']} calls answered, "
                     f"{callee['failed']} failed"
                     + (" (" + ", ".join(f"{k}={v}" for k, v in callee["failures"].items()) + ")"
                        if callee["failures"] else "")
                     + f"; stack restarts after overloaded steps: {meta['restarts'][key]}")
    group_steps = [s for s in steps if s.get("routing") and s["route"] == "group"]
    if group_steps:
        total = {k: sum(s["routing"][k] for s in group_steps)
                 for k in ("group_ring", "hangup", "overload", "other", "rerouted")}
        lines.append(f"Group route, all call steps: {sum(s['attempted'] for s in group_steps)} calls "
                     f"attempted; first routing of each: {total['group_ring']} rang a member "
                     f"through its group, {total['hangup']} 480 all members busy, "
                     f"{total['overload']} 503 overloaded, {total['other']} "
                     f"other; {total['rerouted']} INVITEs routed again (retransmissions under "
                     "overload)")
    return "\n".join(lines) + "\n"


def _pool(meta: dict) -> str:
    pool = meta.get("group_pool") or {}
    return f"{pool.get('groups', '?')} x {pool.get('members_per_group', '?')}"


def _num(value) -> str:
    return "n/a" if value is None else (f"{value:.2f}" if isinstance(value, float) else str(value))


def versions() -> dict:
    def first_line(argv):
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=5)
            text = (out.stdout or out.stderr).strip()
            return next((line.strip() for line in text.splitlines() if line.strip()), "?")
        except (OSError, subprocess.TimeoutExpired):
            return "?"
    try:
        with open("/etc/debian_version") as handle:
            debian = "Debian " + handle.read().strip()
    except OSError:
        debian = platform.platform()
    return {"os": debian, "cpus": os.cpu_count(), "kamailio": first_line(["kamailio", "-v"]),
            "rtpengine": "rtpengine " + first_line(["rtpengine", "--version"]).split()[-1],
            "sipp": first_line(["sipp", "-v"]).replace("SIPp ", "sipp ").split("-")[0]}


# -- main -------------------------------------------------------------------------------------
def rtp_ranges(profile: dict) -> dict:
    """Each route's RTP port range in `profile`."""
    return LOW_RATE_RTP_RANGES if profile.get("rtp_ranges") == "low-rate" else RTP_RANGES


def check_port_ranges(ranges: dict) -> None:
    """The RTP ranges must not overlap each other, nor the ports the services listen on."""
    spans = sorted([(first, last, key) for key, (first, last) in ranges.items()]
                   + [(*SERVICE_PORTS, "services")])
    for (_, last, key), (first, _, other) in zip(spans, spans[1:]):
        if first <= last:
            raise RuntimeError(f"port ranges of {key} and {other} overlap")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full")
    parser.add_argument("--children", type=int, default=SIP_CHILDREN,
                        help=f"SIP worker processes of each Kamailio (default {SIP_CHILDREN}, "
                             "the platform's default)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the work folder (logs, sipp traces) instead of deleting it")
    parser.add_argument("--results", default=RESULTS_DIR, metavar="FOLDER",
                        help="where the JSON results and latest.txt go (default bench/results)")
    args = parser.parse_args(argv)
    prof = PROFILES[args.profile]
    for tool in ("sipp", "kamailio", "rtpengine"):
        if shutil.which(tool) is None:
            print(f"bench: {tool} not found (run `make setup`)", file=sys.stderr)
            return 2
    signal.signal(signal.SIGTERM, _on_sigterm)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))   # rtpengine: 4 sockets per call

    base = config_mod.load()
    idle_before = machine_cpu()
    time.sleep(2)
    idle_after = machine_cpu()
    busy_before = round(100.0 * (idle_after[0] - idle_before[0])
                        / max(1, idle_after[1] - idle_before[1]), 1)
    began, started_utc = time.monotonic(), datetime.datetime.now(datetime.timezone.utc)
    work = tempfile.mkdtemp(prefix="vpbx-bench-")
    db_name, routes, code = None, [], 1
    try:
        print(f"bench: work folder {work}", flush=True)
        ranges = rtp_ranges(prof)
        check_port_ranges(ranges)
        db_name = instance.create_database(base)
        git = git_state()
        snap = snapshot_code(work)   # (code: the exit code)
        git["snapshot_sha256"] = snap["sha256"]
        pool = group_pool(*prof["group_pool"])
        routes = [
            Route("kemi", "KEMI route (kamailio.cfg + kemi/)", snap["kamailio_cfg"],
                  os.path.join(BENCH_DIR, "uac-auth.xml"), [CALLEES["kemi"]], base, db_name, work,
                  snap["kemi_script"], args.children, rtp_range=ranges["kemi"]),
            Route("native", "native baseline (bench/kamailio-native.cfg)", snap["native_cfg"],
                  os.path.join(BENCH_DIR, "uac-noauth.xml"), [CALLEES["native"]], base, db_name,
                  work, snap["kemi_script"], args.children, rtp_range=ranges["native"]),
            Route("group", "KEMI carrier -> global number -> range -> group (kamailio.cfg + kemi/)",
                  snap["kamailio_cfg"], os.path.join(BENCH_DIR, "uac-noauth.xml"),
                  [ext for *_, members in pool for ext in members],
                  base, db_name, work,
                  snap["kemi_script"], args.children, source=CARRIER_ADDRESS,
                  rtp_range=ranges["group"]),
            Route("direct", "KEMI carrier -> direct number (kamailio.cfg + kemi/)",
                  snap["kamailio_cfg"], os.path.join(BENCH_DIR, "uac-noauth.xml"),
                  [CALLEES["direct"]], base, db_name, work, snap["kemi_script"], args.children,
                  source=CARRIER_ADDRESS, rtp_range=ranges["direct"]),
        ]
        routes[2].pool = pool
        files = provision(base, db_name, prof["reg_users"], routes, work)
        tenant_users = 1 + sum(len(route.callees) for route in routes) + prof["reg_users"]
        for route in routes:
            route.start(files)
        print(f"bench: the {len(routes)} stacks up, callees registered", flush=True)

        # warm-up: each worker opens its database connections and caches what it reads (the
        # group route: each of its global numbers and groups, per worker: the pool is called
        # about 8 times over); then the latency runs
        for route in routes:
            rate, seconds = (200, 4 * len(route.pool) / 100) if route.pool else (20, 1)
            call_step(route, rate, seconds, files, work, f"{route.key}-warmup")
        latency = {}
        for route in routes:
            route.wait_quiet()
            latency[route.key] = latency_step(route, prof, files, work)
            print(f"bench: latency {route.key}: INVITE {fmt_dist(latency[route.key]['invite_routed'])}",
                  flush=True)

        steps = []
        for kind, rates, seconds, step_fn in (
                ("calls", prof["call_rates"], prof["call_seconds"], call_step),
                ("registrations", prof["reg_rates"], prof["reg_seconds"], register_step)):
            # the carrier's routes (group, direct) take part in the call steps only
            taking_part = [r for r in routes if kind == "calls" or r.source != CARRIER_ADDRESS]

            def take_step(route, rate, kind=kind, seconds=seconds, step_fn=step_fn):
                step = step_fn(route, rate, seconds, files, work, f"{route.key}-{kind}-{rate}")
                print(f"bench: {kind} {rate}/s {route.key}: {step['successful']}/"
                      f"{step['attempted']} ok, {step['failed']} failed, "
                      f"{step['completed_per_s']}/s done, CPU {step['stack_cpu_pct']} %"
                      + ("" if step["passed"] else "  (not passed)"), flush=True)
                return step

            def after_failure(route, more, kind=kind):
                if kind == "calls" and (more or route.source != CARRIER_ADDRESS):
                    # an overloaded step leaves dialogs, transactions and media sessions
                    # behind: start the next step (and the REGISTER runs) from a clean stack
                    # (the carrier's routes have no REGISTER runs: not after their last)
                    route.restart(files)

            steps += climb(taking_part, rates, take_step, after_failure)
        steps.sort(key=lambda s: (s["kind"], s["rate"], s["route"]))
        for route in routes:
            route.stop()
        callee = {route.key: route.callee_summary() for route in routes}
        restarts = {route.key: route.starts - 1 for route in routes}

        result = {
            "meta": {"started_utc": started_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "profile": args.profile, **versions(), "git": git,
                     "machine_busy_before_pct": busy_before,
                     "sip_children": args.children,
                     "shm_mb": SHM_MB, "hold_ms": HOLD_MS, "recv_timeout_ms": RECV_TIMEOUT_MS,
                     "pass_rule": {"max_failed": MAX_FAILED, "min_rate_held": RATE_HELD},
                     "calls_seconds": prof["call_seconds"], "registrations_seconds": prof["reg_seconds"],
                     "registration_users": prof["reg_users"],
                     "routes": {r.key: r.label for r in routes}, "restarts": restarts,
                     "group_pool": {"groups": prof["group_pool"][0],
                                    "members_per_group": prof["group_pool"][1]},
                     "tenant_users": tenant_users,
                     "carrier_address": CARRIER_ADDRESS,
                     "stop_after_failed_steps": STOP_AFTER_FAILED,
                     "note": "The KEMI route authenticates every INVITE (407 challenge, then a "
                             "second INVITE: 2 INVITEs per call) and reads tenant and user from "
                             "MariaDB; the native baseline does lookup + relay only. The group "
                             "route runs the KEMI code for a carrier call (trusted by source "
                             "address, 1 INVITE) to a global number -> time range -> "
                             "hierarchical group, whose first member not in a call rings; a "
                             "pool of numbers/groups x members because a member in a call is "
                             "busy. The direct route: the same KEMI code, a carrier call to a "
                             "user's direct number (no range, no group). All use rtpengine the "
                             "same way. The ratios include those costs."},
            "latency": latency, "steps": steps, "summary": summary(steps), "callee": callee,
        }
        result["meta"]["runtime_s"] = round(time.monotonic() - began, 1)
        table = render(result)
        print()
        print(table, end="")
        os.makedirs(args.results, exist_ok=True)
        stamp = started_utc.strftime("%Y%m%dT%H%M%SZ")
        path = os.path.join(args.results, f"bench-{stamp}.json")
        with open(path, "w") as handle:
            json.dump(result, handle, indent=2)
            handle.write("\n")
        latest = os.path.join(args.results, "latest.txt")
        with open(latest, "w") as handle:
            handle.write(table)
        print(f"results: {os.path.relpath(path, ROOT)}, {os.path.relpath(latest, ROOT)}")
        code = 0
    except (KeyboardInterrupt, Interrupted):
        print("\nbench: interrupted; cleaning up", file=sys.stderr)
        code = 130
    except Exception as exc:
        print(f"bench: failed: {exc}", file=sys.stderr)
        for route in routes:
            print(f"--- {route.key} Kamailio log (end) ---\n{tail(route.log_path, 15)}", file=sys.stderr)
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)    # a second Ctrl-C must not skip this
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for proc in list(_running):
            stop_sipp(proc)
        for route in routes:
            try:
                route.stop()
            except Exception as exc:   # keep cleaning up
                print(f"bench: stopping {route.key}: {exc}", file=sys.stderr)
        if db_name:
            try:
                instance.drop_database(base, db_name)
            except Exception as exc:
                print(f"bench: dropping database {db_name}: {exc}", file=sys.stderr)
        if args.keep or code not in (0, 130):
            print(f"bench: logs and sipp traces kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
        print(f"bench: total {time.monotonic() - began:.0f} s", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
