"""`make bench` still runs end to end: its smallest profile (one low step per route) through
the four real stacks, as `python -m bench.run` does it, its results written where asked.

Not a measurement (the suite asserts no speed): this catches a change that breaks the
benchmark itself — a guard that drops its sipps as a flood, a route its callers no longer
reach — which would otherwise be found only the next time someone runs `make bench`."""
import json
import subprocess
import sys

from vpbx.stack.control import ROOT


def test_the_benchmark_runs_every_route_and_writes_its_results(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--profile", "smoke", "--results", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    [results_file] = tmp_path.glob("bench-*.json")
    results = json.loads(results_file.read_text())
    steps = {(step["kind"], step["route"]): step for step in results["steps"]}
    assert sorted(steps) == [("calls", "direct"), ("calls", "group"), ("calls", "kemi"),
                             ("calls", "native"), ("registrations", "kemi"),
                             ("registrations", "native")]
    # (a route that works completes its calls and registrations at such a low rate; a broken
    # one, none: a call lost to the machine's hiccup is no reason to fail)
    for (kind, route), step in steps.items():
        assert step["attempted"] > 0, (kind, route, step)
        assert step["successful"] >= 0.95 * step["attempted"], (kind, route, step)
    group, direct = steps[("calls", "group")], steps[("calls", "direct")]
    assert group["routing"]["group_ring"] >= group["successful"]      # each rang a member
    assert direct["routing"]["direct_ring"] >= direct["successful"]
    assert results["meta"]["profile"] == "smoke"
    table = (tmp_path / "latest.txt").read_text()
    assert table.startswith("Virtual PBX benchmark") and "(smoke profile" in table
