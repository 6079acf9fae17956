#!/usr/bin/python3
"""xarf_validate.py SCHEMA_DIR FILE... - validate X-ARF v4 JSON reports
against the xarf-spec master schema (Draft 2020-12), every $ref resolved from
SCHEMA_DIR (tests/data/xarf/schemas/v4): nothing is fetched.  A FILE is a JSON
report, or a notice (.eml) whose application/json part is one.  Prints
"ok FILE" per valid report, the errors otherwise; exit 1 on any error."""
import email
import email.policy
import json
import os
import sys

import jsonschema


def load_schemas(root):
    store = {}
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith(".json"):
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    schema = json.load(f)
                store[schema["$id"]] = schema
    return store


def reports(path):
    with open(path, "rb") as f:
        raw = f.read()
    if not path.endswith(".eml"):
        return [json.loads(raw)]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    return [json.loads(p.get_content()) for p in msg.walk() if p.get_content_type() == "application/json"]


def main():
    store = load_schemas(sys.argv[1])
    master = store["https://xarf.org/schemas/v4/xarf-v4-master.json"]
    cls = jsonschema.validators.validator_for(master)
    assert cls is jsonschema.Draft202012Validator, cls
    resolver = jsonschema.RefResolver.from_schema(master, store=store)
    validator = cls(master, resolver=resolver, format_checker=cls.FORMAT_CHECKER)
    bad = 0
    for path in sys.argv[2:]:
        found = reports(path)
        if len(found) != 1:
            print("%s: %d X-ARF reports, expected 1" % (path, len(found)))
            bad += 1
            continue
        errors = list(validator.iter_errors(found[0]))
        for e in errors:
            print("%s: %s at %s" % (path, e.message, "/".join(map(str, e.absolute_path))))
        bad += bool(errors)
        if not errors:
            print("ok", path)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
