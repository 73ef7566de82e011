#!/usr/bin/python3
"""test_authz.py - authorization against the real brokerd: the users
file's allow/deny rules enforced on PUB, SUB and delivery, and a reload
narrowing them under live subscriptions.

Checked: every rule kind (allow/deny, pub/sub/all, `*` and `>`): a PUB the
rules deny gets ERR 19 with its req_id and the connection stays open; a
SUB that can match no allowed topic gets ERR 19; a SUB whose topics are
only partly allowed is accepted and filtered, and never delivers a denied
topic whatever wildcard it used; deny wins; a user with no allow rule may
do nothing; a queue group never hands a topic to a member whose rules deny
it (another member gets it, or nobody); `$SYS` only through a rule naming
it; the private reply inbox `_INBOX.<user>.>` for request/reply, nobody
else's; SIGHUP with narrower rules revokes a live subscription (NOTICE
REVOKED, count = its sid) and narrows another to filtered; broker-sub
says which of its patterns was revoked, goes on with the others and exits
1 once none is left.  Hashes are
made here (SHA-512-crypt); the broker must exit 0 on SIGTERM (under ASan:
no leak).  Exit status: 0 passed, 1 failed, 77 (SKIP) without
python3-msgpack or the crypt module.
"""

import os
import json
import select
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
import warnings

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import brokertest  # noqa: E402  (exits 77 without msgpack)
from brokertest import (  # noqa: E402
    Broker, Conn, poll_until, ERR, HELLO, MSG, NOTICE, OK, PING, PONG, PUB,
    SUB, WELCOME)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import crypt
    except ImportError:
        print("SKIP: the python3 crypt module is missing")
        sys.exit(77)

E_FORBIDDEN = 19
E_NO_RESP = 17
NOTICE_REVOKED = 4
PUB_NO_RESPONDERS = 1

RULES = """
allow pub1 pub >
allow pub1 pub $SYS.REQ.STATS
allow alice pub orders.>
deny alice pub orders.secret.>
allow alice sub news.*
allow alice sub sport.>
deny alice all sport.private.>
deny carol all x
allow wide all >
allow sys sub $SYS.>
allow q1 sub jobs.>
allow q2 sub jobs.>
deny q2 sub jobs.secret.>
allow resp sub svc.>
allow resp pub _INBOX.>
allow req pub svc.echo
"""
USERS = ("pub1", "alice", "carol", "wide", "sys", "q1", "q2", "resp", "req")


def users_text(rules=RULES):
    lines = ["# written by test_authz.py"]
    for name in USERS:
        h = crypt.crypt("pw-" + name, crypt.mksalt(crypt.METHOD_SHA512))
        lines.append("user %s %s" % (name, h))
    return "\n".join(lines) + "\n" + rules


class AuthzBroker(Broker):
    """A broker with a users file in its own temporary directory."""

    def __init__(self, label, rules=RULES, extra=""):
        self.udir = tempfile.TemporaryDirectory(prefix="brokertest-authz-")
        self.users_path = os.path.join(self.udir.name, "users.txt")
        self.write_users(rules)
        conf = "log_level info\nusers_file %s\n%s" % (self.users_path, extra)
        super().__init__(label, conf, prefix="brokertest-authz")

    def write_users(self, rules):
        with open(self.users_path, "w") as f:
            f.write(users_text(rules))

    def reload(self):
        before = self.log().count("reloaded")
        self.proc.send_signal(signal.SIGHUP)
        return poll_until(lambda: self.log().count("reloaded") > before)

    def stop(self, timeout=15):
        rc = super().stop(timeout)
        self.udir.cleanup()
        self.dir.cleanup()
        return rc


class Client:
    """A logged-in raw connection with numbered requests."""

    def __init__(self, port, user):
        self.c = Conn(port, timeout=10.0)
        self.c.send(HELLO, 1, user, {"user": user, "pass": "pw-" + user})
        m = self.c.recv()
        assert m[0] == WELCOME, m
        self.req = 0
        self.held = []          # MSGs and NOTICEs read while awaiting answers

    def _answer(self, req):
        for _ in range(100):
            m = self.c.recv()
            if m[0] in (OK, ERR) and m[1] == req:
                return m
            self.held.append(m)
        raise AssertionError("no answer to request %d" % req)

    def pub(self, topic, payload=b"x", reply_to=None, flags=None):
        self.req += 1
        f = [PUB, self.req, topic, reply_to, payload]
        if flags is not None:
            f.append(flags)
        self.c.send(*f)
        return self._answer(self.req)

    def sub(self, sid, pattern, queue=None):
        self.req += 1
        self.c.send(SUB, self.req, sid, pattern, queue)
        return self._answer(self.req)

    def next_msg(self, timeout=5.0):
        if self.held:
            return self.held.pop(0)
        return self.c.recv(timeout)

    def msgs_until(self, marker, timeout=5.0):
        """The topics of the MSGs up to the one on marker (included)."""
        topics = []
        for _ in range(1000):
            m = self.next_msg(timeout)
            if m[0] == MSG:
                topics.append(m[2])
                if m[2] == marker:
                    return topics
        raise AssertionError("marker %s never came: %r" % (marker, topics))

    def alive(self):
        self.c.send(PING)
        return self.c.recv(auto_pong=False) == [PONG]

    def close(self):
        self.c.close()


