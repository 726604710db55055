"""Checks a SARIF log against the SARIF 2.1.0 schema, plus what the schema cannot say:
one reportingDescriptor per rule id, ruleIndex pointing at the right rule, a message on every result."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
log = json.load(open(sys.argv[2]))
validator = jsonschema.Draft7Validator if "draft-07" in schema.get("$schema", "") else jsonschema.Draft4Validator
errors = sorted(validator(schema).iter_errors(log), key=lambda e: list(e.path))
for e in errors[:20]:
    print("schema:", "/".join(map(str, e.path)), e.message)
problems = len(errors)
for run in log["runs"]:
    rules = run["tool"]["driver"].get("rules", [])
    ids = [r["id"] for r in rules]
    if len(ids) != len(set(ids)):
        print("duplicate rule ids"); problems += 1
    for res in run.get("results", []):
        if "message" not in res or not res["message"].get("text"):
            print("result without message"); problems += 1
        if rules[res["ruleIndex"]]["id"] != res["ruleId"]:
            print("ruleIndex mismatch", res["ruleId"]); problems += 1
        if not res.get("partialFingerprints"):
            print("result without partialFingerprints"); problems += 1
n = sum(len(r.get("results", [])) for r in log["runs"])
print(f"SARIF: {n} results, {problems} problems")
sys.exit(1 if problems or n == 0 else 0)
