#!/usr/bin/env python3
"""fake_services.py — a local stand-in for Mapbox Directions (and OSRM), Open-Meteo's
elevation, forecast and archive APIs, replaying the answers in fixtures/ (README.md names the
documentation each one follows).

  GET /directions/v5/mapbox/{driving|driving-traffic}/{lon,lat;…}?…&access_token=T
  GET /route/v1/driving/{lon,lat;…}?…          (OSRM: an access_token is a 400 InvalidQuery)
        the recorded route whose waypoints match (within 1e-5°), else 200 {"code":
        "NoRoute"} as both services answer; Mapbox: no token → 401 "Not Authorized - No
        Token", token "bad-token" → 401 "Not Authorized - Invalid Token"
  GET /v1/elevation?latitude=a,b&longitude=c,d  each point's recorded elevation (nearest
        recorded point within ~1 m), else 400 {"error": true, "reason": …}
  GET /v1/archive|/v1/forecast?latitude&longitude&hourly=temperature_2m&start_date&end_date
        the recorded hours of those dates
  POST /control?fault=F&n=N[&seconds=S]   the next N service requests get fault F:
        401  Mapbox's invalid-token answer      422  Mapbox's InvalidInput answer
        429  "Too Many Requests" + Retry-After: S (default 1)
        500, 503  a server error                 truncate  a 200 whose body stops halfway
        slow  the answer after S seconds (default 5)
  POST /control?reset=1    faults and counters back to zero
  GET /stats               {"requests": N, "by_path": {…}, "faults_served": N}

Prints `FAKE_SERVICES_READY http://127.0.0.1:PORT` when listening. Standard library only.
"""
import http.server
import json
import math
import os
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
LOCK = threading.Lock()
STATE = {}


def reset():
    STATE.update(requests=0, by_path={}, faults_served=0, fault=None, fault_n=0, seconds=0.0)


reset()


def load(name):
    with open(os.path.join(HERE, "fixtures", name), encoding="utf-8") as f:
        return json.load(f)


ROUTES = [load("directions-north-3wp.json")]
ELEVATION = load("elevation-north.json")["points"]
ARCHIVE = load("archive-north-2026-01.json")["body"]

