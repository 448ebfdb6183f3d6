#!/usr/bin/env python3
"""Prints the last line CI reads, "N passed, N failed", from meson's testlog.json.

TAP tests count each test point ("ok 3 - …" / "not ok 4 - …"); a TAP test that crashed
or exited non-zero without a failing point counts one extra failure, so a sanitizer abort
can never pass silently. A skipped point ("ok 5 - … # SKIP why") is not a pass: it is listed
before the summary and left out of both counts. Non-TAP tests count one each. Exits 1 on any
failure."""
import json
import re
import sys

passed = failed = 0
with open(sys.argv[1], encoding="utf-8") as log:
    for line in log:
        entry = json.loads(line)
        out = entry.get("stdout") or ""
        skips = re.findall(r"^ok \d+.*#\s*SKIP.*$", out, re.M)
        for point in skips:
            print(f"SKIPPED: {entry.get('name')}: {point}")
        oks = len(re.findall(r"^ok \d+", out, re.M)) - len(skips)
        not_oks = len(re.findall(r"^not ok \d+", out, re.M))
        bad = entry.get("result") not in ("OK", "EXPECTEDFAIL", "SKIP")
        if oks or not_oks:
            passed += oks
            failed += not_oks + (1 if bad and not not_oks else 0)
        elif entry.get("result") != "SKIP":
            failed += 1 if bad else 0
            passed += 0 if bad else 1
        if bad:
            print(f"FAILED: {entry.get('name')} ({entry.get('result')})", file=sys.stderr)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
