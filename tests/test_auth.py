#!/usr/bin/python3
"""test_auth.py - authentication against the real brokerd: the users file,
HELLO credentials, anonymous clients, tenants, SIGHUP and the safe
default.

Users files are written at test time with hashes made here (Python's crypt
module: SHA-512-crypt, and yescrypt through libcrypt's crypt_gensalt); no
secret is in the tree.  Each broker must exit 0 on SIGTERM (under ASan: no
leak).

Checked: a good password gets WELCOME; a wrong password and an unknown user
get the same ERR 18 and are closed, and each failure is logged with the
address and the user name, never the password; without credentials a
client is refused unless allow_anonymous is on; frames pipelined behind a
HELLO being checked are answered after WELCOME, in order; a user's
pool=NAME puts its connections in that pool (its limit holds whatever the
listener); SIGHUP with a user removed disconnects that user and keeps the
others, a bad users file is refused and the old one kept; failed logins
from one address wait longer and longer before their ERR; the handshake
timeout still closes a connection whose ERR is delayed; a non-loopback
listener without users_file refuses to start unless allow_anonymous is
set.  Exit status: 0 passed, 1 failed, 77 (SKIP) without python3-msgpack
or the crypt module.
"""

import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
import unittest
import warnings

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import brokertest  # noqa: E402  (exits 77 without msgpack)
from brokertest import (  # noqa: E402
    BROKERD, Broker, Closed, Conn, free_port, poll_until, ERR, HELLO,
    MSG, OK, PING, PONG, PUB, SUB, WELCOME, E_SERVER_BUSY, E_TIMEOUT)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import crypt
    except ImportError:
        print("SKIP: the python3 crypt module is missing")
        sys.exit(77)

E_AUTH_FAILED = 18
PASSWORDS = {"alice": "wonderland", "bob": "builder", "tenant1": "t-pass",
             "dave": "pipelined"}


def yescrypt(password):
    """A yescrypt hash from libcrypt (crypt_gensalt "$y$"), or SHA-512
    when this libcrypt has none."""
    path = ctypes.util.find_library("crypt")
    lib = ctypes.CDLL(path) if path else None
    gensalt = getattr(lib, "crypt_gensalt", None) if lib else None
    if gensalt is not None:
        gensalt.restype = ctypes.c_char_p
        gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong,
                            ctypes.c_char_p, ctypes.c_int]
        setting = gensalt(b"$y$", 0, None, 0)
        if setting:
            return crypt.crypt(password, setting.decode())
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_SHA512))


def users_text(names=("alice", "bob", "tenant1", "dave")):
    lines = ["# written by test_auth.py"]
    for name in names:
        if name == "alice":
            h = yescrypt(PASSWORDS[name])
        else:
            h = crypt.crypt(PASSWORDS[name],
                            crypt.mksalt(crypt.METHOD_SHA512))
        pool = " pool=tenant" if name == "tenant1" else ""
        lines.append("user %s %s%s" % (name, h, pool))
        lines.append("allow %s all >" % name)
    return "\n".join(lines) + "\n"


class AuthBroker(Broker):
    """A broker with a users file (in its own temporary directory)."""

    def __init__(self, label, extra="", users=None):
        self.udir = brokertest.tempfile.TemporaryDirectory(
            prefix="brokertest-auth-users-")
        self.users_path = os.path.join(self.udir.name, "users.txt")
        self.write_users(users if users is not None else users_text())
        conf = ("log_level info\npool.tenant.max_connections 1\n%s\n"
                "users_file %s\n" % (extra, self.users_path))
        super().__init__(label, conf, prefix="brokertest-auth")

    def stop(self, timeout=15):
        rc = super().stop(timeout)
        self.udir.cleanup()
        self.dir.cleanup()
        return rc

    def write_users(self, text):
        with open(self.users_path, "w") as f:
            f.write(text)

    def reload(self):
        self.proc.send_signal(signal.SIGHUP)


def login(port, user, password, name="t", source=None):
    # generous: a yescrypt check on a loaded host takes long (nice 10)
    c = Conn(port, timeout=30.0, source=source)
    creds = {}
    if user is not None:
        creds["user"] = user
    if password is not None:
        creds["pass"] = password
    c.send(HELLO, 1, name, creds)
    return c, c.recv()


