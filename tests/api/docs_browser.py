#!/usr/bin/env python3
"""The API documentation pages in headless Chromium, with the network off (TAP).

Usage: docs_browser.py CHROMIUM BASE_URL OPENAPI.json SHOT_DIR

BASE_URL is a running fleetsim-api with FLEETSIM_API_DOCS=1 on 127.0.0.1 (docs_browser.sh
starts it). Chromium is driven over the DevTools protocol on a pipe (the Browser of
tests/report/browser_check.py); no host name resolves but localhost, and where the test may
(root: docs_browser.sh) the whole run is in a network namespace of its own with only
loopback. For each page — /docs (Swagger UI) and /docs/redoc (Redoc) — it records every
request the page makes (Network.requestWillBeSent) and fails on any whose URL is not on
127.0.0.1 (data: and blob: stay in the page), on any console error, exception or refused
load (a Content-Security-Policy refusal is one); then it waits for the viewer to draw and
checks that every operation of /openapi.json is on the page (Swagger UI: its operation id
and path; Redoc: its section, id "operation/<operationId>", and its path), runs Swagger UI's
"try it out" on GET /healthz (the answer, 200, shown on the page) and keeps a screenshot of
each page in SHOT_DIR. A control page that asks for an outside URL goes through the same
request check first: it must fail it, or the check could not catch anything.
"""
import base64
import json
import os
import sys
import time
from urllib.parse import urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "report"))
import browser_check  # noqa: E402
from browser_check import Browser  # noqa: E402

# The report's flags, but its page is a file: here the server is 127.0.0.1, which the rule
# "MAP * ~NOTFOUND" would refuse too (it maps IP literals as well): no host name resolves,
# and the only address reachable is the server's.
browser_check.FLAGS[:] = [f if not f.startswith("--host-resolver-rules=") else
                          "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"
                          for f in browser_check.FLAGS]

point = browser_check.point  # one TAP counter: browser_check.n, browser_check.failed


def outside(url):
    """A request that would leave this machine's 127.0.0.1."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return False
    return parts.hostname != "127.0.0.1"


def load(b, url, settle=1.5):
    """Opens url in a new tab; returns (session, requests, problems) once loaded."""
    target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = b.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Network", "Runtime", "Log"):
        b.call(domain + ".enable", session=session)
    b.events.clear()
    b.call("Page.navigate", {"url": url}, session=session)
    b.wait_event("Page.loadEventFired", timeout=60)
    b.drain(settle)
    return session


def collect(b, session):
    """Every request URL and every problem the session's events show so far."""
    requests, problems = [], []
    for e in b.events:
        if e.get("sessionId") != session:
            continue
        m, p = e.get("method"), e.get("params", {})
        if m == "Network.requestWillBeSent":
            requests.append(p["request"]["url"])
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
            problems.append("console.%s: %s" % (p.get("type"), " ".join(
                str(a.get("value", a.get("description", ""))) for a in p.get("args", []))))
        elif m == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            problems.append("exception: %s %s" % (d.get("text"),
                                                  d.get("exception", {}).get("description", "")))
        elif m == "Log.entryAdded" and p["entry"].get("level") in ("error", "warning"):
            problems.append("log %s: %s %s" % (p["entry"]["level"], p["entry"].get("text"),
                                               p["entry"].get("url", "")))
        elif m == "Network.loadingFailed" and not p.get("canceled"):
            problems.append("load failed: %s (%s)" % (p.get("errorText"), p.get("blockedReason", "")))
    return requests, problems


