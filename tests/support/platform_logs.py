"""What a test platform's processes logged, as the tests read it: each test sees only the lines
logged since it began (an earlier test's line can never satisfy a later test's check), and at
the end every error line the platform logged must have been provoked on purpose by the test
during which it came.

A test that provokes errors says which with the marker `expect_log_errors`:

    @pytest.mark.expect_log_errors(r"database unavailable", r"Lost connection")

(regular expressions searched in each unexpected line, or in a traceback with its lines).
"""
import dataclasses
import re

from vpbx.records import log_line as logline
from vpbx.stack.control import log_settled, log_size

# the logs of the platform's own code (rtpengine's and the loader's are not read here)
CHECKED_LOGS = ("kamailio", "media", "webui")
# what is an error: a Python traceback (several lines, or one line from the one-line formatter),
# an ERROR/CRITICAL record of Python's logging, an ERROR/CRITICAL/ALERT/BUG line of Kamailio
ERROR_LINE = re.compile(r"Traceback \(most recent call last\)|"
                        r"(?:^|\s)(?:ERROR|CRITICAL|ALERT|BUG)(?::|\s)")
BEFORE_THE_TESTS = "(the platform starting)"
AFTER_THE_TESTS = "(the platform stopping)"
# Kamailio's main process seeing its children end as it stops them
KAMAILIO_STOPPING = r"ALERT: <core> \[main\.c:\d+\]: handle_sigs\(\): child process \d+ exited"
# what tests provoke on purpose, for their expect_log_errors markers
# Kamailio's parser refusing a message, and the routing dropping one that fails its checks
MALFORMED_SIP = (r"<core> \[core/parser/|<core> \[core/receive\.c:\d+\]: receive_msg\(\)|"
                 r"pv \[pv_core\.c:\d+\]: pv_get_|vpbx: malformed SIP request from ")
RTPENGINE_AWAY = r"rtpengine \[rtpengine\.c:\d+\]"          # Kamailio finding no rtpengine
# the database away or not answering: Kamailio's modules, the routing, the media app's mailer
DATABASE_AWAY = (r"vpbx: database unavailable|db_mysql \[|get_ha1\(\): failed to query|"
                 r"db_do_\w+\(\): error while submitting query|"
                 r"usrloc \[\w+\.c:\d+\]: \w+\(\): inserting contact (in|into) (db|database) failed|"
                 r"voice-to-mail: \((2003|2013),")


@dataclasses.dataclass
class TestWindow:
    """From where (byte offset of each log) a test began, and the errors it provokes."""
    name: str
    starts: dict
    expected: tuple = ()


class PlatformLogs:
    """The logs of one platform (`log_file(name)` gives a component's path): read from where
    the running test began; checked for errors nobody expected at the end."""

    def __init__(self, log_file):
        self.log_file = log_file
        self.windows = [TestWindow(BEFORE_THE_TESTS, {name: 0 for name in CHECKED_LOGS})]

    @property
    def test_start(self) -> dict:
        """Where the running test began in each log (0 before the first test)."""
        return self.windows[-1].starts

    def begin_test(self, name: str, expected=()) -> None:
        """A test begins: from now on, reads start here, and errors logged from here on
        (until the next test begins) are excused if one of `expected` matches them.
        Kamailio's lines reach its log a moment after it wrote them: the earlier test's
        last ones are waited for."""
        log_settled(self.log_file("kamailio"))
        starts = {component: log_size(self.log_file(component))
                  for component in (*CHECKED_LOGS, "cdr")}
        self.windows.append(TestWindow(name, starts, tuple(expected)))

    def platform_stops(self) -> None:
        """The tests are over: what is logged from now on is the platform stopping."""
        self.begin_test(AFTER_THE_TESTS, expected=[KAMAILIO_STOPPING])

    def raw(self, component: str = "kamailio") -> bytes:
        """The bytes `component` logged since the running test began (Kamailio's lines
        reach its log a moment after it wrote them: waited for)."""
        path = self.log_file(component)
        log_settled(path)
        try:
            with open(path, "rb") as handle:
                handle.seek(self.test_start.get(component, 0))
                return handle.read()
        except FileNotFoundError:
            return b""

    def text(self, component: str = "kamailio") -> str:
        """What `component` logged since the running test began."""
        return self.raw(component).decode("utf-8", "replace")

    def lines(self, tag: str, component: str = "kamailio", **match) -> list[dict]:
        """Parsed lines with this tag (VPBX-ROUTE, VPBX-AUTH, VPBX-MEDIA…) that `component`
        logged since the running test began, whose fields equal `match`."""
        found = []
        for line in self.text(component).splitlines():
            if f" {tag} " not in line:
                continue
            fields = logline.parse(line[line.index(tag):])
            if all(fields.get(k) == v for k, v in match.items()):
                found.append(fields)
        return found

    def unexpected_errors(self) -> list[str]:
        """Every error of the checked logs that the test during which it came did not
        expect, as "<log>.log, during <test>: <line>"."""
        found = []
        for component in CHECKED_LOGS:
            try:
                with open(self.log_file(component), "rb") as handle:
                    data = handle.read()
            except FileNotFoundError:
                continue
            for offset, entry in error_entries(data):
                window = self.window_at(component, offset)
                if not any(re.search(pattern, entry) for pattern in window.expected):
                    found.append(f"{component}.log, during {window.name}: {entry}")
        return found

    def window_at(self, component: str, offset: int) -> TestWindow:
        """The test that was running when `component`'s log reached `offset`."""
        current = self.windows[0]
        for window in self.windows[1:]:
            if window.starts[component] > offset:
                break
            current = window
        return current


def error_entries(data: bytes):
    """(byte offset, entry) of each error in a log: an error line, or a multi-line traceback
    with the indented lines and the exception line that follow it."""
    lines = data.splitlines(keepends=True)
    offset, index = 0, 0
    while index < len(lines):
        start = offset
        line = lines[index].decode("utf-8", "replace").rstrip("\n")
        offset += len(lines[index])
        index += 1
        if not ERROR_LINE.search(line):
            continue
        entry = [line]
        if line.startswith("Traceback (most recent call last)"):
            while index < len(lines):
                following = lines[index].decode("utf-8", "replace").rstrip("\n")
                offset += len(lines[index])
                index += 1
                entry.append(following)
                if not following.startswith((" ", "\t")):
                    break            # the exception's own line ends the traceback
        yield start, "\n".join(entry)
