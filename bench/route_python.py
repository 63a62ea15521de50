"""The Python work of the group route per call, measured outside Kamailio.

    python -m bench.route_python [--calls 5000] [--rounds 5] [VERSION...]
    python -m bench.route_python --instructions [--calls 500] [VERSION...]

A VERSION is as in bench.ab: a git revision, `.` for the working tree (the default), with
`+ABLATION…` if wanted, or `kemi-minimal` (the native baseline's route in KEMI Python).
Each runs its kemi/ and vpbx/ in a Python process of its own, against the tenant of `make
bench`'s group route (a database of its own, 160 groups x 12 members, each behind a global
number routed through "Always"), through the KEMI entry points Kamailio calls for one
carrier call to a group that a member answers and the caller ends: the INVITE, its 180 and
200, the dialog's start, the ACK, the BYE, the dialog's end. KSR is a stand-in whose
functions (those of Kamailio's KSR, kemi/stubs/KSR.pyi: a misspelt one fails) do nothing but
answer as for such a call (the member registered and free, every command successful): what
is measured is the routing's own Python (decisions, flow state, NOC lines, call-record
events with their writes), none of the work of Kamailio's C modules, rtpengine or the
kernel, which `bench.ab` measures with it, through the whole stack.

By default the versions alternate round after round, and each one's thread CPU µs per call
(the median of its rounds, also per entry point) and the median of its per-round ratios to
the first version are printed, with the KSR functions and pseudo-variable reads a call costs.
This machine's speed drifts by half within minutes, even for CPU time; `--instructions`
counts the instructions a call executes instead (valgrind's callgrind), which repeat to
within 0.1 %: the figure to compare two versions of the Python with.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from kemi.stubs import known

ENTRY_POINTS = ("invite", "reply_180", "reply_200", "dialog_start", "ack", "bye", "dialog_end",
                "core_replies")
WARMUP_ROUNDS = 2            # passes over the pool first: every worker's cache is warm


# -- the stand-in KSR (worker side) ---------------------------------------------------------
# what the stand-in answers other than 1 (and `is_<METHOD>`), and the functions it answers
# in a way of its own: all must be functions of Kamailio's KSR
ANSWERS = {"tm.t_is_canceled": -1, "isflagset": False, "htable.sht_get": 0}
OWN_WAY = ("is_method_in", "siputils.has_totag", "dialog.var_sets", "pv.get", "pv.sets",
           "pv.seti", "pv.unset", "info", "notice", "dbg", "err", "warn", "crit")
ERRORS = ("err", "warn", "crit")
ERRORS_WRITTEN = 10          # the first lines logged as errors go to standard error


class FakeKSR:
    """KSR for one call at a time: `method` and `in_dialog` say which message is routed;
    pseudo-variables live in `pv_values`; while `counting`, every function called is
    counted in `calls` and its number of arguments checked (off while timing: the
    stand-in's own work is kept small). Only the functions of Kamailio's KSR exist
    (kemi/stubs/KSR.pyi): any other name is an AttributeError, as in Kamailio. Errors and
    warnings logged go to standard error (the first ERRORS_WRITTEN: the same error repeats
    for every call). `functions`: KSR's (known.functions()) unless given."""

    def __init__(self, functions=None):
        self.known = known.functions() if functions is None else functions
        self.modules = {path.split(".")[0] for path in self.known if "." in path}
        unknown = [name for name in (*ANSWERS, *OWN_WAY) if name not in self.known]
        if unknown:
            raise AttributeError(f"the stand-in KSR answers for {unknown}, which "
                                 f"Kamailio's KSR does not have ({known.STUB})")
        self.pv_values, self.calls, self.counting = {}, {}, False
        self.method, self.in_dialog, self.errors_logged = "INVITE", False, 0
        self.pv = _PseudoVariables(self)
        for name in ("info", "notice", "dbg"):
            setattr(self, name, _Function(self, name, lambda args: None))
        for name in ERRORS:
            setattr(self, name, _Function(self, name, self._error_line(name)))

    def _error_line(self, name):
        def write(args):
            self.errors_logged += 1
            if self.errors_logged <= ERRORS_WRITTEN:
                sys.stderr.write(f"KSR.{name}: {args[0]}")
        return write

    def respond(self, name):
        """How function `name` answers (`args` → value) for the message being routed."""
        if name.startswith("is_") and name[3:].isupper():
            return lambda args: name[3:] == self.method
        if name == "is_method_in":
            return lambda args: 1 if self.method[0] in args[0] else -1
        if name == "siputils.has_totag":
            return lambda args: 1 if self.in_dialog else -1
        if name == "dialog.var_sets":
            return lambda args: self.pv_values.__setitem__("$dlg_var(%s)" % args[0], args[1])
        value = ANSWERS.get(name, 1)
        return lambda args: value

    def __getattr__(self, name):
        if name in self.modules:
            found = _Module(self, name)
        elif name in self.known:
            found = _Function(self, name, self.respond(name))
        else:
            raise AttributeError(f"KSR has no function or module {name!r} "
                                 f"(kemi/stubs/KSR.pyi)")
        setattr(self, name, found)
        return found


class _Module:
    """A KSR module (KSR.tm, …): its functions, as Kamailio's KSR has them."""

    def __init__(self, ksr, path):
        self._ksr, self._path = ksr, path

    def __getattr__(self, name):
        path = f"{self._path}.{name}"
        if path not in self._ksr.known:
            raise AttributeError(f"KSR.{self._path} has no function {name!r} "
                                 f"(kemi/stubs/KSR.pyi)")
        function = _Function(self._ksr, path, self._ksr.respond(path))
        setattr(self, name, function)
        return function


class _Function:
    def __init__(self, ksr, name, respond):
        self.ksr, self.name, self.respond = ksr, name, respond
        self.arity = ksr.known[name]

    def __call__(self, *args):
        if self.ksr.counting:
            self.ksr.calls[self.name] = self.ksr.calls.get(self.name, 0) + 1
            if self.arity is not None and len(args) != self.arity:
                raise TypeError(f"KSR.{self.name} takes {self.arity} arguments, "
                                f"not {len(args)} (kemi/stubs/KSR.pyi)")
        return self.respond(args)


class _PseudoVariables:
    """KSR.pv: get, sets, seti and unset on `pv_values`; KSR's other pv functions are not
    in the stand-in yet."""

    def __init__(self, ksr):
        self.ksr = ksr

    def get(self, name):
        if self.ksr.counting:
            self.ksr.calls["pv.get"] = self.ksr.calls.get("pv.get", 0) + 1
        return self.ksr.pv_values.get(name)

    def sets(self, name, value):
        self.ksr.pv_values[name] = value

    seti = sets

    def unset(self, name):
        self.ksr.pv_values.pop(name, None)

    def __getattr__(self, name):
        raise AttributeError(f"KSR.pv.{name}: " + ("not in the stand-in KSR yet"
                                                   if f"pv.{name}" in self.ksr.known else
                                                   "KSR.pv has no such function "
                                                   "(kemi/stubs/KSR.pyi)"))


def run_worker(code: str, numbers: list, calls: int) -> dict:
    """Route `calls` carrier calls (to `numbers` in turn) with the code in folder `code`."""
    sys.path[:0] = [os.path.join(code, "kemi"), code]
    ksr = FakeKSR()
    sys.modules["KSR"] = ksr
    import vpbx_kemi  # noqa: E402 (the version's own, found through sys.path)
    entry = vpbx_kemi.mod_init()
    entry.child_init(1)
    if "sip" in sys.modules:                    # (kemi-minimal has none of this)
        sys.modules["sip"].Worker.sip_queue.limit_bytes = 0   # no SIP socket here to watch
    on_reply = getattr(entry, "ksr_onreply_media", None) or entry.ksr_manage_reply
    on_dialog = getattr(entry, "ksr_dialog_event", lambda msg, event: 1)
    # every reply received enters the core reply route first, where a version has one: the
    # 180, the 200 and the 200 of the BYE
    core_reply = getattr(entry, "ksr_reply_route", None)
    spent = dict.fromkeys(ENTRY_POINTS, 0)
    clock = time.thread_time_ns

    def timed(name, function, *args):
        start = clock()
        function(*args)
        spent[name] += clock() - start

    def one_call(index):
        values = ksr.pv_values
        values.clear()
        values.update({"$ci": f"bench-{index}@route-python", "$fU": "+41790000001",
                       "$rU": numbers[index % len(numbers)], "$fd": "bench.pbx.test",
                       "$td": "bench.pbx.test", "$si": "127.0.0.2", "$sp": 5060,
                       "$branch(count)": 0})
        ksr.method, ksr.in_dialog = "INVITE", False
        timed("invite", entry.ksr_request_route, None)
        values["$rs"] = 180
        if core_reply:
            timed("core_replies", core_reply, None)
        timed("reply_180", on_reply, None)
        values["$rs"] = 200
        values["$ct"] = values["$(ct{nameaddr.uri})"] = values.get("$ru", "")
        if core_reply:
            timed("core_replies", core_reply, None)
        timed("reply_200", on_reply, None)
        timed("dialog_start", on_dialog, None, "dialog:start")
        # the caller's ACK and BYE go to the member who answered, one of the dialog's parties
        values["$dlg(to_contact)"] = values["$ru"] = values["$ct"]
        values["$dlg(from_contact)"] = "sip:+41790000001@127.0.0.2:5060"
        ksr.method, ksr.in_dialog = "ACK", True
        timed("ack", entry.ksr_request_route, None)
        ksr.method = "BYE"
        timed("bye", entry.ksr_request_route, None)
        if core_reply:
            timed("core_replies", core_reply, None)
        timed("dialog_end", on_dialog, None, "dialog:end")

    for index in range(WARMUP_ROUNDS * len(numbers)):
        one_call(index)
    ksr.counting = True                 # one pass over the pool, counted, not timed
    for index in range(len(numbers)):
        one_call(index)
    ksr.counting = False
    counted = {key: count / len(numbers) for key, count in ksr.calls.items()}
    for key in spent:
        spent[key] = 0
    for index in range(calls):
        one_call(index)
    return {"us_per_call": sum(spent.values()) / calls / 1000,
            "entry_us": {key: value / calls / 1000 for key, value in spent.items()},
            "ksr_per_call": counted}


# -- the controller ---------------------------------------------------------------------------
def provision(base, db_name: str) -> list:
    """The group route's tenant of `make bench` in `db_name`; its global numbers."""
    from bench import run as bench
    from vpbx.storage import connection as db
    pool = bench.group_pool(160, 12)
    conn = db.connect(base, database=db_name, autocommit=False)
    try:
        with conn.cursor() as cur:
            tenant_id = bench.insert_tenant(
                cur, [ext for *_, members in pool for ext in members], carrier=True)
            bench.provision_group_route(cur, tenant_id, pool)
        conn.commit()
    finally:
        conn.close()
    return [number for _, _, number, _ in pool]


def measure(version: str, folder: str, cfg_path: str, numbers: list, calls: int,
            under: tuple = ()) -> dict:
    """One round of `version` in a Python process of its own (run by the command `under`, if
    given); what the worker printed, and its standard error."""
    env = dict(os.environ, VPBX_CONFIG=cfg_path, PYTHONHASHSEED="0")
    done = subprocess.run(
        [*under, sys.executable, "-m", "bench.route_python", "--worker", folder,
         "--calls", str(calls), "--numbers", ",".join(numbers)],
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))), env=env,
        capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"bench.route_python: {version} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]), stderr=done.stderr)


