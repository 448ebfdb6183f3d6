#!/usr/bin/env python3
"""The soak with faults (issue 17): the real system under load while its parts fail.

Run by `./dev.sh soak [MINUTES]` inside tests/db/with_postgres.sh and tests/fakes/with_pubsub.sh:
    soak.py FLEETSIM-API FLEETSIM-PUBSUB FLEETSIM PUBSUB-SETUP MINUTES
It starts two API instances (publishing to the Pub/Sub fake, no in-process workers), two
`fleetsim-pubsub --pull` workers and one `--push` worker, and drives them on loopback with
bounded loops: submits (a share repeating an Idempotency-Key, a share of bad requests, a share
also delivered a second time through the push worker), status polls at a steady rate, result
fetches. Meanwhile it SIGKILLs workers at random, restarts PostgreSQL once and the Pub/Sub
fake once, and SIGTERMs one API instance and starts a replacement. At the end it prints what
happened to every job and request, the processes' memory and descriptors, the poll latency in
each fault window and the faults with their times. Exit 1 when a job was lost or duplicated or
a request went unanswered or answered wrongly; the figures themselves never fail it.
"""
import base64
import json
import os
import random
import re
import shlex
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

API, WORKER, FLEETSIM, PUBSUB_SETUP = sys.argv[1:5]
MINUTES = float(sys.argv[5]) if len(sys.argv) > 5 else 15.0
ROOT = os.environ["FSIM_SOURCE_ROOT"]
TMP = os.environ.get("FSIM_SOAK_DIR") or os.path.join(os.environ["FSIM_PG_DIR"], "soak")
os.makedirs(TMP, exist_ok=True)
os.environ["GOOGLE_CLOUD_PROJECT"] = "fsim-soak"  # short topic names, for us and pubsub_setup
KEY = "soak-test-key-0123456789"
DURATION = MINUTES * 60.0
LOAD_END = DURATION * 0.85          # submits stop here; the rest lets the queue drain
WARMUP = min(90.0, DURATION * 0.15)  # memory and descriptors are compared from here on
rng = random.Random(int(os.environ.get("FSIM_SOAK_SEED", "17")))
T0 = time.monotonic()


def now():
    return time.monotonic() - T0


def log(msg):
    print(f"[{now():7.1f}s] {msg}", flush=True)


def sql(query, check=True):
    r = subprocess.run(["psql", "-X", "-qtA", "-v", "ON_ERROR_STOP=1", "-c", query],
                       capture_output=True, text=True, check=check)
    return r.stdout.strip() if r.returncode == 0 else None


def topology():
    """The topic the APIs publish to and the pull workers' subscription, in the fake."""
    r = subprocess.run([PUBSUB_SETUP, "jobs", "worker"], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"pubsub_setup: {r.stderr.strip()}")


# ---- processes -----------------------------------------------------------------------------

class Proc:
    """One program of the system; restarted under the same role after a fault."""

    def __init__(self, role, argv, env, ready):
        self.role, self.argv, self.env, self.ready = role, argv, env, ready
        self.p = None
        self.port = None
        self.lives = []  # per instance: {"pid", "start", "samples": [(t, rss_kb, fds)]}

    def start(self):
        logf = open(os.path.join(TMP, f"{self.role}.{len(self.lives)}.log"), "w")
        self.p = subprocess.Popen(self.argv, env={**os.environ, **self.env}, stdout=logf,
                                  stderr=subprocess.STDOUT)
        self.logpath = logf.name
        self.lives.append({"pid": self.p.pid, "start": now(), "samples": []})
        for _ in range(600):  # 60 s at most
            text = open(self.logpath, errors="replace").read()
            m = re.search(self.ready, text)
            if m:
                self.port = int(m.group(1)) if m.groups() else None
                return True
            if self.p.poll() is not None:
                break
            time.sleep(0.1)
        log(f"{self.role} did not start: {open(self.logpath).read()[-2000:]}")
        return False

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def kill(self, sig):
        if self.alive():
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()

    def sample(self):
        if not self.alive():
            return
        pid = self.p.pid
        try:
            status = open(f"/proc/{pid}/status").read()
            rss, anon, file_, threads = (int(re.search(rf"{k}:\s+(\d+)", status).group(1)) for k in
                                         ("VmRSS", "RssAnon", "RssFile", "Threads"))
            fds = len(os.listdir(f"/proc/{pid}/fd"))
        except (OSError, AttributeError):
            return
        # RSS apart: anonymous memory (heap, stacks: where a leak grows) and file pages (the
        # code of the libraries, paged in as new paths run — a fault's handling, the first
        # time: bounded by the libraries' size)
        self.lives[-1]["samples"].append((now(), rss, fds, anon, file_, threads))