class Auth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.b = AuthBroker("main")

    @classmethod
    def tearDownClass(cls):
        rc = cls.b.stop()
        if rc != 0:
            raise AssertionError("brokerd exit %r:\n%s" % (rc, cls.b.log()))

    def test_good_password(self):
        c, m = login(self.b.port, "alice", PASSWORDS["alice"])
        self.assertEqual(m[0], WELCOME, m)
        c.send(PING)
        self.assertEqual(c.recv(auto_pong=False), [PONG])
        c.close()
        self.assertTrue(self.b.wait_log("logged in as 'alice'"))

    def test_sha512_user(self):
        c, m = login(self.b.port, "bob", PASSWORDS["bob"])
        self.assertEqual(m[0], WELCOME, m)
        c.close()

    def test_reconnect_uses_cache(self):
        for _ in range(3):
            c, m = login(self.b.port, "bob", PASSWORDS["bob"])
            self.assertEqual(m[0], WELCOME, m)
            c.close()

    def test_wrong_and_unknown_look_the_same(self):
        c1, m1 = login(self.b.port, "alice", "not-her-password")
        c2, m2 = login(self.b.port, "mallory", "whatever")
        self.assertEqual(m1[0], ERR, m1)
        self.assertEqual(m1[2], E_AUTH_FAILED)
        self.assertEqual(m1, m2)
        self.assertEqual(c1.until_closed(), [])
        self.assertEqual(c2.until_closed(), [])
        self.assertTrue(self.b.wait_log("for user 'mallory'"))
        log = self.b.log(100000)
        self.assertIn("127.0.0.1", log)
        self.assertIn("authentication failed for user 'alice'", log)
        self.assertNotIn("not-her-password", log)
        self.assertNotIn("whatever", log)

    def test_anonymous_refused(self):
        c = Conn(self.b.port)
        m = c.hello()
        self.assertEqual(m[0], ERR, m)
        self.assertEqual(m[2], E_AUTH_FAILED)
        c.until_closed()

    def test_credentials_not_a_map(self):
        c = Conn(self.b.port)
        c.send(HELLO, 1, "t", "alice:wonderland")
        m = c.recv()
        self.assertEqual(m[0], ERR, m)
        self.assertEqual(m[2], 5)   # BAD_FIELD
        c.until_closed()

    def test_pipelined_frames_wait_for_welcome(self):
        # dave's first login goes through the worker, the second through
        # the cache (decided inside the HELLO's own dispatch)
        self.pipelined("dave")
        self.pipelined("dave")

    def pipelined(self, user):
        c = Conn(self.b.port, timeout=30.0)
        data = b"".join([
            brokertest.frame(brokertest.pack(
                [HELLO, 1, "p", {"user": user,
                                 "pass": PASSWORDS[user]}])),
            brokertest.frame(brokertest.pack([SUB, 1, 1, "pipe.x", None])),
            brokertest.frame(brokertest.pack([PUB, 2, "pipe.x", None,
                                              b"hi"])),
            brokertest.frame(brokertest.pack([PING])),
        ])
        c.send_raw(data)
        got = [c.recv(auto_pong=False) for _ in range(5)]
        self.assertEqual(got[0][0], WELCOME, got)
        rest = got[1:]
        self.assertIn([OK, 1], rest)
        self.assertIn([OK, 2], rest)
        self.assertIn([PONG], rest)
        msgs = [m for m in rest if m[0] == MSG]
        self.assertEqual(len(msgs), 1, rest)
        self.assertEqual(msgs[0][4], b"hi")
        self.assertLess(rest.index([OK, 1]), rest.index([OK, 2]))
        self.assertLess(rest.index([OK, 2]), rest.index([PONG]))
        c.close()

    def test_tenant_pool(self):
        # pool.tenant.max_connections 1: the user's second connection is
        # refused, though both came through the default listener
        c1, m1 = login(self.b.port, "tenant1", PASSWORDS["tenant1"])
        self.assertEqual(m1[0], WELCOME, m1)
        c2, m2 = login(self.b.port, "tenant1", PASSWORDS["tenant1"])
        self.assertEqual(m2[0], ERR, m2)
        self.assertEqual(m2[2], E_SERVER_BUSY)
        self.assertIn("tenant", m2[3])
        c2.until_closed()
        # others still get in through the default pool
        c3, m3 = login(self.b.port, "bob", PASSWORDS["bob"])
        self.assertEqual(m3[0], WELCOME, m3)
        c1.close()
        c3.close()


class Anonymous(unittest.TestCase):
    def test_allowed(self):
        b = AuthBroker("anon", extra="allow_anonymous yes\n",
                       users=users_text() + "allow anonymous sub pub.>\n")
        try:
            c = Conn(b.port)
            m = c.hello()
            self.assertEqual(m[0], WELCOME, m)
            c.close()
            c, m = login(b.port, "alice", PASSWORDS["alice"])
            self.assertEqual(m[0], WELCOME, m)
            c.close()
        finally:
            self.assertEqual(b.stop(), 0, b.log())


