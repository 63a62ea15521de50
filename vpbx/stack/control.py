"""Start and stop one instance of the platform: rtpengine, Kamailio, the media app, the web UI.

    python -m vpbx.stack.control start|stop|status     (uses $VPBX_CONFIG or /etc/vpbx/vpbx.conf)

Every process runs in the foreground of its own session, its output in <log_dir>/<name>.log
(Kamailio's through vpbx.records.log_filter, pid in <run_dir>/kamailio-log.pid) and its pid in
<run_dir>/<name>.pid, so `stop` finds it again; `make run` and `make stop` use
this, and so do the tests and the benchmark with instances of their own. The media app runs
under vpbx.stack.supervise, which starts it again whenever it ends.
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import typing
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field

from rtpengine.ngclient import NgClient

from vpbx.edge import password_guard
from vpbx.edge import flood_guard
from vpbx.settings import platform
from vpbx.settings.platform import Config

from vpbx import PROJECT_ROOT as ROOT
# The interpreter of the environment (the project's venv) this package is installed in: the
# Python components run with it, and find the installed packages as any program there does
VENV_PYTHON = sys.executable


LOG_SOCKET_BYTES = 4 << 20             # of a filtered component's output not read yet
ALL_COMPONENTS = ("rtpengine", "kamailio", "media", "cdr", "webui")


@dataclass
class Component:
    """One supervised process and how to tell it is ready."""
    name: str
    argv: list[str]
    cwd: str
    ready: object                      # callable() -> bool
    env: dict = field(default_factory=dict)
    start_timeout: float = 15.0
    filtered: bool = False             # its output reaches its log through vpbx.records.log_filter


def embedded_python_path() -> str:
    """Kamailio's PATH: the venv's bin/ first, as activating it does. app_python3 embeds
    Debian's libpython, whose start-up looks `python3` up on PATH and, finding the venv's (a venv
    made from that same /usr/bin/python3: scripts/setup.sh), starts in the venv — its
    site-packages, where the project is installed. Outside a venv, Debian's own interpreter."""
    system = "/usr/sbin:/usr/bin:/sbin:/bin"
    if sys.prefix == sys.base_prefix:
        return system
    return f"{os.path.join(sys.prefix, 'bin')}:{system}"


def expiring_htable(table: str, seconds: int) -> str:
    """The htable module's definition of a table of counters whose items vanish `seconds`
    after their last update (initval 0: an increment creates a missing item): the edge's
    guards keep their counts and bans in such tables."""
    return f"{table}=>size=12;autoexpire={seconds};initval=0"


