#!/usr/bin/env python3
"""Cold and heat against AAA's 2019 test ("AAA Electric Vehicle Range Testing", AAA
Automotive Engineering, February 2019: five 2018-2019 EVs on a dynamometer in a climate
chamber, city cycle, cabin heated or cooled): range down by about 41 % at -6.7 C (20 F) and
by about 17 % at 35 C (95 F), compared with 24 C (75 F).

Each bundled vehicle type, then the compact car with the cabin HVAC model (as an override,
resistive heater and heat pump), runs UDDS through `fleetsim cycle --temperature T --json`;
range change = E(24 C) / E(T) - 1 at the battery. Prints a Markdown table (the one in
docs/energy-model.md).

Then the cars of tests/data/epa that the EPA also tested at 20 F (-6.7 C, FTP, heater on):
each derived by `fleetsim vehicles from-epa`, given the cabin model with a heat pump (the 2022
Teslas in the file have one), and E(-6.7 C) / E(24 C) on UDDS compared with the EPA's 20 F
FTP result over its warm UDDS result. The 20 F values are read as kWh/100 mi (all are below
60, beside warm results in MPGe); the FTP is UDDS plus a repeat of its first 505 s after a
soak, so the comparison is close, not exact.

usage: bench_climate.py FLEETSIM DATA_DIR CONFIG_DIR
"""
import csv
import json
import os
import re
import subprocess
import sys
import tempfile

AAA = {-6.7: -41.0, 35.0: -17.0}
# The cabin model for a compact car (docs/energy-model.md): UA 0.12 kW/C (3.3 kW of heat at
# -6.7 C to a 22 C (72 F) cabin), the pack kept warm at 0.03 kW/C below 10 C.
CABIN = {"cabinUaKwPerDegC": 0.12, "cabinSetPointC": 22, "acCop": 2.5,
         "batteryHeatKwPerDegC": 0.03}
VARIANTS = [
    ("cargo-van", "linear (as bundled)", None),
    ("pickup", "linear (as bundled)", None),
    ("compact-car", "linear (as bundled)", None),
    ("transit-bus", "linear (as bundled)", None),
    ("compact-car", "cabin model, resistive heater", dict(CABIN, heatPumpCop=1)),
    ("compact-car", "cabin model, heat pump COP 3", dict(CABIN, heatPumpCop=3)),
]


def energy(fleetsim, data, config, vehicle, temp, keys):
    env = dict(os.environ)
    if keys:
        env["FLEETSIM_CONFIG_OVERRIDES"] = json.dumps({"vehicles": {vehicle: keys}})
    out = subprocess.run(
        [fleetsim, "cycle", "--config", config, "--vehicle", vehicle, "--cycle",
         os.path.join(data, "cycles", "udds.csv"), "--temperature", str(temp), "--json"],
        check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out)["energyKwh"]


def epa_cold(fleetsim, data, config):
    """The from-epa vehicles with a 20 F FTP result: model vs EPA energy ratio, cold/warm."""
    path = os.path.join(data, "epa", "test-cars-2022-ev.csv")
    cold = {}
    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["Test Procedure Description"] == "Charge Depleting 20 Degree F FTP":
                key = (row["Represented Test Veh Make"], row["Represented Test Veh Model"],
                       row["Equivalent Test Weight (lbs.)"])
                cold[key] = float(row["RND_ADJ_FE"]) / 100  # kWh/mi
    yaml = subprocess.run([fleetsim, "vehicles", "from-epa", path], check=True,
                          capture_output=True, text=True).stdout
    found = re.finditer(r"  # (\S+) (.+?), \S+ line \d+: ETW (\d+) lb.*\n.*city \(UDDS\) "
                        r"([\d.]+) and .*\n  ([\w.-]+):", yaml)
    cars = [(m.group(5), m.group(1) + " " + m.group(2), float(m.group(4)) / 100,
             cold[(m.group(1), m.group(2), m.group(3))])
            for m in found if (m.group(1), m.group(2), m.group(3)) in cold]
    keys = dict(CABIN, heatPumpCop=3)
    print("\n| EPA configuration (from-epa + cabin model, heat pump COP 3) | EPA 20 °F FTP / "
          "UDDS energy | model −6.7 °C / 24 °C UDDS | range: EPA | range: model |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("chargers.yaml", "routes.yaml", "routes"):
            os.symlink(os.path.abspath(os.path.join(config, name)), os.path.join(tmp, name))
        with open(os.path.join(tmp, "vehicles.yaml"), "w", encoding="utf-8") as f:
            f.write(yaml)
        for vid, label, warm, cold_kwh in cars:
            model = (energy(fleetsim, data, tmp, vid, -6.7, keys) /
                     energy(fleetsim, data, tmp, vid, 24, keys))
            epa = cold_kwh / warm
            print(f"| {label} | {epa:.2f} | {model:.2f} | {100 * (1 / epa - 1):+.0f} % | "
                  f"{100 * (1 / model - 1):+.0f} % |")


def main():
    fleetsim, data, config = sys.argv[1:4]
    print("| vehicle type | HVAC model | UDDS kWh at 24 °C | range at −6.7 °C | range at 35 °C |")
    print("|---|---|---|---|---|")
    for vehicle, model, keys in VARIANTS:
        base = energy(fleetsim, data, config, vehicle, 24, keys)
        cells = []
        for temp in AAA:
            change = 100 * (base / energy(fleetsim, data, config, vehicle, temp, keys) - 1)
            cells.append(f"{change:+.0f} % ({change - AAA[temp]:+.0f})")
        print(f"| {vehicle} | {model} | {base:.3f} | {cells[0]} | {cells[1]} |")
    print(f"| AAA 2019, five EVs | (measured) | | {AAA[-6.7]:+.0f} % | {AAA[35.0]:+.0f} % |")
    print("\n(in brackets: points from AAA's figure)")
    epa_cold(fleetsim, data, config)


if __name__ == "__main__":
    main()
