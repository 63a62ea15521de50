"""Call records (SPEC F11): events spooled by the routing, loaded into `call_records`.

The KEMI routing never writes a record to the database itself: it appends small JSON events
(start, answer, route, end) to a spool file of its own (one per worker and hour), which
costs no database time and survives a database outage. An `end` event also carries the
call's users ("parties"): their end time (users.last_call_end, the least-active
distribution's idle time) is written here too. `python -m vpbx.records.call_records` (started with
the platform) loads new lines into the database, each event setting its own columns, so
their order does not matter; when the database is away it keeps its place and retries.
"""
import datetime
import glob
import json
import logging
import os
import signal
import sys
import time
import zoneinfo

import pymysql

from vpbx.settings import platform
from vpbx.storage import connection
from vpbx.records import json_line

log = logging.getLogger("vpbx.records.call_records")
POLL_SECONDS = 0.5


def spool_dir(data_dir: str) -> str:
    return os.path.join(data_dir, "cdr-spool")


def spool_path(data_dir: str, pid: int, now: datetime.datetime | None = None) -> str:
    hour = (now or datetime.datetime.now(datetime.timezone.utc)).strftime("%Y%m%d%H")
    return os.path.join(spool_dir(data_dir), f"events-{hour}-{pid}.jsonl")


class _SpoolFile:
    """This process's spool file of the current hour, kept open between events (a routing
    worker writes several events per call: no open and close each time)."""
    key = None      # (data_dir, pid, UTC hour since the epoch)
    fd = None

    @classmethod
    def for_key(cls, key) -> int:
        if cls.key != key:
            cls.close()
            path = spool_path(key[0], key[1], datetime.datetime.fromtimestamp(
                key[2] * 3600, datetime.timezone.utc))
            try:
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            except FileNotFoundError:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            cls.key, cls.fd = key, fd
        return cls.fd

    @classmethod
    def close(cls) -> None:
        # (after a fork, the parent's descriptor is the child's own copy: closing it is safe)
        if cls.fd is not None:
            try:
                os.close(cls.fd)
            except OSError:
                pass
        cls.key = cls.fd = None


