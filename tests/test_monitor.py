#!/usr/bin/python3
"""test_monitor.py - brokerd's HTTP monitor (issue #14): /healthz,
/metrics (Prometheus text format 0.0.4), /varz, its bounds, and -m.

Starts the real brokerd (path from $BROKERD) on free 127.0.0.1 ports with
brokertest.py.  Every wait is bounded; nothing sleeps a fixed time.  The
exposition is also checked with prometheus_client's own parser when the
python3-prometheus-client package is installed (skipped with a message
otherwise).  Exit status: 0 passed, 1 failed, 77 (SKIP) without msgpack.
"""

import http.client
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from brokertest import (  # noqa: E402  (exits 77 without msgpack)
    BROKERD, Broker, Conn, free_port, poll_until, PUB, SUB, MSG, OK,
    NOTICE, WELCOME)

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    text_string_to_metric_families = None

IO_TIMEOUT = 5.0
MONITOR_CAP = 32                # broker/monitor_guard.h MONITOR_MAX_CONNS
SLOWLORIS_BOUND = 20.0          # a monitor connection lives 10 s at most


def http_get(port, path, method="GET", headers=None):
    """(status, headers dict, body text) of one request."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=IO_TIMEOUT)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode()
    finally:
        c.close()


def samples(text):
    """{'name{labels}': value} of an exposition, by plain reading."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


