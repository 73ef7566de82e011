#!/usr/bin/python3
"""bench_monitor.py - what the HTTP monitor costs brokerd (issue #14).
Starts its own brokerd ($BROKERD, default broker/brokerd) with the monitor
on free 127.0.0.1 ports.  Figures to read, never asserted.

  bench_monitor.py connz [N]   N (default 10000) clients say HELLO and
                               SUB; then GET /connz?sort=pending_bytes with
                               limit=1 (sort all, write one), 1024 and N
                               (sort all, write all), 7 times each, while a
                               client PINGs back to back: the response
                               time, and the worst PING round trip during
                               each request (how long the loop stood).
  bench_monitor.py scrape [R]  R rounds (default 3) of broker-bench
                               ($BROKER_BENCH, default client/broker-bench;
                               1 -> 1, 128 B, 500,000 messages) without and
                               with a scraper GETting /metrics 10 times a
                               second, interleaved; medians of msgs/s.

Exit 77 without python3-msgpack.
"""

import http.client
import os
import re
import resource
import statistics
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from brokertest import (  # noqa: E402
    Broker, Conn, OK, PING, PONG, SUB, WELCOME, free_port)

BENCH = os.environ.get("BROKER_BENCH", os.path.join("client",
                                                    "broker-bench"))
BENCH_ARGS = ["--pub", "1", "--sub", "1", "--size", "128",
              "--count", "500000", "--timeout", "120"]


def get(port, path):
    """(seconds, status, body length) of one GET."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        t = time.monotonic()
        c.request("GET", path)
        r = c.getresponse()
        n = len(r.read())
        return time.monotonic() - t, r.status, n
    finally:
        c.close()


def start(label):
    mport = free_port()
    b = Broker(label, "sys_interval 0\nmonitor 127.0.0.1:%d\n" % mport,
               prefix="bench_monitor")
    return b, mport


def connz(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY:
        n = min(n, hard - 256)
    if soft < n + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (n + 256, hard))
    b, mport = start("connz")
    conns = []
    try:
        for i in range(n):
            c = Conn(b.port, timeout=10)
            assert c.hello("client-%d" % i)[0] == WELCOME
            c.send(SUB, 1, 1, "c.%d" % i, None)
            assert c.recv()[0] == OK
            conns.append(c)
        print("%d connections" % n)
        probe = Conn(b.port, timeout=10)
        assert probe.hello("probe")[0] == WELCOME
        print("PING round trip, no request: max %.1f ms"
              % max(ping_rtts(probe, 0.7)))
        for limit in (1, 1024, n):
            path = "/connz?sort=pending_bytes&limit=%d" % limit
            runs, rtts = [], []
            for _ in range(7):
                t = threading.Thread(target=lambda: runs.append(
                    get(mport, path)))
                t.start()
                rtts.append(max(ping_rtts(probe, 0.5)))
                t.join()
            assert all(r[1] == 200 for r in runs)
            ms = [r[0] * 1000 for r in runs]
            print("%s: response median %.1f ms (max %.1f), %d bytes; "
                  "PING round trip meanwhile: worst median %.1f ms "
                  "(max %.1f)" % (path, statistics.median(ms), max(ms),
                                  runs[0][2], statistics.median(rtts),
                                  max(rtts)))
    finally:
        for c in conns:
            c.close()
        b.kill()


def ping_rtts(c, seconds):
    """PING round trips (ms) on c, back to back, for seconds: the worst
    is how long the broker's loop did not turn."""
    out, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.monotonic()
        c.send(PING)
        assert c.recv(auto_pong=False) == [PONG]
        out.append((time.monotonic() - t) * 1000)
    return out


def bench_once(port):
    out = subprocess.run([BENCH, "-p", str(port)] + BENCH_ARGS,
                         capture_output=True, text=True, timeout=180).stdout
    m = re.search(r"^Sub\s+(\d+) msgs/s", out, re.M)
    if not m:
        raise RuntimeError("broker-bench said:\n" + out)
    return int(m.group(1))


def scraper(mport, stop, counts):
    """GET /metrics every 100 ms until stop is set."""
    nxt = time.monotonic()
    while not stop.is_set():
        counts.append(get(mport, "/metrics")[1])
        nxt += 0.1
        stop.wait(max(0, nxt - time.monotonic()))


def scrape(rounds):
    b, mport = start("scrape")
    plain, scraped = [], []
    try:
        for _ in range(rounds):
            plain.append(bench_once(b.port))
            stop, counts = threading.Event(), []
            t = threading.Thread(target=scraper, args=(mport, stop, counts))
            t.start()
            try:
                scraped.append(bench_once(b.port))
            finally:
                stop.set()
                t.join()
            assert counts and all(s == 200 for s in counts)
            print("round: %d msgs/s without, %d with (%d scrapes)"
                  % (plain[-1], scraped[-1], len(counts)), flush=True)
        print("median of %d: %d msgs/s without a scraper, %d with "
              "(%.1f %%)" % (rounds, statistics.median(plain),
                             statistics.median(scraped),
                             100.0 * (statistics.median(scraped) /
                                      statistics.median(plain) - 1)))
    finally:
        b.kill()


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    arg = int(sys.argv[2]) if len(sys.argv) > 2 else None
    if mode == "connz":
        connz(arg or 10000)
    elif mode == "scrape":
        scrape(arg or 3)
    else:
        print(__doc__.strip().split("\n\n")[0])
        print("usage: bench_monitor.py connz [N] | scrape [ROUNDS]")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
