#!/usr/bin/python3
"""Validates the JSON outputs against spec/provision-journal.schema.json.

Run by .ci/run after `cargo test`, with Debian's python3-jsonschema:

    tests/json-schema.py [SAMPLES_DIR]

It checks, in turn:
1. the schema itself against the JSON Schema 2020-12 metaschema;
2. every golden report, tests/golden/*.dump.json, as a `dump --json`;
3. every sample the command-line tests kept (tests/json_samples/mod.rs:
   SAMPLES_DIR/{dump,status,config}/*.json, by default
   target/tmp/json-samples), each document of each file, and that its
   `schema` field is that of the command that printed it; at least
   MIN_SAMPLES of each command must be there, so a run that kept none
   cannot pass;
4. that the schema refuses what it must: each document with a required
   field removed, an unknown field added or an enumeration given a value
   it does not have is invalid (a schema that accepts everything would
   pass 2 and 3).
"""
import copy
import glob
import json
import os
import sys

import jsonschema

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA_PATH = os.path.join(TOP, "spec", "provision-journal.schema.json")
SCHEMAS = {
    "dump": "provision-journal/dump/1",
    "status": "provision-journal/status/1",
    "config": "provision-journal/config/1",
}
MIN_SAMPLES = {"dump": 10, "status": 15, "config": 3}

failures = []


def fail(message):
    failures.append(message)
    print("json-schema: " + message, file=sys.stderr)


def documents(text):
    """Every JSON document in `text` (`dump --json A B` prints a stream)."""
    decoder = json.JSONDecoder()
    position, found = 0, []
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            return found
        document, position = decoder.raw_decode(text, position)
        found.append(document)


def check(validator, document, where):
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        fail(f"{where}: {'/'.join(map(str, best.absolute_path)) or '(root)'}: {best.message[:400]}")
        return False
    return True


def mutations(document):
    """Documents the schema must refuse, made from a valid one."""
    for key in sorted(document):
        if key == "schema":
            continue
        missing = copy.deepcopy(document)
        del missing[key]
        yield f"without `{key}`", missing
    extra = copy.deepcopy(document)
    extra["unexpected_field"] = 1
    yield "with an unknown field", extra
    wrong = copy.deepcopy(document)
    wrong["schema"] = wrong["schema"].replace("/1", "/0")
    yield "with another schema name", wrong
    if "next_check" in document:
        bad = copy.deepcopy(document)
        bad["next_check"]["verdict"] = "maybe"
        yield "with an unknown verdict", bad
        for index, record in enumerate(document["records"]):
            bad = copy.deepcopy(document)
            bad["records"][index]["event"]["kind"] = "no_such_kind"
            yield f"with an unknown kind in record {index}", bad
            break
    if "verdict" in document and "next_check" not in document:
        bad = copy.deepcopy(document)
        bad["epoch"] = -1
        yield "with a negative epoch", bad
    if "policy" in document and "cache" in document:
        bad = copy.deepcopy(document)
        bad["cache"]["keep_config"]["value"] = "yes"
        yield "with a string for a boolean", bad


def main():
    samples_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, "target", "tmp", "json-samples")
    with open(SCHEMA_PATH) as file:
        schema = json.load(file)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    by_name = {
        name: jsonschema.Draft202012Validator(
            {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{name}"})
        for name in SCHEMAS
    }

    goldens = sorted(glob.glob(os.path.join(TOP, "tests", "golden", "*.dump.json")))
    if not goldens:
        fail("no golden reports in tests/golden")
    valid = {"dump": [], "status": [], "config": []}
    for path in goldens:
        with open(path) as file:
            document = json.load(file)
        name = os.path.relpath(path, TOP)
        if check(validator, document, name) and check(by_name["dump"], document, name):
            valid["dump"].append((name, document))

    counts = {}
    for command, schema_name in SCHEMAS.items():
        paths = sorted(glob.glob(os.path.join(samples_dir, command, "*.json")))
        counts[command] = 0
        for path in paths:
            name = os.path.relpath(path, samples_dir)
            with open(path, encoding="utf-8") as file:
                text = file.read()
            try:
                found = documents(text)
            except json.JSONDecodeError as error:
                fail(f"{name}: not JSON: {error}")
                continue
            for index, document in enumerate(found):
                where = f"{name} (document {index + 1})"
                counts[command] += 1
                if not isinstance(document, dict) or document.get("schema") != schema_name:
                    fail(f"{where}: `{command} --json` printed a document whose schema is not {schema_name}")
                    continue
                if check(validator, document, where) and check(by_name[command], document, where):
                    valid[command].append((where, document))
        if counts[command] < MIN_SAMPLES[command]:
            fail(f"only {counts[command]} `{command} --json` samples in {samples_dir}/{command} "
                 f"(at least {MIN_SAMPLES[command]} expected): did `cargo test` run first?")

    refused = 0
    for command, documents_of in valid.items():
        # A few of each are enough: the mutations are the same everywhere.
        for where, document in documents_of[:3]:
            for what, mutated in mutations(document):
                if validator.is_valid(mutated):
                    fail(f"{where} {what} is accepted by the schema, which must refuse it")
                else:
                    refused += 1

    total = sum(counts.values())
    print(f"json-schema: {len(goldens)} golden reports and {total} samples "
          f"({', '.join(f'{counts[c]} {c}' for c in SCHEMAS)}) validated; {refused} invalid variants refused")
    if failures:
        print(f"json-schema: {len(failures)} problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
