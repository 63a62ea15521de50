"""A/B of routing code: versions of the group (or direct) route side by side, in one run.

    python -m bench.ab [--route group|direct] [--rate 300] [--rounds 5] [--seconds 6] VERSION...

A VERSION is a git revision (HEAD, HEAD~1, a commit), `.` for the working tree, `native`
for bench/kamailio-native.cfg (the baseline route), or `kemi-minimal` for that same route in
KEMI Python (bench/kemi_minimal.py, loaded by the working tree's kamailio.cfg): the cost of
the architecture alone. A revision (or `.`) followed by `+NAME…` has the ablations
bench/ablations/NAME.patch applied: the route without one part of its per-call work
(`HEAD+nolines+nocdr`), to measure what that part costs (see bench/ablations/README.md).
Any VERSION may end in `@N`: its Kamailio runs N SIP workers instead of --children
(`native@8 HEAD@8`).
Each version runs its own stack (Kamailio + rtpengine on its own database and RTP range, as
in bench.run) with a copy of kemi/, vpbx/ and kamailio.cfg of that version; the steps at a
fixed rate, well below overload, rotate between the versions round after round, so a drift
of this shared machine hits all of them. Printed: Kamailio CPU ms per call of each version
per round, the median, and the median of the per-round ratios to the first version: a
change's cost or saving, measured within one run (the ladder of `make bench` answers a
different question: capacity).

With `--ladder 1000,1100,…` the versions climb those call rates instead (one step each per
rate, their order rotated, a version stopping after two failed steps, restarted after each
one, as in `make bench`): the highest rate each passes, and its ratio to the first version's.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from bench import run as bench
from tests.support import instance
from vpbx.settings import platform as config_mod
from vpbx.stack.control import ROOT

# each version's rtpengine ports (4 per call at once), below the kernel's ephemeral ports
RTP_SPANS = [(2000, 9999), (10000, 17999), (18000, 25999), (26000, 32767)]
KEMI_MINIMAL = os.path.join(bench.BENCH_DIR, "kemi_minimal.py")
ABLATIONS = os.path.join(bench.BENCH_DIR, "ablations")
POOL = (160, 12)             # the group route's groups x members (rate x ~1.1 s calls at once)


def checkout(version: str, folder: str) -> str:
    """kemi/, vpbx/ and kamailio.cfg of `version` in `folder`, with its ablations applied;
    the kamailio.cfg path."""
    version, *ablations = version.split("+")
    os.makedirs(folder)
    parts = ("kemi", "vpbx", "kamailio.cfg")
    if version == ".":
        for part in parts:
            source = os.path.join(ROOT, part)
            if os.path.isdir(source):
                shutil.copytree(source, os.path.join(folder, part),
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(source, os.path.join(folder, part))
    else:
        archive = subprocess.run(["git", "-C", ROOT, "archive", version, *parts],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
    for name in ablations:
        patch = os.path.join(ABLATIONS, f"{name}.patch")
        if not os.path.isfile(patch):
            raise SystemExit(f"bench.ab: no ablation {name!r} ({patch})")
        applied = subprocess.run(["git", "apply", patch], cwd=folder, capture_output=True,
                                 text=True)
        if applied.returncode:
            raise SystemExit(f"bench.ab: ablation {name} does not apply to {version}: "
                             f"{applied.stderr.strip()}")
    return os.path.join(folder, "kamailio.cfg")


def make_route(label: str, index: int, kind: str, base, work: str, children: int):
    """One stack under test for the version `label` (its `@N` suffix: N SIP workers instead
    of `children`), with its own database (dropped by the caller)."""
    version, _, workers = label.partition("@")
    children = int(workers) if workers else children
    folder = os.path.join(work, f"v{index}")
    baseline = version in ("native", "kemi-minimal")
    code = checkout("." if baseline else version, os.path.join(folder, "code"))
    script = (KEMI_MINIMAL if version == "kemi-minimal"
              else os.path.join(folder, "code", "kemi", "vpbx_kemi.py"))
    db_name = instance.create_database(base)
    common = dict(base=base, db_name=db_name, work=folder, kemi_script=script,
                  children=children, rtp_range=RTP_SPANS[index])
    if baseline:
        route = bench.Route("native", label, bench.NATIVE_CFG if version == "native" else code,
                            os.path.join(bench.BENCH_DIR, "uac-noauth.xml"),
                            [bench.CALLEES["native"]], **common)
    elif kind == "group":
        pool = bench.group_pool(*POOL)
        route = bench.Route("group", label, code,
                            os.path.join(bench.BENCH_DIR, "uac-noauth.xml"),
                            [ext for *_, members in pool for ext in members],
                            source=bench.CARRIER_ADDRESS, **common)
        route.pool = pool
    else:
        route = bench.Route("direct", label, code,
                            os.path.join(bench.BENCH_DIR, "uac-noauth.xml"),
                            [bench.CALLEES["direct"]], source=bench.CARRIER_ADDRESS, **common)
    route.files = bench.provision(base, db_name, 0, [route], folder)
    return route, db_name


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__.split("\n")[0])
    parser.add_argument("versions", nargs="+", metavar="VERSION")
    parser.add_argument("--route", choices=("group", "direct"), default="group")
    parser.add_argument("--rate", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--children", type=int, default=bench.SIP_CHILDREN)
    parser.add_argument("--ladder", metavar="RATE,RATE…",
                        type=lambda text: [int(rate) for rate in text.split(",")])
    args = parser.parse_args(argv)
    if not 1 <= len(args.versions) <= len(RTP_SPANS):
        parser.error(f"1 to {len(RTP_SPANS)} versions")
    base = config_mod.load()
    work = tempfile.mkdtemp(prefix="vpbx-ab-")
    routes, databases = [], []
    try:
        for index, version in enumerate(args.versions):
            route, db_name = make_route(version, index, args.route, base, work, args.children)
            routes.append(route)
            databases.append(db_name)
        for route in routes:
            route.start(route.files)
        for route in routes:       # warm-up: connections opened, configuration cached
            rate, seconds = (200, 4 * len(route.pool) / 100) if route.pool else (50, 2)
            bench.call_step(route, rate, seconds, route.files, route.work, "warmup")
        if args.ladder:
            return climb(routes, args.ladder, args.seconds, args.route)
        cpu = {route.label: [] for route in routes}
        for round_no in range(args.rounds):
            shift = round_no % len(routes)
            for route in routes[shift:] + routes[:shift]:
                route.wait_quiet()
                step = bench.call_step(route, args.rate, args.seconds, route.files, route.work,
                                       f"round{round_no}")
                cpu[route.label].append(step["kamailio_cpu_ms_per_op"])
                print(f"round {round_no} {route.label}: "
                      f"{step['successful']}/{step['attempted']} ok, "
                      f"Kamailio {step['kamailio_cpu_ms_per_op']} ms/call"
                      + ("" if step["passed"] else "  (not passed: overloaded, lower --rate)"),
                      flush=True)
        first = cpu[routes[0].label]
        print(f"\nKamailio CPU ms per call at {args.rate} calls/s ({args.route} route), "
              f"{args.rounds} rounds:")
        width = label_width(routes)
        for route in routes:
            values = cpu[route.label]
            ratios = [b / a for a, b in zip(first, values) if a and b]
            median = statistics.median(v for v in values if v)
            print(f"  {route.label:<{width}} median {median:.3f}"
                  f"  vs {routes[0].label}: {statistics.median(ratios):.3f}"
                  f"  ({', '.join(str(v) for v in values)})")
        return 0
    finally:
        for route in routes:
            try:
                route.stop()
            except Exception as exc:     # noqa: BLE001 - stop the others anyway
                print(f"bench.ab: stopping {route.label}: {exc}", file=sys.stderr)
        for db_name in databases:
            instance.drop_database(base, db_name)
        shutil.rmtree(work, ignore_errors=True)


def climb(routes: list, rates: list, seconds: float, kind: str) -> int:
    """The capacity ladder (--ladder): the highest rate each version passes."""
    best = {route.label: None for route in routes}

    def take_step(route, rate):
        step = bench.call_step(route, rate, seconds, route.files, route.work, f"rate{rate}")
        print(f"{rate} calls/s {route.label}: {step['successful']}/{step['attempted']} ok, "
              f"{step['completed_per_s']}/s done, retrans {step['retransmissions']}, "
              f"drops {step['udp_receive_drops']}, Kamailio "
              f"{step['kamailio_cpu_ms_per_op']} ms/call, CPU {step['stack_cpu_pct']} %"
              + ("" if step["passed"] else "  (not passed)"), flush=True)
        if step["passed"]:
            best[route.label] = max(best[route.label] or 0, rate)
        return step

    bench.climb(routes, rates, take_step, lambda route, more: route.restart(route.files))
    first = best[routes[0].label]
    width = label_width(routes)
    print(f"\nHighest call rate passed ({kind} route, steps of {seconds:g} s):")
    for route in routes:
        passed = best[route.label]
        ratio = f"{passed / first:.2f}" if passed and first else "n/a"
        print(f"  {route.label:<{width}}{passed or 'none'}  vs {routes[0].label}: {ratio}")
    return 0


def label_width(routes: list) -> int:
    """The column width of the versions' names in the summaries."""
    return max(len(route.label) for route in routes) + 2

if __name__ == "__main__":
    sys.exit(main())
