"""Only the SIP edge gets through to the media app's PJSIP: a socket filter in the kernel.

PJSUA2 lets Python see a new INVITE only after PJSUA has taken a call slot, built a dialog
and, for an INVITE with SDP, opened the call's RTP and RTCP sockets (Account.onIncomingCall,
called from the media transport's creation; Endpoint.onSelectAccount cannot refuse: PJSUA
2.15 replaces an invalid account by the default one). Those sockets live in PJSUA's one
select() I/O queue of 64 slots, and a closed socket's slot is reused only 500 ms later
(pjlib's safe unregistration): about 30 refused INVITEs with SDP within half a second filled
it, and the next socket was an assertion that aborted the process.

So the kernel drops every datagram for the media app's SIP socket that does not come from
the edge's address and port (Kamailio sends from the socket it listens on), before PJSIP
reads it: a stranger's INVITE gets no answer and costs nothing. OPTIONS pass from anyone
(PJSIP answers them statelessly, no call, no socket): they tell a supervisor the app is up.
The filter is classic BPF (SO_ATTACH_FILTER) on the SIP socket PJSIP opened, found among the
process's file descriptors by its local address. IPv4 only: on IPv6, or if the socket
cannot be found, the app logs that it runs unfiltered and still refuses (403) in
onIncomingCall every INVITE not from the edge.
"""
import ctypes
import ipaddress
import logging
import os
import socket
import struct

log = logging.getLogger("vpbx.media")
SO_ATTACH_FILTER = getattr(socket, "SO_ATTACH_FILTER", 26)
SKF_NET_OFF = -0x100000           # loads relative to the IP header (linux/filter.h)
# classic BPF opcodes (linux/bpf_common.h)
_LD_W_ABS, _LD_H_ABS, _JEQ_K, _RET_K = 0x20, 0x28, 0x15, 0x06
_ACCEPT, _DROP = 0xFFFFFFFF, 0   # how much of the datagram is kept: all, nothing
_OPTI, _ONS = (int.from_bytes(b"OPTI", "big"), int.from_bytes(b"ONS ", "big"))


def source_of(address: str) -> tuple[str, int] | None:
    """("127.0.0.1", 5060) of "127.0.0.1:5060" (IPv6: "[::1]:5060"), or None."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def edge_only_program(edge: tuple[str, int]) -> list[tuple[int, int, int, int]]:
    """The filter's instructions (code, jump if true, jump if false, k): keep a datagram
    from the edge's IPv4 address and port, or one that starts with "OPTIONS "; drop the
    rest. For a UDP socket, offset 0 is the UDP header (source port first), 8 the payload."""
    address = int(ipaddress.IPv4Address(edge[0]))
    return [
        (_LD_W_ABS, 0, 0, SKF_NET_OFF + 12),   # 0: IPv4 source address
        (_JEQ_K, 0, 2, address),               # 1: the edge's? else to 4
        (_LD_H_ABS, 0, 0, 0),                  # 2: UDP source port
        (_JEQ_K, 4, 0, edge[1]),               # 3: the edge's? accept (8)
        (_LD_W_ABS, 0, 0, 8),                  # 4: the payload's first 4 bytes
        (_JEQ_K, 0, 3, _OPTI),                 # 5: "OPTI"? else drop (9)
        (_LD_W_ABS, 0, 0, 12),                 # 6: the next 4
        (_JEQ_K, 0, 1, _ONS),                  # 7: "ONS "? accept (8), else drop (9)
        (_RET_K, 0, 0, _ACCEPT),               # 8
        (_RET_K, 0, 0, _DROP),                 # 9
    ]


def attach(sock: socket.socket, program) -> None:
    """Attach a classic BPF program to a socket (the kernel copies it)."""
    code = b"".join(struct.pack("HBBI", op, jt, jf, k & 0xFFFFFFFF) for op, jt, jf, k in program)
    buffer = ctypes.create_string_buffer(code, len(code))
    fprog = struct.pack("HL", len(program), ctypes.addressof(buffer))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)


def udp_socket_bound_to(address: tuple[str, int]):
    """A socket object for this process's UDP socket bound to `address` (to be detached,
    not closed: the descriptor stays PJSIP's), or None."""
    for name in os.listdir("/proc/self/fd"):
        try:
            if not os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                continue
            sock = socket.socket(fileno=int(name))
        except (OSError, ValueError):
            continue
        try:
            if sock.type == socket.SOCK_DGRAM and sock.family == socket.AF_INET and \
                    sock.getsockname() == address:
                return sock
        except OSError:
            pass
        sock.detach()
    return None


def admit_only_edge(bound: tuple[str, int], edge: tuple[str, int]) -> bool:
    """Filter the SIP socket bound to `bound` so that only the edge (and OPTIONS) get
    through; False (logged) when it cannot be done."""
    try:
        program = edge_only_program(edge)
    except ValueError:
        log.warning("SIP edge %s is not an IPv4 address: the media app's SIP port is not"
                    " filtered (INVITEs from others get 403)", edge[0])
        return False
    sock = udp_socket_bound_to(bound)
    if sock is None:
        log.warning("no UDP socket bound to %s:%d: the media app's SIP port is not filtered"
                    " (INVITEs from others get 403)", *bound)
        return False
    try:
        attach(sock, program)
    finally:
        sock.detach()
    log.info("SIP port %s:%d filtered: only the SIP edge %s:%d (and OPTIONS) get through",
             *bound, *edge)
    return True
