#!/usr/bin/env python3
"""Writes a vins CSV for tests and benchmarks: gen_vins.py N OUT.csv [--fleet F]
[--bad-line L] [--model M] [--start K]. VINs are valid (North American check digit) and
unique (numbered from K, default 0); with --bad-line the row on that physical line gets a
wrong check digit."""
import argparse

W = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
V = dict(zip("ABCDEFGHJKLMNPRSTUVWXYZ", [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9]))


def val(ch):
    return int(ch) if ch.isdigit() else V[ch]


def vin(i, bad=False):
    v = "1FTVW1EL0NW%06d" % i
    s = sum(val(c) * w for c, w in zip(v, W)) % 11
    d = "X" if s == 10 else str(s)
    if bad:
        d = "0" if d != "0" else "1"
    return v[:8] + d + v[9:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--fleet", default="north")
    ap.add_argument("--bad-line", type=int, default=0)
    ap.add_argument("--model", default="E-Transit")
    ap.add_argument("--start", type=int, default=0)
    a = ap.parse_args()
    with open(a.out, "w") as f:
        f.write("vin,fleet,vehicle_type,depot,make,model,model_year\n")
        for i in range(a.n):
            line = i + 2
            f.write("%s,%s,cargo-van,north,Ford,%s,2024\n" % (vin(a.start + i, line == a.bad_line), a.fleet, a.model))


main()
