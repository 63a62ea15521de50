"""`make fuzz`: mutated SIP messages at the edge of a platform instance of its own, with a
legitimate client checked throughout; a report of what the edge did.

    python -m fuzz.run [--count 20000] [--seed 1] [--check-every 2000] [--strict]
                       [--profile full|short] [--results fuzz/results] [--keep]

See fuzz/README.md. The exit status is 1 when Kamailio crashed (a process died, or the
edge stopped answering), a legitimate check failed, or memory grew beyond the tolerance;
with --strict, also when any 5xx answer or Python traceback was seen; 2 when the run could
not be made (a missing tool, the platform did not start).
"""
import argparse
import collections
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from fuzz import mutate, report, send, watch
from fuzz import platform as fuzz_platform
from fuzz.legit import LegitClient
from fuzz.sink import Sink
from rtpengine.ngclient import NgClient, NgError
from vpbx.stack.control import ROOT, sip_options_ping

RESULTS_DIR = os.path.join(fuzz_platform.FUZZ_DIR, "results")
# settle: at the end, how long to wait at most for tm's transactions to end (relayed
# requests nobody answered: fr_timer 30 s) before the last measurement
PROFILES = {"full": {"count": 20000, "check_every": 2000, "settle": 40},
            # the test suite's (tests/integration/test_fuzz.py): well under a minute
            "short": {"count": 1500, "check_every": 500, "settle": 10}}
# memory growth tolerated from the warm sample (after the first round of messages) to the
# end: Kamailio's shared memory in use, and the private memory of its processes (pkg
# memory and the embedded Python's heap) summed
SHM_TOLERANCE_BYTES = 2 * 1024 * 1024
PRIVATE_TOLERANCE_KB = 8 * 1024
FIVE_XX_KEPT = 200           # 5xx answers kept with their message (the first ones)


class Interrupted(Exception):
    pass


def _on_sigterm(signum, frame):
    raise Interrupted(f"signal {signum}")


