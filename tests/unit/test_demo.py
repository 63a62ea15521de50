"""The demo `make run` loads: its files apply cleanly and the user guide's examples hold."""
import os
import re

from vpbx.provisioning import apply as provision
from vpbx.command import simulate

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO = os.path.join(ROOT, "demo")


def user_guide() -> str:
    """The user guide (docs/user-guide.md), where the README's quick start sends readers on."""
    with open(os.path.join(ROOT, "docs", "user-guide.md"), encoding="utf-8") as handle:
        return handle.read()


def test_the_demo_files_apply_cleanly_and_twice_change_nothing(conn):
    for name in ("platform.yaml", "demo-tenant.yaml"):
        result = provision.apply_file(conn, os.path.join(DEMO, name))
        assert result.problems == [] and result.changes, name
    assert provision.apply_file(conn, os.path.join(DEMO, "demo-tenant.yaml")).changes == []


def test_the_guides_simulate_example_routes_the_demos_main_number(conn):
    for name in ("platform.yaml", "demo-tenant.yaml"):
        provision.apply_file(conn, os.path.join(DEMO, name))
    tenant, number, at = re.search(r"vpbx simulate (\S+) (\S+) --at (\S+)", user_guide()).groups()
    plan = simulate.simulate(conn, tenant, number, at)
    assert plan.range == "Office hours"
    assert [step["kind"] for step in plan.steps] == ["group", "voicemail"]
    assert plan.steps[0]["name"] == "Reception"
    assert [ring["members"] for ring in plan.steps[0]["ring"]] == [["7956"], ["7961"]] * 2
