#!/usr/bin/env python3
"""A transparent UDP delay proxy for the tests' network lab (tests/netlab.rs).

Runs in the lab's router namespace. nftables there sends every UDP packet that crosses the
router to this proxy with TPROXY; the proxy holds each packet for the link's delay (with
jitter) and sends it on from the packet's own source address (IP_TRANSPARENT), so neither end
sees the proxy. The kernel has no netem here: this is the latency of the lab's links.

It reads its settings from a JSON file, polled a few times a second, so a test changes the
level of the links without restarting anything:
    {"delay_ms": 100, "jitter_ms": 10, "down": ["10.77.1.2"]}
`down` lists hosts whose packets are dropped, both ways (an outage).
"""
import asyncio
import json
import os
import random
import socket
import struct
import sys

IP_TRANSPARENT = 19
IP_RECVORIGDSTADDR = 20


class Proxy:
    def __init__(self, port, control):
        self.control = control
        self.mtime = None
        self.delay = 0.0
        self.jitter = 0.0
        self.down = set()
        self.senders = {}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_IP, IP_TRANSPARENT, 1)
        self.sock.setsockopt(socket.SOL_IP, IP_RECVORIGDSTADDR, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(("0.0.0.0", port))
        self.sock.setblocking(False)
        self.forwarded = 0

    def reload(self):
        try:
            mtime = os.stat(self.control).st_mtime_ns
        except FileNotFoundError:
            return
        if mtime == self.mtime:
            return
        self.mtime = mtime
        try:
            with open(self.control) as f:
                c = json.load(f)
        except (OSError, ValueError) as e:
            print(f"delay.py: bad control file: {e}", file=sys.stderr)
            return
        self.delay = c.get("delay_ms", 0) / 1000.0
        self.jitter = c.get("jitter_ms", 0) / 1000.0
        self.down = set(c.get("down", []))
        print(f"delay.py: delay {self.delay*1000:.0f} ms ± {self.jitter*1000:.0f} ms, down {sorted(self.down)}",
              file=sys.stderr, flush=True)

    def sender(self, src):
        """A socket bound to the packet's source address (not ours: IP_TRANSPARENT)."""
        s = self.senders.get(src)
        if s is None:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_IP, IP_TRANSPARENT, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(src)
            s.setblocking(False)
            self.senders[src] = s
        return s

    def send(self, src, dst, data):
        if src[0] in self.down or dst[0] in self.down:
            return
        try:
            self.sender(src).sendto(data, dst)
            self.forwarded += 1
        except OSError as e:
            print(f"delay.py: {src} -> {dst}: {e}", file=sys.stderr)

    def readable(self, loop):
        while True:
            try:
                data, anc, _flags, src = self.sock.recvmsg(65535, socket.CMSG_SPACE(16))
            except BlockingIOError:
                return
            dst = None
            for level, kind, value in anc:
                if level == socket.SOL_IP and kind == IP_RECVORIGDSTADDR:
                    port, addr = struct.unpack_from("!H4s", value, 2)
                    dst = (socket.inet_ntoa(addr), port)
            if dst is None or src[0] in self.down or dst[0] in self.down:
                continue
            wait = max(0.0, self.delay + random.uniform(-self.jitter, self.jitter))
            loop.call_later(wait, self.send, src, dst, data)

    async def run(self):
        loop = asyncio.get_running_loop()
        self.reload()
        loop.add_reader(self.sock.fileno(), self.readable, loop)
        print("delay.py: ready", file=sys.stderr, flush=True)
        while True:
            await asyncio.sleep(0.2)
            self.reload()


if __name__ == "__main__":
    asyncio.run(Proxy(int(sys.argv[1]), sys.argv[2]).run())