common = {"FLEETSIM_CONFIG_DIR": os.path.join(ROOT, "config"), "GOOGLE_CLOUD_PROJECT": "fsim-soak",
          "FLEETSIM_MIGRATIONS_DIR": os.path.join(ROOT, "migrations")}
api_env = {**common, "PORT": "0", "FLEETSIM_API_LISTEN": "127.0.0.1", "FLEETSIM_API_KEYS": KEY,
           "FLEETSIM_PUBSUB_TOPIC": "jobs", "FLEETSIM_API_WORKERS": "0",
           "FLEETSIM_API_OUTBOX_DELAY_SECONDS": "2", "FLEETSIM_API_OUTBOX_BACKOFF_SECONDS": "1",
           "FLEETSIM_API_OUTBOX_POLL_MS": "500", "FLEETSIM_API_PUBLISH_TIMEOUT_MS": "2000",
           "FLEETSIM_API_GRACE_SECONDS": "5",
           # a job still queued 60 s after its publish is published again: the fake's restart
           # drops the messages it holds, and this is what brings their jobs back (the
           # worker's claim makes the extra messages harmless)
           "FLEETSIM_API_OUTBOX_REPUBLISH_SECONDS": "60",
           # the status cache is bounded (10000 by default): a small bound fills before the
           # warm-up ends, so its filling is not read as growth after it. 500 did not: each
           # API caches the finished jobs its polls meet, about 3.5 new ones a second, so 500
           # filled only at 150-200 s, after the 90 s warm-up (about 0.3 MB of bodies: the
           # "in use" heap of the APIs grew 1.9 → 2.2 MB in a 6-minute run with
           # FSIM_SOAK_HEAP=1). 200 fills in about a minute.
           "FLEETSIM_API_STATUS_CACHE_ENTRIES": "200"}
worker_env = {**common, "FLEETSIM_PUBSUB_SUBSCRIPTION": "worker", "FLEETSIM_PUBSUB_WORKERS": "1",
              "FLEETSIM_PUBSUB_RETRY_SECONDS": "1", "FLEETSIM_PUBSUB_ACK_DEADLINE_SECONDS": "10",
              "FLEETSIM_PUBSUB_LEASE_SECONDS": "5", "FLEETSIM_PUBSUB_MAX_ATTEMPTS": "10"}
API_READY = r'listening on 127\.0\.0\.1 port (\d+)'
apis = [Proc("api-a", [API], api_env, API_READY), Proc("api-b", [API], api_env, API_READY)]
pullers = [Proc(f"pull-{i}", [WORKER, "--pull"], worker_env, r"pulling from") for i in (1, 2)]
pusher = Proc("push", [WORKER, "--push"], {**worker_env, "PORT": "0"},
              r"push endpoint listening on port (\d+)")
workers = pullers + [pusher]
retired = []  # API instances stopped on purpose (kept for the memory table)
faults = []   # (name, start, end)
procs_lock = threading.Lock()

# ---- traffic -------------------------------------------------------------------------------

base_request = json.load(open(os.path.join(ROOT, "tests/data/api/small.json")))
base_request["days"] = 1


def job_body(n):
    r = dict(base_request, name=f"soak job {n}")
    return json.dumps(r).encode()