def append_event(data_dir: str, event: dict) -> None:
    """Append one event (a single write with O_APPEND: lines never interleave)."""
    now = time.time()
    event.setdefault("ts", now)
    line = (json_line.dumps(event) + "\n").encode()
    key = (data_dir, os.getpid(), int(now // 3600))
    try:
        os.write(_SpoolFile.for_key(key), line)
    except OSError:
        _SpoolFile.close()          # once more on a fresh descriptor; then the error stands
        os.write(_SpoolFile.for_key(key), line)


def outcome_of(code: int | None, answered: bool, voicemail: bool) -> str:
    """What a caller would call the call's result."""
    if answered:
        return "voicemail" if voicemail else "answered"
    if code in (486, 600):
        return "busy"
    if code in (408, 480, 487, None) or code == 0:
        return "missed"
    return "failed"


def _at(ts) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(float(ts), datetime.timezone.utc).replace(tzinfo=None)


_COLUMNS = {
    "start": ("tenant_id", "callee_tenant_id", "caller", "dialled", "on_net", "route"),
    "answer": ("callee", "group_name", "member"),
    "route": ("route",),
    "end": ("final_code", "outcome"),
}
_TIMES = {"start": "started_at", "answer": "answered_at", "end": "ended_at"}


def store_event(cur, event: dict) -> None:
    """Upsert one event into its call's record."""
    kind = event["kind"]
    columns = ["call_id"] + [c for c in _COLUMNS.get(kind, ()) if c in event]
    values = [event["call_id"]] + [event[c] for c in columns[1:]]
    if kind in _TIMES:
        columns.append(_TIMES[kind])
        values.append(_at(event["ts"]))
    updates = ", ".join(f"{c} = VALUES({c})" for c in columns[1:]) or "call_id = call_id"
    cur.execute(f"INSERT INTO call_records ({', '.join(columns)})"
                f" VALUES ({', '.join(['%s'] * len(columns))})"
                f" ON DUPLICATE KEY UPDATE {updates}", values)
    if kind == "end" and event.get("parties"):
        store_call_end(cur, event["parties"], event["ts"])


def store_call_end(cur, parties: str, ts) -> None:
    """The users of an ended call ("tenant_id:extension,…") are idle since `ts` (the
    least-active distribution); an older end time never replaces a newer one."""
    rows = []
    for item in filter(None, parties.split(",")):
        tenant_id, _sep, extension = item.partition(":")
        rows.append((float(ts), float(ts), int(tenant_id), extension))
    cur.executemany("UPDATE users SET last_call_end = FROM_UNIXTIME(%s)"
                    " WHERE (last_call_end IS NULL OR last_call_end < FROM_UNIXTIME(%s))"
                    " AND tenant_id = %s AND extension = %s", rows)


class Loader:
    """Loads the spool into the database, remembering how far each file was read."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.folder = spool_dir(cfg.data_dir)
        self.conn = None

    def _offset_path(self, path: str) -> str:
        return path + ".done"

    def _offset(self, path: str) -> int:
        try:
            with open(self._offset_path(path)) as handle:
                return int(handle.read().strip() or 0)
        except (OSError, ValueError):
            return 0

    def load_once(self) -> int:
        """Load every complete new line; returns how many events were stored."""
        os.makedirs(self.folder, exist_ok=True)
        stored = 0
        for path in sorted(glob.glob(os.path.join(self.folder, "events-*.jsonl"))):
            stored += self._load_file(path)
        return stored

    def _load_file(self, path: str) -> int:
        offset = self._offset(path)
        with open(path, "rb") as handle:
            handle.seek(offset)
            data = handle.read()
        complete = data[:data.rfind(b"\n") + 1]
        if not complete:
            self._forget_if_old(path, offset)
            return 0
        events = []
        for line in complete.splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                log.error("%s: a malformed event line was skipped: %r", path, line[:200])
        if self.conn is None:
            self.conn = connection.connect(self.cfg, autocommit=False)
        with self.conn.cursor() as cur:
            for event in events:
                store_event(cur, event)
        self.conn.commit()
        with open(self._offset_path(path) + ".tmp", "w") as handle:
            handle.write(str(offset + len(complete)))
        os.replace(self._offset_path(path) + ".tmp", self._offset_path(path))
        return len(events)

    def _forget_if_old(self, path: str, offset: int) -> None:
        """A file of an hour that is over, read to its end, is removed."""
        current = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d%H")
        if os.path.basename(path).split("-")[1] < current and offset == os.path.getsize(path):
            os.unlink(path)
            os.unlink(self._offset_path(path))

    def run(self, stop) -> None:
        while not stop():
            try:
                self.load_once()
            except (pymysql.err.OperationalError, pymysql.err.InterfaceError) as exc:
                log.warning("database unavailable, call records wait in the spool: %s", exc)
                self.conn = None
                time.sleep(2)
            time.sleep(POLL_SECONDS)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    loader = Loader(platform.load())
    log.info("loading call records from %s", loader.folder)
    loader.run(lambda: bool(stopping))
    return 0


if __name__ == "__main__":
    sys.exit(main())


RECORD_FIELDS = ("started_at", "caller", "dialled", "callee", "outcome", "duration_s",
                 "group_name", "member", "on_net", "route", "answered_at", "ended_at", "call_id")
OUTCOMES = ("answered", "missed", "busy", "failed", "voicemail", "announcement")


def media_outcome(kind: str) -> str:
    """The outcome of a call the media application answered, from what it was called for
    ("voicemail", "announcement", "voicemail_access": the owner's remote access)."""
    return "announcement" if kind == "announcement" else "voicemail"


_TIME_FIELDS = ("started_at", "answered_at", "ended_at")


def tenant_zone(conn, tenant_id: int) -> zoneinfo.ZoneInfo:
    """The tenant's time zone (the one its records are shown in); UTC if unusable."""
    with conn.cursor() as cur:
        cur.execute("SELECT timezone FROM tenants WHERE id = %s", (tenant_id,))
        row = cur.fetchone()
    try:
        return zoneinfo.ZoneInfo((row or {}).get("timezone") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _utc_of_local_midnight(day: datetime.date, zone) -> datetime.datetime:
    """The stored (naive UTC) time at which `day` begins in `zone`."""
    local = datetime.datetime.combine(day, datetime.time(), zone)
    return local.astimezone(datetime.timezone.utc).replace(tzinfo=None)


def _filtered(tenant_id: int, zone, date_from=None, date_to=None, number: str = "",
              user: str = "", outcome: str = "") -> tuple[str, list]:
    """The WHERE clause (and its arguments) of a tenant's records under the filters."""
    where = ["(r.tenant_id = %s OR r.callee_tenant_id = %s)"]
    args: list = [tenant_id, tenant_id]
    if date_from:
        where.append("r.started_at >= %s")
        args.append(_utc_of_local_midnight(date_from, zone))
    if date_to:
        where.append("r.started_at < %s")
        args.append(_utc_of_local_midnight(date_to + datetime.timedelta(days=1), zone))
    if number:
        where.append("(r.caller LIKE %s OR r.dialled LIKE %s OR r.callee LIKE %s)")
        args += [f"%{number}%"] * 3
    if user:
        where.append("(r.caller = %s OR r.member = %s OR r.callee = %s)")
        args += [user] * 3
    if outcome in OUTCOMES:
        where.append("r.outcome = %s")
        args.append(outcome)
    return " AND ".join(where), args


def query_records(conn, tenant_id: int, *, limit: int = 500, offset: int = 0,
                  **filters) -> list[dict]:
    """A tenant's call records, newest first: the calls its users made and the calls it
    received. Filters: start date in the tenant's time zone (date_from/date_to, both
    included), a number (caller, dialled or callee contains it), a user (extension or user
    name), an outcome. Times come back aware, in the tenant's time zone."""
    zone = tenant_zone(conn, tenant_id)
    where, args = _filtered(tenant_id, zone, **filters)
    with conn.cursor() as cur:
        cur.execute(f"SELECT {', '.join('r.' + f for f in RECORD_FIELDS)} FROM call_records r"
                    f" WHERE {where} ORDER BY r.started_at DESC, r.id DESC"
                    " LIMIT %s OFFSET %s", (*args, limit, offset))
        records = list(cur.fetchall())
    for record in records:
        for field in _TIME_FIELDS:
            if record[field] is not None:
                record[field] = record[field].replace(
                    tzinfo=datetime.timezone.utc).astimezone(zone)
    return records


def totals(conn, tenant_id: int, **filters) -> dict:
    """How many records match the filters, and their total duration in seconds."""
    where, args = _filtered(tenant_id, tenant_zone(conn, tenant_id), **filters)
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) AS calls, COALESCE(SUM(r.duration_s), 0) AS duration_s"
                    f" FROM call_records r WHERE {where}", args)
        row = cur.fetchone()
    return {"calls": int(row["calls"]), "duration_s": int(row["duration_s"])}


def duration_text(seconds) -> str:
    """A duration as m:ss (h:mm:ss from an hour on): 65 → "1:05"."""
    minutes, secs = divmod(int(seconds or 0), 60)
    if minutes < 60:
        return f"{minutes}:{secs:02d}"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