_COLLECTED = re.compile(r"Collected : (\d+)")


def instructions_per_call(version, folder, cfg_path, numbers, calls) -> float:
    """The instructions one call of `version` executes (valgrind's callgrind counts them,
    whatever the machine is doing): a process routing 2 x `calls` calls minus one routing
    `calls` (start-up and warm-up cancel out), divided by `calls`."""
    counted = []
    for count in (calls, 2 * calls):
        with tempfile.NamedTemporaryFile(prefix="callgrind-") as out:
            outcome = measure(version, folder, cfg_path, numbers, count,
                              under=("valgrind", "--tool=callgrind",
                                     f"--callgrind-out-file={out.name}"))
        found = _COLLECTED.search(outcome["stderr"])
        if found is None:
            raise SystemExit(f"bench.route_python: no instruction count from valgrind:\n"
                             f"{outcome['stderr'][-2000:]}")
        counted.append(int(found.group(1)))
    return (counted[1] - counted[0]) / calls


def report(versions: list, results: dict) -> None:
    first = results[versions[0]]
    width = max(len(v) for v in versions) + 2
    print("Python CPU per call of the group route (thread CPU, median of the rounds), µs:")
    print(f"  {'version':<{width}}{'per call':>9}{'vs ' + versions[0]:>14}  "
          + " ".join(f"{name:>12}" for name in ENTRY_POINTS))
    for version in versions:
        rounds = results[version]
        ratios = [b["us_per_call"] / a["us_per_call"] for a, b in zip(first, rounds)]
        entries = {name: statistics.median(r["entry_us"][name] for r in rounds)
                   for name in ENTRY_POINTS}
        print(f"  {version:<{width}}{statistics.median(r['us_per_call'] for r in rounds):9.1f}"
              f"{statistics.median(ratios):14.3f}  "
              + " ".join(f"{entries[name]:12.1f}" for name in ENTRY_POINTS))
    for version in versions:
        counts = results[version][-1]["ksr_per_call"]
        reads = counts.pop("pv.get", 0)
        logs = counts.pop("info", 0)
        errors = sum(counts.pop(name, 0) for name in ("err", "warn", "crit"))
        print(f"  {version}: per call {sum(counts.values()):.0f} KSR functions, "
              f"{reads:.0f} pseudo-variable reads, {logs:.0f} log lines"
              + (f", {errors:.0f} ERRORS OR WARNINGS" if errors else ""))