class Reload(unittest.TestCase):
    def test_removed_user_disconnected(self):
        b = AuthBroker("reload")
        try:
            ca, ma = login(b.port, "alice", PASSWORDS["alice"])
            cb, mb = login(b.port, "bob", PASSWORDS["bob"])
            self.assertEqual(ma[0], WELCOME)
            self.assertEqual(mb[0], WELCOME)
            # a bad file is refused: nobody is disconnected
            b.write_users("user bob $1$abc$def\n")
            b.reload()
            self.assertTrue(b.wait_log("reload failed"), b.log())
            cb.send(PING)
            self.assertEqual(cb.recv(auto_pong=False), [PONG])
            # bob removed
            b.write_users(users_text(("alice", "tenant1")))
            b.reload()
            frames = cb.until_closed(10)
            self.assertTrue(any(f[0] == ERR and f[2] == E_AUTH_FAILED and
                                "removed" in f[3] for f in frames), frames)
            self.assertTrue(b.wait_log("user 'bob': user removed"))
            ca.send(PING)
            self.assertEqual(ca.recv(auto_pong=False), [PONG])
            c, m = login(b.port, "bob", PASSWORDS["bob"])
            self.assertEqual(m[2], E_AUTH_FAILED, m)
            c.close()
            cb.close()
            ca.close()
        finally:
            self.assertEqual(b.stop(), 0, b.log())


class BruteForce(unittest.TestCase):
    def test_delay_grows(self):
        b = AuthBroker("brute")
        try:
            for _ in range(4):
                c, m = login(b.port, "alice", "guess")
                self.assertEqual(m[2], E_AUTH_FAILED, m)
                c.until_closed()
                c.close()
            # the broker's own account of each delay (the wall clock of a
            # loaded host would say nothing reliable)
            self.assertTrue(b.wait_log("answering in 800 ms"), b.log())
            log = b.log(100000)
            for ms in (100, 200, 400):
                self.assertIn("answering in %d ms" % ms, log)
            # a good login is not refused meanwhile
            c, m = login(b.port, "alice", PASSWORDS["alice"])
            self.assertEqual(m[0], WELCOME, m)
            c.close()
        finally:
            self.assertEqual(b.stop(), 0, b.log())

    def test_suspect_address_waits_behind_others(self):
        # failed_login_cpu 10: after each failed check the thread rests 9
        # times that check's CPU; the address that failed queues behind
        # everyone else's, so bob (never verified, from another address)
        # is checked before most of its queued guesses.  (The guesses
        # together take seconds: no handshake timeout meanwhile.)
        b = AuthBroker("suspect", extra="failed_login_cpu 10\n"
                       "handshake_timeout 120s\n")
        try:
            c, m = login(b.port, "alice", "guess", source="127.0.0.1")
            self.assertEqual(m[2], E_AUTH_FAILED, m)
            c.close()
            guesses = []
            for i in range(5):  # different guesses: each one hashed
                g = Conn(b.port, timeout=120.0, source="127.0.0.1")
                g.send(HELLO, 1, "g", {"user": "alice",
                                       "pass": "guess%d" % i})
                guesses.append(g)
            # the first guess checked (after a rest): the others wait
            failed = "authentication failed for user 'alice'"
            self.assertTrue(brokertest.poll_until(
                lambda: b.log(100000).count(failed) >= 2, 30), b.log())
            c, m = login(b.port, "bob", PASSWORDS["bob"], source="127.0.0.2")
            self.assertEqual(m[0], WELCOME, m)
            c.close()
            for g in guesses:
                self.assertEqual(g.recv()[2], E_AUTH_FAILED)
                g.close()
            log = b.log(100000)
            bob = log.index("logged in as 'bob'")
            after = log[bob:].count(failed)
            self.assertGreaterEqual(after, 3, log)
        finally:
            self.assertEqual(b.stop(), 0, b.log())

    def test_handshake_timeout_while_delayed(self):
        b = AuthBroker("hstimeout", extra="handshake_timeout 300ms\n")
        try:
            codes = []
            for _ in range(4):
                c, m = login(b.port, "alice", "guess")
                codes.append(m[2])
                c.until_closed()
                c.close()
            self.assertTrue(set(codes) <= {E_AUTH_FAILED, E_TIMEOUT}, codes)
            self.assertEqual(codes[3], E_TIMEOUT, codes)
            # still serving (an answer that needs no hash: a good login
            # may itself outlast 300 ms on a loaded host)
            c = Conn(b.port)
            m = c.hello()
            self.assertEqual((m[0], m[2]), (ERR, E_AUTH_FAILED), m)
            c.until_closed()
            c.close()
        finally:
            self.assertEqual(b.stop(), 0, b.log())


