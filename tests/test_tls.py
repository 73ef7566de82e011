#!/usr/bin/python3
"""test_tls.py - brokerd's TLS listeners, end to end.

Certificates are made at test time with the `openssl` command in a private
temporary directory (a CA, a server certificate for 127.0.0.1 and
localhost, a client certificate, and a second, unrelated CA); nothing
secret is in the tree.  Each broker listens on a plain and a TLS port
(free 127.0.0.1 ports) and must exit 0 on SIGTERM (under ASan: no leak).

Checked: a verifying client's handshake (Python's ssl module and
`openssl s_client`) then HELLO/WELCOME and a PUB delivered across TLS and
plain connections; a plain client on the TLS port is closed, logged, and
the broker keeps serving; a client trusting another CA refuses the broker;
tls_client_cert optional and required (without a certificate, TLS 1.3
clients, `openssl s_client` included, get the certificate-required alert,
never a reset); SIGHUP loads a new certificate
(seen by the next connection) and refuses a bad one, keeping the old;
--check-config on TLS settings.  Exit status: 0 passed, 1 failed, 77
(SKIP) without the openssl command or python3-msgpack.
"""

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import brokertest  # noqa: E402  (exits 77 without msgpack)
from brokertest import (  # noqa: E402
    BROKERD, free_port, poll_until, HELLO, WELCOME, PUB, SUB, MSG, OK, ERR)

OPENSSL = shutil.which("openssl")
if not OPENSSL:
    print("SKIP: the openssl command is missing (Debian package openssl)")
    sys.exit(77)

IO_TIMEOUT = 5.0


def run_openssl(*args, cwd):
    subprocess.run([OPENSSL] + list(args), cwd=cwd, check=True,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, timeout=60)


def make_ca(d, name):
    run_openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                "2", "-subj", "/CN=%s" % name, "-keyout", name + ".key",
                "-out", name + ".crt", cwd=d)


def make_cert(d, ca, name, serial, server):
    """name.crt / name.key signed by ca, with the given serial."""
    ext = os.path.join(d, name + ".ext")
    with open(ext, "w") as f:
        if server:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                    "extendedKeyUsage=serverAuth\n")
        else:
            f.write("extendedKeyUsage=clientAuth\n")
    run_openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj",
                "/CN=%s" % name, "-keyout", name + ".key", "-out",
                name + ".csr", cwd=d)
    run_openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt",
                "-CAkey", ca + ".key", "-set_serial", str(serial), "-days",
                "2", "-extfile", ext, "-out", name + ".crt", cwd=d)


class Certs:
    """Everything the tests need, made once."""

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="brokertest-tls-")
        d = self.dir = self.tmp.name
        make_ca(d, "ca")
        make_ca(d, "otherca")
        make_cert(d, "ca", "server", 1001, True)
        make_cert(d, "ca", "server2", 2002, True)
        make_cert(d, "ca", "client", 3003, False)
        make_cert(d, "otherca", "stranger", 4004, False)
        make_cert(d, "ca", "mallory", 5005, False)   # CN not a user
        # a users file naming the client certificate's CN (auth tests)
        r = subprocess.run([OPENSSL, "passwd", "-6", "unused"], check=True,
                           capture_output=True, text=True, timeout=60)
        with open(os.path.join(d, "users"), "w") as f:
            f.write("user client %s\nallow client all >\n"
                    % r.stdout.strip())

    def path(self, name):
        return os.path.join(self.dir, name)


CERTS = None