def http(method, url, body=None, headers=None, timeout=30):
    """(status, body bytes, headers) — status 0 when no answer came."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers
    except Exception:
        return 0, b"", {}


def api_base():
    with procs_lock:
        live = [a for a in apis if a.alive() and a.port]
    return f"http://127.0.0.1:{rng.choice(live).port}" if live else None


stats = {"submitted": 0, "accepted": 0, "replays": 0, "replay_wrong": 0, "bad": 0,
         "bad_wrong": [], "unanswered": 0, "retried_503": 0, "pushed": 0, "push_failed": 0,
         "polls": [], "fetches": 0, "fetch_wrong": 0}
accepted = {}       # id → idempotency key
keys_used = []      # (key, body, id)
push_queue = []     # ids to deliver a second time through the push worker
lock = threading.Lock()
JSON = {"Content-Type": "application/json", "X-API-Key": KEY}

# Each bad request and the status it must get.
BAD = [
    ("not JSON", b"{\"days\":", JSON, 400),
    ("no API key", None, {"Content-Type": "application/json"}, 401),
    ("a wrong API key", None, {"Content-Type": "application/json", "X-API-Key": "x" * 24}, 403),
    ("text/plain", None, {"Content-Type": "text/plain", "X-API-Key": KEY}, 415),
    ("days: 0", "days0", JSON, 422),
    ("an Idempotency-Key of 300 bytes", None, {**JSON, "Idempotency-Key": "k" * 300}, 400),
    ("an unknown vehicle type", "vehicle", JSON, 422),
]


def submit_with_retry(body, headers):
    """POST /v1/simulations; a 503 or no answer (a fault window) is retried with the same
    Idempotency-Key, as a client should — bounded to 60 tries."""
    for _ in range(60):
        base = api_base()
        if not base:
            time.sleep(0.5)
            continue
        st, out, h = http("POST", base + "/v1/simulations", body, headers)
        if st in (0, 503, 409):
            with lock:
                stats["retried_503"] += 1
            time.sleep(0.5)
            continue
        return st, out, h
    return 0, b"", {}


def one_submit(n):
    kind = rng.random()
    if kind < 0.10:  # a bad request
        label, body, headers, want = BAD[n % len(BAD)]
        if body is None:
            body = job_body(n)
        elif body == "days0":
            body = json.dumps(dict(base_request, days=0)).encode()
        elif body == "vehicle":
            r = json.loads(job_body(n))
            r["vehicles"][0]["type"] = "hovercraft"
            body = json.dumps(r).encode()
        base = api_base()
        st = http("POST", base + "/v1/simulations", body, headers)[0] if base else 0
        with lock:
            stats["bad"] += 1
            if st != want:
                stats["bad_wrong"].append((label, want, st))
        return
    if kind < 0.20 and keys_used:  # the same Idempotency-Key again
        with lock:
            key, body, first = rng.choice(keys_used)
        st, out, h = submit_with_retry(body, {**JSON, "Idempotency-Key": key})
        with lock:
            stats["replays"] += 1
            got = json.loads(out).get("id") if st == 202 else None
            if got != first:
                stats["replay_wrong"] += 1
        return
    key = f"soak-{n}-{rng.getrandbits(32):08x}"
    body = job_body(n)
    st, out, h = submit_with_retry(body, {**JSON, "Idempotency-Key": key})
    with lock:
        stats["submitted"] += 1
        if st != 202:
            stats["unanswered"] += 1
            log(f"submit {n}: HTTP {st} {out[:200]!r}")
            return
        sid = json.loads(out)["id"]
        stats["accepted"] += 1
        accepted[sid] = key
        keys_used.append((key, body, sid))
        if kind > 0.90:  # also delivered through the push worker: published twice
            push_queue.append((sid, body))


def submitter(rate):
    n = 0
    while now() < LOAD_END:
        t = time.monotonic()
        one_submit(n)
        n += 1
        time.sleep(max(0.0, 1.0 / rate - (time.monotonic() - t)))


def push_deliverer():
    """The second delivery of a share of the jobs: a push envelope, as a push subscription
    would send it, with the job's id: the worker must see the row is done or running."""
    n = 0
    while now() < DURATION:
        with lock:
            item = push_queue.pop(0) if push_queue else None
        if not item:
            time.sleep(0.2)
            continue
        sid, body = item
        msg = dict(json.loads(body), mode="db", simulationId=sid)
        env = {"message": {"data": base64.b64encode(json.dumps(msg).encode()).decode(),
                           "attributes": {"traceId": f"soak-push-{n}"}, "messageId": f"soak-push-{n}",
                           "publishTime": "2026-01-05T00:00:00Z"},
               "subscription": "projects/fsim-soak/subscriptions/push", "deliveryAttempt": 1}
        n += 1
        ok = False
        for _ in range(60):  # Pub/Sub would redeliver until a 2xx
            port = pusher.port if pusher.alive() else None
            st = http("POST", f"http://127.0.0.1:{port}/", json.dumps(env).encode(),
                      {"Content-Type": "application/json"}, timeout=120)[0] if port else 0
            if 200 <= st < 300:
                ok = True
                break
            time.sleep(1)
        with lock:
            stats["pushed" if ok else "push_failed"] += 1


