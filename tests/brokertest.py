"""brokertest.py - what tests/test_stranger.py and tests/test_hostile.py
share: the wire framing, a raw client connection whose every wait is
bounded, a brokerd child process on a free 127.0.0.1 port, and polling for
a condition with a bound instead of sleeping a fixed time.

Written from protocol/PROTOCOL.md alone, like test_stranger.py: nothing
here may come from (or import) the C sources.  The scripts put their own
directory on sys.path before importing this, so it is found from a VPATH
build and from `make distcheck` (listed in EXTRA_DIST).
"""

import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

try:
    import msgpack
except ImportError:
    print("SKIP: the python3 'msgpack' module is missing "
          "(Debian package python3-msgpack)")
    sys.exit(77)                # automake: SKIP

BROKERD = os.environ.get("BROKERD", os.path.join("broker", "brokerd"))

# Operation codes, from the "Operations" table.
HELLO, WELCOME, PUB, SUB, UNSUB, MSG, PING, PONG, OK, ERR, NOTICE = range(1, 12)

# Error codes, from the "Error codes" table.
E_MALFORMED, E_FRAME_TOO_LARGE, E_TOO_DEEP, E_UNKNOWN_OP, E_BAD_FIELD = 1, 2, 3, 4, 5
E_BAD_VERSION, E_NOT_READY, E_BAD_TOPIC, E_BAD_PATTERN, E_BAD_QUEUE = 6, 7, 8, 9, 10
E_PAYLOAD_TOO_LARGE, E_SID_IN_USE, E_NO_SUCH_SID, E_BAD_SID = 11, 12, 13, 14
E_TOO_MANY_SUBS, E_BAD_NAME = 15, 16
E_SERVER_BUSY, E_SHUTTING_DOWN, E_TIMEOUT = 100, 101, 102

FRAME_OVERHEAD = 576            # PROTO_FRAME_OVERHEAD = 2 x 256 + 64
MAX_FRAME = 64 * 1024 * 1024 + FRAME_OVERHEAD   # no frame is ever longer


def pack(fields):
    return msgpack.packb(list(fields), use_bin_type=True)


def frame(body):
    return struct.pack(">I", len(body)) + body


def unpack(body):
    return msgpack.unpackb(body, raw=False, strict_map_key=False)


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rst_close(sock):
    """Close with an RST instead of a FIN (SO_LINGER 0)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def poll_until(cond, timeout=5.0, interval=0.02):
    """Call cond() until it returns something true, at most timeout
    seconds and timeout / interval + 1 times; returns that value, or the
    last (false) one.  The way to wait for a condition: a fixed sleep is
    too short on a loaded host and wasted time on an idle one."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / interval) + 1):
        v = cond()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)
    return cond()


class Closed(Exception):
    """The broker closed the connection."""


class Conn:
    """One raw client connection; every wait is bounded."""

    def __init__(self, port, rcvbuf=None, timeout=2.0, source=None):
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if source:  # a loopback address of 127.0.0.0/8 to come from
            self.sock.bind((source, 0))
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.eof = False
        self.pings_seen = 0
        self.last_raw = b""
        self.max_body = MAX_FRAME

    def close(self):
        self.sock.close()

    def rst(self):
        rst_close(self.sock)

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_body(self, body):
        self.send_raw(frame(body))

    def send(self, *fields):
        self.send_body(pack(fields))

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no frame from broker in time")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(1 << 20)
        except socket.timeout:
            raise TimeoutError("no frame from broker in time") from None
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            raise Closed()
        self.buf += chunk

    def _next_body(self, deadline):
        while len(self.buf) < 4:
            self._fill(deadline)
        (n,) = struct.unpack(">I", self.buf[:4])
        if n == 0 or n > self.max_body:
            raise AssertionError("broker sent length prefix %d (limit %d)"
                                 % (n, self.max_body))
        while len(self.buf) < 4 + n:
            self._fill(deadline)
        body, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
        return body

    def recv(self, timeout=None, auto_pong=True):
        """Next frame from the broker, decoded; broker PINGs are answered
        and skipped unless auto_pong is False.  Raises Closed on EOF,
        TimeoutError when nothing complete arrives within timeout."""
        deadline = time.monotonic() + (self.timeout if timeout is None
                                       else timeout)
        while True:
            body = self._next_body(deadline)
            self.last_raw = body
            msg = unpack(body)
            if not isinstance(msg, list) or not msg:
                raise AssertionError("broker frame is not an array: %r" % msg)
            if msg == [PING] and auto_pong:
                self.pings_seen += 1
                self.send(PONG)
                continue
            return msg

    def hello(self, name="brokertest"):
        """Send HELLO; the broker's answer (WELCOME or ERR)."""
        self.send(HELLO, 1, name)
        return self.recv()

    def closed_within(self, timeout):
        """(True, extras) if the broker closes within timeout, else
        (False, extras); extras are the frames other than PING that came
        first."""
        deadline = time.monotonic() + timeout
        extras = []
        try:
            while True:
                extras.append(self.recv(max(0.001,
                                            deadline - time.monotonic())))
        except Closed:
            return True, extras
        except TimeoutError:
            return False, extras

    def until_closed(self, timeout=None):
        """Frames until the broker closes; TimeoutError if it does not."""
        closed, frames = self.closed_within(self.timeout if timeout is None
                                            else timeout)
        if not closed:
            raise TimeoutError("broker did not close the connection")
        return frames


class Broker:
    """A brokerd child process on a free 127.0.0.1 port, its config and
    log in a private temporary directory."""

    def __init__(self, label, conf_text, prefix="brokertest", env=None):
        self.label = label
        self.dir = tempfile.TemporaryDirectory(prefix="%s-%s-" %
                                               (prefix, label))
        self.conf = os.path.join(self.dir.name, "brokerd.conf")
        with open(self.conf, "w") as f:
            f.write(conf_text)
        self.logpath = os.path.join(self.dir.name, "brokerd.log")
        self.env = env
        self.proc = None
        for _attempt in range(3):
            if self._start():
                return
        raise RuntimeError("brokerd (%s) did not start:\n%s" %
                           (label, self.log()))

    def _accepts(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), 0.2).close()
            return True
        except OSError:
            return False

    def _start(self):
        self.port = free_port()
        with open(self.logpath, "ab") as log:
            self.proc = subprocess.Popen(
                [BROKERD, "-c", self.conf, "-b", "127.0.0.1", "-p",
                 str(self.port)], env=self.env,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        # gone (e.g. the port was taken meanwhile: try another) or ready
        poll_until(lambda: not self.alive() or self._accepts(), 10)
        if self.alive() and self._accepts():
            return True
        self.kill()
        return False

    def log(self, tail=6000):
        try:
            with open(self.logpath, "rb") as f:
                return f.read()[-tail:].decode("utf-8", "replace")
        except OSError:
            return ""

    def wait_log(self, text, timeout=5.0):
        """True once text is in the log (polled, bounded by timeout)."""
        return poll_until(lambda: text in self.log(), timeout)

    def alive(self):
        return self.proc.poll() is None

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def terminate(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout=10):
        """The exit status, or a string when it had to be killed."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return "killed after %ss" % timeout

    def stop(self, timeout=15):
        """SIGTERM, then wait(timeout)."""
        self.terminate()
        return self.wait(timeout)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
