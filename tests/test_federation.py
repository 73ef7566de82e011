"""test_federation.py - brokerd nodes federated through a NATS cluster
(issue #15, docs/CLUSTERING.md), with real processes: three nats-server
processes routed to each other on loopback, and three brokerd nodes A, B
and C, each preferring its own engine server (A -> n1, B -> n2, C -> n3).

One cluster serves every case (it is the slow part to start); the fault
cases come last and leave it whole again.  Skipped (exit 77) when
nats-server is missing or brokerd was built without --with-nats.

Waiting for interest: a subscription reaches the other nodes through the
engine a moment later, so each case first sends probes (payload b"probe")
until the subscriber sees one, and counts only its own messages after.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from brokertest import (BROKERD, ERR, MSG, OK, PUB, SUB, Broker,  # noqa: E402
                        Conn, free_port, poll_until)

NATS = shutil.which("nats-server") or "/usr/sbin/nats-server"
PROBE = b"probe"


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def federation_built():
    """brokerd -t accepts an engine line only when built with libnats."""
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
        f.write("engine nats://127.0.0.1:4222\n")
        f.flush()
        r = subprocess.run([BROKERD, "-t", "-c", f.name],
                           capture_output=True, text=True, timeout=10)
        return r.returncode == 0


class Nats:
    """One nats-server of the engine cluster, on fixed free ports so it
    can be restarted where its peers expect it."""

    def __init__(self, name, tmp, cports):
        self.name = name
        self.port, self.cport, self.mport = free_port(), cports[name], \
            free_port()
        self.routes = ",".join("nats://127.0.0.1:%d" % p
                               for n, p in cports.items() if n != name)
        self.logpath = os.path.join(tmp, name + ".log")
        self.proc = None

    @property
    def url(self):
        return "nats://127.0.0.1:%d" % self.port

    def start(self):
        with open(self.logpath, "ab") as log:
            self.proc = subprocess.Popen(
                [NATS, "-a", "127.0.0.1", "-p", str(self.port),
                 "-m", str(self.mport), "-n", self.name,
                 "--cluster_name", "fedtest",
                 "--cluster", "nats://127.0.0.1:%d" % self.cport,
                 "--routes", self.routes],
                stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT)

    def routes_up(self):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/routez" %
                                        self.mport, timeout=0.5) as r:
                return json.load(r).get("num_routes", 0) >= 2
        except (OSError, ValueError):
            return False

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.kill9()


class Cli:
    """A client connection to one node; MSGs it did not wait for yet are
    kept in `got` (sid -> list of (topic, reply_to, payload))."""

    def __init__(self, node):
        self.c = Conn(node.port, timeout=5.0)
        assert self.c.hello()[0] != ERR
        self.got = {}

    def close(self):
        self.c.close()

    def sub(self, sid, pattern, queue=None):
        self.c.send(SUB, sid, sid, pattern, queue)
        self.wait_frame(lambda m: m[0] == OK and m[1] == sid, 5)

    def pub(self, topic, payload, reply=None):
        self.c.send(PUB, 0, topic, reply, payload)

    def pump(self, timeout):
        """Read one frame within timeout; MSGs are filed.  The frame, or
        None."""
        try:
            m = self.c.recv(timeout)
        except TimeoutError:
            return None
        if m[0] == MSG:
            self.got.setdefault(m[1], []).append((m[2], m[3], m[4]))
        return m

    def wait_frame(self, pred, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.pump(max(0.01, deadline - time.monotonic()))
            if m is not None and pred(m):
                return m
        raise AssertionError("frame not seen in %ss" % timeout)

    def real(self, sid):
        """The MSGs of sid that are not probes."""
        return [g for g in self.got.get(sid, []) if g[2] != PROBE]

    def settle(self, quiet=0.3, limit=5.0):
        """Read until nothing comes for `quiet` seconds (bounded)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and self.pump(quiet) is not None:
            pass

    def forget(self):
        self.got = {}


