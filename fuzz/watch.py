"""What the fuzz run watches on the edge: Kamailio's processes and their memory, and what
Kamailio logs (Python tracebacks, ERROR lines, crashes).

Memory: the RSS of every Kamailio process summed (as `ps` shows it: pages of the shared
memory a process touched count in each), their private memory (Private_Clean +
Private_Dirty of /proc/PID/smaps_rollup: Kamailio's pkg memory and the embedded Python's
heap, counted once), and the shared memory Kamailio itself reports in use (`kamcmd
core.shmmem`: real_used, i.e. transactions, dialogs, registrations, htables).
"""
import os
import re
from dataclasses import dataclass, field

from fuzz import mutate

_SHM = re.compile(r"^\s*(\w+):\s*(\d+)\s*$", re.M)


def kamailio_processes(leader: int | None) -> dict:
    """{pid: description} of the processes in Kamailio's process group (its workers)."""
    found = {}
    if not leader:
        return found
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                data = handle.read()
            fields = data[data.rindex(")") + 2:].split()
            if int(fields[2]) == leader and fields[0] != "Z":
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    found[int(entry)] = handle.read().split(b"\0")[0].decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
    return found


def process_roles(kamcmd) -> dict:
    """{pid: what the process does} from `kamcmd core.psx` ("udp receiver child=0 ...")."""
    return {int(pid): role.strip() for pid, role in
            re.findall(r"PID:\s*(\d+)\s*DSC:\s*([^\n]*)", kamcmd("core.psx"))}


def _kb(path: str, names: tuple) -> int:
    total = 0
    try:
        with open(path) as handle:
            for line in handle:
                name, _, rest = line.partition(":")
                if name in names:
                    total += int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return total


def memory(leader: int | None, kamcmd) -> dict:
    """RSS and private memory of Kamailio's processes (kB, summed) and its shared memory
    in use (bytes, None when the RPC does not answer)."""
    pids = kamailio_processes(leader)
    shm = dict((k, int(v)) for k, v in _SHM.findall(kamcmd("core.shmmem")))
    private = {pid: _kb(f"/proc/{pid}/smaps_rollup", ("Private_Clean", "Private_Dirty"))
               for pid in pids}
    return {"processes": len(pids),
            "rss_kb": sum(_kb(f"/proc/{pid}/status", ("VmRSS",)) for pid in pids),
            "private_kb": sum(private.values()),
            "private_kb_by_pid": {str(pid): kb for pid, kb in private.items()},
            "shm_used": shm.get("real_used"), "shm_max_used": shm.get("max_used")}


def transactions(kamcmd) -> int | None:
    """Transactions tm holds now (None when the RPC does not answer)."""
    match = re.search(r"current:\s*(\d+)", kamcmd("tm.stats"))
    return int(match.group(1)) if match else None


# -- the log --------------------------------------------------------------------------------
_PREFIX = re.compile(r"^\s*\d+\(\d+\)\s+")
# a Kamailio process's death as its main process logs it (handle_sigs), or a fault
_CRASH = re.compile(r"exited by a signal|core dump|segfault|Segmentation fault|SIGSEGV|SIGABRT|"
                    r"child process \d+ exited|terminating due to")
# Kamailio's loudest levels: reported apart, not a crash by themselves (udp_send() logs
# CRITICAL for a reply it cannot send from 127.0.0.98 to an address off the host)
_CRITICAL = re.compile(r"^\s*\d+\(\d+\)\s+(CRITICAL|ALERT|BUG):")


@dataclass
class LogFinding:
    """A kind of log line (its signature) with how often it came and its first examples."""
    kind: str                    # traceback | error | critical | crash
    signature: str
    count: int = 0
    examples: list = field(default_factory=list)      # (message index or None, line)


_MODULES = (r"(<core>|app_python3|tm|tmx|sl|pv|sanity|rr|dialog|maxfwd|rtpengine|registrar|"
            r"usrloc|auth|auth_db|htable|pike|textops|siputils|xlog|corex|kex|uac|db_mysql)")