def poller(rate):
    """Status polls at a steady rate; each one's latency is kept with its time."""
    while now() < DURATION:
        t = time.monotonic()
        with lock:
            ids = list(accepted)
        base = api_base()
        if ids and base:
            sid = rng.choice(ids[-200:])
            t1 = time.monotonic()
            st = http("GET", f"{base}/v1/simulations/{sid}", None, {"X-API-Key": KEY})[0]
            with lock:
                stats["polls"].append((now(), time.monotonic() - t1, st))
        time.sleep(max(0.0, 1.0 / rate - (time.monotonic() - t)))


def fetcher():
    while now() < DURATION:
        time.sleep(1.0)
        base = api_base()
        with lock:
            ids = list(accepted)[-300:]
        if not ids or not base:
            continue
        sid = rng.choice(ids)
        st, out, _ = http("GET", f"{base}/v1/simulations/{sid}/result", None, {"X-API-Key": KEY})
        with lock:
            stats["fetches"] += 1
            if st == 200 and json.loads(out).get("simulationId") != sid:
                stats["fetch_wrong"] += 1


HEAP = os.environ.get("FSIM_SOAK_HEAP") == "1"  # diagnosis only: see heap_sample


def heap_sample(p):
    """With FSIM_SOAK_HEAP=1: glibc's malloc_stats() of an API instance, called through gdb
    (the process stops for a moment), as (t, bytes in use, bytes the allocator holds). Not
    by default: a call made while another thread holds an arena lock would hang until gdb's
    timeout, which can kill the process."""
    if not p.alive():
        return
    before = os.path.getsize(p.logpath)
    subprocess.run(["timeout", "20", "gdb", "-p", str(p.p.pid), "-batch", "-nx",
                    "-ex", "call (void)malloc_stats()"], capture_output=True)
    text = open(p.logpath, errors="replace").read()[before:]
    m = re.search(r"Total \(incl\. mmap\):\s*system bytes\s*=\s*(\d+)\s*in use bytes\s*=\s*(\d+)",
                  text)
    if m:
        p.lives[-1].setdefault("heap", []).append((now(), int(m.group(2)), int(m.group(1))))


def sampler():
    last_heap = 0.0
    while now() < DURATION + 400:
        with procs_lock:
            for p in apis + workers + retired:
                p.sample()
            if HEAP and now() - last_heap >= 60 and now() < DURATION:
                last_heap = now()
                for p in apis:
                    heap_sample(p)
        time.sleep(5)


# ---- faults --------------------------------------------------------------------------------

def as_pg():
    return ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []


def restart_postgres():
    pg = os.environ["FSIM_PG_BIN"]
    data = os.path.join(os.environ["FSIM_PG_DIR"], "data")
    # started again with the options with_postgres.sh gave it (its socket directory above all)
    opts = shlex.split(open(os.path.join(data, "postmaster.opts")).read())[1:]
    t = now()
    subprocess.run(as_pg() + [f"{pg}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"],
                   capture_output=True)
    time.sleep(3)  # down for a few seconds, as a failover would be
    subprocess.run(as_pg() + [f"{pg}/pg_ctl", "-D", data, "-l",
                              os.path.join(os.environ["FSIM_PG_DIR"], "postgres.log"), "-w",
                              "-o", " ".join(shlex.quote(o) for o in opts), "start"],
                   capture_output=True, check=True)
    faults.append(("PostgreSQL restarted (fast stop, 3 s down)", t, now()))


