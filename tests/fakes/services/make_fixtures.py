#!/usr/bin/env python3
"""Writes fixtures/*.json: answers in the shapes the services' public documentation gives
(README.md names each source). Run once; the files are committed and replayed by
fake_services.py. The real services are not reachable from the test machines, so the bodies
are synthesized here in the documented shapes: a street-grid route in Pittsburgh through three
waypoints, a smooth terrain, a January of hourly temperatures with a day-night swing."""
import json
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))
R = 6371008.8


def hav(a, b):
    la1, la2 = math.radians(a[1]), math.radians(b[1])
    dla, dlo = la2 - la1, math.radians(b[0] - a[0])
    h = math.sin(dla / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(dlo / 2) ** 2
    return 2 * R * math.asin(math.sqrt(h))


WAYPOINTS = [[-79.96, 40.47], [-79.9402, 40.4795], [-79.9251, 40.4703]]


def street_leg(a, b, step=0.0009):
    """An L-shaped street path from a to b (east-west first, then north-south), a vertex
    about every 75-100 m, as a road geometry has at junctions."""
    pts = []
    n = max(2, int(abs(b[0] - a[0]) / step))
    for i in range(n + 1):
        pts.append([a[0] + (b[0] - a[0]) * i / n, a[1]])
    m = max(2, int(abs(b[1] - a[1]) / step))
    for j in range(1, m + 1):
        pts.append([b[0], a[1] + (b[1] - a[1]) * j / m])
    return pts


def main():
    line = []
    legs = []
    for a, b in zip(WAYPOINTS, WAYPOINTS[1:]):
        leg = street_leg(a, b)
        if line:
            leg = leg[1:]
        line += leg
    line = [[round(x, 6), round(y, 6)] for x, y in line]
    length = sum(hav(p, q) for p, q in zip(line, line[1:]))
    # The service measures along its own, finer road geometry: a little longer than the
    # simplified overview line (0.2 % here).
    distance = round(length * 1.002, 1)
    for a, b in zip(WAYPOINTS, WAYPOINTS[1:]):
        d = round(hav(a, [b[0], a[1]]) + hav([b[0], a[1]], b), 1)
        legs.append({"summary": "Butler Street, 40th Street", "weight": round(d / 9.1, 1),
                     "duration": round(d / 9.8, 1), "steps": [], "distance": d})
    directions = {
        "routes": [{"weight_name": "auto", "weight": round(distance / 9.1, 3),
                    "duration": round(distance / 9.8, 3), "distance": distance,
                    "legs": legs,
                    "geometry": {"coordinates": line, "type": "LineString"}}],
        "waypoints": [{"distance": 3.2, "name": n, "location": w}
                      for n, w in zip(["44th Street", "Butler Street", "40th Street"],
                                      WAYPOINTS)],
        "code": "Ok",
        "uuid": "fixture-north-3wp-0001"}
    with open(os.path.join(HERE, "fixtures/directions-north-3wp.json"), "w") as f:
        json.dump({"source": "Mapbox Directions API v5, Response object "
                             "(docs.mapbox.com/api/navigation/directions/#directions-response-object)",
                   "waypoints": WAYPOINTS, "body": directions}, f, indent=1)
    # Elevation: what Open-Meteo's Copernicus DEM gives for the points fleetsim asks about
    # (the line with a point at least every 100 m: core/runner/route_fetch.c), per point.
    dense = [line[0]]
    for a, b in zip(line, line[1:]):
        m = math.ceil(hav(a, b) / 100.0)
        for k in range(1, m):
            dense.append([a[0] + (b[0] - a[0]) * k / m, a[1] + (b[1] - a[1]) * k / m])
        dense.append(b)
    pts = []
    for lon, lat in dense:
        e = 230 + 25 * math.sin((lon + 79.96) * 180) + 18 * math.cos((lat - 40.47) * 260)
        pts.append({"lat": round(lat, 7), "lon": round(lon, 7), "elevation": round(e, 1)})
    with open(os.path.join(HERE, "fixtures/elevation-north.json"), "w") as f:
        json.dump({"source": "Open-Meteo Elevation API (open-meteo.com/en/docs/elevation-api)",
                   "points": pts}, f, indent=0)
    # Weather: January 2026 at the north depot, hourly temperature_2m (UTC).
    times, temps = [], []
    for day in range(1, 32):
        for h in range(24):
            times.append("2026-01-%02dT%02d:00" % (day, h))
            t = -3.0 + 5.0 * math.sin(2 * math.pi * (h - 14) / 24) + 1.5 * math.sin(day / 3.0)
            temps.append(round(t, 1))
    archive = {"latitude": 40.47, "longitude": -79.96, "generationtime_ms": 0.81,
               "utc_offset_seconds": 0, "timezone": "GMT", "timezone_abbreviation": "GMT",
               "elevation": 248.0, "hourly_units": {"time": "iso8601", "temperature_2m": "°C"},
               "hourly": {"time": times, "temperature_2m": temps}}
    with open(os.path.join(HERE, "fixtures/archive-north-2026-01.json"), "w") as f:
        json.dump({"source": "Open-Meteo Historical Weather API "
                             "(open-meteo.com/en/docs/historical-weather-api)",
                   "body": archive}, f)
    print("route: %d points (%d with elevation samples), %.1f m geodesic, service distance "
          "%.1f m" % (len(line), len(dense), length, distance))


main()