class TlsBroker(brokertest.Broker):
    """A brokerd with a plain listener (self.port) and a TLS one
    (self.tls_port): conf_text is completed with both listen lines."""

    def _start(self):
        self.port, self.tls_port = free_port(), free_port()
        with open(self.conf, "w") as f:
            f.write(self.conf_body % {"dir": CERTS.dir})
            f.write("listen 127.0.0.1:%d\nlisten 127.0.0.1:%d tls\n"
                    % (self.port, self.tls_port))
        with open(self.logpath, "ab") as log:
            self.proc = subprocess.Popen(
                [BROKERD, "-c", self.conf], env=self.env,
                stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT)
        poll_until(lambda: not self.alive() or self._accepts(), 10)
        # The TLS listener may be bound a moment after the plain one (a
        # slow host, valgrind).  Wait for its log line: a probe connection
        # would itself log a failed handshake, which tests look for.
        tls_up = "listening on 127.0.0.1:%d " % self.tls_port
        if self.alive() and self._accepts() and self.wait_log(tls_up, 10):
            return True
        self.kill()
        return False

    def __init__(self, label, body):
        self.conf_body = body
        super().__init__(label, "", "tls")


class TlsConn(brokertest.Conn):
    """A brokertest connection whose socket speaks TLS."""

    def __init__(self, port, ctx, host="localhost"):
        self.timeout = IO_TIMEOUT
        raw = socket.create_connection(("127.0.0.1", port), IO_TIMEOUT)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self.sock = ctx.wrap_socket(raw, server_hostname=host)
        except Exception:
            raw.close()
            raise
        self.sock.settimeout(IO_TIMEOUT)
        self.buf = b""
        self.eof = False
        self.pings_seen = 0
        self.last_raw = b""
        self.max_body = brokertest.MAX_FRAME


def client_ctx(ca="ca", cert=None):
    ctx = ssl.create_default_context(cafile=CERTS.path(ca + ".crt"))
    if cert:
        ctx.load_cert_chain(CERTS.path(cert + ".crt"),
                            CERTS.path(cert + ".key"))
    return ctx


BASE_CONF = """sys_interval 0
log_level info
handshake_timeout 3s
tls_cert_file %(dir)s/live.crt
tls_key_file %(dir)s/live.key
tls_ca_file %(dir)s/ca.crt
"""


def install_live(name):
    """Copy name.crt/.key to the files the broker's config names."""
    for ext in (".crt", ".key"):
        shutil.copyfile(CERTS.path(name + ext), CERTS.path("live" + ext))


class Base(unittest.TestCase):
    CONF = BASE_CONF

    @classmethod
    def setUpClass(cls):
        install_live("server")
        cls.broker = TlsBroker(cls.__name__, cls.CONF)

    @classmethod
    def tearDownClass(cls):
        status = cls.broker.stop()
        if status != 0:
            print("brokerd %s log:\n%s" % (cls.__name__, cls.broker.log()))
        assert status == 0, "brokerd exited %r" % (status,)

    def setUp(self):
        self.conns = []

    def tearDown(self):
        for c in self.conns:
            c.close()
        self.assertTrue(self.broker.alive(), "brokerd died:\n%s" %
                        self.broker.log())

    def tls(self, ctx=None, name="tls"):
        c = TlsConn(self.broker.tls_port, ctx or client_ctx())
        self.conns.append(c)
        return c

    def welcomed(self, c, name="tls"):
        w = c.hello(name)
        self.assertEqual(w[0], WELCOME, w)
        return c

    def plain(self):
        c = brokertest.Conn(self.broker.port, None, IO_TIMEOUT)
        self.conns.append(c)
        return c


