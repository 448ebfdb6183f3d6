#!/usr/bin/env python3
"""The totals of ./dev.sh valgrind over every process it checked (one log per process):
processes, errors, invalid reads / writes and bytes lost by kind. Exit 1 on any error."""
import glob
import re
import sys

logs = sorted(glob.glob(sys.argv[1] + "/*.log"))
tot = {"errors": 0, "invalid read": 0, "invalid write": 0, "definitely": 0, "indirectly": 0,
       "possibly": 0, "still reachable": 0}
for f in logs:
    t = open(f, errors="replace").read()
    m = re.search(r"ERROR SUMMARY: ([\d,]+) errors", t)
    tot["errors"] += int(m.group(1).replace(",", "")) if m else 0
    tot["invalid read"] += len(re.findall(r"Invalid read of size", t))
    tot["invalid write"] += len(re.findall(r"Invalid write of size", t))
    for kind in ("definitely", "indirectly", "possibly"):
        for b in re.findall(kind + r" lost: ([\d,]+) bytes", t):
            tot[kind] += int(b.replace(",", ""))
    for b in re.findall(r"still reachable: ([\d,]+) bytes", t):
        tot["still reachable"] += int(b.replace(",", ""))
print(f"valgrind memcheck: {len(logs)} processes checked, {tot['errors']} errors "
      f"({tot['invalid read']} invalid reads, {tot['invalid write']} invalid writes); lost bytes: "
      f"definitely {tot['definitely']}, indirectly {tot['indirectly']}, possibly "
      f"{tot['possibly']} (still reachable at exit, not a leak: {tot['still reachable']})")
sys.exit(1 if tot["errors"] or not logs else 0)
