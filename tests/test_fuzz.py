"""Fuzzing the command line and the front ends: no input may give an internal error (exit 3), take more than
a few seconds, or use unbounded memory. Hypothesis generates

- random bytes and random token soup as `.segql` files (compile, check, fmt),
- random JSON documents built from the operator vocabulary (MongoDB filters, rule lists, query-builder),
- random schema YAML built from the schema's keys (with anchors, aliases and tags),
- random argument vectors built from the commands' own options (read from the argparse parser),

and runs the CLI in this process (`segql.cli.main([...])`, stdout and stderr captured). A few
pathological inputs run in a subprocess under `RLIMIT_AS` so that a memory blow-up fails the test instead
of the machine.

CI runs a bounded slice (about 20 s). A long run on demand:

    SEGQL_FUZZ_EXAMPLES=20000 pytest -q tests/test_fuzz.py        # examples per generator
    SEGQL_FUZZ_DEADLINE_MS=3000                                    # per-example time limit (default 5000)

A failure prints the smallest input found and a `@reproduce_failure` blob.
"""
from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES

SCHEMA = EXAMPLES / "schema.yml"
EXAMPLES_PER_TEST = int(os.environ.get("SEGQL_FUZZ_EXAMPLES", "0"))  # 0: each test's CI slice
DEADLINE = timedelta(milliseconds=int(os.environ.get("SEGQL_FUZZ_DEADLINE_MS", "5000")))
WORK = Path(tempfile.mkdtemp(prefix="segql-fuzz-"))  # inputs are written here, never into the project


