#!/usr/bin/env python3
"""Generates the three bundled routes in config/routes/ (deterministic; no network).

    python3 tools/make_routes.py            # writes config/routes/*.geojson
    python3 tools/make_routes.py --check    # only verifies the committed files are current

The routes start and end at the depot `north` in Lawrenceville, Pittsburgh (40.47 N,
79.96 W), on the flats beside the Allegheny River. No map data is available where this
runs, so the geometry is drawn by hand from memory of the area and is *plausible*, not
surveyed:

- street legs follow a grid rotated to the riverside street plan (streets run ENE along the
  river, cross streets climb the hillside to the SSE), with sharp corners;
- arterials and highways are polylines through hand-picked waypoints (I-279 to the I-79
  junction at Wexford, I-79 north to the PA-108 exit at Slippery Rock), with corners filleted
  to a radius typical of the road class;
- elevation comes from a smooth synthetic terrain fitted to Pittsburgh's shape: the river
  flats at ~228 m, hillsides rising ~120 m within ~2 km of the river to the 340-380 m
  plateau, rolling hills on top, and a gentle rise to the north (Slippery Rock ~370-400 m);
  the profile along each road is then limited to a maximum grade for its class (cut and
  fill: 8.5 % streets, 7 % arterials, 5 % highways).

Points are spaced ~60 m on streets, ~100 m on arterials and ~180 m on highways, so grades
are meaningful after fleetsim's 100 m elevation smoothing.
"""
import json
import math
import os
import sys

LON0, LAT0 = -79.9600, 40.4700        # depot `north`
KM_PER_DEG = 6371.0088 * math.pi / 180.0  # along a meridian, on the mean sphere
BEARING_DEG = 55.0                     # street grid: u runs ENE along the river
RIVER_V_KM = 0.6                       # the river line, in grid coordinates (v toward NW)

SPACING_KM = {"street": 0.06, "arterial": 0.10, "highway": 0.18}
FILLET_KM = {"street": 0.0, "arterial": 0.25, "highway": 0.9}
MAX_GRADE = {"street": 0.085, "arterial": 0.07, "highway": 0.05}


def uv_to_en(u, v):
    """Street-grid km (u along the river, v toward it) to east/north km from the depot."""
    b = math.radians(BEARING_DEG)
    return (u * math.sin(b) - v * math.cos(b), u * math.cos(b) + v * math.sin(b))


def en_to_uv(e, n):
    b = math.radians(BEARING_DEG)
    return (e * math.sin(b) + n * math.cos(b), -e * math.cos(b) + n * math.sin(b))


def en_to_lonlat(e, n):
    lat = LAT0 + n / KM_PER_DEG
    lon = LON0 + e / (KM_PER_DEG * math.cos(math.radians(lat)))
    return lon, lat


def terrain_m(e, n):
    """Synthetic ground elevation (m) at east/north km from the depot."""
    _, v = en_to_uv(e, n)
    d = abs(v - RIVER_V_KM)                     # km from the river line
    valley = 1.0 - math.exp(-(d / 1.5) ** 2)    # 0 on the flats, 1 on the plateau
    base = 228.0 + 122.0 * valley
    hills = (10.0 * math.sin(2 * math.pi * e / 2.9 + 0.7) * math.sin(2 * math.pi * n / 3.3 + 1.9)
             + 5.0 * math.sin(2 * math.pi * (e + n) / 1.7)
             + 14.0 * math.sin(2 * math.pi * n / 7.3) * math.cos(2 * math.pi * e / 9.1))
    flats = 1.0 - math.exp(-(d / 0.8) ** 2)     # the flats stay flat
    regional = 0.35 * max(0.0, n)               # the plateau rises gently to the north
    return base + hills * flats + regional


