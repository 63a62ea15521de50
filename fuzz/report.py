"""The fuzz run's verdict, its report (text and JSON) and the findings' reproducers."""
import collections
import re

from fuzz import mutate

FIVE_XX_SHOWN = 20
LOG_FINDINGS_SHOWN = 8
REPRODUCERS_PER_KIND = 3


def memory_growth(result: dict) -> dict:
    """From the warm sample (after the first round of messages) to the last (settled)
    one: growth of shm in use and of the processes' private memory, and whether each stays
    within its tolerance."""
    samples = result["memory"]
    warm, last = samples[1] if len(samples) > 2 else samples[0], samples[-1]
    tol = result["tolerance"]
    shm = None if warm["shm_used"] is None or last["shm_used"] is None else \
        last["shm_used"] - warm["shm_used"]
    private = last["private_kb"] - warm["private_kb"]
    return {"warm": warm, "last": last, "shm_growth_bytes": shm,
            "private_growth_kb": private,
            "shm_flat": shm is not None and shm <= tol["shm_bytes"],
            "private_flat": private <= tol["private_kb"]}


def private_trend(samples: list) -> float | None:
    """kB of private memory per 1,000 messages over the second half of the rounds (a
    least-squares slope): a cache filling up levels off, a leak keeps its slope."""
    rounds = [m for m in samples[1:] if not m.get("settled")]
    half = rounds[len(rounds) // 2:]
    if len(half) < 3:
        return None
    xs, ys = [m["after"] for m in half], [m["private_kb"] for m in half]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mx) ** 2 for x in xs)
    return 1000 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / spread if spread else None


def verdict(result: dict) -> dict:
    """What failed the run: crashes, legitimate checks, memory (always); 5xx answers and
    tracebacks (with --strict)."""
    log = result["log"]
    before, after = result["processes_before"], result["processes_after"]
    died = sorted(set(before) - set(after))
    deaf = [a["after"] for a in result["alive"] if not a["answering"]]
    crash_lines = log.count("crash")
    legit_failed = [c for c in result["legit"] if not c.ok]
    growth = memory_growth(result)
    reasons = []
    if died:
        reasons.append(f"{len(died)} Kamailio process(es) died: "
                       + ", ".join(f"{pid} ({before[pid]})" for pid in died))
    if deaf:
        reasons.append(f"the edge stopped answering OPTIONS (after {deaf[0]} messages)")
    if crash_lines:
        reasons.append(f"{crash_lines} crash line(s) in kamailio.log")
    if legit_failed:
        reasons.append(f"{len(legit_failed)} legitimate check(s) failed")
    if not growth["shm_flat"]:
        reasons.append("shared memory grew beyond the tolerance" if growth["shm_growth_bytes"]
                       is not None else "shared memory could not be read (kamcmd)")
    if not growth["private_flat"]:
        reasons.append("the Kamailio processes' private memory grew beyond the tolerance")
    reported = []
    tally = result["tally"]
    if tally.five_xx_count:
        reported.append(f"{tally.five_xx_count} message(s) answered 5xx")
    if log.count("traceback"):
        reported.append(f"{log.count('traceback')} Python traceback line(s) in kamailio.log")
    if result["meta"]["strict"]:
        reasons += reported
    return {"passed": not reasons, "reasons": reasons, "reported": reported, "died": died,
            "growth": growth}


def _count(items) -> str:
    return "?" if items is None else str(len(items))


def _mb(kb) -> str:
    return f"{kb / 1024:.1f} MB"


def _shm(value) -> str:
    return "n/a" if value is None else f"{value / 1024 / 1024:.2f} MB"