fake = {"pid": int(os.environ["FSIM_PUBSUB_FAKE_PID"]), "p": None}


def restart_fake():
    t = now()
    argv = open(f"/proc/{fake['pid']}/cmdline").read().split("\0")[:-1]
    port = os.environ["PUBSUB_EMULATOR_HOST"].rsplit(":", 1)[1]
    argv = [a if argv[i - 1] != "-port" else port for i, a in enumerate(argv)]
    os.kill(fake["pid"], signal.SIGKILL)
    if fake["p"]:
        fake["p"].wait()
    time.sleep(3)
    out = open(os.path.join(TMP, "fake.log"), "w")
    fake["p"] = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    fake["pid"] = fake["p"].pid
    for _ in range(100):
        if "ready" in open(out.name).read():
            break
        time.sleep(0.1)
    # the fake keeps everything in memory: the topic and subscription are made again
    topology()
    faults.append(("Pub/Sub fake restarted (SIGKILL, 3 s down, topology made again)", t, now()))


def replace_api():
    t = now()
    with procs_lock:
        old = apis[0]
    old.kill(signal.SIGTERM)
    new = Proc("api-c", [API], api_env, API_READY)
    for _ in range(5):
        if new.start():
            break
        time.sleep(2)
    with procs_lock:
        apis[0] = new
        retired.append(old)
    faults.append((f"API {old.role} SIGTERMed (exit {old.p.returncode}), api-c started", t, now()))


def kill_worker():
    victim = rng.choice(workers)
    t = now()
    victim.kill(signal.SIGKILL)
    time.sleep(1)
    victim.start()
    faults.append((f"{victim.role} SIGKILLed and started again", t, now()))


def chaos():
    plan = [(DURATION * 0.30, restart_postgres), (DURATION * 0.50, restart_fake),
            (DURATION * 0.65, replace_api)]
    t = WARMUP
    while True:
        t += rng.uniform(35, 75)
        if t > DURATION * 0.80:
            break
        plan.append((t, kill_worker))
    plan.sort(key=lambda x: x[0])
    for at, fn in plan:
        while now() < at:
            time.sleep(0.2)
        try:
            fn()
        except Exception as e:  # a fault that could not be injected is reported, not hidden
            faults.append((f"{fn.__name__} FAILED: {e}", now(), now()))


# ---- the end -------------------------------------------------------------------------------

def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else float("nan")


def growth(life):
    """RSS and fds after warm-up vs at the end of one instance's life (median of 3 samples)."""
    s = [x for x in life["samples"] if x[0] >= max(WARMUP, life["start"] + 60)]
    if len(s) < 6:
        return None
    a, b = s[:3], s[-3:]
    mid = len(s) // 2
    m = s[mid - 1:mid + 2]
    r0, r1 = statistics.median(x[1] for x in a), statistics.median(x[1] for x in b)
    rm = statistics.median(x[1] for x in m)
    f0, f1 = statistics.median(x[2] for x in a), statistics.median(x[2] for x in b)
    an0, an1 = statistics.median(x[3] for x in a), statistics.median(x[3] for x in b)
    fl0, fl1 = statistics.median(x[4] for x in a), statistics.median(x[4] for x in b)
    # the second half's growth apart: a leak grows about as much in each half, a cache or
    # allocator arenas filling up mostly in the first
    return (r0, r1, (r1 - r0) / r0 * 100, f0, f1, (f1 - f0) / max(f0, 1) * 100,
            b[-1][0] - a[0][0], (r1 - rm) / rm * 100, an0, an1, fl0, fl1, a[0][5], b[-1][5])


def rss_curve(life):
    """RSS (MB) once a minute over one instance's life, from its first sample."""
    out, next_t = [], None
    for t, rss, *_ in life["samples"]:
        if next_t is None or t >= next_t:
            out.append(f"{rss / 1024:.0f}")
            next_t = (next_t or t) + 60
    return " ".join(out)


