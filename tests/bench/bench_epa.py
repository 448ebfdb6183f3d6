#!/usr/bin/env python3
"""EPA validation benchmark: every 2022 EV configuration of tests/data/epa through the
programs a user runs — `fleetsim vehicles from-epa` writes the vehicles, `fleetsim cycle
--charger ac-7kw --json` drives each over UDDS and HWFET — and the model's wall-plug kWh/mi
compared with the EPA's unadjusted result. Prints per-vehicle errors and the summary:
mean |err|, max |err|, signed mean per cycle. Figures only; the goals are held by
tests/unit/test_epa.c.

usage: bench_epa.py FLEETSIM DATA_DIR CONFIG_DIR [CHARGER]
"""
import json
import os
import re
import subprocess
import sys
import tempfile

KM_PER_MI = 1.609344
# Rows that are not unadjusted results (tests/data/epa/SOURCES.md): kept out of the summary.
EXCLUDED = {"chevrolet-bolt-ev-3875": "the file carries its label values, not unadjusted ones"}


def main():
    fleetsim, data, config = sys.argv[1:4]
    charger = sys.argv[4] if len(sys.argv) > 4 else "ac-7kw"
    csv = os.path.join(data, "epa", "test-cars-2022-ev.csv")
    yaml = subprocess.run([fleetsim, "vehicles", "from-epa", csv], check=True,
                          capture_output=True, text=True).stdout
    # the EPA figures, from each entry's provenance comment
    epa = {}
    for m in re.finditer(r"city \(UDDS\) ([\d.]+) and highway \(HWFET\) ([\d.]+) kWh/100 mi.*\n"
                         r"  ([\w.-]+):", yaml):
        epa[m.group(3)] = (float(m.group(1)) / 100, float(m.group(2)) / 100)
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("chargers.yaml", "routes.yaml", "routes"):
            os.symlink(os.path.abspath(os.path.join(config, name)), os.path.join(tmp, name))
        with open(os.path.join(tmp, "vehicles.yaml"), "w", encoding="utf-8") as f:
            f.write(yaml)
        rows = []
        for vid, (city, hwy) in epa.items():
            model = []
            for cycle in ("udds", "hwfet"):
                out = subprocess.run(
                    [fleetsim, "cycle", "--config", tmp, "--vehicle", vid, "--cycle",
                     os.path.join(data, "cycles", cycle + ".csv"), "--charger", charger,
                     "--json"], check=True, capture_output=True, text=True).stdout
                r = json.loads(out)
                model.append(r["wallEnergyKwh"] / (r["distanceKm"] / KM_PER_MI))
            rows.append((vid, city, hwy, model[0], model[1]))
    print(f"{'vehicle':48} {'EPA city':>9} {'model':>7} {'err %':>7}  "
          f"{'EPA hwy':>8} {'model':>7} {'err %':>7}   (kWh/mi at the wall, {charger})")
    errs = {"city": [], "highway": []}
    for vid, city, hwy, mc, mh in rows:
        ec, eh = 100 * (mc / city - 1), 100 * (mh / hwy - 1)
        note = f"  excluded: {EXCLUDED[vid]}" if vid in EXCLUDED else ""
        print(f"{vid:48} {city:9.4f} {mc:7.4f} {ec:+7.1f}  {hwy:8.4f} {mh:7.4f} {eh:+7.1f}{note}")
        if not note:
            errs["city"].append(ec)
            errs["highway"].append(eh)
    both = errs["city"] + errs["highway"]
    print(f"\n{len(errs['city'])} configurations, {len(both)} results: "
          f"mean |err| {sum(map(abs, both)) / len(both):.2f} %, "
          f"max |err| {max(map(abs, both)):.2f} %")
    for cycle, e in errs.items():
        print(f"signed mean {cycle:8} {sum(e) / len(e):+.2f} %")
    print(f"city - highway bias    {sum(errs['city']) / len(errs['city']) - sum(errs['highway']) / len(errs['highway']):+.2f} points")


if __name__ == "__main__":
    main()
