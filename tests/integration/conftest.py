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
import weakref

from rtpengine.ngclient import NgClient
from vpbx.storage import connection as db
from tests.support import carrier
from tests.support.platform_logs import PlatformLogs
from vpbx.stack.control import VENV_PYTHON, Stack

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
    """Handles on the running platform for tests: config, rtpengine, the logs (each test reads
    them from where it began: tests.support.platform_logs)."""

    running = weakref.WeakSet()      # the platforms up now, told when each test begins

    def __init__(self, cfg, stack, folder):
        self.cfg = cfg
        self.stack = stack
        self.folder = folder
        self.rtpengine = NgClient(port=cfg.rtp_ng_port)
        self.logs = PlatformLogs(stack.log_file)
        Platform.running.add(self)

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

    def log_text(self, component: str = "kamailio") -> str:
        """What `component` (kamailio, media, webui) logged since the running test began."""
        return self.logs.text(component)

    def log_lines(self, tag: str, component: str = "kamailio", **match) -> list[dict]:
        """Parsed lines with this tag (VPBX-ROUTE, VPBX-AUTH, VPBX-MEDIA) that `component`
        logged since the running test began, whose fields equal `match`."""
        return self.logs.lines(tag, component, **match)

    def wait_log(self, tag: str, timeout: float = 3.0, component: str = "kamailio",
                 **match) -> dict:
        """The last such line (log_lines), once there is one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.log_lines(tag, component, **match)
            if lines:
                return lines[-1]
            time.sleep(0.05)
        raise AssertionError(f"no {tag} line with {match} in the {component} log since the "
                             "test began")

    def stop(self) -> None:
        Platform.running.discard(self)
        self.logs.platform_stops()
        self.stack.stop()

    def check_logs(self) -> None:
        """Fail if the logs hold an error that the test during which it came did not declare
        (pytest.mark.expect_log_errors): at the end, once the platform is stopped."""
        unexpected = self.logs.unexpected_errors()
        assert not unexpected, "errors in the platform's logs that no test expected " \
            "(pytest.mark.expect_log_errors):\n" + "\n".join(unexpected)

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
        plat.stop()
        proxy.cut()
        instance.drop_database(base, name)
    plat.check_logs()


@contextlib.contextmanager
def module_platform(base, folder: str, tenant_file: str):
    """A platform of a test module's own (rtpengine and Kamailio, its database behind a
    forwarder the module can cut or stall) with tenants/platform.yaml (this run's carrier:
    tests.support.carrier) and `tenant_file`."""
    with platform_behind_proxy(base, folder, ("rtpengine", "kamailio"),
                               [carrier.platform_file(folder),
                                os.path.join(TENANTS, tenant_file)]) as plat:
        yield plat