def report():
    ok = True
    print("\n==== soak: %.0f min, seed %s ====" % (MINUTES, os.environ.get("FSIM_SOAK_SEED", "17")))
    ids = list(accepted)
    rows = {}
    for line in sql("SELECT id, status, attempts, (metadata ? 'summary') AND "
                    "jsonb_array_length(time_series_data) > 0, idempotency_key, "
                    "coalesce(metadata->'error'->>'code', ''), published_at IS NOT NULL "
                    "FROM simulations").splitlines():
        i, st, att, res, key, code, pub = line.split("|")
        rows[i] = (st, int(att), res == "t", key, code, pub == "t")
    dup_keys = sql("SELECT count(*) FROM (SELECT idempotency_key FROM simulations WHERE "
                   "idempotency_key IS NOT NULL GROUP BY 1 HAVING count(*) > 1) d")
    missing = [i for i in ids if i not in rows]
    succeeded = [i for i in ids if i in rows and rows[i][0] == "succeeded" and rows[i][2]]
    not_done = [i for i in ids if i in rows and rows[i][0] != "succeeded"]
    stranded = [i for i in not_done if rows[i][0] == "queued" and rows[i][5]]
    extra = [i for i in rows if i not in accepted]
    attempts = [rows[i][1] for i in succeeded]
    print(f"{'jobs submitted (unique keys)':44s} {stats['submitted']}")
    print(f"{'  accepted (202)':44s} {stats['accepted']}")
    print(f"{'  succeeded, one row with its result':44s} {len(succeeded)}")
    print(f"{'  lost (no row)':44s} {len(missing)}")
    print(f"{'  not succeeded at the end':44s} {len(not_done)}"
          + (f"  ({len(stranded)} queued, published before the fake's restart lost them)"
             if stranded else ""))
    for i in not_done[:10]:
        print(f"      {i} {rows[i]}")
    again = set()
    for name in os.listdir(TMP):
        if name.startswith("api-") and name.endswith(".log"):
            again.update(re.findall(r"simulation ([0-9a-f-]{36}): republished",
                                    open(os.path.join(TMP, name), errors="replace").read()))
    print(f"{'  published again by the outbox (still queued)':44s} {len(again)} "
          f"(of them succeeded once: {sum(1 for i in again if i in succeeded)})")
    print(f"{'  rows nobody was told about':44s} {len(extra)}")
    print(f"{'  duplicate rows for one Idempotency-Key':44s} {dup_keys}")
    if attempts:
        print(f"{'  attempts per succeeded job':44s} 1: {attempts.count(1)}, 2: {attempts.count(2)},"
              f" 3+: {sum(a >= 3 for a in attempts)}, 0: {attempts.count(0)}")
    print(f"{'repeated Idempotency-Key submits':44s} {stats['replays']} "
          f"(wrong id or status: {stats['replay_wrong']})")
    print(f"{'delivered again through the push worker':44s} {stats['pushed']} "
          f"(never acked: {stats['push_failed']})")
    print(f"{'bad requests':44s} {stats['bad']} (answered with another status: "
          f"{len(stats['bad_wrong'])})")
    for label, want, got in stats["bad_wrong"][:10]:
        print(f"      {label}: wanted {want}, got {got}")
    print(f"{'submits retried after 503/409/no answer':44s} {stats['retried_503']}")
    print(f"{'submits never answered 202':44s} {stats['unanswered']}")
    print(f"{'result fetches':44s} {stats['fetches']} (wrong body: {stats['fetch_wrong']})")
    polls = stats["polls"]
    print(f"{'status polls':44s} {len(polls)} (answered: "
          f"{sum(1 for p in polls if p[2] in (200,))}, 503: {sum(1 for p in polls if p[2] == 503)},"
          f" no answer: {sum(1 for p in polls if p[2] == 0)})")
    print("\npoll latency (ms)                                          polls    p50      p99")
    windows = [("no fault (outside every window)", None, None)] + \
              [(n, s, e + 10) for n, s, e in faults]
    for name, s, e in windows:
        if s is None:
            sel = [p[1] for p in polls if not any(fs <= p[0] <= fe + 10 for _, fs, fe in faults)]
        else:
            sel = [p[1] for p in polls if s <= p[0] <= e]
        print(f"  {name[:56]:56s} {len(sel):6d} {pct(sel, .5):8.1f} {pct(sel, .99):8.1f}")
    print("\nfaults injected (seconds from the start)")
    for name, s, e in faults:
        print(f"  {s:7.1f} – {e:7.1f}  {name}")
    print("\nmemory and descriptors after warm-up (per process instance that lived long enough)")
    print("  process   pid      RSS kB start→end   growth  2nd half   fds start→end  growth   over s"
          "   anon kB start→end  file kB start→end  threads")
    for p in apis + retired + workers:
        for life in p.lives:
            g = growth(life)
            if not g:
                continue
            r0, r1, rg, f0, f1, fg, span, late, an0, an1, fl0, fl1, t0, t1 = g
            print(f"  {p.role:8s} {life['pid']:6d} {r0:9.0f}→{r1:<9.0f} {rg:+6.1f} % {late:+6.1f} % "
                  f"{f0:5.0f}→{f1:<5.0f} {fg:+6.1f} % {span:7.0f}   {an0:7.0f}→{an1:<7.0f}"
                  f" {(an1 - an0) / an0 * 100:+5.1f} % {fl0:6.0f}→{fl1:<6.0f} {t0:3d}→{t1}")
    print("\nAPI RSS (MB), one sample a minute from its start")
    for p in apis + retired:
        for life in p.lives:
            print(f"  {p.role:8s} {life['pid']:6d} {rss_curve(life)}")
    if HEAP:
        print("\nAPI heap (malloc_stats: MB in use / MB held by the allocator), once a minute")
        for p in apis + retired:
            for life in p.lives:
                h = " ".join(f"{u / 1048576:.1f}/{a / 1048576:.1f}" for _, u, a in life.get("heap", []))
                print(f"  {p.role:8s} {life['pid']:6d} {h}")
    if missing or extra or dup_keys != "0" or len(not_done) or stats["bad_wrong"] or \
            stats["unanswered"] or stats["replay_wrong"] or stats["push_failed"]:
        ok = False
    print("\nsoak:", "PASS — nothing lost, nothing duplicated, every request answered" if ok
          else "FAIL — see the lines above")
    return ok


