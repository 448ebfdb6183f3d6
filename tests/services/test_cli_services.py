#!/usr/bin/env python3
"""The `fleetsim` binary with the routing, elevation and weather services, as a user runs it,
against tests/fakes/services/fake_services.py (run under with_fake_services.sh, which sets
the URLs, a fresh FLEETSIM_CACHE_DIR and a test token). TAP output.

  1. `routes fetch` turns a 3-waypoint routes.yaml entry into a GeoJSON file with elevation
     whose length is the recorded route's distance within 0.5 %; offline from the cache it
     writes the identical file; a run then reads the file and asks no service.
  2. A winter-week scenario with `"weather": {"source": "open-meteo"}` runs (archive from
     the fake), its timeseries.csv has temperature_c, its energy differs from the constant
     -5 °C run in the direction of the week's temperatures; offline it reruns from the cache.
  3. No token and no cache: exit 2 naming MAPBOX_ACCESS_TOKEN and `fleetsim routes fetch`;
     offline and not cached: exit 2 naming the cache entry; a service outage: exit 1.

  4. fleetsim-api: POST /v1/simulations:run with weather while the weather service is down
     → 503 service_unavailable with Retry-After; /healthz answers meanwhile (a slow service
     holds a handler thread, never an HTTP thread).

usage: test_cli_services.py FLEETSIM SOURCE_ROOT FLEETSIM_API
"""
import csv
import json
import math
import os
import shutil
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

fleetsim, root = sys.argv[1], sys.argv[2]
fake = os.environ["FAKE_SERVICES_URL"]
n = 0
failed = 0


def check(ok, what, detail=""):
    global n, failed
    n += 1
    failed += 0 if ok else 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, what), flush=True)
    if not ok and detail:
        for line in str(detail).splitlines()[:20]:
            print("# " + line)


def run(args, env=None, timeout=120):
    e = dict(os.environ)
    e.update(env or {})
    for k, v in list(e.items()):
        if v is None:
            del e[k]
    return subprocess.run([fleetsim] + args, capture_output=True, text=True, env=e,
                          timeout=timeout)


def control(q):
    urllib.request.urlopen(urllib.request.Request(fake + "/control?" + q, data=b""), timeout=5)


def stats():
    return json.load(urllib.request.urlopen(fake + "/stats", timeout=5))


def hav(a, b):
    R = 6371008.8
    la1, la2 = math.radians(a[1]), math.radians(b[1])
    h = (math.sin((la2 - la1) / 2) ** 2 +
         math.cos(la1) * math.cos(la2) * math.sin(math.radians(b[0] - a[0]) / 2) ** 2)
    return 2 * R * math.asin(math.sqrt(h))


tmp = tempfile.mkdtemp()
cfg = os.path.join(tmp, "config")
shutil.copytree(os.path.join(root, "config"), cfg)
with open(os.path.join(cfg, "routes.yaml"), "a") as f:
    f.write("""  north-3wp:
    waypoints: [[-79.96, 40.47], [-79.9402, 40.4795], [-79.9251, 40.4703]]
    speedKph: 40
    stopsPerKm: 1.5
    dwellSeconds: 30
    accelMps2: 1.2
    brakeMps2: 1.5
    depot: north
""")
out_file = os.path.join(cfg, "routes", "north-3wp.geojson")
recorded = json.load(open(os.path.join(root, "tests/fakes/services/fixtures/"
                                             "directions-north-3wp.json")))["body"]

# ---- 1. routes fetch ------------------------------------------------------------------------
p = run(["routes", "fetch", "north-3wp", "--config", cfg])
check(p.returncode == 0 and os.path.exists(out_file), "routes fetch writes the GeoJSON",
      p.stderr)
print("# " + p.stdout.strip())
gj = json.load(open(out_file))
coords = gj["features"][0]["geometry"]["coordinates"]
length = sum(hav(a, b) for a, b in zip(coords, coords[1:]))
dist = recorded["routes"][0]["distance"]
check(all(len(c) == 3 for c in coords) and len({c[2] for c in coords}) > 10,
      "every position has an elevation (%d positions)" % len(coords))
