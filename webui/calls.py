"""Call records (SPEC F11): the tenant's calls, filtered by date, number, user and outcome,
and exported as CSV."""
import csv
import datetime
import io

from flask import Blueprint, Response, g, render_template, request

from vpbx.records import call_records

from . import dbconn, security

bp = Blueprint("calls", __name__, url_prefix="/calls")
security.protect_blueprint(bp)


def filters() -> tuple[dict, list[tuple[str, str]]]:
    """The filters of the request, and (field, reason) for each one that is not usable."""
    args, problems = request.args, []
    chosen = {"number": (args.get("number") or "").strip(), "user": (args.get("user") or "").strip(),
              "outcome": args.get("outcome") or ""}
    for field, key in (("from", "date_from"), ("to", "date_to")):
        text = args.get(field) or ""
        try:
            chosen[key] = datetime.date.fromisoformat(text) if text else None
        except ValueError:
            chosen[key] = None
            problems.append((field, "must be a date like 2027-03-24"))
    if chosen["outcome"] and chosen["outcome"] not in call_records.OUTCOMES:
        problems.append(("outcome", "must be one of " + ", ".join(call_records.OUTCOMES)))
    for field, longest in (("number", 32), ("user", 64)):
        if len(chosen[field]) > longest:
            problems.append((field, f"must be at most {longest} characters"))
    return chosen, problems


def cell(value) -> str:
    """A CSV cell: times in ISO 8601 with their UTC offset (the tenant's zone)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return str(value)


PAGE_SIZE = 50                      # records per page


def page_number() -> int:
    """The page asked for (1 for anything that is not a page number)."""
    text = request.args.get("page") or ""
    return int(text) if text.isdigit() and 0 < int(text) < 1_000_000 else 1


@bp.route("/")
def index():
    chosen, problems = filters()
    conn, tenant_id = dbconn.get_db(), g.tenant["id"]
    summary = {"calls": 0, "duration_s": 0}
    page, pages, records = 1, 1, []
    if not problems:
        summary = call_records.totals(conn, tenant_id, **chosen)
        pages = max(1, -(-summary["calls"] // PAGE_SIZE))
        page = min(page_number(), pages)
        records = call_records.query_records(conn, tenant_id, limit=PAGE_SIZE,
                                             offset=(page - 1) * PAGE_SIZE, **chosen)
    zone = call_records.tenant_zone(conn, tenant_id)
    args = {key: value for key, value in request.args.items() if key != "page"}
    return render_template("calls/list.html", records=records, chosen=chosen, zone=zone.key,
                           outcomes=call_records.OUTCOMES, summary=summary, page=page,
                           pages=pages, args=args, duration=call_records.duration_text,
                           problems=problems), 400 if problems else 200


@bp.route("/export.csv")
def export():
    """The filtered records as CSV (UTF-8, one line per call)."""
    chosen, problems = filters()
    if problems:
        return Response("".join(f"{field}: {reason}\n" for field, reason in problems),
                        status=400, mimetype="text/plain")
    records = call_records.query_records(dbconn.get_db(), g.tenant["id"], limit=1_000_000,
                                         **chosen)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(call_records.RECORD_FIELDS)
    for record in records:
        writer.writerow([cell(record[field]) for field in call_records.RECORD_FIELDS])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=calls.csv"})