def render(result: dict, verdict: dict) -> str:
    meta, tally, log = result["meta"], result["tally"], result["log"]
    lines = [f"Virtual PBX SIP fuzz run — {meta['started_utc']}, commit {meta['git']}, "
             f"{meta['runtime_s']} s",
             f"seed {meta['seed']}, messages {meta['first']}..{meta['first'] + meta['count'] - 1}"
             f" ({meta['count']}), profile {meta['profile']}; edge {meta['edge']} "
             f"({meta['children']} SIP workers); sink {meta['sink']}",
             f"fuzzer sources {meta['sources']} (rotated, each kept under a quarter of the "
             f"flood guard's limit; total at most {meta['max_rate']:.0f}/s); one message in "
             f"ten from the carrier {meta['carrier']} (INVITEs to the sink user's direct "
             f"number); legitimate client {meta['legit_address']} (flood-exempt)", ""]
    lines.append("VERDICT: " + ("PASSED" if verdict["passed"] else "FAILED: "
                                + "; ".join(verdict["reasons"])))
    if verdict["reported"] and not meta["strict"]:
        lines.append("reported (fail the run with --strict): " + "; ".join(verdict["reported"]))
    lines.append("")
    lines.append("Messages sent: " + ", ".join(f"{t.upper()} {n}" for t, n in
                                               sorted(tally.sent.items()))
                 + f" (total {sum(tally.sent.values())})")
    classes = ["1xx only", "2xx", "3xx", "4xx", "5xx", "6xx", "no answer", "closed, no answer",
               "error"]
    lines.append("Answers by class (the final answer of each message):")
    for transport in sorted(tally.sent):
        lines.append(f"  {transport.upper()}: " + ", ".join(
            f"{k} {tally.classes[(transport, k)]}" for k in classes
            if tally.classes[(transport, k)]))
    lines.append("  most frequent: " + ", ".join(
        f"{code} {reason} ({n})" for (code, reason), n in tally.codes.most_common(8)))
    if tally.errors:
        lines.append("  socket errors: " + ", ".join(f"{e} ({n})" for e, n in
                                                     tally.errors.most_common(5)))
    lines.append("  relayed by the edge to the sink: " + (", ".join(
        f"{m} {n}" for m, n in sorted(result["sink"].items())) or "none"))
    lines.append("")
    lines.append(f"5xx answers: {tally.five_xx_count} message(s)")
    by_answer = collections.Counter(tuple(f["answer"]) for f in tally.five_xx)
    for (code, reason), n in by_answer.most_common():
        lines.append(f"  {code} {reason}: {n}" + (" (of the first kept)" if
                                                  tally.five_xx_count > len(tally.five_xx) else ""))
    for item in tally.five_xx[:FIVE_XX_SHOWN]:
        lines.append(f"  #{item['index']} {item['transport'].upper()} {item['answer'][0]} "
                     f"{item['answer'][1]} — {item['template']}: {'; '.join(item['mutations'])}")
    lines.append("")
    for kind, title in (("traceback", "Python tracebacks"), ("error", "ERROR lines"),
                        ("critical", "CRITICAL/ALERT lines (not a crash by themselves)"),
                        ("crash", "Crash lines (a process exited, a signal, a fault)")):
        found = log.of_kind(kind)
        messages = log.messages_with[kind]
        lines.append(f"{title} in kamailio.log: {log.count(kind)} line(s), {len(found)} "
                     f"distinct, from {len(messages)} known message(s)")
        for finding in found[:LOG_FINDINGS_SHOWN]:
            first = next((i for i, _ in finding.examples if i is not None), None)
            lines.append(f"  {finding.count} x {finding.signature[:220]}"
                         + (f"  [e.g. message #{first}]" if first is not None else ""))
        lines.append("")
    before, after = result["processes_before"], result["processes_after"]
    lines.append(f"Kamailio processes: {len(before)} before, {len(after)} after"
                 + (f"; died: {verdict['died']}" if verdict["died"] else "; none died")
                 + "; edge answering OPTIONS after every round: "
                 + ("yes" if all(a["answering"] for a in result["alive"]) else "NO"))
    growth = verdict["growth"]
    warm, last, first = growth["warm"], growth["last"], result["memory"][0]
    tol = result["tolerance"]
    lines.append("Memory (sum over Kamailio's processes; shm = kamcmd core.shmmem real_used; RSS "
                 "counts each process's touched pages of the shm pool too, so it rises as they "
                 "touch more of it: private and shm decide flatness):")
    lines.append(f"  before any message: RSS {_mb(first['rss_kb'])}, private "
                 f"{_mb(first['private_kb'])}, shm {_shm(first['shm_used'])}")
    lines.append(f"  warm (after {warm['after']}): RSS {_mb(warm['rss_kb'])}, private "
                 f"{_mb(warm['private_kb'])}, shm {_shm(warm['shm_used'])}")
    lines.append(f"  end (settled {result['settled']['seconds']} s, "
                 f"{result['settled']['transactions_left']} transactions and "
                 f"{_count(result['settled']['media_sessions_left'])} rtpengine sessions left): RSS "
                 f"{_mb(last['rss_kb'])}, private {_mb(last['private_kb'])}, shm "
                 f"{_shm(last['shm_used'])} (max used {_shm(last['shm_max_used'])})")
    shm_growth = growth["shm_growth_bytes"]
    lines.append(f"  warm -> end: shm {'n/a' if shm_growth is None else f'{shm_growth / 1024:+.0f} kB'}"
                 f" (tolerance {tol['shm_bytes'] // 1024} kB: "
                 f"{'flat' if growth['shm_flat'] else 'NOT flat'}), private "
                 f"{growth['private_growth_kb']:+d} kB (tolerance {tol['private_kb']} kB: "
                 f"{'flat' if growth['private_flat'] else 'NOT flat'})")
    trend = private_trend(result["memory"])
    if trend is not None:
        lines.append(f"  private memory over the second half of the run: {trend:+.0f} kB per "
                     "1,000 messages")
    grown = sorted(((last["private_kb_by_pid"].get(pid, 0) - kb, pid)
                    for pid, kb in warm.get("private_kb_by_pid", {}).items()), reverse=True)
    roles = result.get("roles") or {}
    if grown:
        lines.append("  private memory grown most (warm -> end): " + ", ".join(
            f"{roles.get(int(pid), 'pid')} ({pid}) {kb:+d} kB" for kb, pid in grown[:3]))
    media = result["settled"]["media_sessions_left"] or []
    if media:
        lines.append("  rtpengine sessions left by messages: " + ", ".join(
            # (a NUL or another byte a mutation put into a Call-ID is left out here)
            f"#{i}" if (i := mutate.message_index(
                re.sub(rb"[\x00-\x1f\x7f-\xff]", b"", call_id.encode(errors="replace")),
                meta["seed"])) is not None
            else repr(call_id[:40]) for call_id in media[:20]))
    lines.append("  series (messages: private MB / shm MB): " + ", ".join(
        f"{m['after']}: {m['private_kb'] / 1024:.1f}/{_shm(m['shm_used']).split()[0]}"
        for m in result["memory"]))
    lines.append("")
    checks = result["legit"]
    failed = [c for c in checks if not c.ok]
    lines.append(f"Legitimate client (OPTIONS, raw digest REGISTER, phone REGISTER, call with "
                 f"RTP both ways): {len(checks) - len(failed)}/{len(checks)} checks passed"
                 f" (slowest {max(c.seconds for c in checks):.1f} s)")
    for check in failed:
        lines.append(f"  FAILED after {check.after} messages: {check.failure}")
    bans = result["flood_bans"]
    lines.append(f"Flood-guard bans during the run: {len(bans)}"
                 + (" (the fuzzer's rotation did not keep under the limit: those sources' "
                    "later messages were dropped unanswered)" if bans else ""))
    lines.append("")
    lines.append("Reproduce: python -m fuzz.mutate --seed SEED --index N prints message N; "
                 "the findings file holds the exact bytes of each finding.")
    return "\n".join(lines) + "\n"


