"""The carrier of the test platforms: its trunk's address, which the edge trusts (127.0.0.2,
all of 127/8 being loopback), and its gateway's port, taken free once per test run so that two
runs on one machine never share it. tests/integration/tenants/platform.yaml names the carrier;
`platform_file` writes it with this run's port for the platforms to apply."""
import functools
import os
import socket

import yaml

from tests.support.instance import free_port

ADDRESS = "127.0.0.2"
TENANTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "integration", "tenants")


@functools.lru_cache(maxsize=None)
def gateway_port() -> int:
    """This run's port of the carrier's gateway on ADDRESS (UDP and TCP free at the start)."""
    return free_port(socket.SOCK_DGRAM, host=ADDRESS)


def platform_file(folder: str) -> str:
    """tenants/platform.yaml with the carrier's gateway on this run's port, written in
    `folder`; its path."""
    with open(os.path.join(TENANTS, "platform.yaml"), encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    document["platform"]["carrier"] = {"address": ADDRESS, "port": gateway_port()}
    path = os.path.join(folder, "platform.yaml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(document, handle, sort_keys=False)
    return path
