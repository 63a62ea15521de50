"""vpbx.stack.supervise: a process that ends is started again, after 1, 2, 4… s (here
hundredths); SIGTERM stops both it and the supervisor for good."""
import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# the supervised process: notes each start in a file; the first two end at once (an abort,
# then an error status), the third runs until it is told to stop
CHILD = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))   # (before it says it started)
path = sys.argv[1]
with open(path, "a") as runs:
    runs.write(f"{os.getpid()}\\n")
count = len(open(path).read().split())
if count == 1:
    os.abort()
if count == 2:
    sys.exit(3)
while True:
    time.sleep(0.05)
"""


def started(path) -> list[int]:
    try:
        return [int(pid) for pid in open(path).read().split()]
    except FileNotFoundError:
        return []


def wait_for(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_an_ended_process_is_started_again_with_back_off_until_stopped(tmp_path):
    runs, log = tmp_path / "runs", tmp_path / "log"
    with open(log, "wb") as out:
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "vpbx.stack.supervise", "child", "--first-delay", "0.1",
             "--max-delay", "5", "--", sys.executable, "-c", CHILD, str(runs)],
            cwd=ROOT, stdout=out, stderr=out, start_new_session=True)
    try:
        wait_for(lambda: len(started(runs)) == 3)
        lines = log.read_text().splitlines()
        assert len(lines) == 2, lines
        assert "supervise: child ended (signal SIGABRT) after " in lines[0]
        assert lines[0].endswith("starting it again in 0.1 s")
        assert "supervise: child ended (status 3) after " in lines[1]
        assert lines[1].endswith("starting it again in 0.2 s")
        os.killpg(supervisor.pid, signal.SIGTERM)         # as vpbx.stack.control stops a component
        assert supervisor.wait(timeout=5) == 0
        time.sleep(0.5)
        assert len(started(runs)) == 3                     # not started again
        for pid in started(runs):
            assert not os.path.exists(f"/proc/{pid}") or \
                open(f"/proc/{pid}/stat").read().split()[2] == "Z"
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGKILL)
            supervisor.wait()


def test_a_term_to_the_supervisor_alone_stops_its_process_too(tmp_path):
    runs = tmp_path / "runs"
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "vpbx.stack.supervise", "child", "--first-delay", "0.05", "--",
         sys.executable, "-c", CHILD, str(runs)], cwd=ROOT, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        wait_for(lambda: len(started(runs)) == 3)
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=5) == 0
        wait_for(lambda: not os.path.exists(f"/proc/{started(runs)[-1]}"), timeout=5)
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGKILL)
            supervisor.wait()
