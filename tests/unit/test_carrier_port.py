"""The test platforms' carrier (tests/support/carrier.py): its gateway's port is taken per
run, the same for every platform of the run, and written into the platform file they apply."""
import os
import socket

import yaml

from tests.support import carrier


def test_the_platform_file_names_this_runs_gateway_port_and_keeps_the_rest(tmp_path):
    path = carrier.platform_file(str(tmp_path))
    with open(path, encoding="utf-8") as handle:
        written = yaml.safe_load(handle)["platform"]
    with open(os.path.join(carrier.TENANTS, "platform.yaml"), encoding="utf-8") as handle:
        template = yaml.safe_load(handle)["platform"]
    assert written["carrier"] == {"address": carrier.ADDRESS, "port": carrier.gateway_port()}
    assert written["numbers"] == template["numbers"]
    assert carrier.gateway_port() == carrier.gateway_port()        # one port for the run


def test_the_gateway_port_was_free_on_the_carriers_address():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((carrier.ADDRESS, carrier.gateway_port()))       # nobody else holds it
