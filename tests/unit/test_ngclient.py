"""rtpengine's ng client (rtpengine/ngclient.py): its bencode, and a request against a stand-in
rtpengine on a UDP socket (the cookie, errors, no answer)."""
import socket
import threading

import pytest

from rtpengine.ngclient import NgClient, NgError, NgNoAnswer, bdecode, bencode


def test_bencode_as_rtpengine_reads_it_and_back_as_text():
    message = {"command": "offer", "call-id": "a@b", "replace": ["origin", "session-connection"],
               "repeat-times": 1000, "ICE": "remove", "strict": True}
    encoded = bencode(message)
    assert encoded == (b"d3:ICE6:remove7:call-id3:a@b7:command5:offer12:repeat-timesi1000e"
                       b"7:replacel6:origin18:session-connectione6:stricti1ee")   # keys sorted
    assert bdecode(encoded) == {**message, "strict": 1}
    assert bdecode(b"d3:sdp4:\xff\xfeabe") == {"sdp": "\ufffd\ufffdab"}


def test_bdecode_refuses_what_is_not_bencode():
    for data in (b"d3:sdp", b"5:ab", b"i12", b"le trailing", b"x"):
        with pytest.raises(ValueError):
            bdecode(data)


@pytest.fixture
def rtpengine():
    """A stand-in rtpengine: answers each request with what `answer(message)` gives (bytes
    after the cookie, or None for no answer); a stray datagram with another cookie first."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    behaviour = {"answer": lambda message: bencode({"result": "pong"})}

    def serve():
        while True:
            try:
                data, peer = sock.recvfrom(65535)
            except OSError:
                return
            cookie, _, body = data.partition(b" ")
            reply = behaviour["answer"](bdecode(body))
            if reply is not None:
                sock.sendto(b"other " + bencode({"result": "stray"}), peer)
                sock.sendto(cookie + b" " + reply, peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1], behaviour
    sock.close()


def test_a_request_gets_the_reply_with_its_own_cookie(rtpengine):
    port, behaviour = rtpengine
    seen = []
    behaviour["answer"] = lambda message: seen.append(message) or bencode(
        {"result": "ok", "calls": ["x@y"]})
    assert NgClient(port=port).call_ids() == ["x@y"]
    assert seen == [{"command": "list", "limit": 1000}]
    assert NgClient(port=port).request("delete", call_id="c@d")["result"] == "ok"
    assert seen[-1] == {"command": "delete", "call-id": "c@d"}


def test_an_error_and_no_answer_are_ng_errors_told_apart(rtpengine):
    port, behaviour = rtpengine
    behaviour["answer"] = lambda message: bencode({"result": "error",
                                                   "error-reason": "Unknown call-id"})
    with pytest.raises(NgError, match="Unknown call-id") as raised:
        NgClient(port=port).request("delete", call_id="c@d")
    assert not isinstance(raised.value, NgNoAnswer)
    behaviour["answer"] = lambda message: None
    with pytest.raises(NgNoAnswer):
        NgClient(port=port, timeout=0.1).request("ping")
    assert NgClient(port=port, timeout=0.1).ping() is False