class CountingConn(Conn):
    """A Conn that counts the frame bytes it sends and receives."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.tx = self.rx = 0

    def send_raw(self, data):
        self.tx += len(data)
        super().send_raw(data)

    def _next_body(self, deadline):
        body = super()._next_body(deadline)
        self.rx += 4 + len(body)
        return body


def histogram_ok(test, s, name):
    """Buckets of a histogram are cumulative and end in _count."""
    buckets = sorted((float(k.split('le="')[1].rstrip('"}')), v)
                     for k, v in s.items()
                     if k.startswith(name + "_bucket{"))
    counts = [v for _, v in buckets]
    test.assertEqual(counts, sorted(counts))
    test.assertEqual(buckets[-1], (float("inf"), s[name + "_count"]))


class MonitorTests(unittest.TestCase):
    def setUp(self):
        self.mport = free_port()
        # $SYS publishing off: its own PUBs would move messages_in.
        self.b = Broker("monitor", "sys_interval 0\nmonitor 127.0.0.1:%d\n"
                        % self.mport, prefix="test_monitor")
        self.assertTrue(poll_until(lambda: self._up(), 10), self.b.log())

    def tearDown(self):
        self.b.kill()

    def _up(self):
        try:
            return http_get(self.mport, "/healthz")[0] == 200
        except OSError:
            return False

    def client(self):
        c = CountingConn(self.b.port)
        self.assertEqual(c.hello()[0], WELCOME)
        return c

    def test_healthz_ok(self):
        status, hdr, body = http_get(self.mport, "/healthz")
        self.assertEqual((status, body), (200, "ok\n"))

    def test_metrics_deltas(self):
        """Exact deltas: 3 PUBs in, 2 subscribers -> 6 MSGs out."""
        before = samples(http_get(self.mport, "/metrics")[2])
        subs = [self.client(), self.client()]
        for i, s in enumerate(subs):
            s.send(SUB, 1, 7, "mon.t", None)
            self.assertEqual(s.recv()[0], OK)
        pub = self.client()
        for _ in range(3):
            pub.send(PUB, 0, "mon.t", None, b"x" * 10)
        for s in subs:
            for _ in range(3):
                self.assertEqual(s.recv()[0], MSG)
        status, hdr, text = http_get(self.mport, "/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(hdr["Content-Type"].split(";")[0:2],
                         ["text/plain", " version=0.0.4"])
        after = samples(text)

        def delta(k):
            return after[k] - before[k]
        self.assertEqual(delta("brokerd_messages_in_total"), 3)
        self.assertEqual(delta("brokerd_messages_out_total"), 6)
        self.assertEqual(delta("brokerd_payload_in_bytes_total"), 30)
        self.assertEqual(delta("brokerd_payload_out_bytes_total"), 60)
        self.assertEqual(delta('brokerd_pool_messages_out_total'
                               '{pool="default"}'), 6)
        self.assertEqual(delta("brokerd_connections_accepted_total"), 3)
        self.assertEqual(after["brokerd_connections"], 3)
        self.assertEqual(after["brokerd_subscriptions"], 2)
        self.assertEqual(after["brokerd_subscriber_pending_bytes_count"], 2)
        self.assertEqual(after['brokerd_subscriber_pending_bytes_bucket'
                               '{le="+Inf"}'], 2)
        # frame bytes, both ways, as the clients counted them
        tx = sum(c.tx for c in subs + [pub])
        rx = sum(c.rx for c in subs + [pub])
        self.assertEqual(delta("brokerd_bytes_in_total"), tx)
        self.assertEqual(delta('brokerd_pool_bytes_in_total'
                               '{pool="default"}'), tx)
        self.assertEqual(delta("brokerd_bytes_out_total"), rx)
        self.assertEqual(delta('brokerd_pool_bytes_out_total'
                               '{pool="default"}'), rx)
        self.assertEqual(delta('brokerd_pool_messages_in_total'
                               '{pool="default"}'), 3)
        self.assertEqual(delta("brokerd_slow_consumers_total"), 0)
        self.assertGreater(delta("brokerd_queue_delay_seconds_count"), 0)
        histogram_ok(self, after, "brokerd_queue_delay_seconds")
        histogram_ok(self, after, "brokerd_subscriber_pending_bytes")
        v = json.loads(http_get(self.mport, "/varz")[2])
        self.assertEqual((v["totals"]["bytes_in"], v["totals"]["bytes_out"]),
                         (after["brokerd_bytes_in_total"],
                          after["brokerd_bytes_out_total"]))
        pool = v["pools"][0]
        self.assertEqual((pool["name"], pool["connections"],
                          pool["subscriptions"], pool["msgs_in"],
                          pool["msgs_out"], pool["drops"]),
                         ("default", 3, 2, 3, 6, 0))
        self.assertEqual(v["drops"], {"oldest": 0, "newest": 0,
                                      "budget": 0, "disconnect": 0})
        for c in subs + [pub]:
            c.close()
        # a closed connection's traffic moves to its pool: not lost, not
        # counted twice
        self.assertTrue(poll_until(lambda: samples(http_get(
            self.mport, "/metrics")[2])["brokerd_connections"] == 0, 5))
        gone = samples(http_get(self.mport, "/metrics")[2])
        for k in ("brokerd_bytes_in_total", "brokerd_bytes_out_total",
                  'brokerd_pool_bytes_in_total{pool="default"}',
                  'brokerd_pool_messages_in_total{pool="default"}'):
            self.assertEqual(gone[k], after[k], k)

    def test_exposition_parses(self):
        if text_string_to_metric_families is None:
            self.skipTest("python3-prometheus-client missing: the "
                          "exposition is not checked with its parser")
        text = http_get(self.mport, "/metrics")[2]
        fams = {f.name: f for f in text_string_to_metric_families(text)}
        # the parser strips _total from counter family names
        self.assertEqual(fams["brokerd_messages_in"].type, "counter")
        self.assertEqual(fams["brokerd_connections"].type, "gauge")
        self.assertEqual(fams["brokerd_subscriber_pending_bytes"].type,
                         "histogram")
        reasons = {s.labels.get("reason") for s in
                   fams["brokerd_dropped"].samples}
        self.assertEqual(reasons, {"oldest", "newest", "budget",
                                   "disconnect"})
        self.assertEqual(fams["brokerd_queue_delay_seconds"].type,
                         "histogram")
        for name in ("brokerd_bytes_in", "brokerd_bytes_out",
                     "brokerd_slow_consumers", "brokerd_notices_sent",
                     "brokerd_pool_messages_in", "brokerd_pool_bytes_out"):
            self.assertEqual(fams[name].type, "counter", name)
        self.assertEqual({s.labels.get("kind") for s in
                          fams["brokerd_notices_sent"].samples},
                         {"dropped", "lame_duck", "policy"})

    def test_varz(self):
        status, hdr, body = http_get(self.mport, "/varz")
        self.assertEqual(status, 200)
        v = json.loads(body)
        self.assertEqual(v["server"], "brokerd")
        self.assertTrue(v["serving"])
        self.assertEqual(v["settings"]["sys_interval_ms"], 0)
        self.assertIn("messages_in", v["totals"])

    def test_get_head_only(self):
        self.assertEqual(http_get(self.mport, "/metrics", "HEAD")[0], 200)
        self.assertNotEqual(http_get(self.mport, "/metrics", "POST")[0], 200)
        self.assertEqual(http_get(self.mport, "/nothing")[0], 404)

    def test_oversized_headers_refused(self):
        try:
            status = http_get(self.mport, "/metrics",
                              headers={"X-Big": "a" * 20000})[0]
        except (OSError, http.client.HTTPException):
            status = None           # closed without an answer: refused too
        self.assertNotEqual(status, 200)
        self.assertEqual(http_get(self.mport, "/healthz")[0], 200)

    def test_slowloris_cut_off_while_pubsub_works(self):
        s = socket.create_connection(("127.0.0.1", self.mport), IO_TIMEOUT)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        sub = self.client()
        sub.send(SUB, 1, 1, "slow.t", None)
        self.assertEqual(sub.recv()[0], OK)
        pub = self.client()
        pub.send(PUB, 0, "slow.t", None, b"still here")
        self.assertEqual(sub.recv()[0], MSG)
        s.setblocking(False)
        deadline = time.monotonic() + SLOWLORIS_BOUND
        closed = False
        while not closed and time.monotonic() < deadline:
            try:
                s.sendall(b"X-Drip: 1\r\n")   # restarts evhttp's timeout
                closed = s.recv(4096) == b""
            except BlockingIOError:
                poll_until(lambda: False, 0.5)
            except ConnectionError:
                closed = True
        s.close()
        self.assertTrue(closed, "the monitor kept a slowloris open")
        self.assertTrue(self.b.alive())
        sub.close()
        pub.close()

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.b.proc.pid))

    def test_connection_cap(self):
        """60 idle HTTP connections: brokerd takes at most MONITOR_CAP
        descriptors for them; the rest wait in the backlog."""
        # setUp's /healthz may still hold one descriptor until the
        # guard's next sweep: allow it in the baseline.
        before = self.fds()
        socks = [socket.create_connection(("127.0.0.1", self.mport),
                                          IO_TIMEOUT) for _ in range(60)]
        self.assertTrue(poll_until(
            lambda: self.fds() >= before + MONITOR_CAP - 1, 5))
        for _ in range(5):              # and it stays there a while
            self.assertLessEqual(self.fds(), before + MONITOR_CAP)
            poll_until(lambda: False, 0.1)
        for s in socks:
            s.close()
        # the cut-off idle ones free their slots: served again
        self.assertTrue(poll_until(self._up, SLOWLORIS_BOUND))

    def test_healthz_503_in_lame_duck(self):
        c = self.client()
        self.b.proc.send_signal(signal.SIGUSR2)
        self.assertTrue(poll_until(
            lambda: http_get(self.mport, "/healthz")[0] == 503, 5),
            self.b.log())
        self.assertFalse(json.loads(http_get(self.mport, "/varz")[2])
                         ["serving"])
        self.assertEqual(c.recv()[0], NOTICE)   # LAME_DUCK
        m = samples(http_get(self.mport, "/metrics")[2])
        self.assertEqual(m['brokerd_notices_sent_total{kind="lame_duck"}'],
                         1)
        c.close()

    def connz(self, query=""):
        status, hdr, body = http_get(self.mport, "/connz" + query)
        self.assertEqual(status, 200, body)
        self.assertEqual(hdr["Content-Type"], "application/json")
        return json.loads(body)

    def named(self, name, rcvbuf=None):
        c = Conn(self.b.port, rcvbuf=rcvbuf)
        w = c.hello(name)
        self.assertEqual(w[0], WELCOME)
        return c, w[3]              # the client id WELCOME gives

    def test_connz_stalled_subscriber_first(self):
        """A subscriber that never reads shows its pending bytes and comes
        first when sorted by pending_bytes; the counters follow."""
        stalled, scid = self.named("stalled-1", rcvbuf=4096)
        stalled.send(SUB, 1, 1, "cz.>", None)
        self.assertEqual(stalled.recv()[0], OK)
        reader, rcid = self.named("reader")
        reader.send(SUB, 1, 1, "cz.>", None)
        self.assertEqual(reader.recv()[0], OK)
        pub, pcid = self.named("pub")
        payload = b"p" * 16000
        sent = 0

        def stalled_pending():
            return [c for c in self.connz()["connections"]
                    if c["cid"] == scid][0]["pending_bytes"]
        while sent < 400 and (sent < 20 or stalled_pending() < 65536):
            for _ in range(20):
                pub.send(PUB, 0, "cz.a", None, payload)
            sent += 20
            for _ in range(20):
                self.assertEqual(reader.recv()[0], MSG)
        v = self.connz("?sort=pending_bytes")
        self.assertEqual(v["sort"], "pending_bytes")
        self.assertEqual(v["total"], 3)
        first = v["connections"][0]
        self.assertEqual(first["cid"], scid, v)
        self.assertGreaterEqual(first["pending_bytes"], 65536)
        self.assertEqual(first["name"], "stalled-1")
        self.assertEqual((first["ip"], first["pool"], first["state"]),
                         ("127.0.0.1", "default", "ready"))
        self.assertEqual(first["port"], stalled.sock.getsockname()[1])
        self.assertEqual(first["subscriptions"], 1)
        self.assertIsNone(first["user"])
        self.assertFalse(first["tls"])
        byid = {c["cid"]: c for c in v["connections"]}
        self.assertEqual((byid[pcid]["msgs_in"], byid[pcid]["msgs_out"]),
                         (sent, 0))
        self.assertGreater(byid[pcid]["bytes_in"], sent * len(payload))
        self.assertEqual(byid[rcid]["msgs_out"], sent)
        self.assertGreater(byid[rcid]["bytes_out"], sent * len(payload))
        self.assertEqual(byid[rcid]["pending_bytes"], 0)
        self.assertLess(abs(first["connected_unix"] - v["now_unix"]), 600)
        for c in (stalled, reader, pub):
            c.close()

    def test_connz_sort_limit_offset(self):
        conns = [self.named("c%d" % i) for i in range(5)]
        for i, (c, _) in enumerate(conns):      # c4 subscribes the most
            for sid in range(1, i + 1):
                c.send(SUB, sid, sid, "s.%d" % sid, None)
                self.assertEqual(c.recv()[0], OK)
        ids = [cid for _, cid in conns]
        v = self.connz()
        self.assertEqual((v["sort"], v["limit"], v["offset"], v["total"]),
                         ("cid", 1024, 0, 5))
        self.assertEqual([c["cid"] for c in v["connections"]], ids)
        v = self.connz("?sort=subs&limit=2&offset=1")
        self.assertEqual([c["subscriptions"] for c in v["connections"]],
                         [3, 2])
        self.assertEqual([c["cid"] for c in v["connections"]],
                         [ids[3], ids[2]])
        self.assertEqual(self.connz("?limit=0")["connections"], [])
        self.assertEqual(self.connz("?offset=99")["connections"], [])
        self.assertEqual(len(self.connz("?sort=start&limit=3")
                             ["connections"]), 3)
        for q in ("?sort=nope", "?limit=10001", "?limit=-1", "?limit=x",
                  "?offset=1e3", "?limit="):
            status, _, body = http_get(self.mport, "/connz" + q)
            self.assertEqual(status, 400, q)
            self.assertEqual(body.count("\n"), 1, body)
        for c, _ in conns:
            c.close()

    def test_subsz_counts(self):
        a, b, c = self.client(), self.client(), self.client()
        subs = [(a, 1, "z.a", None), (a, 2, "z.>", None),
                (b, 1, "z.>", None), (b, 2, "z.>", "workers"),
                (c, 1, "z.>", "workers"), (c, 2, "z.*.q", "other")]
        for conn, sid, pattern, queue in subs:
            conn.send(SUB, sid, sid, pattern, queue)
            self.assertEqual(conn.recv()[0], OK)
        status, hdr, body = http_get(self.mport, "/subsz")
        self.assertEqual(status, 200, body)
        v = json.loads(body)
        self.assertEqual((v["subscriptions"], v["patterns"],
                          v["queue_groups"]), (6, 3, 2))
        got = sorted((e["pattern"], e["queue"] or "", e["count"])
                     for e in v["entries"])
        self.assertEqual(got, [("z.*.q", "other", 1), ("z.>", "", 2),
                               ("z.>", "workers", 2), ("z.a", "", 1)])
        pages = [json.loads(http_get(self.mport, "/subsz?limit=1&offset=%d"
                                     % i)[2])["entries"] for i in range(5)]
        self.assertEqual([len(p) for p in pages], [1, 1, 1, 1, 0])
        self.assertEqual(sorted((p[0]["pattern"], p[0]["queue"] or "",
                                 p[0]["count"]) for p in pages[:4]), got)
        self.assertEqual(http_get(self.mport, "/subsz?limit=x")[0], 400)
        c.close()                   # its two subscriptions go
        self.assertTrue(poll_until(lambda: json.loads(http_get(
            self.mport, "/subsz")[2])["subscriptions"] == 4, 5))
        v = json.loads(http_get(self.mport, "/subsz")[2])
        self.assertEqual((v["patterns"], v["queue_groups"]), (2, 1))
        a.close()
        b.close()

    def test_10000_idle_http_connections(self):
        """10,000 sockets connect to the monitor port and say nothing (or
        fewer when the fd limit is lower): messages are still delivered,
        and the monitor serves again once they are gone."""
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = 10000
        if hard != resource.RLIM_INFINITY and hard < want + 256:
            want = max(100, hard - 256)     # bounded by the machine
            print("fd hard limit %d: %d idle connections" % (hard, want))
        if soft == resource.RLIM_INFINITY or soft < want + 256:
            resource.setrlimit(resource.RLIMIT_NOFILE, (
                min(want + 256, hard) if hard != resource.RLIM_INFINITY
                else want + 256, hard))
        sub = self.client()
        sub.send(SUB, 1, 1, "idle.t", None)
        self.assertEqual(sub.recv()[0], OK)
        pub = self.client()
        socks = []
        before = self.fds()
        try:
            for _ in range(want):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                socks.append(s)
                s.connect_ex(("127.0.0.1", self.mport))  # in progress
            # the monitor took all it may; the rest wait in the backlog
            self.assertTrue(poll_until(
                lambda: self.fds() >= before + MONITOR_CAP - 1, 5))
            for i in range(2000):
                pub.send(PUB, 0, "idle.t", None, b"%d" % i)
            for i in range(2000):
                f = sub.recv(10)
                self.assertEqual((f[0], f[4]), (MSG, b"%d" % i))
            self.assertTrue(self.b.alive())
        finally:
            for s in socks:
                s.close()
        self.assertTrue(poll_until(self._up, SLOWLORIS_BOUND), self.b.log())
        sub.close()
        pub.close()


class SlowConsumerTests(unittest.TestCase):
    """One drop episode of a stalled subscriber: counted once, with its
    NOTICE, in /metrics, /varz and /connz."""

    def test_one_episode(self):
        mport = free_port()
        b = Broker("slow", "sys_interval 0\nmax_outbound 64k\n"
                   "monitor 127.0.0.1:%d\n" % mport, prefix="test_monitor")
        try:
            self.episode(b, mport)
        finally:
            b.kill()

    def episode(self, b, mport):
        def metrics():
            return samples(http_get(mport, "/metrics")[2])
        def up():
            try:
                return http_get(mport, "/healthz")[0] == 200
            except OSError:
                return False
        self.assertTrue(poll_until(up, 10), b.log())
        stalled = Conn(b.port, rcvbuf=4096)
        self.assertEqual(stalled.hello("stalled")[0], WELCOME)
        stalled.send(SUB, 1, 1, "sc.t", None)
        self.assertEqual(stalled.recv()[0], OK)
        pub = Conn(b.port)
        self.assertEqual(pub.hello()[0], WELCOME)
        batches = 0
        while (batches < 300 and
               metrics()['brokerd_dropped_total{reason="newest"}'] == 0):
            for _ in range(10):
                pub.send(PUB, 0, "sc.t", None, b"s" * 16000)
            batches += 1
        for _ in range(10):         # more drops, the same episode
            pub.send(PUB, 0, "sc.t", None, b"s" * 16000)
        pub.send(PUB, 9, "sc.other", None, b"")
        self.assertEqual(pub.recv(), [OK, 9])  # every PUB was routed
        m = metrics()
        dropped = m['brokerd_dropped_total{reason="newest"}']
        self.assertGreaterEqual(dropped, 10)
        self.assertEqual(m["brokerd_slow_consumers_total"], 1)
        self.assertEqual(m['brokerd_pool_slow_consumers_total'
                           '{pool="default"}'], 1)
        self.assertEqual(m['brokerd_notices_sent_total{kind="dropped"}'], 0)
        conns = json.loads(http_get(mport, "/connz?sort=drops")[2])
        self.assertEqual(conns["connections"][0]["name"], "stalled")
        self.assertEqual(conns["connections"][0]["drops"], dropped)
        v = json.loads(http_get(mport, "/varz")[2])
        self.assertEqual(v["drops"]["newest"], dropped)
        self.assertEqual(v["pools"][0]["drops"], dropped)
        msgs = 0                    # it reads again: the NOTICE comes
        while True:
            f = stalled.recv(5)
            if f[0] == NOTICE:
                break
            self.assertEqual(f[0], MSG)
            msgs += 1
        self.assertEqual(msgs + dropped, 10 * batches + 10)
        m = metrics()
        self.assertEqual(m['brokerd_notices_sent_total{kind="dropped"}'], 1)
        self.assertEqual(m["brokerd_slow_consumers_total"], 1)
        histogram_ok(self, m, "brokerd_queue_delay_seconds")
        stalled.close()
        pub.close()


class CommandLineTests(unittest.TestCase):
    def test_m_flag_loopback(self):
        port, mport = free_port(), free_port()
        proc = subprocess.Popen([BROKERD, "-p", str(port), "-m", str(mport)],
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            def up():
                try:
                    return http_get(mport, "/healthz")[0] == 200
                except OSError:
                    return False
            self.assertTrue(poll_until(up, 10))
        finally:
            proc.terminate()
            proc.wait(10)

    def test_monitor_off_by_default(self):
        b = Broker("nomon", "", prefix="test_monitor")
        try:
            self.assertNotIn("monitor listening", b.log())
        finally:
            b.kill()

    def test_bad_monitor_value(self):
        r = subprocess.run([BROKERD, "-t", "-m", "unix:/tmp/x"],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 2, r.stderr)


if __name__ == "__main__":
    if not os.access(BROKERD, os.X_OK):
        print("brokerd not found at %s" % BROKERD)
        sys.exit(99)
    unittest.main(verbosity=2)