def main():
    try:
        return run()
    finally:  # nothing of ours outlives the soak, whatever happened
        for p in apis + workers + retired:
            p.kill(signal.SIGKILL)
        if fake["p"]:
            fake["p"].kill()
            fake["p"].wait()


def run():
    subprocess.run([FLEETSIM, "migrate", "--dir", os.path.join(ROOT, "migrations")],
                   capture_output=True, check=True)
    sql(f"INSERT INTO fleets (id, name) VALUES ('{base_request['fleetId']}', 'soak fleet')")
    topology()
    for p in apis + workers:
        if not p.start():
            return 1
    log(f"system up: APIs on {[a.port for a in apis]}, push worker on {pusher.port}; "
        f"{MINUTES:.0f} min, load until {LOAD_END:.0f} s")
    threads = [threading.Thread(target=f, args=a, daemon=True) for f, a in
               [(submitter, (4.0,)), (submitter, (4.0,)), (poller, (20.0,)), (fetcher, ()),
                (push_deliverer, ()), (sampler, ()), (chaos, ())]]
    for t in threads:
        t.start()
    while now() < LOAD_END:
        time.sleep(30)
        backlog = sql("SELECT count(*) FROM simulations WHERE status IN ('queued', 'running')",
                      check=False)
        with lock:
            log(f"accepted {stats['accepted']}, bad {stats['bad']}, polls {len(stats['polls'])}, "
                f"faults {len(faults)}, queued or running {backlog}")
    threads[-1].join()
    # drain: every accepted job final, bounded
    deadline = now() + max(120.0, DURATION * 0.15)
    while now() < deadline:
        left = sql("SELECT count(*) FROM simulations WHERE status IN ('queued', 'running')",
                   check=False)
        if left == "0":
            break
        time.sleep(2)
    while now() < DURATION:
        time.sleep(1)
    with procs_lock:
        for p in apis + workers + retired:
            p.sample()
    ok = report()
    for p in apis + workers:
        p.kill(signal.SIGTERM)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