MAPBOX_ERRORS = {  # docs.mapbox.com/api/navigation/directions/#directions-api-errors
    401: {"message": "Not Authorized - Invalid Token"},
    422: {"message": "Coordinate is invalid: 200,40.47", "code": "InvalidInput"},
    429: {"message": "Too Many Requests"},
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def send_json(self, status, body, extra=None, truncate=False):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        if truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data[: len(data) // 2] if truncate else data)
        if truncate:
            self.wfile.flush()
            self.close_connection = True

    def do_POST(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if u.path != "/control":
            return self.send_json(404, {"message": "Not Found"})
        with LOCK:
            if q.get("reset"):
                reset()
            if "fault" in q:
                STATE["fault"] = q["fault"]
                STATE["fault_n"] = int(q.get("n", "1"))
                STATE["seconds"] = float(q.get("seconds", "0"))
        self.send_json(200, {"ok": True})

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if u.path == "/stats":
            with LOCK:
                return self.send_json(200, {k: STATE[k] for k in
                                            ("requests", "by_path", "faults_served")})
        kind = u.path.split("/")[1] + "/" + u.path.split("/")[2] if u.path.count("/") > 1 else u.path
        with LOCK:
            STATE["requests"] += 1
            STATE["by_path"][kind] = STATE["by_path"].get(kind, 0) + 1
            fault = STATE["fault"] if STATE["fault_n"] > 0 else None
            if fault:
                STATE["fault_n"] -= 1
                STATE["faults_served"] += 1
            seconds = STATE["seconds"]
        if fault in ("401", "422"):
            return self.send_json(int(fault), MAPBOX_ERRORS[int(fault)])
        if fault == "429":
            return self.send_json(429, MAPBOX_ERRORS[429],
                                  {"Retry-After": str(int(seconds or 1)),
                                   "X-Rate-Limit-Limit": "300",
                                   "X-Rate-Limit-Interval": "60"})
        if fault in ("500", "502", "503"):
            return self.send_json(int(fault), {"message": "Service Unavailable"})
        if fault == "slow":
            time.sleep(seconds or 5)
        truncate = fault == "truncate"
        if u.path.startswith("/directions/v5/mapbox/") or u.path.startswith("/route/v1/"):
            return self.directions(u, q, truncate)
        if u.path.endswith("/elevation"):
            return self.elevation(q, truncate)
        if u.path.endswith("/archive") or u.path.endswith("/forecast"):
            return self.weather(q, truncate)
        return self.send_json(404, {"message": "Not Found"})

    def directions(self, u, q, truncate):
        parts = u.path.split("/")
        mapbox = parts[1] == "directions"
        if mapbox:
            token = q.get("access_token")
            if not token:
                return self.send_json(401, {"message": "Not Authorized - No Token"})
            if token == "bad-token":
                return self.send_json(401, MAPBOX_ERRORS[401])
            if parts[4] not in ("driving", "driving-traffic", "walking", "cycling"):
                return self.send_json(404, {"message": "Profile not found",
                                            "code": "ProfileNotFound"})
        elif "access_token" in q:
            # OSRM parses its whole query: an unknown option is an error
            return self.send_json(400, {"code": "InvalidQuery",
                                        "message": "Query string malformed close to position "
                                                   + str(u.query.find("access_token"))})
        coords = urllib.parse.unquote(parts[-1])
        try:
            wps = [[float(x) for x in c.split(",")] for c in coords.split(";")]
        except ValueError:
            return self.send_json(422, MAPBOX_ERRORS[422])
        if len(wps) > 25:
            return self.send_json(422, {"message": "Too many coordinates; maximum number of "
                                                   "coordinates is 25.", "code": "InvalidInput"})
        for r in ROUTES:
            if len(r["waypoints"]) == len(wps) and all(
                    abs(a[0] - b[0]) < 1e-5 and abs(a[1] - b[1]) < 1e-5
                    for a, b in zip(r["waypoints"], wps)):
                return self.send_json(200, r["body"], truncate=truncate)
        return self.send_json(200, {"code": "NoRoute", "message": "No route found",
                                    "routes": [], "waypoints": []}, truncate=truncate)

    def elevation(self, q, truncate):
        try:
            lats = [float(x) for x in q["latitude"].split(",")]
            lons = [float(x) for x in q["longitude"].split(",")]
        except (KeyError, ValueError):
            return self.send_json(400, {"error": True, "reason": "Parameter latitude and "
                                                                 "longitude required"})
        if len(lats) != len(lons) or len(lats) > 100:
            return self.send_json(400, {"error": True,
                                        "reason": "Latitude and longitude must have the same "
                                                  "number of elements, at most 100"})
        out = []
        for lat, lon in zip(lats, lons):
            best = min(ELEVATION, key=lambda p: (p["lat"] - lat) ** 2 + (p["lon"] - lon) ** 2)
            if math.hypot(best["lat"] - lat, best["lon"] - lon) > 1e-5:
                return self.send_json(400, {"error": True, "reason": "no recorded elevation "
                                            "for %.5f,%.5f" % (lat, lon)})
            out.append(best["elevation"])
        return self.send_json(200, {"elevation": out}, truncate=truncate)

    def weather(self, q, truncate):
        try:
            lat, lon = float(q["latitude"]), float(q["longitude"])
            start, end = q["start_date"], q["end_date"]
        except (KeyError, ValueError):
            return self.send_json(400, {"error": True, "reason": "start_date and end_date "
                                                                 "required"})
        if q.get("hourly") != "temperature_2m":
            return self.send_json(400, {"error": True, "reason": "hourly=temperature_2m only"})
        if abs(lat - ARCHIVE["latitude"]) > 0.1 or abs(lon - ARCHIVE["longitude"]) > 0.1:
            return self.send_json(400, {"error": True, "reason": "no recording for this place"})
        times = ARCHIVE["hourly"]["time"]
        idx = [i for i, t in enumerate(times) if start <= t[:10] <= end]
        if not idx or times[idx[0]][:10] != start or times[idx[-1]][:10] != end:
            return self.send_json(400, {"error": True, "reason": "no recording for %s..%s"
                                        % (start, end)})
        body = dict(ARCHIVE)
        body["hourly"] = {"time": [times[i] for i in idx],
                          "temperature_2m": [ARCHIVE["hourly"]["temperature_2m"][i]
                                             for i in idx]}
        return self.send_json(200, body, truncate=truncate)


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    print("FAKE_SERVICES_READY http://127.0.0.1:%d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
