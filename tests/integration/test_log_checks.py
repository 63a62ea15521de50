"""The tests' log checks prove something: a test reads only the lines logged since it began
(tests/support/platform_logs.py), so a line an earlier test left cannot satisfy it."""
import socket
import uuid

import pytest

from tests.support.rawsip import register_with_password

pytestmark = pytest.mark.integration


def test_a_line_logged_before_the_test_began_is_not_found(platform, request):
    address, call = "127.0.0.80", f"scope{uuid.uuid4().hex[:8]}"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as phone:
        phone.bind((address, 0))
        assert register_with_password(platform, phone, "carol", "not-carols", call=call) == 403
    call_id = f"reg-{call}@{address}"
    assert platform.wait_log("VPBX-AUTH", call_id=call_id)["outcome"] == "wrong_password"
    platform.logs.begin_test(request.node.nodeid + " (as if the next test began)")
    assert platform.log_lines("VPBX-AUTH", call_id=call_id) == []
    assert call_id not in platform.log_text()
    with pytest.raises(AssertionError, match="no VPBX-AUTH line"):
        platform.wait_log("VPBX-AUTH", timeout=0.5, call_id=call_id)
