#!/usr/bin/env python3
"""conforms.py OPENAPI.json SCHEMA BODY.json — exit 0 when BODY validates against
components.schemas.SCHEMA of the OpenAPI document (JSON Schema 2020-12, the dialect of
OpenAPI 3.1), else print the first problem and exit 1. Used by the API tests to show every
response they see matches the published document."""
import json
import sys

import jsonschema

doc = json.load(open(sys.argv[1]))
body = json.load(open(sys.argv[3]))
schema = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$ref": "#/components/schemas/" + sys.argv[2],
    "components": doc["components"],
}
validator = jsonschema.Draft202012Validator(
    schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
if errors:
    e = errors[0]
    print("%s: %s" % ("/".join(map(str, e.absolute_path)) or "(root)", e.message[:300]))
    sys.exit(1)
