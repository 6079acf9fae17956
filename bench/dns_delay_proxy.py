#!/usr/bin/python3
"""dns_delay_proxy - a UDP DNS proxy on loopback that holds every query for
DELAY ms before forwarding it to UPSTREAM_PORT (and relays the answer back),
so that a benchmark sees a real network's latency instead of loopback's.

usage: dns_delay_proxy.py LISTEN_PORT UPSTREAM_PORT DELAY_MS
Loopback only; stops when killed."""
import asyncio
import socket
import sys

LISTEN, UPSTREAM, DELAY = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) / 1000.0


class Relay(asyncio.DatagramProtocol):
    def __init__(self, front, client):
        self.front, self.client = front, client

    def datagram_received(self, data, addr):
        self.front.sendto(data, self.client)


class Front(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        asyncio.get_running_loop().call_later(DELAY, lambda: asyncio.ensure_future(self.forward(data, addr)))

    async def forward(self, data, addr):
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: Relay(self.transport, addr), remote_addr=("127.0.0.1", UPSTREAM))
        transport.sendto(data)
        loop.call_later(5, transport.close)


async def main():
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(Front, local_addr=("127.0.0.1", LISTEN), family=socket.AF_INET)
    await asyncio.Event().wait()

asyncio.run(main())
