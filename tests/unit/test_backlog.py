"""vpbx.backlog: the size of a UDP socket's receive queue, on real sockets."""
import socket

import pytest

from vpbx import backlog


@pytest.fixture
def receiver():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    yield sock
    sock.close()


def send(receiver, count, size=800):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for _ in range(count):
            sender.sendto(b"x" * size, receiver.getsockname())


def test_queued_bytes_grow_with_unread_datagrams_and_fall_when_read(receiver):
    assert backlog.queued_bytes(receiver) == 0
    send(receiver, 10)
    ten = backlog.queued_bytes(receiver)
    assert ten >= 10 * 800                     # payload plus the kernel's own buffers
    send(receiver, 10)
    assert backlog.queued_bytes(receiver) > ten
    for _ in range(20):
        receiver.recv(2048)
    assert backlog.queued_bytes(receiver) == 0


def test_the_inherited_socket_is_found_by_port_and_reads_the_same_queue(receiver):
    port = receiver.getsockname()[1]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:   # same port, TCP: not it
        tcp.bind(("127.0.0.1", port))
        found = backlog.inherited_udp_socket(port)
    assert found is not None and found.fileno() != receiver.fileno()
    send(receiver, 5)
    assert backlog.queued_bytes(found) == backlog.queued_bytes(receiver) > 0
    found.close()                               # a duplicate: the original stays open
    send(receiver, 1)
    assert receiver.recv(2048)


def test_no_socket_on_the_port_is_none(receiver):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
        other.bind(("127.0.0.1", 0))
        free_port = other.getsockname()[1]
    assert backlog.inherited_udp_socket(free_port) is None


def test_the_gauge_is_over_its_limit_only_past_it(receiver):
    gauge = backlog.QueueGauge(receiver.getsockname()[1], limit_bytes=20 * 1024)
    assert gauge.over_limit() is None
    send(receiver, 5)
    assert gauge.over_limit() is None
    send(receiver, 20)
    queued = gauge.over_limit()
    assert queued == backlog.queued_bytes(receiver) > 20 * 1024


def test_a_gauge_without_limit_or_socket_never_sheds(receiver):
    send(receiver, 50)
    assert backlog.QueueGauge(receiver.getsockname()[1], limit_bytes=0).over_limit() is None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
        other.bind(("127.0.0.1", 0))
        free_port = other.getsockname()[1]
    assert backlog.QueueGauge(free_port, limit_bytes=1).over_limit() is None


def test_the_limit_is_at_most_a_quarter_of_the_receive_buffer(receiver):
    receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    granted = receiver.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)   # the kernel doubles it
    gauge = backlog.QueueGauge(receiver.getsockname()[1], limit_bytes=10 * 1024 * 1024)
    assert gauge.over_limit() is None
    assert gauge.limit_bytes == granted // 4
    send(receiver, granted // 4 // 800 + 5)
    assert gauge.over_limit() is not None
