"""kemi/sip.py's kemi_callback, the one guard of the KEMI callbacks: an exception is logged with
the request's Call-ID and traceback, `then` runs, the callback answers as told. Run with the
stand-in KSR of bench.route_python, in a process of its own (kemi/'s modules are top-level
names such as `sip`, kept out of the test process)."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PROBE = '''
import json, os, sys
sys.path[:0] = [os.path.join(ROOT, "kemi"), ROOT]
from bench.route_python import FakeKSR
ksr = FakeKSR()
sys.modules["KSR"] = ksr
lines = []
ksr.err = lambda text: lines.append(text)
ksr.pv_values.update({"$ci": "probe-1@test", "$rm": "INVITE"})
import sip

answered = []

@sip.kemi_callback("probe", answer=sip.STOP, then=lambda: answered.append(500))
def failing(event):
    raise RuntimeError("broken " + event)

@sip.kemi_callback("probe")
def working(event):
    return 7

print(json.dumps({"failing": failing("dialog:end"), "working": working("x"),
                  "then": answered, "lines": lines, "name": failing.__name__}))
'''


def test_an_exception_is_logged_with_the_call_id_and_answered_as_told():
    done = subprocess.run([sys.executable, "-c", f"ROOT = {ROOT!r}\n" + PROBE], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["failing"] == -255 and outcome["then"] == [500]
    assert outcome["working"] == 7 and outcome["name"] == "failing"
    [line] = outcome["lines"]
    assert line.startswith("vpbx: probe error for INVITE probe-1@test: Traceback")
    assert "RuntimeError: broken dialog:end" in line and "\n" not in line[:-1]
