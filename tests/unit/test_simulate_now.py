"""`vpbx simulate … --at now`, and no --at at all: the plan of a call made now (CONFIG-FORMAT,
Extensions 2026-12-07)."""
import datetime
import json
import os

from vpbx.command import main as vpbx_command
from vpbx.command import simulate
from vpbx.provisioning import apply

DEMO = os.path.join(os.path.dirname(__file__), "..", "..", "demo")


def load_demo(conn):
    for name in ("platform.yaml", "demo-tenant.yaml"):
        assert apply.apply_file(conn, os.path.join(DEMO, name)).problems == []


def test_now_is_this_moment_with_its_offset():
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    at = simulate.parse_at(" NOW ")
    after = datetime.datetime.now(datetime.timezone.utc)
    assert at.tzinfo is not None and before <= at <= after


def test_without_at_the_plan_is_that_of_a_call_now(conn, capsys):
    load_demo(conn)
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    expected = simulate.simulate(conn, "demo", "+41215667955", now.isoformat()).as_dict()
    assert vpbx_command.main(["simulate", "demo", "+41215667955", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["range"] == expected["range"] and shown["steps"] == expected["steps"]
    at = datetime.datetime.fromisoformat(shown["at"])
    assert abs(at - now) < datetime.timedelta(seconds=5)     # the tenant's time, with its offset
    assert vpbx_command.main(["simulate", "demo", "+41215667955", "--at", "now", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["range"] == expected["range"]


def test_a_time_that_is_neither_now_nor_iso_is_refused_saying_both(conn, capsys):
    load_demo(conn)
    assert vpbx_command.main(["simulate", "demo", "+41215667955", "--at", "tomorrow"]) == 1
    assert "or now" in capsys.readouterr().err