def forbidden(m):
    return m[0] == ERR and m[2] == E_FORBIDDEN


class Rules(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mon = brokertest.free_port()
        cls.b = AuthzBroker("rules", extra="sys_interval 100ms\n"
                            "monitor 127.0.0.1:%d\n" % cls.mon)

    @classmethod
    def tearDownClass(cls):
        rc = cls.b.stop()
        if rc != 0:
            raise AssertionError("brokerd exit %r:\n%s" % (rc, cls.b.log()))

    def client(self, user):
        c = Client(self.b.port, user)
        self.addCleanup(c.close)
        return c

    def test_pub_rules(self):
        a = self.client("alice")
        self.assertEqual(a.pub("orders.new")[0], OK)
        self.assertEqual(a.pub("orders.eu.new")[0], OK)     # ">" tail
        m = a.pub("orders.secret.x")                        # deny wins
        self.assertTrue(forbidden(m), m)
        self.assertEqual(m[1], a.req)                       # its req_id
        self.assertIn("orders.secret.x", m[3])
        self.assertTrue(forbidden(a.pub("orders")))         # ">" needs one
        self.assertTrue(forbidden(a.pub("news.x")))         # sub-only rule
        self.assertTrue(forbidden(a.pub("sport.private.x")))  # deny all
        self.assertTrue(a.alive())                          # still open
        self.assertEqual(a.pub("orders.later")[0], OK)

    def test_no_allow_is_nothing(self):
        c = self.client("carol")
        self.assertTrue(forbidden(c.pub("a")))
        self.assertTrue(forbidden(c.pub("x")))
        self.assertTrue(forbidden(c.sub(1, "a.b")))
        self.assertTrue(forbidden(c.sub(2, "x")))
        # the longest topic, two-byte characters: the reason is cut
        # between characters (it decodes as UTF-8) and stays in bounds
        m = c.pub("\u00e9" * 128)
        self.assertTrue(forbidden(m), m)
        self.assertLessEqual(len(m[3].encode()), 256)
        self.assertTrue(m[3].endswith("\u00e9'"), m)
        self.assertTrue(c.alive())

    def test_sub_verdicts(self):
        a = self.client("alice")
        self.assertEqual(a.sub(1, "news.*")[0], OK)         # all allowed
        self.assertEqual(a.sub(2, "sport.>")[0], OK)        # filtered
        self.assertEqual(a.sub(3, "*.x")[0], OK)            # filtered
        self.assertTrue(forbidden(a.sub(4, "sport.private.>")))
        self.assertTrue(forbidden(a.sub(5, "orders.>")))    # pub-only rule
        self.assertTrue(forbidden(a.sub(6, "news.a.b")))    # "*" is one
        self.assertEqual(a.sub(4, "news.x")[0], OK)         # sid 4 free

    def test_filter_never_leaks(self):
        a = self.client("alice")
        p = self.client("pub1")
        self.assertEqual(a.sub(1, ">")[0], OK)
        sent = ["news.x", "news.x.y", "sport.a", "sport.private.z",
                "sport.private", "orders.new", "other", "$SYSX",
                "_INBOX.req.1", "sport.b.c"]
        for t in sent:
            self.assertEqual(p.pub(t)[0], OK, t)
        self.assertEqual(p.pub("news.end")[0], OK)
        got = a.msgs_until("news.end")
        self.assertEqual(got, ["news.x", "sport.a", "sport.private",
                               "sport.b.c", "news.end"])

    def test_queue_group_skips_denied_member(self):
        q1, q2 = self.client("q1"), self.client("q2")
        p = self.client("pub1")
        self.assertEqual(q1.sub(1, "jobs.>", "g")[0], OK)
        self.assertEqual(q2.sub(1, "jobs.>", "g")[0], OK)   # filtered
        for i in range(6):
            self.assertEqual(p.pub("jobs.secret.%d" % i)[0], OK)
        self.assertEqual(p.pub("jobs.secret.end")[0], OK)
        got = q1.msgs_until("jobs.secret.end")
        self.assertEqual(len(got), 7, got)                  # q1 got them all
        # q2 alone: a topic it may not have goes to nobody
        q1.close()
        self.assertTrue(poll_until(
            lambda: p.pub("jobs.secret.none", flags=PUB_NO_RESPONDERS)
            == [ERR, p.req, E_NO_RESP, "no responders"], 5))
        self.assertEqual(p.pub("jobs.open.1")[0], OK)
        self.assertEqual(q2.msgs_until("jobs.open.1"), ["jobs.open.1"])

    def test_sys_needs_a_rule_naming_it(self):
        w, s = self.client("wide"), self.client("sys")
        p = self.client("pub1")
        self.assertTrue(forbidden(w.sub(1, "$SYS.>")))
        self.assertEqual(w.sub(2, ">")[0], OK)
        self.assertEqual(s.sub(1, "$SYS.>")[0], OK)
        m = s.next_msg()                                     # every 100 ms
        self.assertEqual(m[0], MSG)
        self.assertTrue(m[2].startswith("$SYS."), m)
        self.assertEqual(p.pub("after.sys")[0], OK)
        got = w.msgs_until("after.sys")
        self.assertEqual([t for t in got if t.startswith("$SYS")], [], got)
        self.assertTrue(forbidden(w.pub("$SYS.REQ.STATS")))  # no rule
        self.assertTrue(forbidden(s.pub("$SYS.REQ.STATS")))  # sub only
        self.assertEqual(p.pub("$SYS.REQ.STATS", reply_to="r.stats")[0], OK)

    def test_private_inbox_request_reply(self):
        req, resp = self.client("req"), self.client("resp")
        w, a = self.client("wide"), self.client("alice")
        self.assertTrue(forbidden(req.sub(1, "_INBOX.resp.>")))
        self.assertTrue(forbidden(w.sub(1, "_INBOX.req.>")))  # ">" is not
        self.assertEqual(w.sub(2, ">")[0], OK)
        self.assertEqual(req.sub(2, "_INBOX.req.>")[0], OK)
        self.assertEqual(resp.sub(1, "svc.>")[0], OK)
        self.assertEqual(req.pub("svc.echo", b"ping",
                                 reply_to="_INBOX.req.r1")[0], OK)
        m = resp.next_msg()
        self.assertEqual(m[0], MSG)
        self.assertEqual(m[2:4], ["svc.echo", "_INBOX.req.r1"])
        self.assertEqual(resp.pub(m[3], b"pong")[0], OK)
        m = req.next_msg()
        self.assertEqual((m[0], m[2], m[-1]), (MSG, "_INBOX.req.r1", b"pong"))
        self.assertTrue(forbidden(a.pub("_INBOX.req.r1")))  # no pub rule
        self.assertTrue(forbidden(req.pub("svc.other")))
        # wide's ">" saw svc.echo but not the reply in req's inbox
        self.assertEqual(w.pub("w.end")[0], OK)
        self.assertEqual(w.msgs_until("w.end"), ["svc.echo", "w.end"])

    def test_connz_names_the_user(self):
        a = self.client("alice")
        self.assertEqual(a.sub(1, "news.a")[0], OK)
        url = "http://127.0.0.1:%d/connz?sort=subs" % self.mon
        with urllib.request.urlopen(url, timeout=5) as r:
            conns = json.load(r)["connections"]
        self.assertIn("alice", [c["user"] for c in conns])

    def test_tools_request_reply_with_credentials(self):
        """broker-req -u req needs no SUB rule: its inbox is made inside
        _INBOX.req.>; broker-reply -u resp answers with its pub rule."""
        req_bin = os.environ.get("BROKER_REQ")
        reply_bin = os.environ.get("BROKER_REPLY")
        if not (req_bin and reply_bin):
            self.skipTest("BROKER_REQ/BROKER_REPLY not set")
        env = dict(os.environ, BROKER_PASSWORD="pw-resp")
        rep = subprocess.Popen(
            [reply_bin, "-p", str(self.b.port), "-u", "resp", "-m", "pong",
             "svc.echo"], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(rep.wait, 10)
        self.addCleanup(rep.terminate)
        env = dict(os.environ, BROKER_PASSWORD="pw-req")

        def ask():
            r = subprocess.run(
                [req_bin, "-p", str(self.b.port), "-u", "req", "-W", "2",
                 "svc.echo", "ping"], env=env,
                capture_output=True, timeout=20)
            ask.last = r
            return r.returncode == 0
        ask.last = None
        # until broker-reply has subscribed (no responders before that)
        self.assertTrue(poll_until(ask, timeout=15, interval=0.2),
                        ask.last and ask.last.stderr)
        self.assertEqual(ask.last.stdout.strip(), b"pong")


class Reload(unittest.TestCase):
    def test_reload_narrows_live_subscriptions(self):
        b = AuthzBroker("reload")
        try:
            a, p = Client(b.port, "alice"), Client(b.port, "pub1")
            self.addCleanup(a.close)
            self.addCleanup(p.close)
            self.assertEqual(a.sub(7, "news.*")[0], OK)
            self.assertEqual(a.sub(8, "sport.>")[0], OK)
            self.assertEqual(a.sub(9, "sport.eu")[0], OK)
            narrower = RULES.replace("allow alice sub news.*\n", "") \
                + "deny alice sub sport.eu\n"
            b.write_users(narrower)
            self.assertTrue(b.reload(), b.log())
            m = a.next_msg()
            self.assertEqual(m[0:3], [NOTICE, NOTICE_REVOKED, 7], m)
            self.assertIn("news.*", m[3])
            m = a.next_msg()
            self.assertEqual(m[0:3], [NOTICE, NOTICE_REVOKED, 9], m)
            # sport.> was ALL and is now filtered: sport.eu denied
            for t in ("news.x", "sport.eu", "sport.us"):
                self.assertEqual(p.pub(t)[0], OK)
            self.assertEqual(a.msgs_until("sport.us"), ["sport.us"])
            self.assertTrue(forbidden(a.sub(7, "news.*")))
            self.assertIn("revoked", b.log())
        finally:
            rc = b.stop()
        self.assertEqual(rc, 0, b.log())

    def test_broker_sub_reports_revocations(self):
        sub_bin = os.environ.get("BROKER_SUB")
        if not sub_bin:
            self.skipTest("BROKER_SUB not set")
        b = AuthzBroker("revoke-tool")
        try:
            p = Client(b.port, "pub1")
            self.addCleanup(p.close)
            env = dict(os.environ, BROKER_PASSWORD="pw-alice")
            sub = subprocess.Popen(
                [sub_bin, "-p", str(b.port), "-u", "alice", "-v",
                 "-t", "news.*", "-t", "sport.>"], env=env,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.addCleanup(sub.stdout.close)
            self.addCleanup(sub.stderr.close)
            self.addCleanup(sub.wait, 10)
            self.addCleanup(sub.kill)
            out = LineReader(sub.stdout)
            # until the second SUB is in (the first one is, then)
            self.assertTrue(poll_until(
                lambda: p.pub("sport.a")[0] == OK and
                out.line(0.05) == "sport.a x"), out.text)

            b.write_users(RULES.replace("allow alice sub news.*\n", ""))
            self.assertTrue(b.reload(), b.log())
            err = LineReader(sub.stderr)
            self.assertEqual(
                err.line(5), "broker-sub: subscription to 'news.*' "
                "revoked by the broker: no longer authorized: 'news.*'")
            for t in ("news.b", "sport.b"):     # still serves sport.>
                self.assertEqual(p.pub(t)[0], OK)
            self.assertEqual(out.until("sport.b x", 5)[-1], "sport.b x")
            self.assertNotIn("news.b", out.text)
            self.assertIsNone(sub.poll())

            b.write_users(RULES.replace("allow alice sub news.*\n", "")
                          .replace("allow alice sub sport.>\n", ""))
            self.assertTrue(b.reload(), b.log())
            self.assertEqual(sub.wait(10), 1)
            self.assertIn("subscription to 'sport.>' revoked", err.rest())
            self.assertEqual(err.text.count("\n"), 2, err.text)
        finally:
            rc = b.stop()
        self.assertEqual(rc, 0, b.log())


class LineReader:
    """Lines from a child's pipe, each wait bounded."""

    def __init__(self, pipe):
        self.fd = pipe.fileno()
        self.buf = b""
        self.text = ""          # everything read so far, for messages

    def _fill(self, timeout):
        if not select.select([self.fd], [], [], timeout)[0]:
            return False
        chunk = os.read(self.fd, 65536)
        self.buf += chunk
        self.text += chunk.decode("utf-8", "replace")
        return bool(chunk)

    def line(self, timeout):
        """The next line (without its newline), or None."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not self._fill(left):
                return None
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def until(self, want, timeout):
        """The lines up to want (included; late duplicates of earlier
        ones may come first)."""
        lines = []
        deadline = time.monotonic() + timeout
        while not lines or lines[-1] != want:
            line = self.line(max(0.0, deadline - time.monotonic()))
            if line is None:
                raise AssertionError("no %r in %r" % (want, self.text))
            lines.append(line)
        return lines

    def rest(self, timeout=5):
        """What is left until EOF (bounded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._fill(
                deadline - time.monotonic()):
            pass
        rest, self.buf = self.buf, b""
        return rest.decode("utf-8", "replace")


if __name__ == "__main__":
    unittest.main(verbosity=2)