def await_flow(pub, topic, subs, timeout=15.0):
    """Publish probes on topic from pub until every (cli, sid) in subs has
    seen one: interest has crossed the engine."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pub.pub(topic, PROBE)
        for cli, _sid in subs:
            cli.pump(0.05)
        if all(any(g[2] == PROBE for g in cli.got.get(sid, []))
               for cli, sid in subs):
            for cli, _sid in subs:
                cli.settle(0.1)
                cli.forget()
            return
    raise AssertionError("no flow on %s within %ss" % (topic, timeout))


def stats(node):
    """The node's $SYS stats (JSON) over a fresh connection."""
    cli = Cli(node)
    try:
        inbox = "_INBOX.stats.%d" % time.monotonic_ns()
        cli.sub(1, inbox)
        cli.pub("$SYS.REQ.STATS", b"", reply=inbox)
        m = cli.wait_frame(lambda f: f[0] == MSG and f[1] == 1, 5)
        return json.loads(m[4])
    finally:
        cli.close()


def engine_of(node):
    return stats(node)["engine"]


class Federation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="fedtest-")
        cports = {n: free_port() for n in ("n1", "n2", "n3")}
        cls.nats = {n: Nats(n, cls.tmp.name, cports) for n in cports}
        cls.start_engine()
        cls.nodes = {}
        cls.monitor = free_port()  # node A's HTTP monitor
        for name, order in (("A", "n1 n2 n3"), ("B", "n2 n3 n1"),
                            ("C", "n3 n1 n2")):
            extra = "monitor %d\n" % cls.monitor if name == "A" else ""
            cls.nodes[name] = Broker(name, cls.conf(order) + extra,
                                     prefix="fedtest")
        for node in cls.nodes.values():
            assert poll_until(lambda: "engine: connected" in node.log(), 15)

    @classmethod
    def conf(cls, order):
        urls = ",".join(cls.nats[n].url for n in order.split())
        return ("engine %s\nengine_reconnect_wait 100ms\n"
                "engine_breaker_cooldown 100ms\nlog_level info\n"
                "sys_interval 0\n" % urls)

    @classmethod
    def start_engine(cls):
        for n in cls.nats.values():
            n.start()
        if not poll_until(lambda: all(n.routes_up()
                                      for n in cls.nats.values()), 20):
            raise RuntimeError("the nats-server cluster did not form")

    @classmethod
    def tearDownClass(cls):
        for node in cls.nodes.values():
            node.stop()
        for n in cls.nats.values():
            n.stop()
        cls.tmp.cleanup()

    def setUp(self):
        self.clis = []

    def tearDown(self):
        for c in self.clis:
            c.close()

    def cli(self, name):
        c = Cli(self.nodes[name])
        self.clis.append(c)
        return c

    def expect_count(self, pairs, n, timeout=10.0):
        """Until each (cli, sid) has n real MSGs, then a quiet moment:
        exactly n each (no duplicate)."""
        poll_until(lambda: [c.pump(0.02) for c, _ in pairs] and
                   all(len(c.real(s)) >= n for c, s in pairs), timeout, 0.001)
        for c, _ in pairs:
            c.settle()
        for c, s in pairs:
            self.assertEqual(len(c.real(s)), n, (s, c.real(s)[:5]))

    # ---------------------------------------------------------- delivery

    def test_1_wildcards_across_nodes_no_echo_no_duplicate(self):
        a, b, c = self.cli("A"), self.cli("B"), self.cli("C")
        a.sub(1, "fed.>")
        b.sub(1, "fed.w.*")
        b.sub(2, "fed.w.>")  # overlapping patterns on one connection
        c.sub(1, "fed.w.x")
        await_flow(a, "fed.w.x", [(b, 1), (b, 2), (c, 1)])
        a.forget()
        for i in range(200):
            a.pub("fed.w.x", b"%d" % i)
        a.pub("fed.other", b"not for B or C")
        want = [b"%d" % i for i in range(200)]
        self.expect_count([(b, 1), (b, 2), (c, 1)], 200)
        for cli, sid in ((b, 1), (b, 2), (c, 1)):
            self.assertEqual([g[2] for g in cli.real(sid)], want)  # order
        a.settle()
        # the local subscriber: each once, never echoed back by the engine
        self.assertEqual([g[2] for g in a.real(1)], want + [b"not for B or C"])
        # the engine's counters, in $SYS and /metrics
        eng = engine_of(self.nodes["A"])
        self.assertTrue(eng["up"])
        self.assertEqual(eng["breaker"], "closed")
        self.assertGreaterEqual(eng["forwarded"], 201)
        self.assertGreaterEqual(engine_of(self.nodes["B"])["delivered"], 400)
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" %
                                    self.monitor, timeout=5) as r:
            text = r.read().decode()
        self.assertIn("brokerd_engine_up 1\n", text)
        fwd = [ln for ln in text.splitlines()
               if ln.startswith("brokerd_engine_forwarded_total ")]
        self.assertEqual(len(fwd), 1)
        self.assertGreaterEqual(int(fwd[0].split()[1]), 201)

    def test_2_queue_group_across_nodes(self):
        a = self.cli("A")
        members = [self.cli("B"), self.cli("B"), self.cli("C")]
        for m in members:
            m.sub(7, "fed.job", "workers")
        # probes until both B and C have had one: each node's group is
        # known to the engine
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            a.pub("fed.job", PROBE)
            for m in members:
                m.pump(0.02)
            if (any(m.got for m in members[:2]) and members[2].got):
                break
        for m in members:
            m.settle(0.1)
            m.forget()
        for i in range(300):
            a.pub("fed.job", b"%d" % i)
        self.assert_once(members, 7, 300)
        self.assertTrue(members[2].real(7), "nothing went to node C")
        self.assertTrue(members[0].real(7) + members[1].real(7),
                        "nothing went to node B")
        # a member on the publisher's node: still exactly once
        local = self.cli("A")
        local.sub(7, "fed.job", "workers")
        members.append(local)
        poll_until(lambda: a.pub("fed.job", PROBE) or local.pump(0.05)
                   and local.got, 15, 0.001)
        for m in members:
            m.settle(0.1)
            m.forget()
        for i in range(100):
            a.pub("fed.job", b"%d" % i)
        self.assert_once(members, 7, 100)
        b = self.cli("B")
        for m in members:
            m.forget()
        for i in range(100):
            b.pub("fed.job", b"%d" % i)
        self.assert_once(members, 7, 100)

    def assert_once(self, members, sid, n):
        total = lambda: sum(len(m.real(sid)) for m in members)  # noqa: E731
        poll_until(lambda: [m.pump(0.02) for m in members] and
                   total() >= n, 15, 0.001)
        for m in members:
            m.settle()
        seen = sorted(int(g[2]) for m in members for g in m.real(sid))
        self.assertEqual(seen, list(range(n)))  # each exactly once

    def test_3_request_reply_across_nodes(self):
        a, c = self.cli("A"), self.cli("C")
        c.sub(1, "fed.svc.echo")
        a.sub(9, "_INBOX.fedA.1")
        await_flow(a, "fed.svc.echo", [(c, 1)])
        a.pub("fed.svc.echo", b"ping", reply="_INBOX.fedA.1")
        req = c.wait_frame(lambda m: m[0] == MSG and m[4] == b"ping", 10)
        self.assertEqual(req[3], "_INBOX.fedA.1")  # reply_to passes
        c.pub(req[3], b"pong")
        rep = a.wait_frame(lambda m: m[0] == MSG and m[1] == 9, 10)
        self.assertEqual(rep[4], b"pong")

    def test_3b_foreign_nats_publisher_checked(self):
        """Any NATS client may publish into the engine: what a PUB could
        not carry (a 300-byte topic) is dropped and counted, the rest is
        delivered like any message."""
        b = self.cli("B")
        b.sub(1, "fed.raw.>")
        a = self.cli("A")
        await_flow(a, "fed.raw.probe", [(b, 1)])
        before = engine_of(self.nodes["B"])["dropped_invalid"]
        with socket.create_connection(("127.0.0.1",
                                       self.nats["n1"].port), 5) as s:
            s.settimeout(5)
            s.recv(4096)  # INFO
            long_topic = "fed.raw." + "x" * 300
            s.sendall(b"CONNECT {\"verbose\":false}\r\n"
                      b"PUB %s 3\r\nbad\r\n"
                      b"PUB fed.raw.ok 4\r\ngood\r\nPING\r\n"
                      % long_topic.encode())
            self.assertTrue(s.recv(4096).startswith(b"PONG"))
        m = b.wait_frame(lambda f: f[0] == MSG and f[1] == 1 and
                         f[4] != PROBE, 10)
        self.assertEqual((m[2], m[4]), ("fed.raw.ok", b"good"))
        self.assertTrue(poll_until(
            lambda: engine_of(self.nodes["B"])["dropped_invalid"] ==
            before + 1, 5))

    # ------------------------------------------------------------ faults

    def test_4_kill_one_engine_server(self):
        a, b, c = self.cli("A"), self.cli("B"), self.cli("C")
        b.sub(1, "fed.k")
        await_flow(a, "fed.k", [(b, 1)])
        n1 = self.nats["n1"]
        n1.kill9()
        try:
            # the others go on
            await_flow(c, "fed.k", [(b, 1)])
            # A reconnects to another engine address and works again
            self.assertTrue(poll_until(
                lambda: engine_of(self.nodes["A"])["server"] not in
                ("", n1.url.split("//")[1]) and
                engine_of(self.nodes["A"])["up"], 15, 0.1))
            await_flow(a, "fed.k", [(b, 1)])
            self.assertGreaterEqual(
                engine_of(self.nodes["A"])["reconnects"], 1)
        finally:
            n1.start()
            self.assertTrue(poll_until(
                lambda: all(n.routes_up() for n in self.nats.values()), 20))

    def test_5_whole_engine_down_then_back(self):
        node_a = self.nodes["A"]
        a, a_sub, a_member, b = (self.cli("A"), self.cli("A"),
                                 self.cli("A"), self.cli("B"))
        a_sub.sub(1, "fed.down")
        a_member.sub(2, "fed.down", "lonely")
        b.sub(1, "fed.down")
        await_flow(a, "fed.down", [(b, 1), (a_sub, 1)])
        for n in self.nats.values():
            n.kill9()
        try:
            self.assertTrue(poll_until(lambda: not engine_of(node_a)["up"],
                                       10))
            before = engine_of(node_a)["dropped_breaker"]
            for i in range(50):
                a.pub("fed.down", b"%d" % i)
            # local delivery goes on: plain and queue group alike
            self.expect_count([(a_sub, 1), (a_member, 2)], 50)
            eng = engine_of(node_a)
            self.assertGreaterEqual(eng["dropped_breaker"] - before, 50)
            self.assertEqual(eng["breaker"], "open")
        finally:
            self.start_engine()
        self.assertTrue(poll_until(lambda: engine_of(node_a)["up"], 20))
        await_flow(a, "fed.down", [(b, 1)])

    def test_6_sighup_and_restart_of_a_node(self):
        b, c = self.cli("B"), self.cli("C")
        b.sub(1, "fed.hup")
        c.sub(1, "fed.hup")
        node_b = self.nodes["B"]
        node_b.proc.send_signal(signal.SIGHUP)
        self.assertTrue(node_b.wait_log("configuration reloaded", 10))
        await_flow(c, "fed.hup", [(b, 1)])
        await_flow(b, "fed.hup", [(c, 1)])
        # restart C: a new process, interest set up afresh
        c.close()
        self.clis.remove(c)
        old = self.nodes["C"]
        with open(old.conf) as f:
            conf = f.read()
        self.assertEqual(old.stop(), 0)
        old.dir.cleanup()
        self.nodes["C"] = Broker("C2", conf, prefix="fedtest")
        self.assertTrue(self.nodes["C"].wait_log("engine: connected", 15))
        c2 = self.cli("C")
        c2.sub(1, "fed.hup")
        await_flow(b, "fed.hup", [(c2, 1)])
        self.assertGreaterEqual(engine_of(self.nodes["C"])["interests"], 1)


if __name__ == "__main__":
    if not os.path.exists(NATS):
        skip("nats-server is missing (Debian package nats-server)")
    if not federation_built():
        skip("brokerd was built without NATS federation (--with-nats)")
    unittest.main(verbosity=2)
