"""How full a server's listen backlog is, from the kernel (Linux's sock_diag netlink, as `ss -lnt` asks it).

The burst client opens N connections before a burst; a backlog that overflows drops the handshake's last
packet, and that connection then waits for the kernel's retransmissions (1 s, 2 s, 4 s...) or is reset. For a
listening socket the kernel reports the connections waiting to be accepted and the backlog's limit, so the
client can open only as many as there is room for. One dump request for the listening TCP sockets (a machine
has a few), about 60 µs; /proc/net/tcp would list every socket of the machine, the TIME_WAIT of earlier bursts
too, and does not carry the limit. Standard library only: one request and one reply layout, no library needed.
"""

from __future__ import annotations

import socket
import struct

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST_DUMP = 0x1 | 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
TCP_LISTEN = 10
NLMSG_HEADER = struct.Struct("=IHHII")  # length, type, flags, sequence, port id
DIAG_REQUEST = struct.Struct("=BBBBI48x")  # family, protocol, extensions, pad, states; the socket id unset
# In each reply (an inet_diag_msg after the netlink header): the local port, big-endian, 4 bytes in; the
# receive and send queues 4 + 48 + 4 bytes in - for a listening socket, its accept queue and backlog limit.
PORT_AT, QUEUES_AT = NLMSG_HEADER.size + 4, NLMSG_HEADER.size + 4 + 48 + 4


def listen_queue(port: int) -> tuple[int, int] | None:
    """(connections waiting to be accepted, the backlog's limit) of the TCP sockets listening on `port`;
    None where the kernel does not tell (not Linux) or nothing listens there."""
    if not hasattr(socket, "AF_NETLINK"):
        return None
    waiting = limit = 0
    found = False
    try:
        with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG) as netlink:
            for family in (socket.AF_INET, socket.AF_INET6):
                request = DIAG_REQUEST.pack(family, socket.IPPROTO_TCP, 0, 0, 1 << TCP_LISTEN)
                header = NLMSG_HEADER.pack(
                    NLMSG_HEADER.size + len(request), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST_DUMP, 1, 0
                )
                netlink.sendall(header + request)
                for rx_queue, tx_queue in _replies(netlink, port):
                    waiting, limit, found = waiting + rx_queue, limit + tx_queue, True
    except OSError:
        return None
    return (waiting, limit) if found and limit > 0 else None


def _replies(netlink: socket.socket, port: int) -> list[tuple[int, int]]:
    """The (receive, send) queues of the dump's sockets on `port`, read until the dump is done."""
    queues: list[tuple[int, int]] = []
    while True:
        data = netlink.recv(65536)
        if not data:
            return queues
        offset = 0
        while offset + NLMSG_HEADER.size <= len(data):
            length, kind = struct.unpack_from("=IH", data, offset)
            if kind in (NLMSG_DONE, NLMSG_ERROR) or length < NLMSG_HEADER.size:
                return queues
            if struct.unpack_from("!H", data, offset + PORT_AT)[0] == port:
                rx_queue, tx_queue = struct.unpack_from("=II", data, offset + QUEUES_AT)
                queues.append((rx_queue, tx_queue))
            offset += (length + 3) & ~3
