"""KSR's stub follows the Kamailio the platform runs: generated again from the test
platform's Kamailio (app_python.api_list of its kamailio.cfg modules), it must be the
committed kemi/stubs/KSR.pyi; another Kamailio version, or a module added to or removed
from kamailio.cfg, fails here until the stub is regenerated (kemi/stubs/README.md)."""
import os

import pytest

from kemi.stubs import generate

pytestmark = pytest.mark.integration


def test_the_committed_stub_is_what_the_running_kamailio_exports(platform):
    socket = "unix:" + os.path.join(platform.cfg.run_dir, "kamailio", "kamailio_ctl")
    generated = generate.stub_from(socket)
    with open(generate.STUB) as handle:
        changed = generate.differences(handle.read(), generated)
    if changed:
        pytest.fail("kemi/stubs/KSR.pyi is not the KSR of this Kamailio: regenerate it "
                    "(`.venv/bin/python -m kemi.stubs.generate`), check kemi/ against it "
                    "(`.venv/bin/python -m mypy`) and commit it. What changes:\n"
                    + changed[:6000], pytrace=False)
