"""The routing's compact JSON: the same text as json.dumps with compact separators."""
import json
import math

import pytest

from vpbx.records import json_line as jsonline


@pytest.mark.parametrize("value", [
    {"kind": "start", "call_id": "a@b", "n": 1, "f": 1.5, "none": None, "yes": True},
    {"nested": {"list": [1, "é", {"x": []}]}, "quote": 'say "hi"\n'},
    ["plain", 2], "text", 3,
])
def test_same_text_as_json_dumps(value):
    assert jsonline.dumps(value) == json.dumps(value, separators=(",", ":"))
    assert json.loads(jsonline.dumps(value)) == value


def test_what_json_cannot_write_is_refused():
    with pytest.raises(TypeError, match="not JSON serializable"):
        jsonline.dumps({"when": object()})
    assert jsonline.dumps([math.inf]) == "[Infinity]"     # as json.dumps does
