#!/usr/bin/python3
"""test_stranger.py - brokerd's wire contract, tested from PROTOCOL.md alone.

Written by someone who read protocol/PROTOCOL.md (and conf/brokerd.conf for
the names of config keys) but none of the C sources.  It starts the real
brokerd (path from $BROKERD) on free 127.0.0.1 ports, talks to it over raw
sockets with the `msgpack` module, and checks what the document promises:
the handshake, every operation, wildcards, queue groups, request/reply,
keepalive, every error code a client can provoke (code, req_id, and whether
the connection stays open or is closed), and that the hex dumps in the
document decode to what it says they are (file found via $TOP_SRCDIR).

Every socket operation has a timeout.  Exit status: 0 all passed, 1 some
failed, 77 (automake SKIP) when /usr/bin/python3 has no msgpack module,
99 (hard error) when $BROKERD is not an executable.
"""

import ast
import os
import re
import struct
import sys
import time
import unittest

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from brokertest import (  # noqa: E402  (exits 77 without msgpack)
    BROKERD, Broker, Closed, Conn, frame, pack, poll_until, unpack,
    HELLO, WELCOME, PUB, SUB, UNSUB, MSG, PING, PONG, OK, ERR, NOTICE,
    E_MALFORMED, E_FRAME_TOO_LARGE, E_TOO_DEEP, E_UNKNOWN_OP, E_BAD_FIELD,
    E_BAD_VERSION, E_NOT_READY, E_BAD_TOPIC, E_BAD_PATTERN, E_BAD_QUEUE,
    E_PAYLOAD_TOO_LARGE, E_SID_IN_USE, E_NO_SUCH_SID, E_BAD_SID,
    E_TOO_MANY_SUBS, E_BAD_NAME, E_SERVER_BUSY, E_SHUTTING_DOWN, E_TIMEOUT,
    FRAME_OVERHEAD)
import msgpack  # noqa: E402  (present: brokertest checked)

HERE = os.path.dirname(os.path.abspath(__file__))
TOP_SRCDIR = os.environ.get("TOP_SRCDIR", os.path.dirname(HERE))
PROTOCOL_MD = os.path.join(TOP_SRCDIR, "protocol", "PROTOCOL.md")

N_LAME_DUCK = 2
N_DROPPED = 1
DEFAULT_MAX_PAYLOAD = 1048576   # "1 MiB by default"
DEFAULT_PING_MS = 30000         # "30 s after WELCOME the broker sends PING"

IO_TIMEOUT = 2.0                # default bound for waiting on one frame
QUIET = 0.25                    # "nothing more arrives" window

# Broker set-ups.  Key names come from conf/brokerd.conf (PROTOCOL.md
# names only max_pings_out and max_subs_per_client).
CONF_MAIN = "max_outbound 16k\n"        # defaults otherwise (WELCOME check)
CONF_TIGHT = ("max_payload 1k\n"
              "max_subs_per_client 4\n"
              "handshake_timeout 300ms\n"
              "ping_interval 200ms\n"
              "max_pings_out 2\n")
CONF_BUSY = "max_clients 1\n"


# ---------------------------------------------------------------- helpers

def raw_str(b):
    """A msgpack str header + bytes, without any UTF-8 check."""
    if len(b) < 32:
        return bytes([0xa0 | len(b)]) + b
    if len(b) < 256:
        return b"\xd9" + bytes([len(b)]) + b
    return b"\xda" + struct.pack(">H", len(b)) + b


def doc_match(pattern, topic):
    """The matching rules of "Topics and patterns", for valid inputs."""
    p, t = pattern.split("."), topic.split(".")
    for i, tok in enumerate(p):
        if tok == ">":
            return len(t) > i
        if i >= len(t) or (tok != "*" and tok != t[i]):
            return False
    return len(t) == len(p)


def connect(port, name="stranger", tc=None):
    c = Conn(port, timeout=IO_TIMEOUT)
    w = c.hello(name)
    if tc is not None:
        tc.assertEqual(w[0], WELCOME, "expected WELCOME, got %r" % (w,))
    return c


class Fixture:
    """The brokers shared by the tests (started once, stopped at the end)."""
    brokers = {}

    @classmethod
    def get(cls, label):
        if label not in cls.brokers:
            conf = {"main": CONF_MAIN, "tight": CONF_TIGHT, "busy": CONF_BUSY}[label]
            cls.brokers[label] = Broker(label, conf, "stranger")
        return cls.brokers[label]


class Base(unittest.TestCase):
    broker_label = "main"

    def setUp(self):
        self.broker = Fixture.get(self.broker_label)
        self.port = self.broker.port
        self.conns = []

    def tearDown(self):
        for c in self.conns:
            c.close()

    def conn(self, name="stranger"):
        c = connect(self.port, name, self)
        self.conns.append(c)
        return c

    def raw_conn(self):
        c = Conn(self.port)
        self.conns.append(c)
        return c

    # -- assertions -------------------------------------------------------

    def assert_err(self, msg, code, req_id=0):
        self.assertEqual(msg[0], ERR, "expected ERR %d, got %r" % (code, msg))
        self.assertEqual(len(msg), 4, "ERR has 4 fields: %r" % (msg,))
        self.assertEqual(msg[1], req_id, "ERR req_id: %r" % (msg,))
        self.assertEqual(msg[2], code, "ERR code: %r" % (msg,))
        self.assertIsInstance(msg[3], str)
        self.assertLessEqual(len(msg[3].encode()), 256)

    def expect_err(self, c, code, req_id=0):
        self.assert_err(c.recv(), code, req_id)

    def assert_open(self, c):
        """The connection is usable: PING is answered with PONG."""
        c.send(PING)
        m = c.recv()
        self.assertEqual(m, [PONG], "expected PONG on an open connection")

    def assert_closed(self, c, timeout=2.0):
        closed, extras = c.closed_within(timeout)
        self.assertTrue(closed, "broker should have closed the connection")
        self.assertEqual(extras, [], "frames after the closing ERR")

    def expect_ok(self, c, req_id):
        m = c.recv()
        self.assertEqual(m, [OK, req_id])

    def sub(self, c, req_id, sid, pattern, queue=None):
        c.send(SUB, req_id, sid, pattern, queue)
        self.expect_ok(c, req_id)

    def collect(self, c, count, timeout=IO_TIMEOUT, quiet=QUIET):
        """count frames, then make sure nothing more arrives for `quiet` s."""
        got = [c.recv(timeout) for _ in range(count)]
        extra = []
        try:
            while True:
                extra.append(c.recv(quiet))
        except TimeoutError:
            pass
        self.assertEqual(extra, [], "unexpected extra frames")
        return got

    def assert_silent(self, c, quiet=QUIET):
        with self.assertRaises(TimeoutError):
            m = c.recv(quiet)
            print("unexpected frame: %r" % (m,))