class Stack:
    """The processes of one platform instance described by `cfg`."""

    def __init__(self, cfg: Config, *, kamailio_cfg: str | None = None, shm_mb: int = 256,
                 components: tuple[str, ...] = ("rtpengine", "kamailio")):
        self.cfg = cfg
        self.kamailio_cfg = kamailio_cfg or os.path.join(ROOT, "kamailio.cfg")
        self.shm_mb = shm_mb
        self.names = components

    # -- the components -------------------------------------------------------------
    def rtpengine(self) -> Component:
        cfg = self.cfg
        argv = ["rtpengine", f"--config-file={ROOT}/rtpengine/rtpengine.conf",
                f"--listen-ng=127.0.0.1:{cfg.rtp_ng_port}", f"--interface={cfg.sip_address}",
                f"--port-min={cfg.rtp_port_min}", f"--port-max={cfg.rtp_port_max}",
                f"--pidfile={self._run('rtpengine.pid.daemon')}"]
        client = NgClient(port=cfg.rtp_ng_port, timeout=0.3)
        return Component("rtpengine", argv, cfg.run_dir, client.ping)

    def kamailio(self) -> Component:
        cfg = self.cfg
        run = self._run("kamailio")
        os.makedirs(run, exist_ok=True)
        self._write_kamailio_instance(run)
        argv = ["kamailio", "-f", self.kamailio_cfg, "-DD", "-E", "-Y", run,
                "-P", os.path.join(run, "kamailio.pid.daemon"), "-m", str(self.shm_mb), "-M", "32",
                # TLSF memory manager: Kamailio's default (q_malloc) walks its ~2000 free-list
                # buckets on most allocations; measured here, that was 58 % of a trivial
                # route's worker CPU and 25 % of the group route's (perf, 300 calls/s); TLSF
                # finds a free block in constant time
                "-x", "tlsf"]
        return Component("kamailio", argv, run,
                         lambda: sip_options_ping(cfg.sip_address, cfg.sip_port),
                         env={"VPBX_CONFIG": cfg.path, "PYTHONDONTWRITEBYTECODE": "1",
                              "PATH": embedded_python_path()},
                         # its core writes what it cannot parse raw, lines of a sender's
                         # making included: one escaped line per entry, bounded
                         filtered=True)

    def _write_kamailio_instance(self, run: str) -> None:
        """instance.cfg: the defines kamailio.cfg imports from its working directory."""
        cfg = self.cfg
        lines = [
            f"#!define SIP_ADDRESS {cfg.sip_address}",
            f"#!define SIP_PORT {cfg.sip_port}",
            f"#!define SIP_CHILDREN {cfg.sip_children}",
            f'#!define DBURL "{cfg.kamailio_db_url}"',
            f'#!define RTPENGINE_SOCK "udp:127.0.0.1:{cfg.rtp_ng_port}"',
            f'#!define KEMI_SCRIPT "{ROOT}/kemi/vpbx_kemi.py"',
            '#!define AUTH_FAILURES_HTABLE "%s"' % expiring_htable(
                password_guard.FAILURES_TABLE, cfg.sip_auth_failure_seconds),
            '#!define AUTH_BANS_HTABLE "%s"' % expiring_htable(
                password_guard.BANS_TABLE, cfg.sip_auth_ban_seconds),
            '#!define AUTH_USERS_HTABLE "%s"' % expiring_htable(
                password_guard.USER_FAILURES_TABLE, cfg.sip_auth_attack_seconds),
            '#!define FLOOD_BANS_HTABLE "%s"' % expiring_htable(
                flood_guard.BANS_TABLE, cfg.sip_flood_ban_seconds),
            '#!define FLOOD_COUNTS_HTABLE "%s"' % expiring_htable(
                flood_guard.COUNTS_TABLE, flood_guard.COUNT_SECONDS),
        ]
        path = os.path.join(run, "instance.cfg")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("\n".join(lines) + "\n")

    def media(self) -> Component:
        """The media application, started again whenever it ends (vpbx/stack/supervise.py)."""
        cfg = self.cfg
        return Component("media", [VENV_PYTHON, "-m", "vpbx.stack.supervise", "media", "--",
                                   VENV_PYTHON, "-m", "media"], cfg.run_dir,
                         lambda: sip_options_ping(cfg.media_address, cfg.media_port),
                         env={"VPBX_CONFIG": cfg.path})

    def cdr(self) -> Component:
        """The call-record loader (vpbx.records.call_records): the spool of the routing into the database."""
        cfg = self.cfg
        pid_file = self.pid_file("cdr")
        return Component("cdr", [VENV_PYTHON, "-m", "vpbx.records.call_records"], cfg.run_dir,
                         lambda: self.pid("cdr") is not None and os.path.exists(pid_file),
                         env={"VPBX_CONFIG": cfg.path})

    def webui(self) -> Component:
        cfg = self.cfg
        return Component("webui", [VENV_PYTHON, "-m", "webui"], cfg.run_dir,
                         lambda: http_answers(f"http://127.0.0.1:{cfg.webui_port}/healthz"),
                         env={"VPBX_CONFIG": cfg.path})

    def components(self) -> list[Component]:
        return [getattr(self, name)() for name in self.names]

    # -- lifecycle ------------------------------------------------------------------
    def _run(self, name: str) -> str:
        return os.path.join(self.cfg.run_dir, name)

    def pid_file(self, name: str) -> str:
        return self._run(f"{name}.pid")

    def log_file(self, name: str) -> str:
        return os.path.join(self.cfg.log_dir, f"{name}.log")

    def check_ports(self) -> None:
        """rtpengine must never hand out the SIP or media application's port as an RTP port
        (the edge would go deaf): refuse a configuration where they overlap."""
        cfg = self.cfg
        for name, port in (("sip port", cfg.sip_port), ("media sip_port", cfg.media_port)):
            if cfg.rtp_port_min <= port <= cfg.rtp_port_max:
                raise RuntimeError(f"{cfg.path}: the {name} {port} lies inside the RTP port "
                                   f"range {cfg.rtp_port_min}-{cfg.rtp_port_max}")

    def start(self) -> None:
        """Start every component not running yet, each after the previous one is ready."""
        self.check_ports()
        for folder in (self.cfg.run_dir, self.cfg.log_dir, self.cfg.data_dir):
            os.makedirs(folder, exist_ok=True)
        for comp in self.components():
            if self.pid(comp.name):
                continue
            output: socket.socket | typing.BinaryIO
            if comp.filtered:
                output = self._start_log_filter(comp.name)
            else:
                output = open(self.log_file(comp.name), "ab")
            proc = subprocess.Popen(comp.argv, cwd=comp.cwd, stdout=output.fileno(),
                                    stderr=output.fileno(), stdin=subprocess.DEVNULL,
                                    start_new_session=True, env={**os.environ, **comp.env})
            output.close()
            with open(self.pid_file(comp.name), "w") as handle:
                handle.write(str(proc.pid))
            deadline = time.monotonic() + comp.start_timeout
            while not comp.ready():
                if proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{comp.name} did not start; see {self.log_file(comp.name)}:\n"
                                       + tail(self.log_file(comp.name)))
                time.sleep(0.1)

    def _start_log_filter(self, name: str) -> socket.socket:
        """vpbx.records.log_filter on the log of `name`, reading one end of a seqpacket pair; the
        other end, for the component's output, is returned. The filter has a session of its
        own (the component's stop does not end it): it exits when the component's last
        process has closed its end, after writing what it holds."""
        reader, writer = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        # room for a burst (thousands of entries) while the filter is not scheduled: a full
        # socket would stall the writer, i.e. Kamailio's workers
        writer.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, LOG_SOCKET_BYTES)
        with open(self.log_file(name), "ab") as log:
            proc = subprocess.Popen([VENV_PYTHON, "-m", "vpbx.records.log_filter", self.log_file(name)],
                                    cwd=self.cfg.run_dir, stdin=reader.fileno(),
                                    stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        reader.close()
        with open(self.pid_file(f"{name}-log"), "w") as handle:
            handle.write(str(proc.pid))
        return writer

    def pid(self, name: str) -> int | None:
        """The pid of a running component, or None."""
        try:
            with open(self.pid_file(name)) as handle:
                pid = int(handle.read().strip())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every component (SIGTERM to its process group, SIGKILL if it lingers)."""
        for name in reversed(self.names):
            pid = self.pid(name)
            if pid:
                _signal_group(pid, signal.SIGTERM)
                deadline = time.monotonic() + timeout
                while _alive(pid) and time.monotonic() < deadline:
                    time.sleep(0.05)
                _signal_group(pid, signal.SIGKILL)
            try:
                os.unlink(self.pid_file(name))
            except FileNotFoundError:
                pass
            self._wait_log_filter(name, timeout)

    def _wait_log_filter(self, name: str, timeout: float) -> None:
        """Until the log filter of `name` has written its last lines and exited (it does
        once the component's processes are gone), then its pid file goes."""
        pid = self.pid(f"{name}-log")
        if pid:
            deadline = time.monotonic() + timeout
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        try:
            os.unlink(self.pid_file(f"{name}-log"))
        except FileNotFoundError:
            pass

    def status(self) -> dict[str, int | None]:
        return {name: self.pid(name) for name in self.names}


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except OSError:
        pass


def log_size(path: str) -> int:
    """How far a log file goes now (0 while it does not exist): where to read from later."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def log_settled(path: str, quiet: float = 0.05, timeout: float = 1.0) -> int:
    """log_size() once the log has not grown for `quiet` seconds (or `timeout` passed):
    Kamailio's lines reach kamailio.log through vpbx.records.log_filter a moment after Kamailio wrote
    them — and maybe answered the request — so whoever reads the log right after an answer
    (the tests) waits for them."""
    deadline = time.monotonic() + timeout
    size = log_size(path)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = log_size(path)
        if now == size:
            break
        size = now
    return size


def log_slice(path: str, start: int, end: int | None = None) -> str:
    """What a log file holds from byte `start` (to `end`, else to its end)."""
    with open(path, "rb") as handle:
        handle.seek(start)
        data = handle.read() if end is None else handle.read(end - start)
    return data.decode("utf-8", "replace")


def tail(path: str, lines: int = 30) -> str:
    try:
        with open(path, errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError:
        return ""


def http_answers(url: str) -> bool:
    """True when an HTTP server answers at `url` (whatever the status)."""
    try:
        urllib.request.urlopen(url, timeout=0.5).close()
        return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def sip_options_ping(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when a SIP server answers an OPTIONS on UDP host:port."""
    branch = "z9hG4bK" + uuid.uuid4().hex[:16]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        local_port = sock.getsockname()[1]
        message = (f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch={branch};rport\r\n"
                   "Max-Forwards: 70\r\n"
                   f"From: <sip:ping@{host}>;tag={uuid.uuid4().hex[:8]}\r\n"
                   f"To: <sip:{host}:{port}>\r\n"
                   f"Call-ID: {uuid.uuid4().hex}\r\n"
                   "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
        sock.settimeout(timeout)
        try:
            sock.sendto(message.encode(), (host, port))
            data, _ = sock.recvfrom(65535)
        except OSError:
            return False
        return data.startswith(b"SIP/2.0 ")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vpbx.stack.control")
    parser.add_argument("action", choices=("start", "stop", "status"))
    parser.add_argument("--shm-mb", type=int, default=1024)
    args = parser.parse_args(argv)
    try:
        cfg = platform.load()
    except (FileNotFoundError, platform.ConfigError) as exc:
        print(f"vpbx: {exc}", file=sys.stderr)
        return 1
    stack = Stack(cfg, shm_mb=args.shm_mb, components=ALL_COMPONENTS)
    if args.action == "start":
        stack.start()
    elif args.action == "stop":
        stack.stop()
    for name, pid in stack.status().items():
        print(f"{name}: {'running, pid %d' % pid if pid else 'stopped'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
