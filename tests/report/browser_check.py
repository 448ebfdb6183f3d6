#!/usr/bin/env python3
"""Opens a report in headless Chromium, as a reader's browser would, and checks it (TAP).

Usage: browser_check.py CHROMIUM REPORT.html RESULT.json SCREENSHOT.png [plan]

With `plan`, REPORT.html is `fleetsim plan --report`'s page and RESULT.json the same plan's
`--json` (a PlanResult): its sections, the best variant and one dot per front design.

Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-pipe: fds 3/4,
JSON messages ended by NUL), so the test needs no npm package and no port. It records every
request the page makes (Network.requestWillBeSent), every console message, exception and
log entry (a CSP refusal is one), then asks the page for its sections and paths, and takes
a full-page screenshot. A control page with a console error and an external image is run
first through the same checks: they must catch both, or they could not catch anything.
"""
import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

SECTIONS = ["verdict", "load", "soc", "chargers", "waits", "trips", "energy", "map"]
PLAN_SECTIONS = ["best", "front", "wait-front", "rejected"]
TEXT_SECTIONS = ("verdict", "rejected")  # no chart: present is enough
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-pipe", "--hide-scrollbars", "--mute-audio",
         # Chromium's own background requests (update, accounts, safe browsing) still go out
         # with the flags above: no host name resolves, so nothing leaves the machine.
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
         "--no-pings", "--no-default-browser-check", "--disable-domain-reliability",
         "--disable-client-side-phishing-detection", "--metrics-recording-only"]

n = 0
failed = 0


def point(ok, name, *diag):
    global n, failed
    n += 1
    if not ok:
        failed += 1
    print(("ok" if ok else "not ok") + " %d - %s" % (n, name))
    for line in diag:
        print("# " + str(line))
    sys.stdout.flush()