# -------------------------------------------------------- the document itself

class DocTests(unittest.TestCase):
    """The hex dumps in PROTOCOL.md are what the text says they are."""

    @classmethod
    def setUpClass(cls):
        with open(PROTOCOL_MD, encoding="utf-8") as f:
            cls.text = f.read()
        cls.ops = {}
        for code, name in re.findall(r"^\| (\d+) \| ([A-Z]+) \| (?:client|broker|both)",
                                     cls.text, re.M):
            cls.ops[name] = int(code)

    def section(self, title):
        start = self.text.index("\n## " + title)
        end = self.text.find("\n## ", start + 4)
        return self.text[start:end if end >= 0 else len(self.text)]

    def dumps(self):
        """[(caption, bytes, literal)] from the hex dump section."""
        sec = self.section("Hex dumps of every frame")
        out = []
        for m in re.finditer(r"\n\n((?:[^\n]+\n)+?)```\n(.*?)```", sec, re.S):
            caption = " ".join(m.group(1).split())
            data, offset = b"", 0
            for line in m.group(2).splitlines():
                h = re.match(r"^([0-9a-f]{4})  ((?:[0-9a-f]{2} )*[0-9a-f]{2})\s*$", line)
                if h:
                    if h.group(1) == "0000":
                        data, offset = b"", 0
                    self.assertEqual(int(h.group(1), 16), offset, line)
                    chunk = bytes.fromhex(h.group(2))
                    data += chunk
                    offset += len(chunk)
                elif line.strip():
                    out.append((caption, data, ast.literal_eval(line.strip())))
        return out

    def test_ops_table(self):
        self.assertEqual(self.ops, {"HELLO": 1, "WELCOME": 2, "PUB": 3, "SUB": 4,
                                    "UNSUB": 5, "MSG": 6, "PING": 7, "PONG": 8,
                                    "OK": 9, "ERR": 10, "NOTICE": 11})

    def test_hex_dumps_decode(self):
        dumps = self.dumps()
        # at least one dump of every operation the table lists
        self.assertEqual({lit[0] for _c, _d, lit in dumps},
                         set(self.ops.values()), "a hex dump per operation")
        for caption, data, literal in dumps:
            with self.subTest(caption=caption, literal=literal):
                (n,) = struct.unpack(">I", data[:4])
                self.assertEqual(n, len(data) - 4, "length prefix")
                self.assertEqual(unpack(data[4:]), literal)
                # shortest-form encoding: re-encoding gives the same bytes
                self.assertEqual(pack(literal), data[4:])
                names = [k for k, v in self.ops.items() if v == literal[0]]
                self.assertEqual(len(names), 1)
                self.assertIn(names[0], caption.upper())

    def test_hex_dump_captions(self):
        """Spot-check that the values the captions describe are the ones
        in the frames (e.g. payload '21.5' as bin8 'c4 04')."""
        d = {c.split(",")[0] + repr(lit[:2]): (data, lit) for c, data, lit in self.dumps()}
        data, lit = d["HELLO[1, 1]"]
        self.assertEqual(lit[2], "sensor-7")
        data, lit = d["WELCOME[2, 1]"]
        self.assertEqual(lit[2:], ["brokerd", 42, 1048576, 30000])
        data, lit = d["PUB[3, 0]"]
        self.assertIn(b"\xc4\x0421.5", data)
        data, lit = d["ERR[10, 5]"]
        self.assertEqual(lit[2], 9)

    def test_worked_session(self):
        """Each frame in the worked session equals one of the hex dumps and
        the direction (C: / B:) matches the operation's direction."""
        sec = self.section("A worked session")
        block = re.search(r"```\n(.*?)```", sec, re.S).group(1)
        frames = []
        for line in block.splitlines():
            m = re.match(r"^(C:|B:|  ) ((?:[0-9a-f]{2} )*[0-9a-f]{2})", line)
            if not m:
                continue
            hexpart = bytes.fromhex(m.group(2))
            if m.group(1).strip():
                frames.append([m.group(1), hexpart])
            else:
                frames[-1][1] += hexpart
        known = {data for _c, data, _l in self.dumps()}
        self.assertEqual([f[0] for f in frames], ["C:", "B:", "C:", "B:", "C:", "B:"])
        client_ops = {HELLO, PUB, SUB, UNSUB, PING, PONG}
        for who, data in frames:
            with self.subTest(frame=data.hex()):
                self.assertIn(data, known)
                op = unpack(data[4:])[0]
                self.assertEqual(who == "C:", op in client_ops)
        for ping in ("00 00 00 02 91 07", "00 00 00 02 91 08"):
            self.assertIn(ping, sec)

    def test_implementation_note_example(self):
        """`dd 00 ff ff ff` is an array32 declaring 16,777,215 elements
        with nothing after it: a decoder must reject it (truncated)."""
        self.assertIn("`dd 00 ff ff ff` (an array32 declaring 16,777,215", self.text)
        body = bytes.fromhex("dd00ffffff")
        self.assertEqual(struct.unpack(">I", body[1:])[0], 16777215)
        with self.assertRaises(Exception):
            unpack(body)