class ServingTests(Base):
    CONF = BASE_CONF + "tls_client_cert optional\nmax_outbound 64M\n"

    def test_hello_and_pub_over_tls(self):
        sub = self.welcomed(self.tls())
        self.assertIn(sub.sock.version(), ("TLSv1.2", "TLSv1.3"))
        sub.send(SUB, 1, 1, "t.>", None)
        self.assertEqual(sub.recv(), [OK, 1])
        pub = self.plain()
        self.assertEqual(pub.hello("plain")[0], WELCOME)
        big = os.urandom(100000)    # several TLS records
        pub.send(PUB, 0, "t.x", None, big)
        m = sub.recv()
        self.assertEqual((m[0], m[2], m[4]), (MSG, "t.x", big))
        sub.send(PUB, 0, "t.y", None, b"back")
        tpub = self.welcomed(self.tls())
        tpub.send(PUB, 0, "t.z", None, b"tls to tls")
        got = [sub.recv(), sub.recv()]
        self.assertEqual(sorted(m[4] for m in got), [b"back", b"tls to tls"])

    def test_slow_tls_subscriber_gets_everything(self):
        """More than the socket buffers hold while the subscriber does not
        read: the broker's SSL_write must wait (WANT_WRITE) and resume."""
        sub = self.welcomed(self.tls())
        sub.send(SUB, 1, 1, "slow", None)
        self.assertEqual(sub.recv(), [OK, 1])
        pub = self.welcomed(self.tls(), "pub")
        n, size = 320, 64 * 1024     # 20 MiB: over any socket buffers
        for i in range(n):
            pub.send(PUB, 0, "slow", None, i.to_bytes(4, "big") * (size // 4))
        pub.send(PUB, 9, "slow.done", None, b"")   # acked once all are in
        self.assertEqual(pub.recv(timeout=30), [OK, 9])
        for i in range(n):
            m = sub.recv(timeout=30)
            self.assertEqual((m[0], len(m[4]), m[4][:4]),
                             (MSG, size, i.to_bytes(4, "big")))

    def test_openssl_s_client(self):
        r = subprocess.run(
            [OPENSSL, "s_client", "-connect",
             "127.0.0.1:%d" % self.broker.tls_port, "-CAfile",
             CERTS.path("ca.crt"), "-verify_return_error", "-verify_ip",
             "127.0.0.1", "-brief"],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        out = (r.stdout + r.stderr).decode("utf-8", "replace")
        self.assertIn("Verification: OK", out)
        self.assertEqual(r.returncode, 0, out)

    def test_plain_client_on_tls_port(self):
        c = brokertest.Conn(self.broker.tls_port, None, IO_TIMEOUT)
        self.conns.append(c)
        c.send(HELLO, 1, "plain-on-tls")
        self.assertEqual(c.until_closed(), [])
        self.assertTrue(self.broker.wait_log("TLS handshake failed"))
        self.welcomed(self.tls())
        self.assertEqual(self.plain().hello("still")[0], WELCOME)

    def test_other_ca_refuses_the_broker(self):
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.tls(client_ctx("otherca"))
        self.welcomed(self.tls())

    def test_client_cert_optional(self):
        self.welcomed(self.tls(client_ctx(cert="client")))
        self.welcomed(self.tls())

    def test_untrusted_client_cert_refused(self):
        with self.assertRaises((ssl.SSLError, brokertest.Closed,
                                ConnectionError)):
            self.welcomed(self.tls(client_ctx(cert="stranger")))


class RequiredTests(Base):
    CONF = BASE_CONF + "tls_client_cert required\n"

    def test_client_without_cert_refused(self):
        with self.assertRaises((ssl.SSLError, brokertest.Closed,
                                ConnectionError)):
            self.welcomed(self.tls())
        self.assertTrue(self.broker.wait_log("TLS handshake failed"))

    def test_client_with_cert(self):
        self.welcomed(self.tls(client_ctx(cert="client")))

    def test_no_cert_sees_the_alert_not_a_reset(self):
        """TLS 1.3 checks the client certificate after the client's side
        of the handshake is done, so its HELLO is already on the way: the
        broker must not close with it unread (the kernel would send a
        reset, which can overtake the alert).  Read only once the broker
        has given up on the connection: the alert must still be there."""
        ctx = client_ctx()
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        for _ in range(2):
            failed = self.broker.log().count("TLS handshake failed")
            c = self.tls(ctx)
            c.send(HELLO, 1, "no-cert")
            self.assertTrue(poll_until(
                lambda: self.broker.log().count("TLS handshake failed")
                > failed, 10), self.broker.log())
            with self.assertRaises(ssl.SSLError) as e:
                c.recv()
            self.assertIn("certificate required", str(e.exception).lower())

    def test_openssl_s_client_reports_the_alert(self):
        """s_client sends a line after its handshake and waits for the
        broker (-ign_eof): it must print the alert, not a reset."""
        r = subprocess.run(
            [OPENSSL, "s_client", "-connect",
             "127.0.0.1:%d" % self.broker.tls_port, "-CAfile",
             CERTS.path("ca.crt"), "-tls1_3", "-ign_eof", "-brief"],
            input=b"hello\n", capture_output=True, timeout=30)
        out = (r.stdout + r.stderr).decode("utf-8", "replace")
        self.assertIn("alert certificate required", out)
        self.assertNotEqual(r.returncode, 0, out)


class IdentityTests(Base):
    """tls_identity_from_cert: the certificate's CN is the user name."""
    CONF = (BASE_CONF + "tls_client_cert required\n"
            "tls_identity_from_cert yes\nusers_file %(dir)s/users\n")

    def test_cn_is_the_user(self):
        c = self.welcomed(self.tls(client_ctx(cert="client")))
        c.send(PUB, 1, "x", None, b"")
        self.assertEqual(c.recv(), [OK, 1])
        self.assertTrue(self.broker.wait_log("logged in as 'client'"))

    def test_cn_not_a_user(self):
        c = self.tls(client_ctx(cert="mallory"))
        m = c.hello()
        self.assertEqual((m[0], m[2]), (ERR, 18), m)
        c.until_closed()
        self.assertTrue(self.broker.wait_log(
            "certificate name is not a user"))

    def test_plain_listener_still_needs_a_password(self):
        c = self.plain()
        m = c.hello()
        self.assertEqual((m[0], m[2]), (ERR, 18), m)


class ReloadTests(Base):

    def serial(self):
        c = self.tls()
        return c.sock.getpeercert()["serialNumber"]

    def reload(self, marker):
        n = self.broker.log().count(marker)
        self.broker.proc.send_signal(signal.SIGHUP)
        self.assertTrue(poll_until(
            lambda: self.broker.log().count(marker) > n, 10),
            self.broker.log())

    def test_sighup_loads_new_cert_and_refuses_bad(self):
        self.assertEqual(int(self.serial(), 16), 1001)
        old = self.welcomed(self.tls())
        install_live("server2")
        self.reload("configuration reloaded")
        self.assertEqual(int(self.serial(), 16), 2002)
        with open(CERTS.path("live.crt"), "w") as f:
            f.write("not a certificate\n")
        self.reload("reload failed")
        self.assertIn("tls_cert_file", self.broker.log())
        self.assertEqual(int(self.serial(), 16), 2002)
        old.send(SUB, 7, 7, "x", None)      # made before: still served
        self.assertEqual(old.recv(), [OK, 7])
        install_live("server")


class CheckConfigTests(unittest.TestCase):

    def check(self, text):
        path = os.path.join(CERTS.dir, "check.conf")
        with open(path, "w") as f:
            f.write(text)
        r = subprocess.run([BROKERD, "-t", "-c", path], capture_output=True,
                           timeout=30)
        return r.returncode, (r.stdout + r.stderr).decode()

    def test_tls_listener_needs_cert_and_key(self):
        rc, out = self.check("listen 127.0.0.1:7777 tls\n")
        self.assertEqual(rc, 2, out)
        self.assertIn("check.conf:1:", out)
        self.assertIn("tls_cert_file", out)

    def test_files_must_load(self):
        install_live("server")
        good = "listen 127.0.0.1:7777 pool=default tls\n" \
            "tls_cert_file %s\ntls_key_file %s\n" % (
                CERTS.path("live.crt"), CERTS.path("live.key"))
        rc, out = self.check(good)
        self.assertEqual(rc, 0, out)
        rc, out = self.check(good.replace("live.key", "client.key"))
        self.assertEqual(rc, 2, out)
        rc, out = self.check(good.replace("live.crt", "missing.crt"))
        self.assertEqual(rc, 2, out)
        self.assertIn("missing.crt", out)


if __name__ == "__main__":
    CERTS = Certs()
    unittest.main(verbosity=2)
