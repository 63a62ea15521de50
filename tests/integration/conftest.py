"""A real platform for the integration tests: MariaDB (throwaway database), rtpengine,
Kamailio with the KEMI routing and the media application, on ports of their own,
provisioned with `vpbx apply`.

One platform serves the whole session; each test gets fresh phones, and after each test
rtpengine must hold no session any more (no media session is ever left behind).
"""
import contextlib
import os
import subprocess
import time

from rtpengine.ngclient import NgClient
from vpbx.storage import connection as db
from vpbx.records import log_line as logline
from vpbx.stack.control import VENV_PYTHON, Stack, log_settled

TENANTS = os.path.join(os.path.dirname(__file__), "tenants")
PASSWORDS = {"alice": "alice-s3cret", "bob": "bob-s3cret!", "carol": "carol-s3cret",
             "dave": "dave-s3cret", "gina": "gina-s3cret", "ivan": "ivan-s3cret",
             "cal": "cal-s3cret", "m1": "m1-s3cret", "m2": "m2-s3cret", "m3": "m3-s3cret",
             "m4": "m4-s3cret"}
DOMAINS = {"alice": "acme.pbx.test", "bob": "acme.pbx.test", "carol": "acme.pbx.test",
           "dave": "acme.pbx.test", "gina": "globex.pbx.test", "ivan": "globex.pbx.test",
           "cal": "initech.pbx.test", "m1": "initech.pbx.test", "m2": "initech.pbx.test",
           "m3": "initech.pbx.test", "m4": "initech.pbx.test"}


class Platform:
    """Handles on the running platform for tests: config, rtpengine, the NOC log."""

    def __init__(self, cfg, stack, folder):
        self.cfg = cfg
        self.stack = stack
        self.folder = folder
        self.rtpengine = NgClient(port=cfg.rtp_ng_port)

    def vpbx(self, *args) -> subprocess.CompletedProcess:
        """Run the `vpbx` command against this platform."""
        env = {**os.environ, "VPBX_CONFIG": self.cfg.path}
        return subprocess.run([VENV_PYTHON, "-m", "vpbx.command.main", *args], env=env,
                              capture_output=True, text=True, timeout=60)

    def kamcmd(self, *args) -> str:
        """Run a Kamailio RPC command on this instance; its output (errors included)."""
        socket_path = os.path.join(self.cfg.run_dir, "kamailio", "kamailio_ctl")
        result = subprocess.run(["kamcmd", "-s", f"unix:{socket_path}", *args],
                                capture_output=True, text=True, timeout=10)
        return result.stdout + result.stderr

    def log_text(self) -> str:
        log_settled(self.stack.log_file("kamailio"))    # (lines still in vpbx.records.log_filter)
        with open(self.stack.log_file("kamailio"), errors="replace") as handle:
            return handle.read()

    def log_lines(self, tag: str, **match) -> list[dict]:
        """Parsed NOC lines with this tag whose fields equal `match`."""
        found = []
        for line in self.log_text().splitlines():
            if f" {tag} " not in line:
                continue
            fields = logline.parse(line[line.index(tag):])
            if all(fields.get(k) == v for k, v in match.items()):
                found.append(fields)
        return found

    def wait_log(self, tag: str, timeout: float = 3.0, **match) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.log_lines(tag, **match)
            if lines:
                return lines[-1]
            time.sleep(0.05)
        raise AssertionError(f"no {tag} line with {match} in the Kamailio log")

    def wait_no_media_sessions(self, timeout: float = 3.0) -> None:
        deadline = time.monotonic() + timeout
        while self.rtpengine.call_ids() and time.monotonic() < deadline:
            time.sleep(0.05)
        left = self.rtpengine.call_ids()
        assert not left, f"rtpengine still holds sessions: {left}"


# The `platform` (session) and `phones` fixtures are in tests/conftest.py: the media tests
# (tests/media/) share the same platform instance.


@contextlib.contextmanager
def platform_behind_proxy(base, folder: str, components: tuple, tenant_files: list,
                          prepare=None):
    """A platform of its own (throwaway database, `components` of vpbx.stack.control) whose every
    database connection goes through a forwarder the test can cut (`plat.proxy.cut()`, then
    `.start()`), with `tenant_files` applied. `prepare(cfg)` runs before it starts (its
    result is `plat.prepared`); `plat.direct()` connects to its database without the
    forwarder (what the test checks while the platform's database is away)."""
    from tests.support import instance
    from tests.support.tcpproxy import TcpProxy
    proxy = TcpProxy(base.db_host, base.db_port).start()
    name = instance.create_database(base)
    cfg = instance.write_instance_config(base, folder, name, db_port=proxy.port)
    stack = Stack(cfg, components=components)
    plat = Platform(cfg, stack, folder)
    plat.proxy = proxy
    plat.direct = lambda: db.connect(base, database=name)
    try:
        plat.prepared = prepare(cfg) if prepare else None
        stack.start()
        for path in tenant_files:
            result = plat.vpbx("apply", path)
            assert result.returncode == 0, result.stdout + result.stderr
        yield plat
    finally:
        stack.stop()
        proxy.cut()
        instance.drop_database(base, name)


@contextlib.contextmanager
def module_platform(base, folder: str, tenant_file: str):
    """A platform of a test module's own (rtpengine and Kamailio, its database behind a
    forwarder the module can cut or stall) with tenants/platform.yaml and `tenant_file`."""
    with platform_behind_proxy(base, folder, ("rtpengine", "kamailio"),
                               [os.path.join(TENANTS, name)
                                for name in ("platform.yaml", tenant_file)]) as plat:
        yield plat
