"""The media app's door (media/door.py): the kernel drops every datagram for its SIP socket
that is not from the SIP edge, except OPTIONS; real sockets on 127.0.0.x."""
import socket

import pytest

from media import door

SIP = b"INVITE sip:vm-41215559001@127.0.0.1 SIP/2.0\r\n\r\n"
OPTIONS = b"OPTIONS sip:127.0.0.1 SIP/2.0\r\n\r\n"


def udp(host="127.0.0.1"):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, 0))
    sock.settimeout(0.2)
    return sock


@pytest.fixture
def sockets():
    made = []

    def make(host="127.0.0.1"):
        made.append(udp(host))
        return made[-1]
    yield make
    for sock in made:
        sock.close()


def delivered(receiver, sender, payload) -> bool:
    sender.sendto(payload, receiver.getsockname())
    try:
        data, source = receiver.recvfrom(65535)
    except socket.timeout:
        return False
    assert (data, source) == (payload, sender.getsockname())
    return True


def test_only_the_edge_and_options_get_through(sockets):
    media, edge = sockets(), sockets()
    same_address, elsewhere = sockets(), sockets("127.0.0.163")
    door.attach(media, door.edge_only_program(edge.getsockname()))
    assert delivered(media, edge, SIP)
    assert not delivered(media, same_address, SIP)          # the edge's address, another port
    assert not delivered(media, elsewhere, SIP)
    assert not delivered(media, elsewhere, b"OPTIONAL " + SIP)
    assert not delivered(media, elsewhere, b"OPT")            # shorter than what is read
    assert delivered(media, elsewhere, OPTIONS)               # a liveness check
    assert delivered(media, edge, b"x" * 60000)               # kept whole


def test_the_sip_socket_is_found_by_its_address_and_filtered(sockets):
    media, edge, elsewhere = sockets(), sockets(), sockets("127.0.0.164")
    assert door.admit_only_edge(media.getsockname(), edge.getsockname())
    assert delivered(media, edge, SIP) and not delivered(media, elsewhere, SIP)
    media.getsockname()                                      # still open (detached, not closed)


def test_without_a_socket_or_on_ipv6_nothing_is_filtered(sockets, caplog):
    media, edge = sockets(), sockets()
    assert not door.admit_only_edge(("127.0.0.1", 1), edge.getsockname())
    assert not door.admit_only_edge(media.getsockname(), ("::1", 5060))
    assert "not filtered" in caplog.text
    assert delivered(media, sockets("127.0.0.165"), SIP)


@pytest.mark.parametrize("address, expected", [
    ("127.0.0.1:5060", ("127.0.0.1", 5060)), ("[::1]:5070", ("::1", 5070)),
    ("127.0.0.1", None), ("", None)])
def test_source_of(address, expected):
    assert door.source_of(address) == expected
