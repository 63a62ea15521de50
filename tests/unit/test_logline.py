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