def evaluate(b, session, expr):
    r = b.call("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                    "awaitPromise": True}, session=session)
    if "exceptionDetails" in r:
        raise RuntimeError("evaluate: %s" % r["exceptionDetails"].get("text"))
    return r["result"].get("value")


def wait_for(b, session, expr, timeout=60):
    """Polls expr (JS, truthy when done) until it holds; returns its last value."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = evaluate(b, session, expr)
        if value:
            return value
        b.drain(0.25)
    return value


def screenshot(b, session, path):
    b.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 2000,
           "deviceScaleFactor": 1, "mobile": False}, session=session)
    png = base64.b64decode(b.call("Page.captureScreenshot", {"format": "png"},
                                  session=session)["data"])
    with open(path, "wb") as f:
        f.write(png)
    return png


SWAGGER_PROBE = """JSON.stringify([...document.querySelectorAll('.opblock')].map(o => ({
  method: (o.querySelector('.opblock-summary-method') || {}).textContent,
  path: (o.querySelector('.opblock-summary-path') || {}).getAttribute
        ? o.querySelector('.opblock-summary-path').getAttribute('data-path') : null,
  id: (o.querySelector('.opblock-summary-operation-id') || {}).textContent || null})))"""

REDOC_PROBE = """JSON.stringify({
  ids: [...document.querySelectorAll('[id^="operation/"]')].map(e => e.id.slice(10)),
  text: document.body.innerText})"""

# Swagger UI's "try it out" on GET /healthz, as a reader clicks it: open the operation,
# "Try it out", "Execute"; the live response's status code is then on the page.
TRY_IT_OUT = """(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const op = document.querySelector('#operations-default-healthz');
  if (!op) return 'no healthz operation';
  op.querySelector('.opblock-summary-control').click();
  for (let i = 0; i < 40 && !op.querySelector('.try-out__btn'); i++) await sleep(100);
  const tryBtn = op.querySelector('.try-out__btn');
  if (!tryBtn) return 'no Try it out button';
  tryBtn.click();
  for (let i = 0; i < 40 && !op.querySelector('.execute'); i++) await sleep(100);
  const exec = op.querySelector('.execute');
  if (!exec) return 'no Execute button';
  exec.click();
  for (let i = 0; i < 100; i++) {
    const live = op.querySelector('.live-responses-table tbody .response-col_status');
    if (live) return 'status ' + live.textContent.trim();
    await sleep(100);
  }
  return 'no response shown';
})()"""


def main():
    chromium, base, openapi_path, shots = sys.argv[1:5]
    with open(openapi_path, encoding="utf-8") as f:
        doc = json.load(f)
    ops = []  # (METHOD, path, operationId)
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method != "parameters":
                ops.append((method.upper(), path, op["operationId"]))
    os.makedirs(shots, exist_ok=True)
    b = Browser(chromium)
    try:
        # the control: a page with requests to outside hosts (a font, a script) — the check
        # must see them
        ctl = ("data:text/html,<link rel=stylesheet href='https://fonts.googleapis.com/css?family=Roboto'>"
               "<script src='https://cdn.example.com/x.js'></script>")
        session = load(b, ctl, settle=0.5)
        req, _ = collect(b, session)
        out = [u for u in req if outside(u)]
        point(len(out) >= 2, "control page: the check sees its requests to outside hosts",
              *["request: %s" % u for u in req])

        # Swagger UI
        session = load(b, base + "/docs")
        drawn = wait_for(b, session, "document.querySelectorAll('.opblock').length >= %d" % len(ops))
        shown = json.loads(evaluate(b, session, SWAGGER_PROBE))
        seen = {(o["method"] or "").upper() + " " + (o["path"] or ""): o["id"] for o in shown}
        missing = ["%s %s (%s)" % op for op in ops if seen.get(op[0] + " " + op[1]) != op[2]]
        point(drawn and not missing,
              "Swagger UI (/docs) shows all %d operations of /openapi.json, each with its "
              "method, path and operation id" % len(ops),
              "on the page: %d operations" % len(shown), *["missing: %s" % m for m in missing])
        result = evaluate(b, session, TRY_IT_OUT)
        point(result == "status 200", "Swagger UI: \"try it out\" on GET /healthz shows the live 200",
              "result: %s" % result)
        b.drain(0.5)
        png = screenshot(b, session, os.path.join(shots, "swagger-ui.png"))
        point(png[:8] == b"\x89PNG\r\n\x1a\n", "Swagger UI: screenshot in %s/swagger-ui.png" % shots)
        req, prob = collect(b, session)
        out = [u for u in req if outside(u)]
        point(not out and any("/docs/assets/swagger-ui-bundle.js" in u for u in req),
              "Swagger UI: all %d requests stay on 127.0.0.1 (the bundle from /docs/assets)" % len(req),
              *(["left the server: %s" % u for u in out] or ["requests: %s" % [u for u in req if not u.startswith("data:")]]))
        point(any(u.startswith(base + "/healthz") for u in req),
              "Swagger UI: \"try it out\" sent its request to this server")
        point(not prob, "Swagger UI: no console error, exception, refusal or failed load", *prob)

        # Redoc
        session = load(b, base + "/docs/redoc")
        wait_for(b, session, "document.querySelectorAll('[id^=\"operation/\"]').length >= %d" % len(ops))
        probe = json.loads(evaluate(b, session, REDOC_PROBE))
        ids = set(probe["ids"])
        missing = ["%s %s (%s)" % op for op in ops if op[2] not in ids or op[1] not in probe["text"]]
        point(not missing, "Redoc (/docs/redoc) shows all %d operations: a section per operation "
              "id, each path in the text" % len(ops),
              "sections: %d" % len(ids), *["missing: %s" % m for m in missing])
        png = screenshot(b, session, os.path.join(shots, "redoc.png"))
        point(png[:8] == b"\x89PNG\r\n\x1a\n", "Redoc: screenshot in %s/redoc.png" % shots)
        b.drain(0.5)
        req, prob = collect(b, session)
        out = [u for u in req if outside(u)]
        point(not out and any("/docs/assets/redoc.standalone.js" in u for u in req),
              "Redoc: all %d requests stay on 127.0.0.1 (no font, no CDN)" % len(req),
              *(["left the server: %s" % u for u in out] or ["requests: %s" % [u for u in req if not u.startswith("data:")]]))
        point(not prob, "Redoc: no console error, exception, refusal or failed load", *prob)
    except Exception as e:  # a hung or crashed browser is a failure, not a hang
        point(False, "chromium answered", repr(e))
    finally:
        b.close()
    print("1..%d" % browser_check.n)
    return 1 if browser_check.failed else 0


if __name__ == "__main__":
    sys.exit(main())
