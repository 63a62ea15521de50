"""Which time range is in force: pure logic over a tenant's ranges, holidays and numbers.

Times are the tenant's local wall-clock time: an instant is converted to the tenant's zone
(zoneinfo), so a range of 08:00–12:00 means 08:00–12:00 local on both sides of a
daylight-saving change. A period holds its start minute, not its end minute; 24:00 is 1440.
"""
import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from vpbx.model.tenant import DAYS, Destination, Holiday, Number, TimeRange

OUTSIDE_HOURS = "outside hours"


@dataclass(frozen=True)
class RangeDecision:
    """The range in force ("Office hours", "holiday: NAME" or "outside hours") and where
    the number sends the call in it."""
    range: str
    destination: Destination


def local_time(at: datetime.datetime, timezone: str) -> datetime.datetime:
    """`at` as the tenant's wall-clock time; a naive `at` is already wall-clock time there."""
    zone = ZoneInfo(timezone)
    if at.tzinfo is None:
        return at.replace(tzinfo=zone)
    return at.astimezone(zone)


def range_matches(time_range: TimeRange, local: datetime.datetime) -> bool:
    """True when the local time falls on one of the range's days, inside one of its periods."""
    if DAYS[local.weekday()] not in time_range.days:
        return False
    minute = local.hour * 60 + local.minute
    return any(start <= minute < end for start, end in time_range.periods)


def holiday_on(holidays, day: datetime.date) -> Holiday | None:
    return next((h for h in holidays if h.first_day <= day <= h.last_day), None)


def decide_range(number: Number, ranges: dict[str, TimeRange], holidays,
                 local: datetime.datetime) -> RangeDecision:
    """The first of the number's routes whose range matches now; holidays close the whole
    day (outside hours); no match means outside hours."""
    holiday = holiday_on(holidays, local.date())
    if holiday is not None:
        return RangeDecision(f"holiday: {holiday.name}", number.outside_hours)
    for route in number.routes:
        time_range = ranges.get(route.range)
        if time_range is not None and range_matches(time_range, local):
            return RangeDecision(time_range.name, route.to)
    return RangeDecision(OUTSIDE_HOURS, number.outside_hours)


def current_range(ranges, holidays, local: datetime.datetime) -> str:
    """The range in force for the tenant as a whole (the activity monitor's "current
    range"): a holiday, else the first range that matches, else outside hours."""
    holiday = holiday_on(holidays, local.date())
    if holiday is not None:
        return f"holiday: {holiday.name}"
    return next((r.name for r in ranges if range_matches(r, local)), OUTSIDE_HOURS)