def prepare(version: str, folder: str, base) -> tuple:
    """`version`'s code in `folder` with a database of its own holding the bench tenant:
    (code folder, configuration path, global numbers, database name)."""
    from bench.ab import KEMI_MINIMAL, checkout
    from tests.support import instance
    code = os.path.join(folder, "code")
    checkout("." if version == "kemi-minimal" else version, code)
    if version == "kemi-minimal":     # the baseline's route in KEMI Python instead
        shutil.copy2(KEMI_MINIMAL, os.path.join(code, "kemi", "vpbx_kemi.py"))
    db_name = instance.create_database(base)
    cfg = instance.write_instance_config(base, folder, db_name)
    return code, cfg.path, provision(base, db_name), db_name


def compare_instructions(versions: list, setups: dict, calls: int) -> None:
    counts = {version: instructions_per_call(version, *setups[version][:3], calls)
              for version in versions}
    print("Instructions per call of the group route's Python (callgrind):")
    for version, count in counts.items():
        print(f"  {version}: {count / 1000:.1f} k  vs {versions[0]}: "
              f"{count / counts[versions[0]]:.3f}")


def compare_cpu(versions: list, setups: dict, calls: int, rounds: int) -> None:
    results = {version: [] for version in versions}
    for round_no in range(rounds):
        shift = round_no % len(versions)
        for version in versions[shift:] + versions[:shift]:
            outcome = measure(version, *setups[version][:3], calls)
            results[version].append(outcome)
            print(f"round {round_no} {version}: {outcome['us_per_call']:.1f} µs/call",
                  flush=True)
    report(versions, results)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.route_python",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("versions", nargs="*", metavar="VERSION", default=["."])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions per call under valgrind instead (one round,"
                             " --calls 500 is plenty; about a minute per version)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--numbers", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(run_worker(args.worker, args.numbers.split(","), args.calls)))
        return 0
    from tests.support import instance
    from vpbx.settings import platform as config_mod
    base = config_mod.load()
    work = tempfile.mkdtemp(prefix="vpbx-route-python-")
    setups = {}
    try:
        for index, version in enumerate(args.versions):
            setups[version] = prepare(version, os.path.join(work, f"v{index}"), base)
        if args.instructions:
            compare_instructions(args.versions, setups, args.calls)
        else:
            compare_cpu(args.versions, setups, args.calls, args.rounds)
        return 0
    finally:
        for *_, db_name in setups.values():
            instance.drop_database(base, db_name)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