class Browser:
    """One Chromium with a fresh profile; call() sends a command and waits for its answer,
    keeping every event that arrives meanwhile in self.events."""

    def __init__(self, chromium):
        self.profile = tempfile.mkdtemp(prefix="fsim-chromium-")
        cmd_r, cmd_w = os.pipe()  # we write commands, Chromium reads fd 3
        res_r, res_w = os.pipe()  # Chromium writes fd 4, we read answers

        def fds():
            os.dup2(cmd_r, 3)
            os.dup2(res_w, 4)

        self.proc = subprocess.Popen(
            [chromium] + FLAGS + ["--user-data-dir=" + self.profile, "about:blank"],
            pass_fds=(3, 4, cmd_r, res_w), preexec_fn=fds, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=open(os.environ.get("FSIM_CHROMIUM_LOG", os.devnull), "w"))
        os.close(cmd_r)
        os.close(res_w)
        self.w, self.r = cmd_w, res_r
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.r], [], [], left)[0]:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self.r, 1 << 20)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, timeout=30):
        deadline = time.monotonic() + timeout
        for e in self.events:
            if e.get("method") == method:
                return e
        while True:
            m = self._read(deadline)
            self.events.append(m)
            if m.get("method") == method:
                return m

    def drain(self, seconds):
        """Keeps collecting events for a while: late requests and messages count too."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._read(deadline))
        except TimeoutError:
            pass

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.w)
        os.close(self.r)
        shutil.rmtree(self.profile, ignore_errors=True)


PROBE = """JSON.stringify({
  verdict: (document.getElementById('verdict-text') || {}).textContent || null,
  best: (document.querySelector('#best .verdict') || {}).textContent || null,
  dots: ['front', 'wait-front'].map(id => document.querySelectorAll('#' + id + ' circle').length),
  title: document.title,
  height: Math.ceil(document.documentElement.scrollHeight),
  sections: %s.map(id => {
    const s = document.getElementById(id);
    if (!s) return {id, present: false};
    const svgs = [...s.querySelectorAll('svg')];
    return {id, present: true, svgs: svgs.length,
      labelled: svgs.every(v => v.getAttribute('aria-label') && v.querySelector('title')),
      drawn: [...s.querySelectorAll('svg path')].filter(p => {
        try { return p.getTotalLength() > 0; } catch (e) { return false; } }).length};
  })
})"""


def open_page(b, url):
    """Loads url in a new tab; returns (session, requests, problems) once it has settled."""
    target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = b.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Network", "Runtime", "Log"):
        b.call(domain + ".enable", session=session)
    b.events.clear()
    b.call("Page.navigate", {"url": url}, session=session)
    b.wait_event("Page.loadEventFired")
    b.drain(1.0)
    requests, problems = [], []
    for e in b.events:
        if e.get("sessionId") != session:
            continue
        m, p = e.get("method"), e.get("params", {})
        if m == "Network.requestWillBeSent":
            u = p["request"]["url"]
            if u != url and not u.startswith("data:"):
                requests.append(u)
        elif m == "Runtime.consoleAPICalled":
            problems.append("console.%s: %s" % (p.get("type"), " ".join(
                str(a.get("value", a.get("description", ""))) for a in p.get("args", []))))
        elif m == "Runtime.exceptionThrown":
            problems.append("exception: %s" % p["exceptionDetails"].get("text"))
        elif m == "Log.entryAdded" and p["entry"].get("level") in ("error", "warning"):
            problems.append("log %s: %s" % (p["entry"]["level"], p["entry"].get("text")))
    return session, requests, problems


def main():
    chromium, report, result_json, shot = sys.argv[1:5]
    plan = sys.argv[5:6] == ["plan"]
    report = os.path.abspath(report)
    with open(result_json, encoding="utf-8") as f:
        doc = json.load(f)
    b = Browser(chromium)
    try:
        # the control: what the checks must catch
        ctl_dir = tempfile.mkdtemp(prefix="fsim-ctl-")
        ctl = os.path.join(ctl_dir, "control.html")
        with open(ctl, "w", encoding="utf-8") as f:
            f.write('<!DOCTYPE html><title>c</title><img src="http://127.0.0.1:9/x.png">'
                    '<script>console.error("control")</script>')
        _, req, prob = open_page(b, "file://" + ctl)
        shutil.rmtree(ctl_dir, ignore_errors=True)
        point(any("127.0.0.1:9" in u for u in req) and any("control" in p for p in prob),
              "control page: the checks see an external request and a console error",
              "requests: %s" % req, "problems: %s" % prob)

        url = "file://" + report
        session, req, prob = open_page(b, url)
        point(not req, "the report makes no network request", *req)
        point(not prob, "the report loads with no console error, exception or refusal", *prob)
        sections = PLAN_SECTIONS if plan else SECTIONS
        probe = json.loads(b.call("Runtime.evaluate",
                                  {"expression": PROBE % json.dumps(sections),
                                   "returnByValue": True},
                                  session=session)["result"]["value"])
        for s in probe["sections"]:
            if not s["present"]:
                point(False, "section %s is on the page" % s["id"])
                continue
            if s["id"] in TEXT_SECTIONS:
                point(True, "section %s is on the page" % s["id"])
                continue
            point(s["svgs"] > 0 and s["drawn"] > 0 and s["labelled"],
                  "section %s has labelled charts with drawn paths" % s["id"],
                  "svgs %d, drawn paths %d, labelled %s" % (s["svgs"], s["drawn"], s["labelled"]))
        if plan:
            want = "variant %d:" % doc["best"]["variant"] if doc.get("best") else None
            point(want is not None and want in (probe["best"] or ""),
                  "the best design on the page is the plan's best",
                  "page: %r" % probe["best"], "want: %r" % want)
            point(probe["dots"] == [len(doc["front"]), len(doc["waitFront"])],
                  "one dot per design of each front", "page: %s" % probe["dots"],
                  "plan: %d, %d" % (len(doc["front"]), len(doc["waitFront"])))
        else:
            want = doc["summary"].get("verdict")
            point(want is not None and probe["verdict"] == want,
                  "the verdict on the page is result.json's summary.verdict",
                  "page: %r" % probe["verdict"], "result.json: %r" % want)
        b.call("Emulation.setDeviceMetricsOverride",
               {"width": 1100, "height": min(probe["height"], 16000), "deviceScaleFactor": 1,
                "mobile": False}, session=session)
        png = base64.b64decode(b.call("Page.captureScreenshot",
                                      {"format": "png", "captureBeyondViewport": True},
                                      session=session)["data"])
        with open(shot, "wb") as f:
            f.write(png)
        point(png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10000,
              "a screenshot of the whole page is written to %s (%d bytes)" % (shot, len(png)))
    except Exception as e:  # a hung or crashed browser is a failure, not a hang
        point(False, "chromium answered", repr(e))
    finally:
        b.close()
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