# ---------------------------------------------------------------- handshake

class HandshakeTests(Base):

    def test_welcome_fields(self):
        c = self.raw_conn()
        w = c.hello("stranger-1")
        self.assertEqual(len(w), 6, w)
        self.assertEqual(w[0], WELCOME)
        self.assertEqual(w[1], 1)
        self.assertIsInstance(w[2], str)
        self.assertLessEqual(len(w[2].encode()), 128)
        self.assertIsInstance(w[3], int)
        self.assertGreaterEqual(w[3], 0)
        self.assertEqual(w[4], DEFAULT_MAX_PAYLOAD)
        self.assertEqual(w[5], DEFAULT_PING_MS)
        d = self.raw_conn()
        w2 = d.hello("")                     # empty name is allowed
        self.assertEqual(w2[0], WELCOME)
        self.assertNotEqual(w[3], w2[3], "client ids are unique")

    def test_hello_name_limits(self):
        c = self.raw_conn()
        self.assertEqual(c.hello("n" * 128)[0], WELCOME)     # 128 bytes ok
        c = self.raw_conn()
        self.assertEqual(c.hello("café")[0], WELCOME)        # UTF-8 ok

    def test_hello_trailing_fields_ignored(self):
        c = self.raw_conn()
        c.send(HELLO, 1, "fwd", {"future": [1.5, True]}, None)
        self.assertEqual(c.recv()[0], WELCOME)
        self.assertEqual(c.last_raw[:2], b"\x96\x02")

    def test_hello_split_and_coalesced(self):
        """A frame may arrive in pieces, or several in one read."""
        c = self.raw_conn()
        data = frame(pack([HELLO, 1, "bits"])) + frame(pack([PING]))
        for i in range(len(data)):
            c.send_raw(data[i:i + 1])
        self.assertEqual(c.recv()[0], WELCOME)
        self.assertEqual(c.recv(), [PONG])
        c.send_raw(frame(pack([PING])) * 3)
        self.assertEqual([c.recv() for _ in range(3)], [[PONG]] * 3)

    def test_bad_version_closes(self):
        for version in (0, 2, 1000):
            with self.subTest(version=version):
                c = self.raw_conn()
                c.send(HELLO, version, "v")
                self.expect_err(c, E_BAD_VERSION)
                self.assert_closed(c)

    def test_bad_name_closes(self):
        bodies = {
            "space": pack([HELLO, 1, "a b"]),
            "129 bytes": pack([HELLO, 1, "n" * 129]),
            "control": pack([HELLO, 1, "a\x01b"]),
            "tab": pack([HELLO, 1, "a\tb"]),
            "bad utf-8": b"\x93\x01\x01" + raw_str(b"a\xffb"),
            "overlong": b"\x93\x01\x01" + raw_str(b"\xc0\xaf"),
        }
        for what, body in bodies.items():
            with self.subTest(name=what):
                c = self.raw_conn()
                c.send_body(body)
                self.expect_err(c, E_BAD_NAME)
                self.assert_closed(c)

    def test_hello_twice_stays_open(self):
        c = self.conn()
        c.send(HELLO, 1, "again")
        self.expect_err(c, E_NOT_READY)
        self.assert_open(c)

    def test_op_before_hello_closes(self):
        for body in (pack([SUB, 1, 1, "a", None]), pack([PUB, 0, "a", None, b""]),
                     pack([PING]), pack([UNSUB, 1, 1])):
            with self.subTest(body=body.hex()):
                c = self.raw_conn()
                c.send_body(body)
                self.expect_err(c, E_NOT_READY)
                self.assert_closed(c)

    def test_bad_body_before_hello_closes(self):
        cases = [
            (b"\xc1", {E_MALFORMED}),                             # never-used byte
            (b"\x92\x01", {E_MALFORMED}),                         # truncated
            (b"\x07", {E_MALFORMED}),                             # not an array
            (pack([HELLO, 1]), {E_BAD_FIELD}),                    # missing name
            (pack([HELLO, "1", "x"]), {E_BAD_FIELD}),             # version a str
            (pack([HELLO, 1, None]), {E_BAD_FIELD}),              # name nil
            (b"\x92\x01" + b"\x91" * 16 + b"\x01", {E_TOO_DEEP}),
            # an unknown op before HELLO: UNKNOWN_OP or NOT_READY (the doc
            # gives both rules; see the report)
            (pack([99]), {E_UNKNOWN_OP, E_NOT_READY}),
        ]
        for body, codes in cases:
            with self.subTest(body=body.hex()):
                c = self.raw_conn()
                c.send_body(body)
                m = c.recv()
                self.assertEqual(m[0], ERR, m)
                self.assertIn(m[2], codes, m)
                self.assertEqual(m[1], 0, m)
                self.assert_closed(c)

    def test_frame_too_large_before_hello(self):
        c = self.raw_conn()
        c.send_raw(struct.pack(">I", DEFAULT_MAX_PAYLOAD + FRAME_OVERHEAD + 1))
        self.expect_err(c, E_FRAME_TOO_LARGE)
        self.assert_closed(c)


# ---------------------------------------------------------------- operations

