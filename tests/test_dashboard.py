#!/usr/bin/python3
"""test_dashboard.py - the monitor's dashboard (issue #14) in a real
browser: headless Chromium driven by selenium against the real brokerd
under load.  The page's figures must follow the broker: connections and
subscriptions appear and disappear, the message rate moves off zero under
load and back, a stalled subscriber (subscribed, never reading, a small
receive buffer) tops the slow-consumer table, and the page says
"disconnected" once brokerd is gone.  It also checks how / is served
(HTML, a strict Content-Security-Policy, no-store, self-contained) and
takes a screenshot under load ($ABS_BUILDDIR/tests/dashboard.png; the
committed docs/dashboard.png is one of them).

Every wait is bounded (WebDriverWait, poll_until) and the whole browser
part by BROWSER_BOUND seconds; nothing sleeps a fixed time to wait for a
condition.  Exit status: 0 passed, 1 failed, 77 (SKIP) when msgpack,
selenium, chromium or chromedriver is missing (Debian python3-msgpack,
python3-selenium, chromium, chromium-driver).
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import unittest

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from brokertest import (  # noqa: E402  (exits 77 without msgpack)
    BROKERD, Broker, Closed, Conn, frame, free_port, pack, poll_until, PUB,
    SUB, OK, WELCOME)


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)                    # automake: SKIP


# The sanitizer run (./dev.sh test-asan) checks brokerd's memory; the
# monitor is exercised there by test_monitor.py, and the page's script is
# the same in both builds, so the browser (about 20 s) runs only once.
if os.environ.get("BROKERD_SANITIZED"):
    skip("sanitizer build: the page is tested in the plain run")

try:
    from selenium import webdriver
    from selenium.common.exceptions import (
        StaleElementReferenceException, WebDriverException)
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    skip("python3-selenium is missing: the dashboard is not tested")

CHROMIUM = next(filter(None, map(shutil.which, (
    "chromium", "chromium-browser", "google-chrome"))), None)
CHROMEDRIVER = shutil.which("chromedriver")

IO_TIMEOUT = 5.0
WAIT = 15.0             # one figure to follow the broker (polls every 1 s)
BROWSER_BOUND = 90      # the whole browser test, a hard stop
PAGE_MAX = 20 * 1024    # the page stays small
STALLED = "stalled-consumer"
TOPIC = "dash.load"
PAYLOAD = b"p" * 1024


def http_get(port, path, method="GET"):
    """(status, headers dict with lower-case names, body bytes)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=IO_TIMEOUT)
    try:
        c.request(method, path)
        r = c.getresponse()
        return (r.status, {k.lower(): v for k, v in r.getheaders()},
                r.read())
    finally:
        c.close()


def figure(text):
    """The number a dashboard cell shows ("1.25 k", "512 KiB", "7"), or
    None for "-"."""
    m = re.match(r"^(-?[0-9.]+)\s*([kKMGT]?)(i?)", text.strip())
    if not m:
        return None
    base = 1024 if m.group(3) else 1000
    return float(m.group(1)) * base ** " kMGT".index(
        (m.group(2) or " ").replace("K", "k"))


class Load:
    """A publisher (paced, bounded in count) and a reading subscriber on
    TOPIC, each in its own thread, until stop()."""

    MAX_MSGS = 400000

    def __init__(self, port):
        self.halt = threading.Event()
        self.sub = Conn(port)
        assert self.sub.hello("reader")[0] == WELCOME
        self.sub.send(SUB, 1, 1, TOPIC, None)
        assert self.sub.recv()[0] == OK
        self.pub = Conn(port)
        assert self.pub.hello("publisher")[0] == WELCOME
        self.sent = 0
        self.threads = [threading.Thread(target=f, daemon=True)
                        for f in (self._publish, self._read)]
        for t in self.threads:
            t.start()

    def _publish(self):
        batch = b"".join(
            frame(pack((PUB, 0, TOPIC, None, PAYLOAD))) for _ in range(20))
        while not self.halt.is_set() and self.sent < self.MAX_MSGS:
            try:
                self.pub.send_raw(batch)
            except OSError:
                return
            self.sent += 20
            self.halt.wait(0.01)    # pacing: about 2000 messages a second

    def _read(self):
        while not self.halt.is_set():
            try:
                self.sub.recv(timeout=0.5)
            except TimeoutError:
                continue
            except (Closed, OSError):
                return

    def stop(self):
        self.halt.set()
        for t in self.threads:
            t.join(IO_TIMEOUT)
        self.pub.close()
        self.sub.close()