def fillet(points, radius):
    """Rounds each interior corner with a quadratic Bezier of ~radius (km)."""
    if radius <= 0 or len(points) < 3:
        return list(points)
    out = [points[0]]
    for i in range(1, len(points) - 1):
        p0, p, p1 = points[i - 1], points[i], points[i + 1]
        lin = math.dist(p0, p)
        lout = math.dist(p, p1)
        t = min(radius, 0.45 * lin, 0.45 * lout)
        a = (p[0] + (p0[0] - p[0]) * t / lin, p[1] + (p0[1] - p[1]) * t / lin)
        b = (p[0] + (p1[0] - p[0]) * t / lout, p[1] + (p1[1] - p[1]) * t / lout)
        steps = 8
        for k in range(steps + 1):
            s = k / steps
            out.append(((1 - s) ** 2 * a[0] + 2 * (1 - s) * s * p[0] + s * s * b[0],
                        (1 - s) ** 2 * a[1] + 2 * (1 - s) * s * p[1] + s * s * b[1]))
    out.append(points[-1])
    return out


def densify(points, spacing):
    """Points along the polyline no more than `spacing` km apart (the vertices kept)."""
    out = [points[0]]
    for p, q in zip(points, points[1:]):
        length = math.dist(p, q)
        if length < 1e-9:
            continue
        steps = max(1, math.ceil(length / spacing))
        for k in range(1, steps + 1):
            s = k / steps
            out.append((p[0] + (q[0] - p[0]) * s, p[1] + (q[1] - p[1]) * s))
    # merge points that a fillet left a few metres apart
    merged = [out[0]]
    for p in out[1:-1]:
        if math.dist(p, merged[-1]) >= 0.3 * spacing:
            merged.append(p)
    if math.dist(out[-1], merged[-1]) < 0.3 * spacing and len(merged) > 1:
        merged.pop()
    merged.append(out[-1])
    return merged


def limit_grade(dist, elev, gmax):
    """Lower envelope with slope <= gmax per segment: cuts crests, keeps valleys."""
    e = list(elev)
    for i in range(1, len(e)):
        e[i] = min(e[i], e[i - 1] + gmax[i - 1] * (dist[i] - dist[i - 1]))
    for i in range(len(e) - 2, -1, -1):
        e[i] = min(e[i], e[i + 1] + gmax[i] * (dist[i + 1] - dist[i]))
    return e


def haversine_m(lon1, lat1, lon2, lat2):
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * r * math.asin(math.sqrt(min(1.0, a)))


def build(legs):
    """legs: [(name, speed_kph, road class, [(e, n) km waypoints])], each starting where the
    previous ended. Returns features with 3-D lon/lat/elevation coordinates."""
    parts = []
    for name, kph, cls, way in legs:
        pts = densify(fillet(way, FILLET_KM[cls]), SPACING_KM[cls])
        parts.append((name, kph, cls, pts))
    # one elevation profile over the whole route, so the joins agree
    flat, gmax, owner = [], [], []
    for idx, (_, _, cls, pts) in enumerate(parts):
        start = 0 if idx == 0 else 1
        for p in pts[start:]:
            if flat:
                gmax.append(MAX_GRADE[cls])
            flat.append(p)
            owner.append(idx)
    dist = [0.0]
    for p, q in zip(flat, flat[1:]):
        dist.append(dist[-1] + math.dist(p, q) * 1000.0)
    elev = limit_grade(dist, [terrain_m(e, n) for e, n in flat], gmax)
    features = []
    k = 0
    for idx, (name, kph, cls, pts) in enumerate(parts):
        lo = k if idx == 0 else k - 1
        hi = k + (len(pts) if idx == 0 else len(pts) - 1)
        coords = []
        for j in range(lo, hi):
            lon, lat = en_to_lonlat(*flat[j])
            coords.append([round(lon, 6), round(lat, 6), round(elev[j], 1)])
        k = hi
        features.append({"type": "Feature",
                         "properties": {"name": name, "speed_kph": kph, "road": cls},
                         "geometry": {"type": "LineString", "coordinates": coords}})
    return features


