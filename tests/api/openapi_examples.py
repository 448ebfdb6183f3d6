#!/usr/bin/env python3
"""openapi_examples.py check|update OPENAPI.json EXAMPLES_DIR REAL_DIR

check: prints one line per point, "OK text" or "BAD text" ("# …" lines are diagnostics):
  - every request body and every response with content in OPENAPI.json has an example;
  - each example validates against its schema (JSON Schema 2020-12, formats checked);
  - each file of EXAMPLES_DIR is what the service answered in this run (REAL_DIR/<same name>):
    equal, but for ids (uuids), times (RFC 3339), cursors and request ids, which are compared
    by shape only; the report (an HTML page) by its first line.
update: writes REAL_DIR's files into EXAMPLES_DIR (JSON, two-space indent; over 100 KB on
one line)."""
import json
import os
import re
import sys

import jsonschema

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
VOLATILE_KEYS = {"requestId", "nextCursor", "traceId", "createdAt", "updatedAt", "startedAt",
                 "finishedAt"}
# ids that come from the bundled config or the request are stable: kept as they are
STABLE = {"fleetId"}


def normalize(value, key=None):
    """The value with what changes from run to run (ids, job times, cursors, request ids)
    replaced by a placeholder."""
    if isinstance(value, dict):
        return {k: normalize(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v, key) for v in value]
    if isinstance(value, str) and key not in STABLE:
        if key in VOLATILE_KEYS:
            return "<%s>" % key
        return UUID.sub("<uuid>", value)
    return value


def diff(a, b, path="$"):
    """The first difference between two JSON values, or None."""
    if type(a) is not type(b):
        return "%s: %s vs %s" % (path, type(a).__name__, type(b).__name__)
    if isinstance(a, dict):
        if set(a) != set(b):
            return "%s: keys %s vs %s" % (path, sorted(set(a) - set(b)), sorted(set(b) - set(a)))
        for k in a:
            d = diff(a[k], b[k], path + "." + k)
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return "%s: %d items vs %d" % (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = diff(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    return None if a == b else "%s: %s vs %s" % (path, json.dumps(a)[:80], json.dumps(b)[:80])


def contents(doc):
    """(where, media object) for every request body and response with content."""
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            where = "%s %s" % (method.upper(), path)
            body = op.get("requestBody", {})
            for mt, media in body.get("content", {}).items():
                yield "%s request body (%s)" % (where, mt), media
            for status, resp in op.get("responses", {}).items():
                if "$ref" in resp:
                    continue  # the shared Error response, below
                for mt, media in resp.get("content", {}).items():
                    yield "%s %s (%s)" % (where, status, mt), media
    for name, resp in doc.get("components", {}).get("responses", {}).items():
        for mt, media in resp.get("content", {}).items():
            yield "components.responses.%s (%s)" % (name, mt), media


def check(doc, examples, real):
    validator_for = {}
    missing, invalid = [], []
    for where, media in contents(doc):
        if "example" not in media:
            missing.append(where)
            continue
        schema = dict(media.get("schema", {}))
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["components"] = doc["components"]
        v = jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        errors = sorted(v.iter_errors(media["example"]), key=lambda e: list(e.absolute_path))
        if errors:
            e = errors[0]
            invalid.append("%s: %s: %s" % (where, "/".join(map(str, e.absolute_path)) or "(root)",
                                            e.message[:200]))
        validator_for[where] = v
    n = len(validator_for) + len(missing)
    print(("OK" if not missing else "BAD") +
          " every request body and response with content has an example (%d of %d)"
          % (n - len(missing), n))
    for m in missing:
        print("# no example: " + m)
    print(("OK" if not invalid else "BAD") +
          " every example validates against its schema (%d checked)" % len(validator_for))
    for m in invalid:
        print("# " + m)
    for name in sorted(os.listdir(examples)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(examples, name), encoding="utf-8") as f:
            want = json.load(f)
        got_path = os.path.join(real, name)
        if not os.path.exists(got_path):
            print("BAD %s: made again by a real run" % name)
            continue
        with open(got_path, encoding="utf-8") as f:
            got = json.load(f)
        d = diff(normalize(want), normalize(got))
        print(("OK" if d is None else "BAD") +
              " %s is what the service answers today%s" %
              (name, " (ids, times, cursors by shape)" if normalize(want) != want else ""))
        if d:
            print("# first difference (example vs this run): " + d)
            print("# if the change is meant: with_postgres.sh tests/api/openapi_examples.sh "
                  "API FLEETSIM --update, then rebuild")


def update(examples, real):
    for name in sorted(os.listdir(real)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(real, name), encoding="utf-8") as f:
            value = json.load(f)
        text = json.dumps(value, indent=2, ensure_ascii=False)
        if len(text) > 100000:  # the routes' coordinates: one line, not one per number
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        with open(os.path.join(examples, name), "w", encoding="utf-8") as f:
            f.write(text + "\n")


def main():
    mode, doc_path, examples, real = sys.argv[1:5]
    if mode == "update":
        update(examples, real)
        return 0
    with open(doc_path, encoding="utf-8") as f:
        doc = json.load(f)
    check(doc, examples, real)
    return 0


if __name__ == "__main__":
    sys.exit(main())
