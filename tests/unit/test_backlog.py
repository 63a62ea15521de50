"""vpbx.edge.backlog: the size of a UDP socket's receive queue, on real sockets."""
import socket

import pytest

from vpbx.edge import backlog


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


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def gauge_of_ten_datagrams(receiver, clock):
    """A gauge whose limit lies between 10 and 11 of `send`'s datagrams (their size in the
    kernel's accounting, measured), so a test controls where the queue stands."""
    send(receiver, 1)
    one = backlog.queued_bytes(receiver)
    receiver.recv(2048)
    return backlog.QueueGauge(receiver.getsockname()[1], limit_bytes=10 * one + one // 2,
                              clock=clock)


def test_a_queue_past_its_limit_is_over_once_it_has_stayed_there(receiver):
    clock = FakeClock()
    gauge = gauge_of_ten_datagrams(receiver, clock)
    send(receiver, 10)
    assert gauge.over_limit() is None                      # at the limit: not past it
    send(receiver, 2)
    assert gauge.over_limit() is None                      # past it, first seen: a burst?
    clock.now += gauge.SUSTAIN_SECONDS * 0.6
    assert gauge.over_limit() is None
    clock.now += gauge.SUSTAIN_SECONDS * 0.6
    queued = gauge.over_limit()
    assert queued == backlog.queued_bytes(receiver) > gauge.limit_bytes


def test_a_burst_that_drains_in_time_is_never_over_and_the_wait_starts_again(receiver):
    clock = FakeClock()
    gauge = gauge_of_ten_datagrams(receiver, clock)
    send(receiver, 12)
    assert gauge.over_limit() is None
    clock.now += gauge.SUSTAIN_SECONDS * 0.9
    # (the kernel releases a read datagram's memory in batches: the whole queue is read,
    # as a worker that catches up does)
    for _ in range(12):
        receiver.recv(2048)
    assert gauge.over_limit() is None
    send(receiver, 12)
    assert gauge.over_limit() is None                      # past it again: a new wait
    clock.now += gauge.SUSTAIN_SECONDS * 0.9
    assert gauge.over_limit() is None
    clock.now += gauge.SUSTAIN_SECONDS * 0.2
    assert gauge.over_limit() is not None


def test_a_worker_that_did_not_look_for_a_while_waits_again(receiver):
    """Seen past the limit, then not looked at for longer than the wait (the queue may have
    drained meanwhile): past the limit again is a new wait, not a long queue."""
    clock = FakeClock()
    gauge = gauge_of_ten_datagrams(receiver, clock)
    send(receiver, 12)
    assert gauge.over_limit() is None
    clock.now += gauge.SUSTAIN_SECONDS * 1.5
    assert gauge.over_limit() is None
    clock.now += gauge.SUSTAIN_SECONDS * 0.6
    assert gauge.over_limit() is None
    clock.now += gauge.SUSTAIN_SECONDS * 0.6
    assert gauge.over_limit() is not None          # seen past it, step by step, for 1.2 waits


def test_a_queue_past_twice_its_limit_is_over_at_once(receiver):
    gauge = gauge_of_ten_datagrams(receiver, FakeClock())
    send(receiver, 22)
    assert gauge.over_limit() == backlog.queued_bytes(receiver) > 2 * gauge.limit_bytes


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
    send(receiver, granted // 4 // 800 * 2 + 5)          # past twice the limit: at once
    assert gauge.over_limit() is not None
