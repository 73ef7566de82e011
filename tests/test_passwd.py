#!/usr/bin/python3
"""test_passwd.py - brokerd-passwd ($BROKERD_PASSWD) on files in a private
temporary directory: create (mode 0600), add, update (other lines,
comments and pool= kept; mode kept), delete, the password from stdin and
-b, yescrypt by default and SHA-512-crypt with -6 (each hash checked with
crypt(3) through Python's crypt module), and bad input (invalid user
names, missing file, unknown user, empty password, wrong arguments): one
line on stderr and a non-zero exit, file unchanged.  Exit status: 0
passed, 1 failed, 77 (SKIP) without the crypt module.
"""

import os
import stat
import subprocess
import sys
import tempfile
import unittest
import warnings

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import crypt
    except ImportError:
        print("SKIP: the python3 crypt module is missing")
        sys.exit(77)

PASSWD = os.environ.get("BROKERD_PASSWD",
                        os.path.join("passwd", "brokerd-passwd"))

OTHER = ("# brokerd users\n"
         "user bob $6$abc$def pool=tenant-b\n"
         "\n"
         "allow alice pub sensors.>\n"
         "deny  bob   all  $SYS.>\n")


def run(args, stdin=b""):
    p = subprocess.run([PASSWD] + args, input=stdin, capture_output=True,
                       timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def users(path):
    """{name: (hash, rest)} of the user lines."""
    out = {}
    with open(path) as f:
        for line in f:
            t = line.split()
            if len(t) >= 3 and t[0] == "user":
                out[t[1]] = (t[2], t[3:])
    return out


class Passwd(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="brokertest-passwd-")
        self.path = os.path.join(self.tmp.name, "users")

    def tearDown(self):
        leftovers = [n for n in os.listdir(self.tmp.name)
                     if n != "users"]
        self.assertEqual(leftovers, [], "temporary files left behind")
        self.tmp.cleanup()

    def write(self, text, mode=0o640):
        with open(self.path, "w") as f:
            f.write(text)
        os.chmod(self.path, mode)

    def read(self):
        with open(self.path) as f:
            return f.read()

    def ok(self, args, stdin=b""):
        rc, out, err = run(args, stdin)
        self.assertEqual((rc, err), (0, ""), out)

    def refused(self, args, words, stdin=b"", status=(1, 2)):
        before = self.read() if os.path.exists(self.path) else None
        rc, _out, err = run(args, stdin)
        self.assertIn(rc, status, err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn(words, err)
        after = self.read() if os.path.exists(self.path) else None
        self.assertEqual(before, after, "file changed on error")

    def assert_verifies(self, user, password, prefix):
        h = users(self.path)[user][0]
        self.assertTrue(h.startswith(prefix), h)
        self.assertEqual(crypt.crypt(password, h), h)
        self.assertNotEqual(crypt.crypt(password + "x", h), h)

    def test_create_is_0600_and_yescrypt(self):
        self.ok(["-c", "-b", self.path, "alice", "s3cret"])
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o600)
        self.assertEqual(list(users(self.path)), ["alice"])
        self.assert_verifies("alice", "s3cret", "$y$")

    def test_add_and_update_keep_other_lines(self):
        self.write(OTHER)
        self.ok(["-b", self.path, "alice", "pw1"])
        self.assertTrue(self.read().startswith(OTHER), self.read())
        self.assert_verifies("alice", "pw1", "$y$")
        self.ok(["-6", self.path, "bob"], stdin=b"new bob pw\n")
        text = self.read()
        self.assert_verifies("bob", "new bob pw", "$6$")
        self.assertEqual(users(self.path)["bob"][1], ["pool=tenant-b"])
        self.assertEqual(text.replace(users(self.path)["bob"][0],
                                      "$6$abc$def"),
                         OTHER + "user alice %s\n"
                         % users(self.path)["alice"][0])
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o640)

    def test_no_final_newline(self):
        self.write("user bob $6$abc$def")
        self.ok(["-b", self.path, "carol", "pw"])
        self.assertEqual(sorted(users(self.path)), ["bob", "carol"])

    def test_delete(self):
        self.write(OTHER)
        self.ok(["-b", self.path, "alice", "pw1"])
        self.ok(["-D", self.path, "alice"])
        self.assertEqual(self.read(), OTHER)
        self.ok(["-D", self.path, "bob"])
        self.assertEqual(self.read(), OTHER.replace(
            "user bob $6$abc$def pool=tenant-b\n", ""))

    def test_stdin_password_with_crlf(self):
        self.write("")
        self.ok([self.path, "dave"], stdin=b"pw with spaces\r\n")
        self.assert_verifies("dave", "pw with spaces", "$y$")

    def test_bad_input(self):
        self.write(OTHER)
        for name in ("", "a b", "tab\tname", "#x", "x" * 129, "nl\n"):
            self.refused(["-b", self.path, name, "pw"], "invalid user name")
        self.refused(["-D", self.path, "nobody"], "nobody is not in")
        self.refused(["-b", self.path, "alice", ""], "empty password")
        self.refused([self.path, "alice"], "empty password", stdin=b"\n")
        self.refused([self.path, "alice"], "no password", stdin=b"")
        self.refused(["-b", self.path, "alice", "p" * 1025], "too long")
        self.refused(["-b", self.path, "alice"], "FILE USER PASSWORD")
        self.refused(["-D", "-c", self.path, "alice"], "-D does not go")
        self.refused(["-x", self.path, "alice"], "invalid option")
        missing = os.path.join(self.tmp.name, "missing")
        rc, _out, err = run(["-b", missing, "alice", "pw"])
        self.assertEqual(rc, 1, err)
        self.assertIn("-c creates it", err)
        self.assertFalse(os.path.exists(missing))

    def test_unwritable_directory(self):
        if os.geteuid() == 0:
            self.skipTest("root writes anywhere")
        self.write(OTHER)
        os.chmod(self.tmp.name, 0o500)
        try:
            self.refused(["-b", self.path, "alice", "pw"], "cannot")
        finally:
            os.chmod(self.tmp.name, 0o700)


if __name__ == "__main__":
    unittest.main(verbosity=2)
