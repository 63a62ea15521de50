"""`make fuzz`'s short profile in the suite: 1,500 mutated SIP messages (UDP and TCP) at the
edge of a platform of its own, as `python -m fuzz.run --profile short` runs them, with the
legitimate client (raw digest REGISTER, a phone's REGISTER and call with RTP) checked before,
every 500 messages and at the end. One run (about 35 s), two tests of its report:

- Kamailio does not crash, the legitimate client keeps working, memory stays flat (the run's
  own verdict, exit status 0);
- the edge answers no mutated message with a 5xx and logs no Python traceback for one: a
  malformed request is the sender's fault (4xx, or dropped).

A failure prints the run's report; its findings file (next to the report, in pytest's
tmp_path) holds the bytes of each message; `python -m fuzz.mutate --seed 1 --index N`
prints one again."""
import json
import subprocess
import sys

import pytest

from vpbx.stack.control import ROOT


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    results = tmp_path_factory.mktemp("fuzz")
    done = subprocess.run([sys.executable, "-m", "fuzz.run", "--profile", "short",
                           "--results", str(results)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    reports = list(results.glob("fuzz-*.json"))
    assert reports, done.stdout[-3000:] + done.stderr[-3000:]
    return done, json.loads(reports[0].read_text())


def test_a_short_fuzz_run_crashes_nothing_and_the_legitimate_phone_keeps_working(short_run):
    done, report = short_run
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert report["sent"] == {"udp": 750, "tcp": 750}, report["sent"]
    assert len(report["legit"]) == 4                       # before, every 500, at the end
    assert all(check["ok"] for check in report["legit"]), report["legit"]
    assert report["processes_before"] == report["processes_after"]
    assert all(round_["answering"] for round_ in report["alive"])
    assert report["log"]["crash"] == []
    growth = report["memory_growth"]
    assert growth["shm_flat"] and growth["private_flat"], growth
    assert report["flood_bans"] == []       # the fuzzer's rotation kept under the guard


def test_the_edge_answers_no_mutated_message_with_5xx_nor_logs_a_traceback(short_run):
    done, report = short_run
    summary = done.stdout[-6000:]
    assert report["five_xx_count"] == 0, summary
    assert report["log"]["traceback"] == [], summary
