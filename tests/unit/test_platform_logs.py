"""The tests' view of a platform's logs (tests/support/platform_logs.py): a test reads only
what was logged since it began, and every error must have been expected by the test during
which it was logged."""
from tests.support.platform_logs import PlatformLogs

ROUTE = (" 1(2) NOTICE: <core> [core/kemi.c:126]: sr_kemi_core_notice(): VPBX-ROUTE "
         "call_id={call} tenant=acme from=alice to=7961 decision=extension:7961 outcome=ring\n")


def logs_in(tmp_path):
    return PlatformLogs(lambda name: str(tmp_path / f"{name}.log"))


def append(tmp_path, name, text):
    with open(tmp_path / f"{name}.log", "a", encoding="utf-8") as handle:
        handle.write(text)


def test_a_line_logged_before_the_test_began_is_not_found(tmp_path):
    logs = logs_in(tmp_path)
    append(tmp_path, "kamailio", ROUTE.format(call="earlier"))
    assert [line["call_id"] for line in logs.lines("VPBX-ROUTE")] == ["earlier"]
    logs.begin_test("test_next")
    assert logs.lines("VPBX-ROUTE") == []
    append(tmp_path, "kamailio", ROUTE.format(call="own"))
    assert [line["call_id"] for line in logs.lines("VPBX-ROUTE")] == ["own"]
    assert "earlier" not in logs.text()


def test_an_error_is_excused_only_by_the_test_that_expected_it(tmp_path):
    logs = logs_in(tmp_path)
    append(tmp_path, "kamailio", " 0(1) INFO: <core> started\n")
    logs.begin_test("test_outage", expected=[r"database unavailable"])
    append(tmp_path, "kamailio", " 3(4) ERROR: <core> vpbx: database unavailable\n")
    logs.begin_test("test_calls")
    append(tmp_path, "kamailio", " 3(4) ERROR: <core> vpbx: database unavailable\n")
    append(tmp_path, "media", "2026-12-07 23:51:12,767 vpbx.media INFO all fine\n"
                              "Traceback (most recent call last):\n"
                              '  File "media/app.py", line 3, in on_call\n'
                              "KeyError: 'to'\n"
                              "2026-12-07 23:51:13,000 vpbx.media INFO next\n")
    append(tmp_path, "webui", "2026-12-07 23:51:20,634 ERROR webui: Exception on /groups/\n")
    assert logs.unexpected_errors() == [
        "kamailio.log, during test_calls:  3(4) ERROR: <core> vpbx: database unavailable",
        "media.log, during test_calls: Traceback (most recent call last):\n"
        '  File "media/app.py", line 3, in on_call\n'
        "KeyError: 'to'",
        "webui.log, during test_calls: 2026-12-07 23:51:20,634 ERROR webui: Exception on "
        "/groups/"]


def test_errors_before_the_first_test_are_the_platform_starts(tmp_path):
    append(tmp_path, "kamailio", " 0(1) CRITICAL: <core> [core/cfg.y:1]: bad config\n")
    logs = logs_in(tmp_path)
    logs.begin_test("test_first", expected=["bad config"])
    assert logs.unexpected_errors() == [
        "kamailio.log, during (the platform starting):  0(1) CRITICAL: <core> "
        "[core/cfg.y:1]: bad config"]


def test_words_that_only_contain_error_are_no_error(tmp_path):
    append(tmp_path, "kamailio", ROUTE.format(call="ERRORS-here").replace("ring", "ERROR_x"))
    append(tmp_path, "media", "2026-12-07 vpbx.media INFO call ended (error=none)\n")
    assert logs_in(tmp_path).unexpected_errors() == []
