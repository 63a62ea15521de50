"""The fuzzer's own parts that need no platform: a message is reproducible from its seed and
index, names itself in its Call-ID, fits a datagram; the sink answers what the edge relays;
Kamailio's log lines are grouped by kind (fuzz/README.md)."""
import re

import pytest

from fuzz import mutate, sink, watch

CTX = dict(edge="127.0.0.98:45678", src="127.0.0.105:41234", peer="127.0.0.99:45999")


@pytest.fixture(scope="module")
def templates():
    return mutate.load_corpus()


def message(templates, index, seed=7):
    ctx = mutate.Context(**CTX, transport=mutate.transport_of(index))
    return mutate.generate(templates, seed, index, ctx)


def test_a_message_is_the_same_for_the_same_seed_index_and_addresses(templates):
    assert message(templates, 1234) == message(templates, 1234)
    assert message(templates, 1234)[0] != message(templates, 1235)[0]
    assert message(templates, 1234, seed=8)[0] != message(templates, 1234)[0]


def test_every_template_unmutated_is_a_well_formed_request_with_its_content_length(templates):
    for name, text in templates.items():
        data = mutate.Message.parse(mutate.fill(text, mutate.Context(**CTX), 7, 3)).build()
        head, _, body = data.partition(b"\r\n\r\n")
        assert re.match(rb"[A-Z]+ \S+ SIP/2\.0\r\n", head), name
        assert b"{" not in data, name                    # every placeholder filled
        length = re.search(rb"Content-Length: *(\d+)", head)
        assert int(length.group(1)) == len(body), name
        assert mutate.message_index(data, 7) == 3, name


def test_tcp_messages_say_so_in_their_via(templates):
    text = mutate.fill(templates["register"], mutate.Context(**CTX, transport="tcp"), 7, 1)
    assert "Via: SIP/2.0/TCP 127.0.0.105:41234" in text


def test_messages_are_mutated_fit_a_datagram_and_come_from_the_carrier_one_in_ten(templates):
    made = [message(templates, index) for index in range(400)]
    assert all(mutations for _, _, mutations in made)
    assert all(len(data) <= mutate.UDP_LIMIT for index, (data, _, _) in enumerate(made)
               if mutate.transport_of(index) == "udp")
    carrier = [name for index, (_, name, _) in enumerate(made) if mutate.from_carrier(index)]
    assert len(carrier) == 40 and set(carrier) == {mutate.CARRIER_TEMPLATE}
    assert len({name for _, name, _ in made}) == len(mutate.TEMPLATE_WEIGHTS) + 1


def test_a_call_id_a_mutation_cut_into_still_names_its_message():
    assert mutate.message_index(b"{INVITE fuzz-7-3783\xf8} x", 7) == 3783
    assert mutate.message_index(b"{BYE fuzz-7-87\x00\xff23} x", 7) == 8723
    assert mutate.message_index(b"call_id=fuzz-7-12 tenant=-", 7) == 12
    assert mutate.message_index(b"{BYE fuzz-6-12} x", 7) is None
    # a Call-ID cut at a NUL runs into the next words of Kamailio's log line: unknown
    assert mutate.message_index(b"ERROR: {INVITE fuzz-7-1app_python3 [apy_kemi.c:262]", 7) is None


def test_the_sink_busies_invites_confirms_the_rest_and_ignores_acks():
    request = (b"INVITE sip:7009@127.0.0.99:5 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.98;branch=b1"
               b"\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: c1\r\nCSeq: 1 INVITE"
               b"\r\nContent-Length: 0\r\n\r\n")
    reply = sink.answer(request)
    assert reply.startswith(b"SIP/2.0 486 Busy Here\r\n") and b"\r\r" not in reply
    assert b"To: <sip:b@x>;tag=sink\r\n" in reply and b"Call-ID: c1\r\n" in reply
    assert sink.answer(request.replace(b"INVITE", b"BYE")).startswith(b"SIP/2.0 200 OK")
    assert sink.answer(b"ACK sip:x SIP/2.0\r\nCSeq: 1 ACK\r\n\r\n") is None
    assert sink.answer(b"SIP/2.0 200 OK\r\n\r\n") is None


def test_log_lines_are_grouped_by_kind_with_their_variable_parts_blurred():
    log = [
        ' 1(2) ERROR: {INVITE fuzz-1-48} <core> [core/parser/parse_from.c:74]: '
        'parse_from_header(): bad From header [sip:alice@fuzz.pbx.test;;]',
        ' 1(2) ERROR: {REGISTER fuzz-1-9} <core> [core/kemi.c:96]: sr_kemi_core_err(): vpbx: '
        'routing error for REGISTER fuzz-1-9: Traceback (most recent call last): |   File '
        '"/x/kemi/sip.py", line 90, in pv | UnicodeDecodeError: \'utf-8\' codec can\'t decode '
        'byte 0xff in position 3: invalid start byte | ',
        ' 0(1) ALERT: <core> [main.c:770]: handle_sigs(): child process 16671 exited by a signal 11',
    ]
    log.append(' 1(2) ERROR: {INVITE fuzz-1-1app_python3 [apy_kemi.c:262]: '
               'sr_apy_kemi_exec_func_ex(): unable to retrieve str param 0')
    assert watch.signature("traceback", log[3]) == (
        "ERROR: app_pythonN [apy_kemi.c:N]: sr_apy_kemi_exec_func_ex(): unable to retrieve "
        "str param N")
    assert watch.signature("traceback", log[3].replace("fuzz-1-1app", "fuzzapp")) == \
        watch.signature("traceback", log[3])
    log.pop()
    kinds = [watch.classify(line) for line in log]
    assert kinds == ["error", "traceback", "crash"]
    assert watch.classify(' 2(8490) CRITICAL: {INVITE fuzz-2-32200} <core> [core/udp_server.c:'
                          '603]: udp_send(): invalid sendtoparameters') == "critical"
    assert watch.signature("error", log[0]) == (
        "ERROR: <core> [core/parser/parse_from.c:N]: parse_from_header(): bad From header […]")
    assert watch.signature("traceback", log[1]).startswith(
        "UnicodeDecodeError: 'utf-N' codec can't decode byte")