class OperationTests(Base):

    def test_ping_pong(self):
        c = self.conn()
        c.send(PING)
        self.assertEqual(c.recv(), [PONG])
        self.assertEqual(c.last_raw, b"\x91\x08")

    def test_pub_msg_exact_bytes(self):
        """The worked session, byte for byte."""
        sub = self.conn("sensor-7")
        sub.send_raw(bytes.fromhex("000000149504010" "1ae73656e736f72732e2a2e74656d70c0"))
        self.assertEqual(sub.recv(), [OK, 1])
        self.assertEqual(sub.last_raw, bytes.fromhex("920901"))
        pub = sub   # "publishes a reading that matches its own subscription"
        pub.send_raw(bytes.fromhex(
            "0000001f950300b473656e736f72732e6b69746368656e2e74656d70c0c404"
            "32312e35"))
        m = sub.recv()
        self.assertEqual(m, [MSG, 1, "sensors.kitchen.temp", None, b"21.5"])
        self.assertEqual(frame(sub.last_raw), bytes.fromhex(
            "0000001f950601b473656e736f72732e6b69746368656e2e74656d70c0c404"
            "32312e35"))
        self.assert_silent(sub)   # req_id 0: no OK

    def test_pub_to_other_connection(self):
        sub = self.conn()
        pub = self.conn()
        self.sub(sub, 7, 42, "a.b")
        pub.send(PUB, 8, "a.b", "_INBOX.x.1", b"\x00\xffhello")
        self.expect_ok(pub, 8)
        m = sub.recv()
        self.assertEqual(m, [MSG, 42, "a.b", "_INBOX.x.1", b"\x00\xffhello"])
        self.assertEqual(sub.last_raw, pack(m))      # shortest form, bin payload

    def test_payload_forms(self):
        """Empty payload is bin 0; a str payload is accepted and comes back
        as bin; bin16/bin32 headers are accepted."""
        sub = self.conn()
        pub = self.conn()
        self.sub(sub, 1, 1, "p")
        pub.send(PUB, 1, "p", None, b"")
        self.expect_ok(pub, 1)
        self.assertEqual(sub.recv(), [MSG, 1, "p", None, b""])
        self.assertEqual(sub.last_raw[-2:], b"\xc4\x00")
        pub.send(PUB, 2, "p", None, "text")
        self.expect_ok(pub, 2)
        m = sub.recv()
        self.assertEqual(m, [MSG, 1, "p", None, b"text"])
        self.assertIsInstance(m[4], bytes)
        pub.send_body(b"\x95\x03\x03\xa1p\xc0" + b"\xc5\x00\x02hi")
        self.expect_ok(pub, 3)
        self.assertEqual(sub.recv()[4], b"hi")
        pub.send_body(b"\x95\x03\x04\xa1p\xc0" + b"\xc6\x00\x00\x00\x02yo")
        self.expect_ok(pub, 4)
        self.assertEqual(sub.recv()[4], b"yo")

    def test_signed_and_wide_integers_accepted(self):
        """Decoders must accept every integer form holding a value >= 0."""
        c = self.conn()
        # SUB req_id int64 9, sid int8 5, then PUB req_id uint64 10
        c.send_body(b"\x95\x04\xd3" + struct.pack(">q", 9) + b"\xd0\x05\xa1q\xc0")
        self.expect_ok(c, 9)
        c.send_body(b"\x95\x03\xcf" + struct.pack(">Q", 10) + b"\xa1q\xc0\xc4\x01z")
        msgs = self.collect(c, 2)
        self.assertIn([OK, 10], msgs)
        self.assertIn([MSG, 5, "q", None, b"z"], msgs)
        # the largest req_id and sid
        big = 2 ** 64 - 1
        c.send(SUB, big, 2 ** 32 - 1, "big", None)
        self.expect_ok(c, big)

    def test_req_id_order(self):
        """Answers come in request order; req_id 0 success is silent."""
        c = self.conn()
        c.send(PUB, 1, "o.k", None, b"")
        c.send(PUB, 2, "bad..topic", None, b"")
        c.send(SUB, 3, 1, "o.*", None)
        c.send(UNSUB, 4, 99)
        c.send(SUB, 0, 2, "quiet", None)
        c.send(UNSUB, 5, 1)
        got = self.collect(c, 5)
        self.assertEqual(got[0], [OK, 1])
        self.assert_err(got[1], E_BAD_TOPIC, 2)
        self.assertEqual(got[2], [OK, 3])
        self.assert_err(got[3], E_NO_SUCH_SID, 4)
        self.assertEqual(got[4], [OK, 5])

    def test_req_id_zero_error_reported(self):
        c = self.conn()
        c.send(PUB, 0, "a.", None, b"")
        self.expect_err(c, E_BAD_TOPIC, 0)
        self.assert_open(c)

    def test_fanout_one_msg_per_subscription(self):
        a = self.conn()
        b = self.conn()
        self.sub(a, 1, 1, "f.x")
        self.sub(a, 2, 2, "f.*")
        self.sub(a, 3, 3, ">")
        self.sub(b, 1, 9, "f.>")
        a.send(PUB, 4, "f.x", None, b"1")
        got = self.collect(a, 4)
        self.assertIn([OK, 4], got)
        self.assertEqual(sorted(m[1] for m in got if m[0] == MSG), [1, 2, 3])
        self.assertEqual(self.collect(b, 1), [[MSG, 9, "f.x", None, b"1"]])

    def test_ordering(self):
        sub = self.conn()
        pub = self.conn()
        self.sub(sub, 1, 1, "ord")
        for i in range(300):
            pub.send(PUB, 0, "ord", None, struct.pack(">I", i))
        seq = [struct.unpack(">I", sub.recv()[4])[0] for _ in range(300)]
        self.assertEqual(seq, list(range(300)))

    def test_unsub(self):
        sub = self.conn()
        pub = self.conn()
        self.sub(sub, 1, 5, "u.t")
        pub.send(PUB, 1, "u.t", None, b"before")
        self.expect_ok(pub, 1)
        self.assertEqual(sub.recv()[4], b"before")
        sub.send(UNSUB, 2, 5)
        self.expect_ok(sub, 2)
        pub.send(PUB, 2, "u.t", None, b"after")
        self.expect_ok(pub, 2)
        self.assert_silent(sub)
        sub.send(UNSUB, 3, 5)                         # no longer live
        self.expect_err(sub, E_NO_SUCH_SID, 3)
        self.sub(sub, 4, 5, "u.t")                    # sid reusable
        pub.send(PUB, 3, "u.t", None, b"again")
        self.expect_ok(pub, 3)
        self.assertEqual(sub.recv(), [MSG, 5, "u.t", None, b"again"])

    def test_request_reply(self):
        req = self.conn("requester")
        svc = self.conn("responder")
        inbox = "_INBOX.k3J9aB7xQ2mP0zLw"
        self.sub(req, 1, 1, inbox + ".>")
        self.sub(svc, 1, 1, "svc.time")
        req.send(PUB, 2, "svc.time", inbox + ".1", b"now?")
        self.expect_ok(req, 2)
        m = svc.recv()
        self.assertEqual(m, [MSG, 1, "svc.time", inbox + ".1", b"now?"])
        svc.send(PUB, 0, m[3], None, b"12:00")
        self.assertEqual(req.recv(), [MSG, 1, inbox + ".1", None, b"12:00"])

    def test_queue_group_split(self):
        plain = self.conn()
        members = [self.conn("w%d" % i) for i in range(3)]
        self.sub(plain, 1, 1, "jobs.*")
        self.sub(members[0], 1, 1, "jobs.*", "workers")
        self.sub(members[1], 1, 1, "jobs.>", "workers")   # same group
        self.sub(members[2], 1, 2, "jobs.x", "workers")
        pub = self.conn()
        n = 60
        for i in range(n):
            pub.send(PUB, 0, "jobs.x", None, struct.pack(">I", i))
        pub.send(PUB, 1, "jobs.x", None, b"last")
        self.expect_ok(pub, 1)
        self.assertEqual(len(self.collect(plain, n + 1)), n + 1)
        seen = []
        per_member = []
        for c in members:
            got = []
            try:
                while True:
                    got.append(c.recv(QUIET))
            except TimeoutError:
                pass
            per_member.append(len(got))
            seen += [m[4] for m in got]
        self.assertEqual(len(seen), n + 1, "each message to exactly one member")
        self.assertEqual(len(set(seen)), n + 1)
        self.assertGreaterEqual(sum(1 for k in per_member if k), 2,
                                "work spread over several members %r" % per_member)

    def test_wildcards(self):
        """The doc's match table, and every other pair of its patterns and
        topics as the doc's rules decide."""
        table = [("a.b", ["a.b"], ["a", "a.b.c", "a.bb"]),
                 ("a.*", ["a.b", "a.x"], ["a", "a.b.c"]),
                 ("a.>", ["a.b", "a.b.c"], ["a"]),
                 ("*.b.>", ["x.b.c", "y.b.c.d"], ["x.b", "b.c"]),
                 (">", ["a", "a.b", "x.b.c", "café.menü"], [])]
        for pattern, yes, no in table:
            for t in yes:
                self.assertTrue(doc_match(pattern, t), (pattern, t))
            for t in no:
                self.assertFalse(doc_match(pattern, t), (pattern, t))
        topics = sorted({t for _p, yes, no in table for t in yes + no})
        sub = self.conn()
        for sid, (pattern, _y, _n) in enumerate(table, 1):
            self.sub(sub, sid, sid, pattern)
        pub = self.conn()
        for t in topics:
            pub.send(PUB, 0, t, None, t.encode())
        expected = sorted((sid, t) for sid, (p, _y, _n) in enumerate(table, 1)
                          for t in topics if doc_match(p, t))
        got = self.collect(sub, len(expected))
        for m in got:
            self.assertEqual(m[0], MSG)
            self.assertEqual(m[4], m[2].encode())
        self.assertEqual(sorted((m[1], m[2]) for m in got), expected)

    def test_topic_validity(self):
        c = self.conn()
        valid = ["sensors.kitchen.temp", "_INBOX.k3J9.7", "café.menü",
                 "t" * 256, ".".join(["t"] * 32), "a-b_c:d/e"]
        invalid = ["", "a..b", ".a", "a.", "a*", "*a", ">a", "a>", "a.>.b",
                   "a b", "a\tb", "a.*", "*", "a.>", ">", "t" * 257,
                   ".".join(["t"] * 33), "a\x7fb", "a\x00b"]
        for i, t in enumerate(valid, 1):
            with self.subTest(topic=t[:40]):
                c.send(PUB, i, t, None, b"")
                self.expect_ok(c, i)
        for i, t in enumerate(invalid, 100):
            with self.subTest(topic=t[:40]):
                c.send(PUB, i, t, None, b"")
                self.expect_err(c, E_BAD_TOPIC, i)
        bad_utf8 = [b"a\xffb", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"]
        for i, t in enumerate(bad_utf8, 200):
            with self.subTest(topic=t):
                c.send_body(b"\x95\x03" + pack([i])[1:] + raw_str(t) + b"\xc0\xc4\x00")
                self.expect_err(c, E_BAD_TOPIC, i)
        for i, t in enumerate(["a.*", "bad..reply", ">"], 300):
            with self.subTest(reply_to=t):
                c.send(PUB, i, "ok", t, b"")
                self.expect_err(c, E_BAD_TOPIC, i)
        self.assert_open(c)

    def test_pattern_validity(self):
        c = self.conn()
        valid = ["a.*", "*", "a.>", ">", "*.b.>", "sensors.kitchen.temp",
                 "café.menü", "p" * 256, ".".join(["*"] * 32)]
        invalid = ["", "a..b", ".a", "a.", "a*", "*a", ">a", "a>", "a.>.b",
                   "a b", "a\tb", "p" * 257, ".".join(["*"] * 33), ">.a"]
        for i, p in enumerate(valid, 1):
            with self.subTest(pattern=p[:40]):
                self.sub(c, i, i, p)
        for i, p in enumerate(invalid, 100):
            with self.subTest(pattern=p[:40]):
                c.send(SUB, i, i, p, None)
                self.expect_err(c, E_BAD_PATTERN, i)
        c.send_body(b"\x95\x04\xcc\xc8\xcc\xc8" + raw_str(b"a.\xff") + b"\xc0")
        self.expect_err(c, E_BAD_PATTERN, 200)
        self.assert_open(c)

    def test_sub_errors(self):
        c = self.conn()
        self.sub(c, 1, 1, "x")
        c.send(SUB, 2, 1, "y", None)
        self.expect_err(c, E_SID_IN_USE, 2)
        c.send(SUB, 3, 0, "y", None)
        self.expect_err(c, E_BAD_SID, 3)
        c.send(SUB, 4, 2 ** 32, "y", None)
        self.expect_err(c, E_BAD_SID, 4)
        for i, q in enumerate(["", "a b", "q" * 129, "a\x01"], 10):
            with self.subTest(queue=q[:20]):
                c.send(SUB, i, 100 + i, "y", q)
                self.expect_err(c, E_BAD_QUEUE, i)
        self.sub(c, 20, 20, "y", "q" * 128)
        c.send(UNSUB, 21, 2 ** 32)
        m = c.recv()
        # the doc: BAD_SID is "sid 0 or over 4294967295" (no operation
        # named); UNSUB says NO_SUCH_SID "if it is not live"
        self.assertEqual(m[:2], [ERR, 21])
        self.assertIn(m[2], (E_BAD_SID, E_NO_SUCH_SID))
        self.assert_open(c)


# ---------------------------------------------- errors after a good HELLO

class ErrorTests(Base):

    def test_malformed_stays_open(self):
        c = self.conn()
        for body in (b"\xc1",                    # never-used byte
                     b"\x92\x07",                # truncated
                     b"\x91\x07\x07",            # trailing bytes
                     b"\x07",                    # not an array
                     b"\x90",                    # empty array
                     b"\x91\xc0",                # op nil
                     b"\x91\xff",                # op negative
                     b"\x91\xa1\x07",            # op a str
                     b"\x91\xcb" + struct.pack(">d", 7.0),   # op a float
                     bytes.fromhex("dd00ffffff"),           # huge count
                     bytes.fromhex("ddffffffff")):
            with self.subTest(body=body.hex()):
                c.send_body(body)
                self.expect_err(c, E_MALFORMED)
        self.assert_open(c)

    def test_too_deep(self):
        c = self.conn()
        ok = [PING]
        inner = []
        for _ in range(14):     # frame (1) + 15 nested = 16 levels
            inner = [inner]
        ok.append(inner)
        c.send(*ok)
        self.assertEqual(c.recv(), [PONG], "16 levels are allowed")
        c.send(*[PING, [inner]])                   # 17 levels
        self.expect_err(c, E_TOO_DEEP)
        c.send(PUB, 33, "d", None, b"", {"k": [inner]})
        self.expect_err(c, E_TOO_DEEP, 33)
        self.assert_open(c)

    def test_trailing_elements_ignored(self):
        c = self.conn()
        c.send(PING, {"x": 1.5}, True, None, msgpack.ExtType(5, b"ext"))
        self.assertEqual(c.recv(), [PONG])
        c.send(SUB, 1, 1, "tr", None, None, "future")   # 6th = options (nil)
        self.expect_ok(c, 1)
        c.send(PUB, 2, "tr", None, b"v", [1, 2])
        got = self.collect(c, 2)
        self.assertIn([OK, 2], got)
        self.assertIn([MSG, 1, "tr", None, b"v"], got)

    def test_unknown_op(self):
        c = self.conn()
        for op, body in ((0, [0]), (12, [12]), (99, [99, 1]), (2 ** 40, [2 ** 40]),
                         (WELCOME, [WELCOME, 1, "x", 1, 1, 1]),
                         (MSG, [MSG, 1, "a", None, b""]), (OK, [OK, 1]),
                         (ERR, [ERR, 1, 1, "x"]), (NOTICE, [NOTICE, 1, 1, "x"])):
            with self.subTest(op=op):
                c.send(*body)
                m = c.recv()
                self.assertEqual(m[0], ERR, m)
                self.assertEqual(m[2], E_UNKNOWN_OP, m)
                # "the frame's req_id if it could be read (else 0)": an
                # unknown op has no req_id field; for a broker-to-client op
                # the doc does not say whether field 1 counts as one
                allowed = {0} if op not in (OK, ERR) else {0, body[1]}
                self.assertIn(m[1], allowed, m)
        self.assert_open(c)

    def test_bad_field(self):
        c = self.conn()
        cases = [
            ([PUB, 5, "a"], 5),                       # missing fields
            ([PUB, 6, 7, None, b""], 6),              # topic an int
            ([PUB, 7, "a", None, None], 7),           # payload nil
            ([PUB, 8, "a", 3, b""], 8),               # reply_to an int
            ([PUB, -1, "a", None, b""], 0),           # negative req_id
            ([PUB, 1.0, "a", None, b""], 0),          # float req_id
            ([PUB, None, "a", None, b""], 0),         # nil req_id
            ([SUB, 9, "1", "a", None], 9),            # sid a str
            ([SUB, 10, -3, "a", None], 10),           # sid negative
            ([SUB, 11, 1, "a", 5], 11),               # queue an int
            ([SUB, 12, 1, b"a", None], 12),           # pattern as bin
            ([SUB, 13, 1], 13),                       # missing pattern
            ([UNSUB, 14], 14),                        # missing sid
            ([UNSUB, 15, True], 15),                  # sid a bool
            ([PUB], 0),                               # no req_id at all
        ]
        for body, req_id in cases:
            with self.subTest(body=repr(body)):
                c.send(*body)
                self.expect_err(c, E_BAD_FIELD, req_id)
        self.assert_open(c)

    def test_frame_too_large_closes(self):
        for n in (0, DEFAULT_MAX_PAYLOAD + FRAME_OVERHEAD + 1, 2 ** 32 - 1):
            with self.subTest(n=n):
                c = self.conn()
                c.send_raw(struct.pack(">I", n))
                self.expect_err(c, E_FRAME_TOO_LARGE)
                self.assert_closed(c)

    def test_payload_too_large_default(self):
        c = self.conn()
        c.send(PUB, 1, "big", None, b"x" * DEFAULT_MAX_PAYLOAD)
        self.expect_ok(c, 1)
        c.send(PUB, 2, "big", None, b"x" * (DEFAULT_MAX_PAYLOAD + 1))
        self.expect_err(c, E_PAYLOAD_TOO_LARGE, 2)
        self.assert_open(c)

    def test_slow_consumer_dropped_notice(self):
        """Nothing is dropped silently: received + DROPPED counts = sent.
        (This broker runs with max_outbound 16k.)"""
        slow = Conn(self.port, rcvbuf=4096)
        self.conns.append(slow)
        self.assertEqual(slow.hello("slow")[0], WELCOME)
        self.sub(slow, 1, 1, "flood")
        pub = self.conn()
        n, payload = 10000, b"p" * 1000
        batch = b"".join(frame(pack([PUB, 0, "flood", None, payload]))
                         for _ in range(n - 1))
        pub.send_raw(batch + frame(pack([PUB, 1, "flood", None, payload])))
        self.expect_ok(pub, 1)
        received, dropped, notices = 0, 0, 0
        try:
            while True:
                m = slow.recv(0.5)
                if m[0] == MSG:
                    received += 1
                elif m[0] == NOTICE:
                    self.assertEqual(len(m), 4, m)
                    self.assertEqual(m[1], N_DROPPED, m)
                    self.assertIsInstance(m[3], str)
                    dropped += m[2]
                    notices += 1
                else:
                    self.fail("unexpected %r" % (m,))
        except TimeoutError:
            pass
        self.assertGreater(notices, 0, "a 10 MB burst into a 16k queue drops")
        self.assertEqual(received + dropped, n,
                         "received %d + dropped %d" % (received, dropped))
        self.assert_open(slow)


# ------------------------------------------- a broker with tight settings

class TightTests(Base):
    broker_label = "tight"

    def test_welcome_announces_config(self):
        c = self.raw_conn()
        w = c.hello("stranger")
        self.assertEqual(w[4], 1024)
        self.assertEqual(w[5], 200)

    def test_payload_limit(self):
        c = self.conn()
        c.send(PUB, 1, "p", None, b"x" * 1024)
        self.expect_ok(c, 1)
        c.send(PUB, 2, "p", None, b"x" * 1025)
        self.expect_err(c, E_PAYLOAD_TOO_LARGE, 2)
        # a frame of exactly max_payload + 576 bytes is accepted (padded
        # with an ignored trailing element)
        target = 1024 + FRAME_OVERHEAD
        body = b""
        for k in range(FRAME_OVERHEAD):
            body = pack([PUB, 3, "p", None, b"x" * 1024, "y" * k])
            if len(body) >= target:
                break
        self.assertEqual(len(body), target)
        c.send_body(body)
        self.expect_ok(c, 3)
        c.send_raw(struct.pack(">I", 1024 + FRAME_OVERHEAD + 1))
        self.expect_err(c, E_FRAME_TOO_LARGE)
        self.assert_closed(c)

    def test_too_many_subs(self):
        c = self.conn()
        for i in range(1, 5):
            self.sub(c, i, i, "s.%d" % i)
        c.send(SUB, 5, 5, "s.5", None)
        self.expect_err(c, E_TOO_MANY_SUBS, 5)
        c.send(UNSUB, 6, 1)
        self.expect_ok(c, 6)
        self.sub(c, 7, 5, "s.5")
        self.assert_open(c)

    def test_handshake_timeout(self):
        c = self.raw_conn()
        t0 = time.monotonic()
        m = c.recv(3.0)
        self.assert_err(m, E_TIMEOUT)
        self.assertGreaterEqual(time.monotonic() - t0, 0.25)
        self.assert_closed(c)

    def test_broker_pings_answered(self):
        """Counted, not timed: three PINGs, each answered, are one more
        than max_pings_out 2, so the answers are what keeps it open."""
        c = self.conn()
        for _ in range(3):
            m = c.recv(IO_TIMEOUT, auto_pong=False)
            self.assertEqual(m, [PING])
            self.assertEqual(c.last_raw, b"\x91\x07")
            c.send(PONG)
            c.pings_seen += 1
        self.assert_open(c)

    def test_silent_client_times_out(self):
        c = self.conn()
        t0 = time.monotonic()
        pings = 0
        while True:
            m = c.recv(2.0, auto_pong=False)
            if m != [PING]:
                break
            pings += 1
        self.assert_err(m, E_TIMEOUT)
        elapsed = time.monotonic() - t0
        self.assertIn(pings, (2, 3), "max_pings_out 2")
        # not before two ping intervals (load only makes it later)
        self.assertGreater(elapsed, 0.35)
        self.assert_closed(c)


# ------------------------------------------- max_clients and shutdown

# ------------------------------ points PROTOCOL.md settles (issue #13)

def sub_with_raw_opts(req_id, sid, pattern, opts_raw):
    """A SUB body whose options map is given as raw msgpack bytes (so a
    key can appear twice, which no dict-based encoder can produce)."""
    head = b"".join(msgpack.packb(x) for x in (SUB, req_id, sid, pattern, None))
    return b"\x96" + head + opts_raw


class SettledTests(Base):

    def test_bad_first_hello_always_closes(self):
        """A first HELLO that decodes but fails its own checks gets one ERR
        and a close, even with more frames already sent behind it."""
        cases = {
            "version": (pack([HELLO, 2, "v"]), E_BAD_VERSION),
            "name": (pack([HELLO, 1, "a b"]), E_BAD_NAME),
            "both (version first)": (pack([HELLO, 0, "a b"]), E_BAD_VERSION),
        }
        behind = frame(pack([PING])) + frame(pack([SUB, 1, 1, "a", None]))
        for what, (body, code) in cases.items():
            with self.subTest(bad=what):
                c = self.raw_conn()
                c.send_raw(frame(body) + behind)
                self.expect_err(c, code)
                self.assert_closed(c)

    def test_sys_alone_is_reserved(self):
        c = self.conn()
        for topic in ("$SYS", "$SYS.x"):
            with self.subTest(topic=topic):
                c.send(PUB, 5, topic, None, b"")
                self.expect_err(c, E_BAD_TOPIC, 5)
        c.send(PUB, 6, "$SYSTEM.x", None, b"")    # only $SYS is the broker's
        self.expect_ok(c, 6)
        self.assert_open(c)

    def test_max_msgs_zero_asks_for_nothing(self):
        """max_msgs 0 is the same as leaving the key out: the pool's bound,
        not a queue of zero messages."""
        c = self.conn()
        c.send(SUB, 1, 1, "zero.q", None, {"max_msgs": 0, "max_bytes": 0})
        self.expect_ok(c, 1)
        pub = self.conn()
        n = 50
        pub.send_raw(b"".join(frame(pack([PUB, 0, "zero.q", None, b"m"]))
                              for _ in range(n)))
        got = self.collect(c, n)
        self.assertTrue(all(m[0] == MSG for m in got), got)

    def test_duplicate_option_key_is_bad_field(self):
        c = self.conn()
        dup = (b"\x82" + msgpack.packb("max_msgs") + msgpack.packb(10) +
               msgpack.packb("max_msgs") + msgpack.packb(20))
        c.send_body(sub_with_raw_opts(7, 3, "dup.q", dup))
        self.expect_err(c, E_BAD_FIELD, 7)
        self.sub(c, 8, 3, "dup.q")              # the refused SUB took no sid
        unknown = (b"\x82" + msgpack.packb("zz") + msgpack.packb(1) +
                   msgpack.packb("zz") + msgpack.packb(2))
        c.send_body(sub_with_raw_opts(9, 4, "dup.q", unknown))
        self.expect_ok(c, 9)                    # unknown keys: ignored
        self.assert_open(c)

    def test_pipelining_right_after_hello(self):
        """SUB and PUB may follow HELLO without waiting for WELCOME."""
        c = self.raw_conn()
        c.send_raw(frame(pack([HELLO, 1, "eager"])) +
                   frame(pack([SUB, 1, 1, "pipe.x", None])) +
                   frame(pack([PUB, 2, "pipe.x", None, b"hi"])))
        self.assertEqual(c.recv()[0], WELCOME)
        self.assertEqual(c.recv(), [OK, 1])
        self.assertEqual(c.recv(), [MSG, 1, "pipe.x", None, b"hi"])
        self.assertEqual(c.recv(), [OK, 2])


class BusyAndShutdownTests(unittest.TestCase):
    """Run last: stops every broker and requires exit status 0."""

    def test_1_server_busy(self):
        b = Fixture.get("busy")
        conns = []

        def welcomed():         # the start-up probe may still count
            c = Conn(b.port)
            conns.append(c)
            try:
                if c.hello("stranger")[0] == WELCOME:
                    return True
            except (Closed, OSError):
                pass
            c.close()
            return False
        self.assertTrue(poll_until(welcomed, 5, 0.05))
        first = conns[-1]
        second = Conn(b.port)
        m = second.recv()
        self.assertEqual(m[:3], [ERR, 0, E_SERVER_BUSY])
        closed, extras = second.closed_within(2)
        self.assertTrue(closed)
        self.assertEqual(extras, [])
        second.close()
        first.send(PING)
        self.assertEqual(first.recv(), [PONG])
        first.close()

    def test_2_sigterm(self):
        """SIGTERM: connected clients may get NOTICE LAME_DUCK, then
        ERR SHUTTING_DOWN and a close; every broker exits with status 0."""
        for label in ("main", "tight", "busy"):
            Fixture.get(label)
        watcher = Conn(Fixture.brokers["main"].port)
        self.assertEqual(watcher.hello("watcher")[0], WELCOME)
        for b in Fixture.brokers.values():
            b.terminate()
        frames = []
        closed = False
        try:
            while True:
                frames.append(watcher.recv(10))
        except Closed:
            closed = True
        except TimeoutError:
            pass
        watcher.close()
        statuses = {label: b.wait(10) for label, b in Fixture.brokers.items()}
        for label, b in Fixture.brokers.items():
            if statuses[label] != 0:
                print("brokerd %s log:\n%s" % (label, b.log()))
        self.assertEqual(statuses, {"main": 0, "tight": 0, "busy": 0})
        self.assertTrue(closed, "broker closed the client on SIGTERM")
        errs = [f for f in frames if f[0] == ERR]
        notices = [f for f in frames if f[0] == NOTICE]
        others = [f for f in frames if f[0] not in (ERR, NOTICE)]
        self.assertEqual(others, [])
        for n in notices:
            self.assertEqual(n[1], N_LAME_DUCK, n)
        self.assertEqual(len(errs), 1, "one ERR SHUTTING_DOWN: %r" % frames)
        self.assert_shutdown_err(errs[0])

    def assert_shutdown_err(self, m):
        self.assertEqual(m[:3], [ERR, 0, E_SHUTTING_DOWN])


def main():
    if not os.access(BROKERD, os.X_OK):
        print("ERROR: no brokerd at %r (set BROKERD)" % BROKERD)
        return 99           # automake: hard error
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for cls in (DocTests, HandshakeTests, OperationTests, ErrorTests,
                TightTests, SettledTests, BusyAndShutdownTests):
        suite.addTests(loader.loadTestsFromTestCase(cls))
    t0 = time.monotonic()
    try:
        result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    finally:
        for b in Fixture.brokers.values():
            b.kill()
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    print("elapsed %.1f s" % (time.monotonic() - t0))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