def depot_feature():
    ring_uv = [(-0.08, -0.06), (0.08, -0.06), (0.08, 0.04), (-0.08, 0.04), (-0.08, -0.06)]
    ring = []
    for u, v in ring_uv:
        lon, lat = en_to_lonlat(*uv_to_en(u, v))
        ring.append([round(lon, 6), round(lat, 6)])
    return {"type": "Feature",
            "properties": {"name": "north depot yard", "role": "depot", "depot": "north"},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


def uv(*pts):
    return [uv_to_en(u, v) for u, v in pts]


# --------------------------------------------------------------------------------------
# The routes (waypoints in km: uv() = street grid; plain tuples = east/north of the depot)

def north_loop():
    def uv(*pts):  # the loop drawn on a 0.85 x 0.9 grid scale
        return [uv_to_en(0.85 * u, 0.9 * v) for u, v in pts]
    return [
        ("44th Street (depot gate)", 30, "street", uv((0, 0), (0, 0.3))),
        ("Butler Street", 40, "street", uv((0, 0.3), (3.0, 0.3))),
        ("Stanton Avenue", 35, "street", uv((3.0, 0.3), (3.0, -0.5), (3.3, -0.5), (3.3, -1.2))),
        ("Highland Avenue", 40, "street", uv((3.3, -1.2), (3.6, -1.2), (3.6, -2.6))),
        ("Penn Avenue", 45, "street", uv((3.6, -2.6), (1.2, -2.6), (1.2, -2.9), (-1.5, -2.9))),
        ("Liberty Avenue", 45, "street", uv((-1.5, -2.9), (-1.5, -3.4), (-4.5, -3.4))),
        ("Bigelow Boulevard", 50, "street", uv((-4.5, -3.4), (-5.2, -2.8), (-6.0, -2.0))),
        ("Smallman Street", 40, "street", uv((-6.0, -2.0), (-6.0, 0.1), (-3.0, 0.1))),
        ("Penn Avenue (Strip District)", 35, "street",
         uv((-3.0, 0.1), (-3.0, -0.6), (-1.2, -0.6), (-1.2, -1.4))),
        ("Friendship Avenue", 35, "street", uv((-1.2, -1.4), (0.8, -1.4), (0.8, -0.8))),
        ("Main Street", 30, "street", uv((0.8, -0.8), (0.8, 0.2), (0.0, 0.2), (0, 0))),
    ]


def suburban_loop():
    bridge_n = uv_to_en(-0.9, 1.0)
    etna = uv_to_en(3.0, 1.0)
    return [
        ("44th Street and Butler Street", 50, "arterial", uv((0, 0), (0, 0.3), (-0.9, 0.3))),
        ("40th Street Bridge", 50, "arterial", uv((-0.9, 0.3), (-0.9, 1.0))),
        ("PA-28 North", 80, "arterial", [bridge_n, uv_to_en(1.0, 1.05), etna]),
        ("PA-8 North (William Flinn Highway)", 70, "arterial",
         [etna, (1.6, 4.0), (1.0, 6.0), (0.6, 8.6), (0.2, 11.0), (-0.3, 14.5), (-0.8, 17.8)]),
        ("Wildwood Road and Ridge Road", 60, "arterial",
         [(-0.8, 17.8), (-2.4, 17.6), (-4.0, 17.0), (-5.8, 16.4), (-7.5, 15.5)]),
        ("McKnight Road", 70, "arterial",
         [(-7.5, 15.5), (-7.0, 13.0), (-6.0, 10.0), (-5.9, 7.6), (-5.5, 5.5)]),
        ("Babcock Boulevard", 60, "arterial", [(-5.5, 5.5), (-4.6, 4.7), (-3.5, 3.8)]),
        ("Evergreen Road", 50, "arterial", [(-3.5, 3.8), (-2.6, 3.1), (-1.8, 2.2), bridge_n]),
        ("40th Street Bridge", 50, "arterial", uv((-0.9, 1.0), (-0.9, 0.3))),
        ("Butler Street and 44th Street", 50, "arterial", uv((-0.9, 0.3), (0, 0.3), (0, 0))),
    ]


def highway_run():
    bridge_n = uv_to_en(-0.9, 1.0)
    north_shore = uv_to_en(-6.2, 1.1)
    wexford = (-9.7, 11.7)
    exit105 = (-10.6, 63.9)
    out = [
        ("44th Street and Butler Street", 40, "street", uv((0, 0), (0, 0.3), (-0.9, 0.3))),
        ("40th Street Bridge", 40, "street", uv((-0.9, 0.3), (-0.9, 1.0))),
        ("PA-28 South (East Ohio Street)", 90, "highway",
         [bridge_n, uv_to_en(-3.0, 1.05), north_shore]),
        ("I-279 North (Parkway North)", 100, "highway",
         [north_shore, (-5.6, 0.6), (-6.3, 3.5), (-7.6, 6.6), (-8.4, 9.2), wexford]),
        ("I-79 North", 110, "highway",
         [wexford, (-11.0, 17.5), (-11.9, 24.5), (-10.0, 30.5), (-8.5, 36.7), (-9.6, 43.0),
          (-11.0, 50.0), (-10.4, 57.0), exit105]),
        ("PA-108 East (New Castle Street)", 50, "street",
         [exit105, (-9.6, 64.6), (-8.6, 65.6), (-8.1, 66.1)]),
        ("Main Street, Slippery Rock", 40, "street",
         [(-8.1, 66.1), (-7.9, 66.5), (-7.5, 66.5), (-7.5, 66.9)]),
    ]
    back_names = {
        "Main Street, Slippery Rock": "Main Street, Slippery Rock (return)",
        "PA-108 East (New Castle Street)": "PA-108 West (New Castle Street)",
        "I-79 North": "I-79 South",
        "I-279 North (Parkway North)": "I-279 South (Parkway North)",
        "PA-28 South (East Ohio Street)": "PA-28 North (East Ohio Street)",
        "40th Street Bridge": "40th Street Bridge",
        "44th Street and Butler Street": "Butler Street and 44th Street",
    }
    back = [(back_names[name], kph, cls, list(reversed(way))) for name, kph, cls, way in
            reversed(out)]
    return out + back


ROUTES = {
    "north-loop": (north_loop, (20e3, 30e3)),
    "suburban-loop": (suburban_loop, (40e3, 60e3)),
    "highway-run": (highway_run, (120e3, 180e3)),
}


def render(route_id, features):
    """GeoJSON text: one line per feature header, coordinates 4 to a line."""
    lines = ['{"type": "FeatureCollection",',
             ' "name": %s,' % json.dumps(route_id),
             ' "generator": "tools/make_routes.py",',
             ' "features": [']
    for i, f in enumerate(features):
        coords = f["geometry"]["coordinates"]
        if f["geometry"]["type"] == "Polygon":
            body = json.dumps(coords, separators=(",", ":"))
        else:
            rows = [json.dumps(c, separators=(",", ":")) for c in coords]
            chunks = [",".join(rows[k:k + 4]) for k in range(0, len(rows), 4)]
            body = "[\n    " + ",\n    ".join(chunks) + "]"
        lines.append('  {"type": "Feature", "properties": %s,\n   "geometry": {"type": %s, '
                     '"coordinates": %s}}%s'
                     % (json.dumps(f["properties"]), json.dumps(f["geometry"]["type"]), body,
                        "," if i + 1 < len(features) else ""))
    lines.append(" ]}")
    return "\n".join(lines) + "\n"


def summarize(route_id, features, band):
    pts = []
    for f in features:
        if f["geometry"]["type"] != "LineString":
            continue
        c = f["geometry"]["coordinates"]
        pts.extend(c if not pts else c[1:])
    length = sum(haversine_m(p[0], p[1], q[0], q[1]) for p, q in zip(pts, pts[1:]))
    seg = [haversine_m(p[0], p[1], q[0], q[1]) for p, q in zip(pts, pts[1:])]
    grades = [abs(q[2] - p[2]) / s for p, q, s in zip(pts, pts[1:], seg) if s > 0]
    elev = [p[2] for p in pts]
    ok = band[0] <= length <= band[1] and max(grades) < 0.10
    print("%-14s %7.1f km  %5d points  segment %3.0f-%3.0f m  elevation %3.0f-%3.0f m  "
          "max grade %.1f %%%s" % (route_id, length / 1000, len(pts), min(seg), max(seg),
                                   min(elev), max(elev), 100 * max(grades),
                                   "" if ok else "  OUT OF BAND"))
    return ok


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "config", "routes")
    check = "--check" in sys.argv[1:]
    ok = True
    for route_id, (make, band) in ROUTES.items():
        features = build(make()) + [depot_feature()]
        ok &= summarize(route_id, features, band)
        text = render(route_id, features)
        path = os.path.join(root, route_id + ".geojson")
        if check:
            with open(path, encoding="utf-8") as f:
                if f.read() != text:
                    print("%s is not what the generator makes" % path, file=sys.stderr)
                    ok = False
        else:
            os.makedirs(root, exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