class DashboardTests(unittest.TestCase):
    def setUp(self):
        self.mport = free_port()
        # $SYS publishing off (its PUBs would move the rate); a small
        # outbound bound so the stalled subscriber fills it and drops.
        self.b = Broker("dashboard", "sys_interval 0\nmax_outbound 256k\n"
                        "monitor 127.0.0.1:%d\n" % self.mport,
                        prefix="test_dashboard")
        self.assertTrue(poll_until(self._up, 10), self.b.log())
        self.url = "http://127.0.0.1:%d/" % self.mport

    def tearDown(self):
        self.b.kill()

    def _up(self):
        try:
            return http_get(self.mport, "/healthz")[0] == 200
        except OSError:
            return False

    def varz(self):
        return json.loads(http_get(self.mport, "/varz")[2])

    def raw_head(self, path):
        """HEAD over a raw socket: the Content-Length line of the answer,
        which must end with the headers (no body)."""
        with socket.create_connection(("127.0.0.1", self.mport),
                                      IO_TIMEOUT) as s:
            s.sendall(b"HEAD %s HTTP/1.0\r\n\r\n" % path.encode())
            answer = b""
            for _ in range(100):        # bounded: the answer is small
                chunk = s.recv(65536)
                if not chunk:
                    break
                answer += chunk
        head, _, rest = answer.decode().partition("\r\n\r\n")
        self.assertTrue(head.startswith("HTTP/1.0 200"), head)
        self.assertEqual(rest, "", "a HEAD answer with a body")
        return next((h for h in head.split("\r\n")
                     if h.startswith("Content-Length:")), None)

    def test_served_self_contained(self):
        status, hdr, body = http_get(self.mport, "/")
        self.assertEqual(status, 200)
        self.assertEqual(hdr["content-type"], "text/html; charset=utf-8")
        self.assertEqual(hdr["cache-control"], "no-store")
        self.assertLess(len(body), PAGE_MAX)
        csp = hdr["content-security-policy"]
        self.assertIn("default-src 'none'", csp)
        self.assertIn("connect-src 'self'", csp)
        self.assertNotIn("unsafe-inline", csp)
        self.assertEqual(csp.count("'sha256-"), 2)
        page = body.decode()
        self.assertTrue(page.startswith("<!doctype html>"))
        # nothing is loaded from anywhere: no URL, no src, no @import
        for bad in ("http:", "https:", "src=", "@import", "url("):
            self.assertNotIn(bad, page)
        self.assertEqual(self.raw_head("/"),
                         "Content-Length: %d" % len(body))
        self.assertEqual(http_get(self.mport, "/?x=1")[0], 200)
        self.assertNotEqual(http_get(self.mport, "/", "POST")[0], 200)
        self.assertEqual(http_get(self.mport, "/index.php")[0], 404)

    def test_page_follows_broker(self):
        if not CHROMIUM or not CHROMEDRIVER:
            self.skipTest("chromium or chromedriver missing (Debian "
                          "chromium, chromium-driver)")
        signal.signal(signal.SIGALRM, self._overtime)
        signal.alarm(BROWSER_BOUND)
        try:
            with tempfile.TemporaryDirectory(prefix="test_dashboard-") as d:
                self.d = browser(d)
                try:
                    self._follow()
                finally:
                    self.d.quit()
        finally:
            signal.alarm(0)

    @staticmethod
    def _overtime(signum, frame):
        raise TimeoutError("the browser test took over %d s" % BROWSER_BOUND)

    def text(self, id_):
        return self.d.find_element(By.ID, id_).text

    def until(self, what, cond, timeout=WAIT):
        """Wait for cond() (bounded); fail saying what did not happen."""
        try:
            return WebDriverWait(self.d, timeout, 0.1, ignored_exceptions=(
                StaleElementReferenceException,)).until(lambda _: cond())
        except Exception:
            self.fail("the page never showed %s; status %r, log:\n%s"
                      % (what, self.text("status"), self.b.log(1500)))

    def shows(self, id_, value):
        self.until("%s = %s" % (id_, value),
                   lambda: figure(self.text(id_)) == value)

    def _follow(self):
        self.d.get(self.url)
        self.until("live", lambda: self.text("status") == "live")
        self.assertEqual(self.d.title, "brokerd dashboard")
        self._connections()
        load = Load(self.b.port)
        try:
            stalled = self._stall()
            self.until("a message rate", lambda: (figure(self.text(
                "rate-in")) or 0) > 0 and (figure(self.text("rate-out"))
                                           or 0) > 0)
            self.until("drops", lambda: (figure(self.text("dropped"))
                                         or 0) > 0)
            self._slow_consumer_on_top()
            self._drops_and_pools()
            self.assertTrue(self.d.find_element(By.ID, "line-in")
                            .get_attribute("d").count("L") >= 1)
            self._screenshot()
        finally:
            load.stop()
        self.until("the rate back to 0",
                   lambda: figure(self.text("rate-in")) == 0)
        stalled.close()
        # Failed requests ("network") the page shows itself; a script
        # error or a Content-Security-Policy violation is a failure.
        errors = [e for e in self.d.get_log("browser")
                  if e.get("level") == "SEVERE" and
                  e.get("source") != "network"]
        self.assertEqual(errors, [], "the page logged errors "
                         "(a Content-Security-Policy violation?)")
        self.b.kill()
        self.until("disconnected",
                   lambda: self.text("status").startswith("disconnected"))

    def _connections(self):
        base = self.varz()["totals"]["connections"]
        self.shows("conns", base)
        self.shows("subs", 0)
        extra = [Conn(self.b.port) for _ in range(3)]
        for i, c in enumerate(extra):
            self.assertEqual(c.hello("extra%d" % i)[0], WELCOME)
            c.send(SUB, 1, 1, "dash.extra.%d" % i, None)
            self.assertEqual(c.recv()[0], OK)
        self.shows("conns", base + 3)
        self.shows("subs", 3)
        for c in extra:
            c.close()
        self.shows("conns", base)
        self.shows("subs", 0)

    def _stall(self):
        """A subscriber to the load that never reads: its pending grows
        to max_outbound, then the broker drops for it."""
        c = Conn(self.b.port, rcvbuf=4096)
        self.assertEqual(c.hello(STALLED)[0], WELCOME)
        c.send(SUB, 1, 1, TOPIC, None)
        self.assertEqual(c.recv()[0], OK)
        return c

    def _slow_consumer_on_top(self):
        if http_get(self.mport, "/connz")[0] == 404:
            self.assertEqual(self.text("slow"), "this brokerd has no /connz")
            print("SKIP (part): this brokerd has no /connz; the slow-"
                  "consumer table is not checked")
            return

        def top():
            # one script call: the table is rebuilt every second
            cells = self.d.execute_script(
                "return Array.from(document.querySelectorAll("
                "'#slow tr:first-child td'), (td) => td.textContent);")
            return len(cells) > 5 and cells[1] == STALLED and \
                (figure(cells[5]) or 0) >= 64 * 1024
        self.until("the stalled subscriber on top of the slow consumers",
                   top)

    def rows(self, tbody):
        """The text of each cell of each row, in one script call."""
        return self.d.execute_script(
            "return Array.from(document.querySelectorAll('#%s tr'), (tr) =>"
            " Array.from(tr.cells, (td) => td.textContent));" % tbody)

    def _drops_and_pools(self):
        """The stalled subscriber's drops are drop-newest ones (the
        default policy), in the default pool."""
        v = self.varz()
        if "drops" not in v or "pools" not in v:
            print("SKIP (part): this brokerd's /varz has no drops or pools")
            return
        self.until("newest drops", lambda: any(
            r[0] == "newest" and (figure(r[1]) or 0) > 0
            for r in self.rows("drops")))
        self.until("the default pool with its drops", lambda: any(
            r[0] == "default" and (figure(r[6]) or 0) > 0
            for r in self.rows("pools") if len(r) == 7))

    def _screenshot(self):
        out = os.path.join(os.environ.get("ABS_BUILDDIR", "."), "tests")
        os.makedirs(out, exist_ok=True)
        path = os.path.join(out, "dashboard.png")
        self.assertTrue(self.d.save_screenshot(path))
        print("screenshot: %s" % path)


def browser(profile):
    """Headless Chromium through chromedriver, bounded page loads, the
    console log kept (a CSP violation is logged there)."""
    o = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--disable-gpu", "--no-first-run", "--disable-extensions",
                "--disable-background-networking", "--window-size=1200,1050",
                "--user-data-dir=" + profile):
        o.add_argument(arg)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=o)
    except WebDriverException as e:
        raise AssertionError("chromium did not start: %s" % e.msg) from None
    d.set_page_load_timeout(WAIT)
    return d


if __name__ == "__main__":
    if not os.access(BROKERD, os.X_OK):
        print("brokerd not found at %s" % BROKERD)
        sys.exit(99)
    unittest.main(verbosity=2)
