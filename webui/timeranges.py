"""The Time ranges tab (guide §5): named weekdays and one to three periods, each shown as a
week timeline; "Office hours" cannot be deleted; the holidays (days or periods)."""
import datetime

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from vpbx.provisioning import edit
from vpbx.model.numbers import is_ascii_digits
from vpbx.model.tenant import DAYS

from . import dbconn, security, views
from .crud import SectionPages, errors_by_field, flash_outcome, read_config
from .i18n import _

bp = Blueprint("timeranges", __name__, url_prefix="/time-ranges")
security.protect_blueprint(bp)
PERIOD_ROWS = 3


def periods_from(form) -> tuple[list[str], dict]:
    """The editor's period rows as "HH:MM-HH:MM" strings (empty rows skipped), and the
    rows that have only one end."""
    periods, errors = [], {}
    for index in range(PERIOD_ROWS):
        start = form.get(f"start-{index}", "").strip()
        end = form.get(f"end-{index}", "").strip()
        if start and end:
            periods.append(f"{start}-{end}")
        elif start or end:
            errors.setdefault("periods", []).append(
                _("Period {n}: give both the start and the end.", n=index + 1))
    return periods, errors


def _minutes(text: str):
    """Minutes after midnight of "HH:MM" (ASCII digits only), else ValueError."""
    hours, _sep, minutes = text.partition(":")
    if not (is_ascii_digits(hours) and is_ascii_digits(minutes)):
        raise ValueError(text)
    return int(hours) * 60 + int(minutes)


def preview_of(values: dict):
    """(summary, timeline) of the editor's values when they make sense, else (None, None)."""
    days = values.get("days") or []
    try:
        periods = sorted((_minutes(values[f"start-{i}"]), _minutes(values[f"end-{i}"]))
                         for i in range(PERIOD_ROWS)
                         if values.get(f"start-{i}") and values.get(f"end-{i}"))
    except (ValueError, TypeError):
        return None, None
    if not all(0 <= start < end <= 1440 for start, end in periods):
        return None, None
    return views.range_summary(days, periods), views.week_timeline(days, periods)


class RangePages(SectionPages):
    section, noun = "time_ranges", "time range"
    fields = ("name", "days", "periods")
    multi = ("days",)
    list_template, form_template = "timeranges/list.html", "timeranges/form.html"

    def values_of(self, time_range, config):
        values = {"name": time_range.name, "days": list(time_range.days)}
        for index, (start, end) in enumerate(time_range.periods):
            values[f"start-{index}"], values[f"end-{index}"] = views.hhmm(start), views.hhmm(end)
        return values

    def empty_values(self, config):
        return {"days": list(DAYS[:5])}

    def entry_from(self, form, config, old):
        periods, errors = periods_from(form)
        return {"name": form.get("name", "").strip(), "days": form.getlist("days"),
                "periods": periods}, errors

    def context(self, config):
        return {"DAYS": DAYS, "period_rows": PERIOD_ROWS, "preview_of": preview_of,
                "holidays": config.holidays or []}


pages = RangePages(bp)


@bp.route("/summary")
def summary():
    """The editor's live summary and timeline (an HTML fragment)."""
    values = {key: request.args.get(key) for key in request.args}
    values["days"] = request.args.getlist("days")
    text, bars = preview_of(values)
    return render_template("timeranges/_summary.html", summary=text, bars=bars)


# ---- holidays --------------------------------------------------------------------------------

def _holiday_entry(form) -> tuple[dict, dict]:
    """The add form: a label and one day, or a period (from, to)."""
    entry = {"name": form.get("name", "").strip()}
    if form.get("kind") == "period":
        entry["from"], entry["to"] = form.get("from", ""), form.get("to", "")
    else:
        entry["date"] = form.get("date", "")
    return entry, {}


@bp.route("/holidays", methods=["GET", "POST"])
def holidays():
    """The list of holidays and the form that adds one (guide §5.2)."""
    errors, values, status = {}, {"kind": "day"}, 200
    if request.method == "POST":
        entry, errors = _holiday_entry(request.form)
        values = request.form.to_dict()
        outcome = edit.save_item(dbconn.get_db(), g.tenant["slug"], "holidays", None,
                                 entry)
        if outcome.ok:
            flash_outcome(outcome, _("Holiday added."))
            return redirect(url_for(".holidays"))
        errors = errors_by_field(outcome.problems, ("name", "date", "from", "to"))
        status = 422
    config = read_config()
    ids = edit.item_ids(dbconn.get_db(), g.tenant["id"], "holidays")
    rows = [(ids.get(holiday), holiday) for holiday in config.holidays or []]
    return render_template("timeranges/holidays.html", rows=rows, errors=errors,
                           values=values, today=datetime.date.today(),
                           printing=request.args.get("print") == "1"), status


@bp.route("/holidays/<int:item_id>/delete", methods=["POST"])
def delete_holiday(item_id: int):
    key = edit.find_item(dbconn.get_db(), g.tenant["id"], "holidays", item_id)
    if key is None:
        abort(404)
    flash_outcome(edit.delete_item(dbconn.get_db(), g.tenant["slug"], "holidays", key),
                  _("Deleted."))
    return redirect(url_for(".holidays"))