def findings(result: dict) -> str:
    """Reproducers: for each kind of 5xx answer and of traceback, the first messages that
    caused it (their bytes as a Python literal, the template and mutations)."""
    meta, tally, log = result["meta"], result["tally"], result["log"]
    out = [f"# fuzz findings, seed {meta['seed']}, edge {meta['edge']}, sink {meta['sink']}, "
           f"commit {meta['git']}",
           "# each: the message's index, transport, template and mutations, then its bytes",
           "# (regenerate one: python -m fuzz.mutate --seed SEED --index N --edge EDGE "
           "--src SOURCE:PORT --peer SINK)", ""]
    seen = collections.Counter()
    out.append(f"## 5xx answers ({tally.five_xx_count} messages)")
    for item in tally.five_xx:
        key = tuple(item["answer"]) + (item["template"],)
        seen[key] += 1
        if seen[key] > REPRODUCERS_PER_KIND:
            continue
        out.append(f"# #{item['index']} {item['transport'].upper()} from {item['source']}: "
                   f"{item['answer'][0]} {item['answer'][1]}; template {item['template']}; "
                   + "; ".join(item["mutations"]))
        out.append(repr(item["data"]))
        out.append("")
    out.append(f"## Python tracebacks in kamailio.log ({log.count('traceback')} entries)")
    templates = mutate.load_corpus()
    for finding in log.of_kind("traceback"):
        out.append(f"# {finding.count} x {finding.signature}")
        for index, line in finding.examples:
            out.append(f"# log: {line[:1500]}")
            source = tally.sources.get(index)
            if source is None:
                continue
            ctx = mutate.Context(meta["edge"], source, meta["sink"], mutate.transport_of(index))
            data, template, mutations = mutate.generate(templates, meta["seed"], index, ctx)
            out.append(f"# caused by #{index} {ctx.transport.upper()} from {source}: template "
                       f"{template}; " + "; ".join(mutations))
            out.append(repr(data))
        out.append("")
    return "\n".join(out) + "\n"


def as_json(result: dict, verdict: dict) -> dict:
    tally, log = result["tally"], result["log"]
    return {
        "meta": result["meta"],
        "verdict": {k: v for k, v in verdict.items() if k != "growth"},
        "memory_growth": {k: v for k, v in verdict["growth"].items() if k not in ("warm", "last")},
        "private_kb_per_1000_messages": private_trend(result["memory"]),
        "sent": dict(tally.sent),
        "classes": {f"{t}:{k}": n for (t, k), n in tally.classes.items()},
        "codes": {f"{c} {r}": n for (c, r), n in tally.codes.items()},
        "socket_errors": dict(tally.errors),
        "five_xx_count": tally.five_xx_count,
        "five_xx": [{**{k: v for k, v in f.items() if k != "data"}, "data": repr(f["data"])}
                    for f in tally.five_xx],
        "log": {kind: [{"count": f.count, "signature": f.signature,
                        "examples": [{"index": i, "line": line} for i, line in f.examples]}
                       for f in log.of_kind(kind)] for kind in ("traceback", "error", "critical", "crash")},
        "log_messages": {k: sorted(v)[:500] for k, v in log.messages_with.items()},
        "legit": [c.__dict__ for c in result["legit"]],
        "memory": result["memory"], "alive": result["alive"], "settled": result["settled"],
        "processes_before": result["processes_before"],
        "processes_after": result["processes_after"], "roles": result.get("roles"),
        "sink": result["sink"], "flood_bans": result["flood_bans"],
        "tolerance": result["tolerance"],
    }


