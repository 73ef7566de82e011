#!/usr/bin/python3
"""bench_idle.py - what an idle subscriber costs brokerd, for `make bench`
(tests/bench.sh).  Starts its own brokerd ($BROKERD) on a free 127.0.0.1
port, connects N subscribers (each one SUB, then silent) and prints the
broker's RSS growth per connection in KiB.  A figure to watch, never
asserted: tests/test_hostile.py's IdleTests checks the behaviour (bounded,
not growing with traffic).  Exit 77 without python3-msgpack.
"""

import os
import resource
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from brokertest import Broker, Conn, PING, PONG, SUB, poll_until  # noqa: E402

N = int(os.environ.get("BENCH_IDLE_N", "2000"))


def settled_rss(broker, c):
    """RSS once c's PING is answered and three readings agree."""
    c.send(PING)
    assert c.recv() == [PONG]
    seen = []

    def steady():
        seen.append(broker.rss_kb())
        return len(seen) >= 3 and len(set(seen[-3:])) == 1
    poll_until(steady, 3.0, 0.05)
    return seen[-1]


def main():
    n = N
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY:
        n = min(n, (hard - 256) // 2)
    if soft < 2 * n + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (2 * n + 256, hard))
    b = Broker("idle", "sys_interval 0\nmax_clients %d\nping_interval 0\n"
               % (n + 100), "bench")
    try:
        pub = Conn(b.port, timeout=10)
        pub.hello("pub")
        rss0 = settled_rss(b, pub)
        subs = []
        for i in range(n):
            c = Conn(b.port, timeout=10)
            c.hello("idle%d" % i)
            c.send(SUB, 0, 1, "idle.%d" % i, None)
            subs.append(c)
        rss1 = settled_rss(b, subs[-1])
        print("idle subscribers: %d, broker RSS %d -> %d KiB: %.2f KiB "
              "per connection" % (n, rss0, rss1, (rss1 - rss0) / n))
        for c in subs + [pub]:
            c.close()
    finally:
        status = b.stop()
    return 0 if status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
