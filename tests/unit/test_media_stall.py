"""The media app's main loop: a turn long enough to hold up new calls is logged, with where
its time went (media/app.py MediaApp.report_stall)."""
import logging
import types

from media.app import EVENT_SLICE_MS, STALL_SECONDS, MediaApp


def report(caplog, started, handled, ticked, done, calls=3):
    app = types.SimpleNamespace(calls=[object()] * calls)
    with caplog.at_level(logging.WARNING, logger="vpbx.media"):
        MediaApp.report_stall(app, started, handled, ticked, done)
    return [record.getMessage() for record in caplog.records]


def test_a_long_turn_is_logged_with_where_its_time_went(caplog):
    slice_s = EVENT_SLICE_MS / 1000
    lines = report(caplog, 10.0, 10.0 + slice_s + 0.9, 10.0 + slice_s + 1.2, 10.0 + slice_s + 1.5)
    assert lines == [f"main loop stalled {slice_s + 1.5:.2f} s (SIP events and callbacks 0.90 s,"
                     " flows 0.30 s, ended calls 0.30 s; 3 calls)"]


def test_an_ordinary_turn_logs_nothing(caplog):
    just_under = STALL_SECONDS - 0.01
    assert report(caplog, 10.0, 10.0 + just_under / 2, 10.0 + just_under / 2,
                  10.0 + just_under) == []
