"""Keep one process running: start it again when it ends, waiting longer each time.

    python -m vpbx.stack.supervise NAME [--first-delay S] [--max-delay S] [--stable-seconds S] -- ARGV…

The stack runs the media application under it (vpbx/stack/control.py): whatever ends the app (an
assertion in PJSIP aborts the whole process), the edge gets its voicemail back within
seconds instead of never. The first restart waits `first_delay` (1 s), each next one twice
as long up to `max_delay` (30 s): a process that dies at once is not started in a tight
loop; one that ran `stable_seconds` (60 s) before it ended starts the count again.

SIGTERM or SIGINT stops it: the signal goes to the process (the stack signals the whole
process group anyway), which is not started again; supervise exits 0 when it ended as told
(or of that signal), else with its status.
Each restart is one line on standard error (the component's log):
`supervise: media ended (signal SIGABRT) after 12.3 s; starting it again in 1 s`.
"""
import argparse
import signal
import subprocess
import sys
import time

FIRST_DELAY = 1.0
MAX_DELAY = 30.0
STABLE_SECONDS = 60.0


def describe(status: int) -> str:
    if status < 0:
        try:
            return f"signal {signal.Signals(-status).name}"
        except ValueError:
            return f"signal {-status}"
    return f"status {status}"


def stopped_status(status: int) -> int:
    """supervise's exit status once told to stop: 0 when the process ended as told (by its
    own handler, or killed by the stop signal itself: the stack signals the whole process
    group, so the process may get it twice and die of the second), else its status."""
    if status in (-signal.SIGTERM, -signal.SIGINT):
        return 0
    return status if status >= 0 else 128 - status


def supervise(name: str, argv: list[str], first_delay: float = FIRST_DELAY,
              max_delay: float = MAX_DELAY, stable_seconds: float = STABLE_SECONDS,
              out=sys.stderr) -> int:
    stopping = False
    child = None

    def stop(signum, frame):
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    delay = first_delay
    while True:
        started = time.monotonic()
        try:
            child = subprocess.Popen(argv)
        except OSError as exc:
            print(f"supervise: {name} cannot be started: {exc}", file=out, flush=True)
            return 127
        if stopping:                         # (asked to stop while it was being started)
            child.terminate()
        status = child.wait()
        if stopping:
            return stopped_status(status)
        ran = time.monotonic() - started
        if ran >= stable_seconds:
            delay = first_delay
        print(time.strftime("%Y-%m-%d %H:%M:%S") + f" supervise: {name} ended ({describe(status)})"
              f" after {ran:.1f} s; starting it again in {delay:g} s", file=out, flush=True)
        wake = time.monotonic() + delay
        while not stopping and time.monotonic() < wake:
            time.sleep(min(0.1, max(0.0, wake - time.monotonic())))
        if stopping:
            return stopped_status(status)
        delay = min(delay * 2, max_delay)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    own, command = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv \
        else (argv, [])
    parser = argparse.ArgumentParser(prog="python -m vpbx.stack.supervise",
                                     usage="%(prog)s NAME [options] -- COMMAND…")
    parser.add_argument("name")
    parser.add_argument("--first-delay", type=float, default=FIRST_DELAY)
    parser.add_argument("--max-delay", type=float, default=MAX_DELAY)
    parser.add_argument("--stable-seconds", type=float, default=STABLE_SECONDS)
    args = parser.parse_args(own)
    if not command:
        parser.error("no command to supervise (after --)")
    return supervise(args.name, command, args.first_delay, args.max_delay, args.stable_seconds)


if __name__ == "__main__":
    sys.exit(main())