def check_config(conf_text, *args):
    d = brokertest.tempfile.TemporaryDirectory(prefix="brokertest-auth-")
    with d:
        path = os.path.join(d.name, "brokerd.conf")
        with open(path, "w") as f:
            f.write(conf_text)
        p = subprocess.run([BROKERD, "-c", path, "--check-config"] +
                           list(args), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout + p.stderr


def login_metrics(mport):
    """brokerd_logins_total and brokerd_password_checks_total, by label
    value: {"ok": n, ..., "hashed": n, ...}."""
    import re
    import urllib.request
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport,
                                timeout=10) as r:
        text = r.read().decode()
    pat = re.compile(r'^brokerd_(?:logins|password_checks)_total'
                     r'\{(?:result|how)="(\w+)"\} (\d+)$', re.M)
    return {k: int(v) for k, v in pat.findall(text)}


class SingleFlight(unittest.TestCase):
    """Logins with the same user and password as one being hashed wait
    for that answer: a storm of one user's reconnects costs one hash."""

    N = 40

    def setUp(self):
        self.mport = free_port()
        self.b = AuthBroker("flight", "monitor 127.0.0.1:%d" % self.mport)

    def tearDown(self):
        self.assertEqual(self.b.stop(), 0, self.b.log())

    def storm(self, password, n):
        conns = [Conn(self.b.port, timeout=30.0) for _ in range(n)]
        for c in conns:     # every HELLO out before any answer is read
            c.send(HELLO, 1, "t", {"user": "alice", "pass": password})
        return conns

    def test_good_storm_hashes_once(self):
        conns = self.storm(PASSWORDS["alice"], self.N)
        for c in conns:
            self.assertEqual(c.recv()[0], WELCOME)
        m = login_metrics(self.mport)
        self.assertEqual(m["ok"], self.N, m)
        # before the first check ends the others share it; after, the
        # cache answers them: either way one hash
        self.assertEqual(m["hashed"], 1, m)
        self.assertEqual(m["shared"] + m["cached"], self.N - 1, m)
        for c in conns:
            c.close()

    def test_wrong_storm_hashes_once(self):
        conns = self.storm("not-her-password", 5)
        for c in conns:
            m = c.recv()
            self.assertEqual((m[0], m[2]), (ERR, E_AUTH_FAILED), m)
            c.close()
        m = login_metrics(self.mport)
        self.assertEqual(m["failed"], 5, m)
        self.assertEqual(m["hashed"] + m["shared"], 5, m)
        self.assertEqual(m["cached"], 0, m)

    def test_waiters_outlive_their_leader(self):
        """The first connections go away mid-check: the others still get
        their answer (and nothing leaks: the broker exits 0 under
        ASan)."""
        conns = self.storm(PASSWORDS["alice"], 12)
        for c in conns[:4]:
            c.rst()
        for c in conns[4:]:
            self.assertEqual(c.recv()[0], WELCOME)
            c.close()
        self.assertTrue(poll_until(
            lambda: login_metrics(self.mport)["ok"] >= 8, timeout=30))
        # a leader closed before anyone joined it is skipped or hashed
        # alone: at most one hash per reset connection, plus one
        self.assertLessEqual(login_metrics(self.mport)["hashed"], 5)


class SafeDefault(unittest.TestCase):
    def test_non_loopback_refused(self):
        rc, out = check_config("listen 0.0.0.0:%d\n" % free_port())
        self.assertEqual(rc, 2, out)
        self.assertIn("not on loopback", out)
        self.assertIn("allow_anonymous", out)

    def test_monitor_non_loopback_refused(self):
        rc, out = check_config("monitor 0.0.0.0:%d\n" % free_port())
        self.assertEqual(rc, 2, out)
        self.assertIn("monitor", out)

    def test_allow_anonymous_or_loopback(self):
        rc, out = check_config("listen 0.0.0.0:%d\nallow_anonymous yes\n"
                               % free_port())
        self.assertEqual(rc, 0, out)
        rc, out = check_config("listen 127.0.0.1:%d\nlisten [::1]:%d\n"
                               "listen unix:/tmp/x.sock\n"
                               % (free_port(), free_port()))
        self.assertEqual(rc, 0, out)

    def test_start_refused(self):
        p = subprocess.run([BROKERD, "-b", "0.0.0.0", "-p", str(free_port())],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def test_identity_needs_users_and_required_certs(self):
        rc, out = check_config("tls_identity_from_cert yes\n")
        self.assertEqual(rc, 2, out)
        self.assertIn("tls_identity_from_cert", out)

    def test_users_file_checked(self):
        d = brokertest.tempfile.TemporaryDirectory(prefix="brokertest-auth-")
        with d:
            users = os.path.join(d.name, "u.txt")
            with open(users, "w") as f:
                f.write("user a $1$abc$def\nallow ghost pub x\n")
            rc, out = check_config("users_file %s\n" % users)
            self.assertEqual(rc, 2, out)
            self.assertIn("u.txt:1:", out)
            self.assertIn("u.txt:2: unknown user 'ghost'", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