check(abs(length / dist - 1) < 0.005,
      "its length %.1f m is the recorded distance %.1f m within 0.5 %% (%.2f %%)"
      % (length, dist, (length / dist - 1) * 100))
first = open(out_file, "rb").read()
os.remove(out_file)
before = stats()["requests"]
control("fault=503&n=100")  # the services are down: only the cache can answer
p = run(["routes", "fetch", "north-3wp", "--config", cfg, "--offline"])
check(p.returncode == 0 and open(out_file, "rb").read() == first,
      "offline from the cache: the identical file", p.stderr)
check(stats()["requests"] == before, "offline asked no service")
control("reset=1")

# A run reads the file and never calls a service for it.
scen = json.load(open(os.path.join(root, "config/scenarios/demo.json")))
scen.pop("plan", None)
scen["vehicles"] = [dict(scen["vehicles"][1], routeId="north-3wp", count=2)]
scen_path = os.path.join(tmp, "on-3wp.json")
json.dump(scen, open(scen_path, "w"))
before = stats()["requests"]
p = run(["run", scen_path, "--config", cfg, "--out", os.path.join(tmp, "out-3wp")])
check(p.returncode == 0 and stats()["requests"] == before,
      "a run on the fetched route reads its file: no service request", p.stderr)

# ---- 2. winter week with hourly weather ------------------------------------------------------
week = json.load(open(os.path.join(root, "config/scenarios/demo.json")))
week.pop("plan", None)
week["name"] = "north depot, winter week, hourly weather"
week["weather"] = {"source": "open-meteo"}
week_path = os.path.join(tmp, "winter-week.json")
json.dump(week, open(week_path, "w"))
const = dict(week)
const.pop("weather")
const_path = os.path.join(tmp, "winter-week-constant.json")
json.dump(const, open(const_path, "w"))
p = run(["run", week_path, "--config", cfg, "--out", os.path.join(tmp, "w"), "--json"])
check(p.returncode == 0, "the winter week with open-meteo weather runs", p.stderr)
w = json.loads(p.stdout) if p.returncode == 0 else {}
p = run(["run", const_path, "--config", cfg, "--out", os.path.join(tmp, "c"), "--json"])
c = json.loads(p.stdout) if p.returncode == 0 else {}
rows = list(csv.DictReader(open(os.path.join(tmp, "w", "timeseries.csv"))))
temps = [float(r["temperature_c"]) for r in rows if r.get("temperature_c")]
check(len(temps) == len(rows) > 0 and max(temps) - min(temps) > 5,
      "timeseries.csv carries temperature_c (%.1f..%.1f °C)" % (min(temps or [0]),
                                                               max(temps or [0])))
trip_temps = []
for t in w.get("trips", []):
    k = (int(t["depart"][8:10]) - 5) * 24 + int(t["depart"][11:13]) - 5
    pts = [r for r in rows if r["t"][:13] == t["depart"][:13]]
    if pts:
        trip_temps.append(float(pts[0]["temperature_c"]))
mean = sum(trip_temps) / len(trip_temps) if trip_temps else float("nan")
we, ce = w.get("summary", {}).get("energyUsedKwh"), c.get("summary", {}).get("energyUsedKwh")
print("# trips at %.2f °C on average; energy %s kWh with weather, %s kWh at a constant -5 °C"
      % (mean, we, ce))
check(we is not None and ce is not None and (we < ce) == (mean > -5),
      "the summary's energy moves the way the week's temperatures say")
control("fault=503&n=100")
p = run(["run", week_path, "--config", cfg, "--out", os.path.join(tmp, "w2"), "--json",
         "--offline"])
check(p.returncode == 0 and json.loads(p.stdout)["summary"] == w.get("summary"),
      "offline: the same run from the cache", p.stderr)
control("reset=1")