def signature(kind: str, line: str) -> str:
    """What lines of one kind have in common: a traceback's exception (its last segment),
    an ERROR line's module, place and text, with numbers, Call-IDs and quoted values
    blurred."""
    text = _PREFIX.sub("", line)
    # the {method call-id} prefix (cut short, with no "}", when the Call-ID held a NUL: the
    # module's name follows at once)
    text = re.sub(r"\{[^}]*\} |\{.*?(?=" + _MODULES + r" \[[\w./]+:\d+\]: )", "", text,
                  count=1)
    if kind == "traceback":
        segments = [s.strip() for s in text.split(" | ") if s.strip()]
        exception = next((s for s in reversed(segments) if re.match(r"[\w.]+(Error|Exception)\b", s)),
                         None)
        where = [s for s in segments if s.startswith("File ")]
        if exception:
            text = exception + (f" (at {where[-1]})" if where else "")
        if "Unhandled exception" in line:
            # escaped the routing's own handler: Kamailio answered nothing at all
            text = "UNHANDLED (request left unanswered): " + text
    else:
        # the variable part of a parser's complaint: the header, URI or bytes it quotes
        text = re.sub(r"\s+", " ", text).strip()
        text = re.sub(r"(message=<|buf:).*$", r"\1…", text)
        where, _, what = text.partition("(): ")
        if what:
            text = where + "(): " + re.sub(r"\[[^\]]*(\]|$)|\"[^\"]*(\"|$)|'[^']*('|$)",
                                           "[…]", what)
    text = mutate._CALL_ID_IN_TEXT.sub(b"<call-id>", text.encode(errors="replace")).decode()
    text = re.sub(r"0x[0-9a-f]+", "0x…", text)
    text = re.sub(r"\d+", "N", text)
    text = re.sub(r"'[^']{12,}'", "'…'", text)
    text = re.sub(r"<[^>]{30,}>", "<…>", text)
    return text[:300]


def classify(line: str) -> str | None:
    if "Traceback" in line or "python_handle_exception" in line or "app_python3" in line \
            and "ERROR" in line:
        return "traceback"
    if _CRASH.search(line):
        return "crash"
    if _CRITICAL.match(line):
        return "critical"
    if " ERROR: " in line or "ERROR:" in line[:40]:
        return "error"
    return None


class LogWatch:
    """Reads Kamailio's log from where the fuzzing began, a piece at a time."""

    def __init__(self, path: str, seed: int, examples: int = 3):
        self.path = path
        self.seed = seed
        self.offset = os.path.getsize(path) if os.path.exists(path) else 0
        self.examples = examples
        self.findings = {}
        self.messages_with = {"traceback": set(), "error": set(), "critical": set(),
                              "crash": set()}
        self.lines = 0

    def scan(self, final: bool = False) -> None:
        """Read what Kamailio logged since the last scan. A message Kamailio logs over
        several lines (app_python3's traceback of an exception that escaped the routing, a
        dump of a message it could not parse) is one entry, its lines joined with " | "; the
        last entry waits for the next scan (its lines may not all be written yet) unless
        `final`."""
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except OSError:
            return
        cut = data.rfind(b"\n") + 1
        entries = []
        for raw in data[:cut].splitlines(keepends=True):
            if raw.startswith(b"VPBX-LOGFILTER "):    # (the log filter's own line: an entry)
                entries.append([self.offset, [raw]])
            elif entries and not _PREFIX.match(raw.decode("latin-1")):
                entries[-1][1].append(raw)
            else:
                entries.append([self.offset, [raw]])
            self.offset += len(raw)
        if entries and not final:
            self.offset = entries.pop()[0]          # (read again next time)
        for _, raws in entries:
            self._note(b" | ".join(r.rstrip(b"\r\n") for r in raws))

    def _note(self, raw: bytes) -> None:
        self.lines += 1
        line = raw.decode("utf-8", "replace")
        kind = classify(line)
        if kind is None:
            return
        index = mutate.message_index(raw, self.seed)
        if index is not None:
            self.messages_with[kind].add(index)
        key = (kind, signature(kind, line))
        finding = self.findings.setdefault(key, LogFinding(kind, key[1]))
        finding.count += 1
        if len(finding.examples) < self.examples:
            finding.examples.append((index, line[:4000]))

    def of_kind(self, kind: str) -> list:
        return sorted((f for f in self.findings.values() if f.kind == kind),
                      key=lambda f: -f.count)

    def count(self, kind: str) -> int:
        return sum(f.count for f in self.findings.values() if f.kind == kind)