def fuzz(ci_examples: int):
    """Hypothesis settings: the CI slice, or SEGQL_FUZZ_EXAMPLES; a per-example deadline either way."""
    return settings(max_examples=EXAMPLES_PER_TEST or ci_examples, deadline=DEADLINE, database=None,
                    derandomize=not EXAMPLES_PER_TEST,  # CI: the same examples every run; long runs explore
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


def cli(*argv) -> tuple[int, str]:
    """`segql ARGV` in this process: (exit code, stdout + stderr)."""
    from segql.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse's own usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue() + err.getvalue()


def assert_handled(code, text, argv=()):
    """Every outcome is success or a diagnostic: never exit 3, an internal error or a traceback."""
    assert code in (0, 1, 2), (code, argv, text[-2000:])
    assert "internal error" not in text and "Traceback (most recent call last)" not in text, (argv, text[-2000:])


def write(name: str, data) -> Path:
    path = WORK / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
    return path


def setup_module(_module):
    cli("compile", "-e", "opens > 1", "--on", "contacts", "--schema", SCHEMA)  # warm: imports, parser cache


def teardown_module(_module):
    shutil.rmtree(WORK, ignore_errors=True)


# ---- segment text ---------------------------------------------------------------------------------
WORDS = ["segment", "list", "on", "where", "title", "description", "let", "=", "and", "or", "not", "(", ")",
         ",", "in", "is", "null", "empty", "between", "contains", "starts", "ends", "with", "matches", "any",
         "all", "no", "performed", "at", "least", "most", "exactly", "times", "last", "this", "days", "hours",
         "months", "ago", "today", "now", "true", "false", "+", "-", "*", "/", "<", "<=", ">", ">=", "!=",
         "contacts", "deals", "events", "opens", "email", "country", "signup_date", "last_visit", "deals.value",
         "organization.industry", "lower", "coalesce", "count", "sum", "max", "`odd name`", "#comment\n",
         '"US"', '"\\u0000"', '"\\uD800"', '"\\uD83D\\uDE00"', "'single'", "$500", "$1,000.50", "3", "0", "-1",
         "1.5", "99999999999999999999", "9" * 120, "2024-01-31", "2024-13-45", "2024-01-01T10:00:00Z",
         "in segment", "seed", "\n", "\t", "\ufeff", "\x00", "é", "𝔘"]


@st.composite
def segment_text(draw):
    body = " ".join(draw(st.lists(st.sampled_from(WORDS) | st.text(max_size=6), max_size=25)))
    head = draw(st.sampled_from(["", "segment s on contacts where ", "segment s on contacts\n  let x = opens\nwhere ",
                                 "segment s on deals where "]))
    return head + body


@fuzz(80)
@given(text=segment_text())
@example(text='segment s on contacts where email = "\\uD800"')
@example(text="segment s on contacts where opens > " + "9" * 5000)
@example(text="segment s on contacts where deals.value in (opens, 5)")
def test_segment_text_never_breaks_the_cli(text):
    path = write("fuzz.segql", text)
    for argv in (("compile", path, "--schema", SCHEMA), ("check", path, "--schema", SCHEMA),
                 ("fmt", "--stdout", path)):
        assert_handled(*cli(*argv), argv)
    assert_handled(*cli("compile", "-e", text, "--on", "contacts", "--schema", SCHEMA), text)


@fuzz(40)
@given(data=st.binary(max_size=300))
@example(data=b"\xef\xbb\xbfsegment s on contacts where opens > 1")
@example(data=b"\xff\xfe\x00")
def test_random_bytes_as_a_file(data):
    for name in ("fuzz.segql", "fuzz.json"):
        path = write(name, data)
        assert_handled(*cli("compile", path, "--schema", SCHEMA), data)


# ---- JSON documents -------------------------------------------------------------------------------
OPERATORS = ["$and", "$or", "$nor", "$not", "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists",
             "$regex", "$options", "$elemMatch", "$size", "$all", "$date", "$type", "$expr", "$where", "$bogus"]
FIELDS = ["opens", "email", "country", "signup_date", "last_visit", "is_vip", "deals", "deals.value",
          "deals.stage", "organization.industry", "events", "nope", "", "a\x00b"]
RULE_KEYS = ["field", "operator", "value", "combinator", "rules", "not", "id", "condition", "conditions"]
RULE_OPS = ["equals", "=", "!=", "contains", "beginsWith", "in", "between", "is_null", "greater_than",
            "last_n_days", "older_than_days", "nonsense"]
LEAVES = (st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.floats(allow_nan=False, allow_infinity=False)
          | st.sampled_from(["US", "today - 30 days", "30 days", "2024-01-01", "\x00", "\ud800", "1e999",
                             "9" * 400, ""] + RULE_OPS + FIELDS) | st.text(max_size=8))
JSON_VALUES = st.recursive(
    LEAVES, lambda kids: st.lists(kids, max_size=4)
    | st.dictionaries(st.sampled_from(OPERATORS + FIELDS + RULE_KEYS) | st.text(max_size=4), kids, max_size=4),
    max_leaves=20)


@st.composite
def json_document(draw):
    body = draw(JSON_VALUES)
    shape = draw(st.sampled_from(["filter", "rules", "conditions", "query", "criteria", "bare"]))
    if shape == "bare":
        return body
    doc = {"type": draw(st.sampled_from(["contacts", "Contact", "deals", "nope"])), shape: body}
    if draw(st.booleans()):
        doc["title"] = draw(st.text(max_size=10))
    if shape == "criteria" and draw(st.booleans()):
        doc[shape] = json.dumps(body)
    return doc


@fuzz(80)
@given(doc=json_document())
@example(doc={"type": "contacts", "filter": {"email": "\ud800"}})
@example(doc={"type": "contacts", "title": "a\x00b", "filter": {"opens": 1}})
def test_json_documents_never_break_the_cli(doc):
    text = json.dumps(doc, ensure_ascii=True)  # `\ud800` stays an escape, as a client would send it
    path = write("fuzz.json", text)
    for argv in (("compile", path, "--schema", SCHEMA), ("compile", path, "--on", "contacts", "--schema", SCHEMA),
                 ("fmt", "--to", "text", path, "--on", "contacts", "--schema", SCHEMA)):
        assert_handled(*cli(*argv), (argv, text))
    import segql

    try:  # the API with the decoded value (no JSON text, so no JSON parser checks in between)
        segql.parse(json.loads(text), on="contacts", schema=loaded_schema())
    except segql.SegqlError:
        pass


@functools.cache
def loaded_schema():
    import segql

    return segql.load_schema(SCHEMA)


# ---- schemas --------------------------------------------------------------------------------------
SCHEMA_KEYS = ["entities", "contacts", "deals", "properties", "relationships", "calculated", "event", "lists",
               "limits", "timezone", "table", "key", "type", "column", "local", "remote", "entity", "aliases",
               "source", "name", "time", "list", "member", "max_conditions", "max_depth", "opens", "id",
               "contact_id", "value", "description"]
SCHEMA_LEAVES = (st.sampled_from(["string", "integer", "number", "boolean", "date", "timestamp", "one", "many",
                                  "contacts", "deals", "opens", "id", "UTC", "Mars/Olympus", "opens + 1", "c1 + c1",
                                  "!!python/object:os.system x", "!foo x", "*a", ""])
                 | st.integers(-3, 10**6) | st.booleans() | st.none() | st.text(max_size=5))
SCHEMA_VALUES = st.recursive(SCHEMA_LEAVES, lambda kids: st.lists(kids, max_size=3)
                             | st.dictionaries(st.sampled_from(SCHEMA_KEYS), kids, max_size=4), max_leaves=25)


def to_yaml(value, indent=0) -> str:
    """Block YAML by hand, so that strings such as `!foo x` and `*a` stay tags and aliases."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "\n" + "\n".join(f"{pad}{k}: {to_yaml(v, indent + 1)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(to_yaml(v, indent + 1).strip() or "''" for v in value) + "]"
    if value is None:
        return "null"
    return str(value)


@fuzz(80)
@given(value=st.dictionaries(st.sampled_from(SCHEMA_KEYS), SCHEMA_VALUES, max_size=4),
       extra=st.sampled_from(["", "x: &a [*a]\n", "a0: &a [1, 2]\nb: [*a, *a]\n", "? [a, b]\n: c\n", "\t", "&"]))
@example(value={"entities": {"contacts": {"properties": {"opens": "integer"}, "relationships": ["a"]}}}, extra="")
def test_schemas_never_break_the_cli(value, extra):
    text = extra + to_yaml(value).lstrip("\n") + "\n"
    schema = write("schema.yml", text)
    seg = write("s.segql", "segment s on contacts where opens > 1\n")
    for argv in (("check", seg, "--schema", schema), ("run", seg, "--count", "--schema", schema)):
        assert_handled(*cli(*argv), (argv, text))


# ---- argument vectors -----------------------------------------------------------------------------
FUZZED_COMMANDS = ("check", "fmt", "compile", "run", "counts", "explain", "overlap", "refresh", "list")
# not fuzzed: serve (starts a server), keys / segments / plan / apply (the store; its own tests)


def command_options() -> dict[str, list[str]]:
    """Each fuzzed command's option strings, read from the parser itself (new options are fuzzed too)."""
    import argparse

    from segql.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {name: [s for a in p._actions for s in a.option_strings if s not in ("-h", "--help")]
            for name, p in sub.choices.items() if name in FUZZED_COMMANDS}


OPTIONS = command_options()


def values() -> list[str]:
    seg = EXAMPLES / "segments" / "seed002.segql"
    return [str(seg), str(SCHEMA), str(EXAMPLES / "json"), "/dev/null", str(WORK / "missing.segql"), "",
            "opens > 1", "contacts", "deals", "nope", "duckdb", "postgres", "mysql", "tsql", "bogus", "keys", "count",
            "qmark", "named", "ast", "ir", "sql", "text", "json", "csv", "mongo", "1", "0", "-1", "1e23",
            "99999999999999999999", "2026-11-15T12:00:00Z", "yesterday", "duckdb://", "duckdb:///:memory:",
            f"sqlite:///{WORK / 'fuzz.db'}", "sqlite:////nonexistent/dir/x.db", "postgresql://[::1",
            "mysql://h:99999/x", "nope://x", "email,country", "nope,", "add", "remove", "show", "vip",
            "geographic", "\ufeff", "-"]


@fuzz(80)
@given(command=st.sampled_from(FUZZED_COMMANDS), data=st.data())
def test_argument_vectors_never_break_the_cli(command, data):
    argv = [command]
    pool = values()
    if command == "list":
        argv.append(data.draw(st.sampled_from(["add", "remove", "show", "nope"])))
    for _ in range(data.draw(st.integers(0, 5))):
        if data.draw(st.booleans()):
            argv.append(data.draw(st.sampled_from(OPTIONS[command])))
        argv.append(data.draw(st.sampled_from(pool)))
    if command == "fmt" and "--check" not in argv and "--stdout" not in argv and "--to" not in argv:
        argv.append("--stdout")  # never rewrite the project's example files
    assert_handled(*cli(*argv), argv)


# ---- pathological inputs, under a memory cap --------------------------------------------------------
def _doubling_schema() -> str:
    fields = "\n".join(f"      c{i}: c{i - 1} + c{i - 1}" for i in range(1, 19))
    return f"entities:\n  contacts:\n    properties: {{opens: integer}}\n    calculated:\n      c0: opens\n{fields}\n"


def _alias_bomb() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    return "\n".join(lines) + "\nentities: {contacts: {properties: {opens: integer}}}\n"


PATHOLOGICAL = {
    "doubling calculated fields": (_doubling_schema(), "segment s on contacts where opens > 1\n"),
    "YAML alias bomb": (_alias_bomb(), "segment s on contacts where opens > 1\n"),
    "doubling lets": (None, "segment s on contacts\n  let l0 = opens\n"
                      + "".join(f"  let l{i} = l{i - 1} + l{i - 1}\n" for i in range(1, 19)) + "where l18 > 1\n"),
    "doubling references": (None, "segment s0 on contacts where opens > 1\n" + "".join(
        f"segment s{i} on contacts where in segment s{i - 1} or in segment s{i - 1}\n" for i in range(1, 19))),
    "huge integer": (None, "segment s on contacts where opens > " + "9" * 5000 + "\n"),
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_inputs_in_bounded_time_and_memory(tmp_path, name):
    """Each under 1 KB of input (but the 5,000-digit number); 700 MB address space and 30 s at most."""
    import re

    schema_text, segment_text_ = PATHOLOGICAL[name]
    schema = tmp_path / "schema.yml"
    schema.write_text(schema_text or SCHEMA.read_text())
    seg = tmp_path / "s.segql"
    seg.write_text(segment_text_)
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (700 << 20, 700 << 20)); "
            "from segql.cli import main; sys.exit(main(sys.argv[1:]))")
    last = re.findall(r"^segment (\w+)", segment_text_, re.M)[-1]
    proc = subprocess.run([sys.executable, "-c", code, "compile", str(seg), "--segment", last,
                           "--schema", str(schema)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-1500:])
    assert "error[E0" in proc.stderr and "internal error" not in proc.stderr and "MemoryError" not in proc.stderr
