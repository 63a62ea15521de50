"""Which range is in force: period edges, 24:00, holidays, daylight saving, time zones."""
import datetime as dt

import pytest

from vpbx.engine import schedule
from vpbx.model.tenant import Destination, Holiday, Number, Route, TimeRange

UTC = dt.timezone.utc
OFFICE = TimeRange("Office hours", ("mon", "tue", "wed", "thu", "fri"), ((480, 720), (840, 1080)))
LATE = TimeRange("Late", ("sat",), ((1200, 1440),))
NIGHT = TimeRange("Night", ("sun",), ((120, 180),))          # 02:00-03:00, the DST hour
RANGES = {r.name: r for r in (OFFICE, LATE, NIGHT)}
TO_GROUP = Destination("group", "Reception")
TO_LATE = Destination("group", "Late team")
TO_NIGHT = Destination("group", "Night team")
CLOSED = Destination("voicemail", "+41215667955")
NUMBER = Number("+41215667955", "Reception",
                (Route("Office hours", TO_GROUP), Route("Late", TO_LATE), Route("Night", TO_NIGHT)),
                CLOSED)
HOLIDAYS = [Holiday("Easter", dt.date(2027, 3, 26), dt.date(2027, 3, 29)),
            Holiday("National day", dt.date(2027, 8, 1), dt.date(2027, 8, 1))]


def decide(local_wall, timezone="Europe/Zurich", holidays=()):
    local = schedule.local_time(local_wall, timezone)
    return schedule.decide_range(NUMBER, RANGES, list(holidays), local)


@pytest.mark.parametrize("hh, mm, expected", [
    (7, 59, "outside hours"), (8, 0, "Office hours"), (11, 59, "Office hours"),
    (12, 0, "outside hours"), (13, 59, "outside hours"), (14, 0, "Office hours"),
    (17, 59, "Office hours"), (18, 0, "outside hours")])
def test_a_period_holds_its_start_minute_not_its_end_minute(hh, mm, expected):
    assert decide(dt.datetime(2027, 3, 24, hh, mm)).range == expected     # a Wednesday


def test_weekend_days_are_outside_office_hours():
    decision = decide(dt.datetime(2027, 3, 21, 10, 0))                    # a Sunday
    assert decision.range == "outside hours" and decision.destination == CLOSED


def test_an_end_of_24_00_includes_the_last_minute_of_the_day():
    assert decide(dt.datetime(2027, 3, 20, 23, 59)).range == "Late"       # Saturday
    assert decide(dt.datetime(2027, 3, 21, 0, 0)).range == "outside hours"
    assert decide(dt.datetime(2027, 3, 20, 19, 59)).range == "outside hours"


def test_holiday_period_closes_whole_days_from_first_to_last():
    assert decide(dt.datetime(2027, 3, 25, 23, 59), holidays=HOLIDAYS).range == "outside hours"
    first = decide(dt.datetime(2027, 3, 26, 0, 0), holidays=HOLIDAYS)
    assert first.range == "holiday: Easter" and first.destination == CLOSED
    assert decide(dt.datetime(2027, 3, 29, 10, 0), holidays=HOLIDAYS).range == "holiday: Easter"
    assert decide(dt.datetime(2027, 3, 29, 23, 59), holidays=HOLIDAYS).range == "holiday: Easter"
    assert decide(dt.datetime(2027, 3, 30, 8, 0), holidays=HOLIDAYS).range == "Office hours"


def test_single_day_holiday():
    assert decide(dt.datetime(2027, 8, 2, 9, 0), holidays=HOLIDAYS).range == "Office hours"
    assert decide(dt.datetime(2027, 8, 1, 9, 0), holidays=HOLIDAYS).range == "holiday: National day"


def at_utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


def test_spring_forward_sunday_in_zurich_keeps_local_office_hours():
    # 2027-03-28 02:00 CET -> 03:00 CEST. The Monday after: 08:00 local is 06:00 UTC.
    assert decide(at_utc(2027, 3, 29, 5, 59)).range == "outside hours"
    assert decide(at_utc(2027, 3, 29, 6, 0)).range == "Office hours"
    # the Friday before (still CET): 08:00 local is 07:00 UTC
    assert decide(at_utc(2027, 3, 26, 6, 59)).range == "outside hours"
    assert decide(at_utc(2027, 3, 26, 7, 0)).range == "Office hours"


def test_the_skipped_hour_never_happens_and_the_repeated_hour_happens_twice():
    # spring: 00:59 UTC is 01:59 CET, 01:00 UTC is 03:00 CEST: 02:00-03:00 never in force
    assert decide(at_utc(2027, 3, 28, 0, 59)).range == "outside hours"
    assert decide(at_utc(2027, 3, 28, 1, 0)).range == "outside hours"
    # autumn, 2027-10-31: 02:30 local occurs at 00:30 UTC (CEST) and again at 01:30 UTC (CET)
    assert decide(at_utc(2027, 10, 31, 0, 30)).range == "Night"
    assert decide(at_utc(2027, 10, 31, 1, 30)).range == "Night"
    assert decide(at_utc(2027, 10, 31, 2, 0)).range == "outside hours"   # 03:00 CET


def test_a_tenant_in_another_time_zone_uses_its_own_wall_clock():
    instant = at_utc(2027, 3, 24, 13, 30)             # 14:30 in Zurich, 09:30 in New York
    assert decide(instant, "Europe/Zurich").range == "Office hours"
    assert decide(instant, "America/New_York").range == "Office hours"
    early = at_utc(2027, 3, 24, 11, 30)                # 12:30 Zurich (lunch), 07:30 New York
    assert decide(early, "Europe/Zurich").range == "outside hours"
    assert decide(early, "America/New_York").range == "outside hours"
    assert decide(at_utc(2027, 3, 24, 22, 30), "Asia/Tokyo").range == "outside hours"  # Thu 07:30
    assert decide(at_utc(2027, 3, 24, 23, 30), "Asia/Tokyo").range == "Office hours"   # Thu 08:30