class Tally:
    """Everything the run counts, filled as messages finish (the sender's thread)."""

    def __init__(self, seed: int):
        self.seed = seed
        self.sent = collections.Counter()                  # by transport
        self.classes = collections.Counter()               # (transport, "2xx"/…/"none"/"error")
        self.codes = collections.Counter()                 # (code, reason)
        self.errors = collections.Counter()                # socket errors
        self.five_xx = []                                  # dicts, the first FIVE_XX_KEPT
        self.five_xx_count = 0
        self.messages = {}                                 # index -> (template, mutations), in flight
        self.sources = {}                                  # index -> "host:port" it came from
        self.lock = threading.Lock()

    def note(self, result: send.Result, data: bytes, template: str, mutations: list) -> None:
        with self.lock:
            self.sent[result.transport] += 1
            self.sources[result.index] = f"{result.source}:{result.port}"
            final = result.final
            if result.error and not result.answers:
                klass = "error"
                self.errors[result.error] += 1
            elif final is None:
                klass = "1xx only" if result.answers else \
                    "closed, no answer" if result.closed else "no answer"
            else:
                klass = f"{final[0] // 100}xx"
                self.codes[final] += 1
            self.classes[(result.transport, klass)] += 1
            fives = [a for a in result.answers if 500 <= a[0] < 600]
            if fives:
                self.five_xx_count += 1
                if len(self.five_xx) < FIVE_XX_KEPT:
                    self.five_xx.append({"index": result.index, "transport": result.transport,
                                         "source": result.source, "answer": fives[0],
                                         "template": template, "mutations": mutations,
                                         "data": data})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.run", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full")
    parser.add_argument("--count", type=int, help="messages to send (default: the profile's)")
    parser.add_argument("--check-every", type=int, help="messages between legitimate checks")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--first", type=int, default=0,
                        help="index of the first message (to replay a part of a seed's run)")
    parser.add_argument("--strict", action="store_true",
                        help="also fail on any 5xx answer or Python traceback")
    parser.add_argument("--window", type=int, default=64, help="messages in flight at most")
    parser.add_argument("--children", type=int, default=2, help="Kamailio SIP workers")
    parser.add_argument("--results", default=RESULTS_DIR, metavar="FOLDER")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    args = parser.parse_args(argv)
    profile = PROFILES[args.profile]
    count = args.count or profile["count"]
    check_every = args.check_every or profile["check_every"]
    for tool in ("kamailio", "rtpengine", "kamcmd"):
        if shutil.which(tool) is None:
            print(f"fuzz: {tool} not found (run `make setup`)", file=sys.stderr)
            return 2
    signal.signal(signal.SIGTERM, _on_sigterm)
    work = tempfile.mkdtemp(prefix="vpbx-fuzz-")
    started = datetime.datetime.now(datetime.timezone.utc)
    began = time.monotonic()
    code = 2
    legit = sink = None
    try:
        with fuzz_platform.running(os.path.join(work, "instance"), args.children) as inst:
            print(f"fuzz: edge {inst.edge[0]}:{inst.edge[1]}, work folder {work}", flush=True)
            sink = Sink().start()
            code = sink.register(inst.edge, fuzz_platform.LEGIT_ADDRESS, fuzz_platform.SINK_USER,
                                 fuzz_platform.SINK_PASSWORD, fuzz_platform.DOMAIN)
            if code != 200:
                raise RuntimeError(f"the sink's user could not register ({code})")
            legit = LegitClient(inst, os.path.join(work, "phones"))
            legit.start()
            result = fuzz(inst, legit, sink, args, count, check_every, profile["settle"])
        result["meta"].update(started_utc=started.strftime("%Y-%m-%dT%H:%M:%SZ"),
                              runtime_s=round(time.monotonic() - began, 1),
                              git=git_commit(), profile=args.profile)
        code = write_results(result, args)
    except (KeyboardInterrupt, Interrupted):
        print("\nfuzz: interrupted", file=sys.stderr)
        code = 130
    except Exception as exc:
        print(f"fuzz: could not run: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 2
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if legit:
            legit.close()
        if sink:
            sink.stop()
        if args.keep or code not in (0, 130):        # (a failed verdict keeps its logs)
            print(f"fuzz: logs kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return code


def fuzz(inst, legit, sink, args, count, check_every, settle_seconds) -> dict:
    """Send the messages in rounds of `check_every`, a legitimate check running beside each
    round; measure; the run's figures."""
    templates = mutate.load_corpus()
    tally = Tally(args.seed)
    leader = inst.stack.pid("kamailio")
    log = watch.LogWatch(inst.kamailio_log, args.seed)
    edge = f"{inst.edge[0]}:{inst.edge[1]}"

    def make(index, transport, host, port):
        ctx = mutate.Context(edge, f"{host}:{port}", sink.address, transport)
        data, template, mutations = mutate.generate(templates, args.seed, index, ctx)
        tally.messages[index] = (template, mutations)
        return data

    def done(result, data):
        template, mutations = tally.messages.pop(result.index)
        tally.note(result, data, template, mutations)

    processes_before = watch.kamailio_processes(leader)
    first_check = legit.check(0)
    memory = [{"after": 0, **watch.memory(leader, inst.kamcmd)}]
    alive = []
    sender = send.Sender(inst.edge, make, done, window=args.window)
    indices = list(range(args.first, args.first + count))
    for start in range(0, count, check_every):
        batch = indices[start:start + check_every]
        checker = None
        if start:                        # (the first check ran before any message)
            checker = threading.Thread(target=legit.check, args=(start,), daemon=True)
            checker.start()
        sender.run(batch, mutate.transport_of)
        if checker:
            checker.join(timeout=60)
        sent = start + len(batch)
        answering = any(sip_options_ping(*inst.edge, timeout=1.0) for _ in range(3))
        alive.append({"after": sent, "processes": len(watch.kamailio_processes(leader)),
                      "answering": answering})
        memory.append({"after": sent, **watch.memory(leader, inst.kamcmd)})
        log.scan()
        last = legit.checks[-1]
        print(f"fuzz: {sent}/{count} sent; 5xx {tally.five_xx_count}; tracebacks "
              f"{log.count('traceback')}; legit {'ok' if last.ok else 'FAILED: ' + last.failure}"
              f"; Kamailio private {memory[-1]['private_kb'] // 1024} MB, shm "
              f"{(memory[-1]['shm_used'] or 0) // 1024} kB", flush=True)
    # the end: tm's transactions end (relayed requests, retransmission timers), then the
    # last measurements
    settle_began = time.monotonic()
    while time.monotonic() - settle_began < settle_seconds:
        if (watch.transactions(inst.kamcmd) or 0) == 0:
            break
        time.sleep(1)
    settled = {"seconds": round(time.monotonic() - settle_began, 1),
               "transactions_left": watch.transactions(inst.kamcmd),
               "media_sessions_left": media_sessions(inst)}
    final_check = legit.check(count)
    log.scan(final=True)
    memory.append({"after": count, "settled": True, **watch.memory(leader, inst.kamcmd)})
    processes_after = watch.kamailio_processes(leader)
    ban_lines = flood_bans(inst.kamailio_log)
    return {
        "meta": {"seed": args.seed, "first": args.first, "count": count,
                 "check_every": check_every, "edge": edge, "sink": sink.address,
                 "sources": f"{send.SOURCE_BASE}{send.SOURCE_FIRST}-"
                            f"{send.SOURCE_BASE}{send.SOURCE_FIRST + send.SOURCE_COUNT - 1}",
                 "carrier": fuzz_platform.CARRIER_ADDRESS,
                 "legit_address": fuzz_platform.LEGIT_ADDRESS, "window": args.window,
                 "max_rate": send.MAX_RATE, "children": args.children, "strict": args.strict},
        "tally": tally, "log": log, "legit": legit.checks, "first_check": first_check,
        "final_check": final_check, "memory": memory, "alive": alive, "settled": settled,
        "processes_before": processes_before, "processes_after": processes_after,
        "roles": watch.process_roles(inst.kamcmd),
        "sink": dict(sink.counts), "flood_bans": ban_lines,
        "tolerance": {"shm_bytes": SHM_TOLERANCE_BYTES, "private_kb": PRIVATE_TOLERANCE_KB},
    }


def media_sessions(inst) -> list | None:
    """The Call-IDs of the sessions rtpengine still holds (the legitimate calls leave none;
    a fuzz message's is `fuzz-SEED-INDEX`), None when rtpengine does not answer."""
    try:
        return NgClient(port=inst.cfg.rtp_ng_port).call_ids()
    except (NgError, OSError):
        return None


def flood_bans(path: str) -> list:
    """The flood guard's ban lines (VPBX-ROUTE decision=flood) of the run."""
    try:
        with open(path, errors="replace") as handle:
            return [line.strip() for line in handle if "decision=flood" in line]
    except OSError:
        return []


def git_commit() -> str:
    try:
        return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def write_results(result: dict, args) -> int:
    """The report (text and JSON) and the findings' reproducers in the results folder; the
    summary on stdout; the exit status."""
    verdict = report.verdict(result)
    text = report.render(result, verdict)
    os.makedirs(args.results, exist_ok=True)
    stamp = result["meta"]["started_utc"].replace("-", "").replace(":", "")
    paths = {"report": os.path.join(args.results, f"fuzz-{stamp}.txt"),
             "json": os.path.join(args.results, f"fuzz-{stamp}.json"),
             "findings": os.path.join(args.results, f"findings-{stamp}.txt")}
    with open(paths["report"], "w") as handle:
        handle.write(text)
    with open(paths["json"], "w") as handle:
        json.dump(report.as_json(result, verdict), handle, indent=2)
        handle.write("\n")
    with open(paths["findings"], "w") as handle:
        handle.write(report.findings(result))
    for name in ("report", "findings"):
        shutil.copyfile(paths[name], os.path.join(args.results, f"latest-{name}.txt"))
    print()
    print(text, end="")
    print(f"results: {os.path.relpath(paths['report'], ROOT)}, "
          f"{os.path.relpath(paths['json'], ROOT)}, {os.path.relpath(paths['findings'], ROOT)}")
    return 0 if verdict["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
