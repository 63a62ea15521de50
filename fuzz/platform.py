"""The fuzz run's own platform instance: a throwaway database, rtpengine and Kamailio (the
platform's kamailio.cfg and kemi/) on free ports, with fuzz/platform.yaml and
fuzz/tenant.yaml applied — as the integration tests and the bench start theirs
(tests.support.instance, vpbx.stack.control).

Its edge listens on a loopback address of its own (EDGE_ADDRESS), not 127.0.0.1: a mutated
Route or Request-URI (a flipped digit of a port) makes the edge relay to that address and
some other port, where nothing listens — never to another platform, test or phone running
on this machine's 127.0.0.1.
"""
import contextlib
import os
import socket
import subprocess

from tests.support import instance
from tests.support.instance import free_port
from vpbx.settings import platform as config_mod
from vpbx.stack.control import VENV_PYTHON, Stack

FUZZ_DIR = os.path.dirname(os.path.abspath(__file__))
DOMAIN = "fuzz.pbx.test"
# the legitimate phones' users (fuzz/tenant.yaml)
PASSWORDS = {"alice": "alice-fuzz-7001", "bob": "bob-fuzz-7002", "carol": "carol-fuzz-7003"}
EXTENSIONS = {"alice": "7001", "bob": "7002", "carol": "7003"}
# the sink's user: the carrier's fuzzed INVITEs call its direct number (fuzz/tenant.yaml)
SINK_USER, SINK_PASSWORD = "sink", "sink-fuzz-7009"
CARRIER_ADDRESS = "127.0.0.2"         # fuzz/platform.yaml
EDGE_ADDRESS = "127.0.0.98"
# the legitimate clients send from here, exempt from the flood guard as on test platforms
LEGIT_ADDRESS = instance.FLOOD_EXEMPT


def write_config(base, folder: str, db_name: str, sip_children: int):
    """The instance's configuration: free ports on EDGE_ADDRESS, the test platforms' short
    bans (tests.support.instance), the legitimate clients' address exempt from the flood
    guard (and nothing else: the fuzzer's sources are counted like anybody's)."""
    # 1000 RTP ports (250 calls) on EDGE_ADDRESS, below the ephemeral ports free_port()
    # hands out (the edge's SIP port): the carrier's fuzzed calls are anchored in rtpengine,
    # and a test platform's 100 ports would run out while some ring
    rtp_low = 20000 + (os.getpid() % 10) * 1000
    return config_mod.write(
        os.path.join(folder, "vpbx.conf"), db_name=db_name, db_user=base.db_user,
        db_password=base.db_password, db_host=base.db_host, db_port=base.db_port,
        run_dir=os.path.join(folder, "run"), log_dir=os.path.join(folder, "log"),
        data_dir=os.path.join(folder, "data"), sip_address=EDGE_ADDRESS,
        sip_port=free_port(host=EDGE_ADDRESS), sip_children=sip_children,
        rtp_ng_port=free_port(), rtp_port_min=rtp_low, rtp_port_max=rtp_low + 999,
        media_port=free_port(), webui_port=free_port(socket.SOCK_STREAM),
        sip_auth_ban_seconds=instance.AUTH_BAN_SECONDS,
        sip_flood_ban_seconds=instance.FLOOD_BAN_SECONDS, sip_flood_exempt=LEGIT_ADDRESS)


class Instance:
    """A running fuzz platform: its config, stack and Kamailio's RPC."""

    def __init__(self, cfg, stack):
        self.cfg = cfg
        self.stack = stack
        self.edge = (cfg.sip_address, cfg.sip_port)

    @property
    def kamailio_log(self) -> str:
        return self.stack.log_file("kamailio")

    def kamcmd(self, *args, timeout: float = 10) -> str:
        """A Kamailio RPC command over this instance's ctl socket; its output, or '' when
        Kamailio does not answer."""
        ctl = os.path.join(self.cfg.run_dir, "kamailio", "kamailio_ctl")
        try:
            done = subprocess.run(["kamcmd", "-s", f"unix:{ctl}", *args], capture_output=True,
                                  text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return done.stdout if done.returncode == 0 else ""

    def vpbx(self, *args) -> subprocess.CompletedProcess:
        env = {**os.environ, "VPBX_CONFIG": self.cfg.path}
        return subprocess.run([VENV_PYTHON, "-m", "vpbx.command.main", *args], env=env,
                              capture_output=True, text=True, timeout=60)


@contextlib.contextmanager
def running(folder: str, sip_children: int = 2):
    """Start the instance in `folder` (config, logs, run dir); stop it and drop its database
    on the way out, also on failure."""
    base = config_mod.load()
    name = instance.create_database(base)
    stack = None
    try:
        cfg = write_config(base, folder, name, sip_children)
        stack = Stack(cfg, components=("rtpengine", "kamailio"))
        stack.start()
        inst = Instance(cfg, stack)
        for file in ("platform.yaml", "tenant.yaml"):
            result = inst.vpbx("apply", os.path.join(FUZZ_DIR, file))
            if result.returncode != 0:
                raise RuntimeError(f"vpbx apply {file}: {result.stdout}{result.stderr}")
        yield inst
    finally:
        if stack is not None:
            stack.stop()
        instance.drop_database(base, name)
