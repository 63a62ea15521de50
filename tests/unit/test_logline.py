"""The NOC's log line format is stable: fixed fields in order, quoting, parse round trip."""
from vpbx.records import log_line as logline


def test_route_line_has_fixed_fields_in_order_and_extra_fields_sorted():
    line = logline.route_line(call_id="abc@h", tenant="acme", caller="alice", dialled="7961",
                              decision="extension:7961", outcome="ring", zeta=1, branches=2)
    assert line == ("VPBX-ROUTE call_id=abc@h tenant=acme from=alice to=7961 "
                    "decision=extension:7961 outcome=ring branches=2 zeta=1")


def test_missing_values_are_dashes_and_awkward_values_are_quoted():
    line = logline.route_line(call_id="x", tenant=None, caller='Eve "the" spy', dialled="",
                              decision="d", outcome=404)
    assert "tenant=- " in line and "to=- " in line
    assert 'from="Eve \\"the\\" spy"' in line


def test_parse_reads_back_what_format_wrote():
    line = logline.auth_line(call_id="c1", tenant="acme", user="bob", method="REGISTER",
                             outcome="wrong_password", source="127.0.0.1", note="two words\nnewline")
    fields = logline.parse(line)
    assert fields["decision"] == "auth:REGISTER" and fields["outcome"] == "wrong_password"
    assert fields["note"] == "two words\nnewline" and fields["to"] is None


# -- values from the network cannot forge or flood a line (security issue 21) -----------------
def test_control_characters_are_escaped_and_the_line_stays_one_line():
    forged = "x\x1b[2K\rVPBX-AUTH call_id=1 outcome=granted\n\x00"
    line = logline.auth_line(call_id="c", tenant="acme", user=forged, method="REGISTER",
                             outcome="wrong_password")
    assert "\x1b" not in line and "\r" not in line and "\n" not in line and "\x00" not in line
    assert '"x\\x1b[2K\\rVPBX-AUTH call_id=1 outcome=granted\\n\\x00"' in line
    assert logline.parse(line)["from"] == forged
    assert logline.parse(line)["outcome"] == "wrong_password"


def test_invisible_formatting_and_bytes_that_were_not_utf8_are_escaped():
    value = "al\u202eice\u00a0\u0085" + b"\xff\xfe".decode("utf-8", "surrogateescape")
    text = logline.quote(value)
    assert text == '"al\\u202eice\\u00a0\\u0085\\xff\\xfe"'
    text.encode("utf-8")                 # (a surrogate left in would not encode)
    assert logline.parse("T x=" + text)["x"] == value


def test_printable_text_of_any_language_is_kept_as_it_is():
    assert logline.quote("Zoë Müller 東京") == '"Zoë Müller 東京"'


def test_a_long_value_is_cut_and_says_how_much_was_cut():
    text = logline.quote("A" * 30000)
    assert text == '"' + "A" * logline.VALUE_CHARS + f'…(+{30000 - logline.VALUE_CHARS})"'
    assert len(logline.route_line(call_id="A" * 60000, tenant="B" * 60000, caller=None,
                                  dialled=None, decision=None, outcome=None)) < 1000


# -- whole records of a process's log: one line each (security: log forging) -----------------
def test_a_record_is_one_line_whatever_its_text_and_keeps_escaped_values_readable():
    forged = "2026-12-07 20:00:00,000 INFO webui: sign-in accepted: login='operator'"
    text = ("GET /phonebook/x\n" + forged + "\x1b[2J\r\x00\u202e"
            + b"\xff".decode("utf-8", "surrogateescape") + " Zoë")
    line = logline.one_line(text)
    assert line == ("GET /phonebook/x\\n" + forged + "\\x1b[2J\\r\\x00\\u202e\\xff Zoë")
    assert line.splitlines() == [line] and line.isprintable()
    line.encode("utf-8")
    vpbx = logline.auth_line(call_id="c", tenant="acme", user="a\x1bb\\", method="PHONEBOOK",
                             outcome="wrong_password")
    assert logline.one_line(vpbx) == vpbx                 # escapes already there stay as written
    assert logline.parse(logline.one_line(vpbx))["from"] == "a\x1bb\\"
    assert logline.one_line("A" * 9000, limit=100) == "A" * 100 + "…(+8900)"


def test_the_formatter_writes_each_record_and_its_traceback_on_one_line():
    import logging
    formatter = logline.OneLineFormatter("%(levelname)s %(name)s: %(message)s")
    try:
        raise ValueError("bad\nline")
    except ValueError:
        import sys
        record = logging.LogRecord("waitress", logging.ERROR, __file__, 1,
                                   "Exception while serving %s", ("/x\n\x1b[2Jforged",),
                                   sys.exc_info())
    line = formatter.format(record)
    assert "\n" not in line and "\x1b" not in line
    assert line.startswith("ERROR waitress: Exception while serving /x\\n\\x1b[2Jforged\\n")
    assert "ValueError: bad\\nline" in line


def test_log_to_stderr_makes_libraries_records_one_line_too(capsys):
    """webui (waitress logs a request's decoded path) and media set their logging so."""
    import logging
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        root.handlers = []
        logline.log_to_stderr("%(levelname)s %(name)s: %(message)s")
        logging.getLogger("waitress").error("Exception while serving %s",
                                            "/phonebook/x\n2026 INFO webui: forged\x1b[2J")
    finally:
        root.handlers, root.level = handlers, level
    assert capsys.readouterr().err == ("ERROR waitress: Exception while serving "
                                       "/phonebook/x\\n2026 INFO webui: forged\\x1b[2J\n")
