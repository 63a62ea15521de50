"""The NOC's log line format is stable: fixed fields in order, quoting, parse round trip."""
from vpbx import logline


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