# ---- 3. errors --------------------------------------------------------------------------------
os.remove(out_file)
env = {"MAPBOX_ACCESS_TOKEN": None,
       "FLEETSIM_ROUTING_URL": "https://api.mapbox.com/directions/v5/mapbox",
       "FLEETSIM_CACHE_DIR": os.path.join(tmp, "empty-cache")}
p = run(["routes", "fetch", "north-3wp", "--config", cfg], env=env)
check(p.returncode == 2 and "MAPBOX_ACCESS_TOKEN" in p.stderr and
      "fleetsim routes fetch north-3wp" in p.stderr,
      "no token, no cache: exit 2 naming MAPBOX_ACCESS_TOKEN and the command", p.stderr)
print("# " + p.stderr.strip())
p = run(["routes", "fetch", "north-3wp", "--config", cfg, "--offline"],
        env={"FLEETSIM_CACHE_DIR": os.path.join(tmp, "empty-cache")})
check(p.returncode == 2 and "offline" in p.stderr and "empty-cache/" in p.stderr,
      "offline, not cached: exit 2 naming the cache entry", p.stderr)
p = run(["run", scen_path, "--config", cfg, "--out", os.path.join(tmp, "o"), "--offline"],
        env={"FLEETSIM_CACHE_DIR": os.path.join(tmp, "empty-cache")})
check(p.returncode == 2 and "fleetsim routes fetch north-3wp" in p.stderr,
      "a run offline on a route never fetched: exit 2 naming `fleetsim routes fetch`", p.stderr)
control("fault=503&n=100")
p = run(["routes", "fetch", "north-3wp", "--config", cfg],
        env={"FLEETSIM_CACHE_DIR": os.path.join(tmp, "cold"),
             "FLEETSIM_SERVICE_MAX_ATTEMPTS": "2"})
check(p.returncode == 1 and "HTTP 503" in p.stderr and not os.path.exists(out_file),
      "a service outage: exit 1 (retry later), no file", p.stderr)
control("reset=1")

# ---- 4. the API --------------------------------------------------------------------------------
api_log = open(os.path.join(tmp, "api.log"), "w+")
env = dict(os.environ, PORT="0", FLEETSIM_API_LISTEN="127.0.0.1", FLEETSIM_CONFIG_DIR=cfg,
           FLEETSIM_CACHE_DIR=os.path.join(tmp, "api-cache"), FLEETSIM_SERVICE_MAX_ATTEMPTS="2",
           FLEETSIM_SERVICE_TIMEOUT_SECONDS="2")
env.pop("DATABASE_URL", None)
api = subprocess.Popen([sys.argv[3]], stdout=api_log, stderr=subprocess.STDOUT, env=env)
base = None
for _ in range(200):
    api_log.seek(0)
    m = re.search(r"listening on 127.0.0.1 port (\d+)", api_log.read())
    if m:
        base = "http://127.0.0.1:" + m.group(1)
        break
    time.sleep(0.05)
api_log.seek(0)
check(base is not None, "fleetsim-api starts", api_log.read())


def post_run(body):
    req = urllib.request.Request(base + "/v1/simulations:run", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


if base:
    control("fault=503&n=100")
    status, headers, body = post_run(week)
    err = json.loads(body or b"{}").get("error", {})
    check(status == 503 and err.get("code") == "service_unavailable" and
          "Retry-After" in headers,
          "weather service down: 503 service_unavailable with Retry-After", body[:400])
    control("reset=1")
    control("fault=slow&n=4&seconds=3")
    result = {}
    t = threading.Thread(target=lambda: result.update(r=post_run(week)))
    t.start()
    time.sleep(0.3)
    t0 = time.time()
    with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
        ok = r.status == 200
    check(ok and time.time() - t0 < 1, "/healthz answers while a run waits on a slow service "
                                        "(%.2f s)" % (time.time() - t0))
    t.join(60)
    check(not t.is_alive() and result.get("r", (0,))[0] == 503,
          "the slow service ends in 503 within the timeout budget, no hang")
    control("reset=1")
    api.terminate()
    api.wait(15)

shutil.rmtree(tmp)
print("1..%d" % n)
sys.exit(1 if failed else 0)
