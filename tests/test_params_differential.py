"""The bind-parameter differential, executed: segments compiled with `params=STYLE` and run with their bound
values on each engine's own driver have the inline SQL's members and the independent oracle's
(tests/adversarial/params.py). Random cases of tests/adversarial/generate.py and one case of hand-picked
hostile values (quotes, backslashes, `%`/`_` in LIKE needles, placeholder look-alikes, control characters,
combining marks, astral and right-to-left text, BIGINT's ends, long decimals, dates from 0001 to 9999, NULL
in lists, one value used twice). The placeholders must match the parameters, in order, and the SQL must be
byte-identical across runs and processes. CI runs one random case per engine; a long run on demand:

    SEGQL_PARAMS_CASES=200 pytest tests/test_params_differential.py     # random cases per engine
    SEGQL_PARAMS_SEED=1000 ...                                          # first seed
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from adversarial.generate import make_case
from adversarial.params import (
    STYLES,
    check_params_case,
    compiled_texts,
    hostile_case,
    placeholders,
)
from adversarial.run import far_session
from conftest_engines import engine_url

import segql
from segql.engines import connect
from segql.errors import UnsupportedError
from segql.lower.dialects import DIALECTS
from segql.lower.params import _NO_NUMERIC

NO_NUMERIC = {*_NO_NUMERIC, "clickhouse"}

ENGINES = ("duckdb", "sqlite", "postgres", "mysql", "clickhouse")
CASES = int(os.environ.get("SEGQL_PARAMS_CASES", "1"))
FIRST = int(os.environ.get("SEGQL_PARAMS_SEED", "0"))


@pytest.fixture(scope="module", params=ENGINES)
def far_engine(request):
    eng = connect(engine_url(request.param))
    far_session(eng)
    yield eng
    eng.close()


def _report(found):
    return f"{len(found)} disagreement(s):\n" + "\n".join(map(str, found[:20]))


def _form(eng) -> tuple:
    """The styles whose SQL form is checked segment by segment: all in long runs, else the engine's first."""
    return STYLES[eng.dialect] if CASES > 1 else STYLES[eng.dialect][:1]


def test_hostile_values_bind_as_they_read_inline(far_engine):
    """In two of the engine's styles (all in long runs; the random case runs all of them). MariaDB: in its
    default collation (utf8mb4_general_ci) too, in long runs."""
    styles = STYLES[far_engine.dialect] if CASES > 1 else STYLES[far_engine.dialect][:2]
    found = check_params_case(far_engine, hostile_case(), styles=styles, form=_form(far_engine))
    if far_engine.dialect == "mysql" and CASES > 1:
        found += check_params_case(far_engine, hostile_case(), mysql_collation="utf8mb4_general_ci")
    assert not found, _report(found)


def test_random_segments_bind_as_they_read_inline(far_engine):
    """Every generated segment, inline and in every style the engine's driver binds, has the oracle's
    members (all segments of a case in one statement: hundreds of parameters in long runs)."""
    found = []
    for seed in range(FIRST, FIRST + CASES):
        found += check_params_case(far_engine, make_case(seed, n_segments=30 if CASES > 1 else 10),
                                   mysql_collation="utf8mb4_general_ci" if seed % 4 == 0 else None,
                                   form=_form(far_engine))
    assert not found, _report(found)


# ---- the form of the parameterized SQL -------------------------------------------------------------------

PAIRS = [["duckdb", "numeric"], ["postgres", "pyformat"], ["clickhouse", "named"], ["bigquery", "named"]]
_PROGRAM = """
import json, sys
sys.path.insert(0, "tests")
from adversarial.params import compiled_texts
print(json.dumps(compiled_texts(json.loads(sys.argv[1]))))
"""


def test_parameterized_sql_is_byte_identical_across_processes():
    """Another interpreter (another hash seed) compiles the hostile case to the same SQL and values."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": os.pathsep.join([os.path.join(root, "src"),
                                                                                   os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", _PROGRAM, json.dumps(PAIRS)], capture_output=True, text=True,
                          env=env, cwd=root, check=True)
    other = json.loads(done.stdout)
    mine = compiled_texts(PAIRS)
    assert len(mine) > 400 and set(mine) == set(other)
    assert mine == other, [k for k in mine if mine[k] != other[k]][:5]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("style", ("qmark", "numeric", "named", "pyformat"))
def test_placeholders_are_the_parameters_in_order(dialect, style):
    """On every dialect, the placeholders outside string literals and quoted names are exactly the
    parameters: `?` once per value, `$1` … `$n` and `p1` … `pn` each once, in order; under pyformat every
    other `%` is doubled. A condition whose values are placeholder look-alikes, repeated, in a list, in a
    LIKE needle and a regex. A dialect without the style's placeholder refuses it, naming both."""
    condition = ('name = "?" or name = "%(p1)s" or city in ("$1", ":p1", "$p1", "@p1", "{p1:String}", "?") '
                 'or name contains "%_?" or visits in (-9223372036854775808, 3, 3) or score > -0.5 '
                 'or name starts with "\'?\'"')
    if dialect != "tsql":
        condition += ' or city matches "^\\\\?$"'
    schema = segql.parse_schema(hostile_case().schema_yaml)
    try:
        compiled = segql.compile(condition, schema, dialect, on="contacts", params=style, pretty=False)
    except UnsupportedError as err:
        assert (dialect == "clickhouse" and style == "qmark") or (style == "numeric" and dialect in NO_NUMERIC), err
        assert style in str(err) and dialect in str(err), err
        return
    n = 15 - (dialect == "tsql")
    values = list(compiled.params.values()) if isinstance(compiled.params, dict) else compiled.params
    assert len(values) == n and values[0] == "?" and values[1] == "%(p1)s" and values[9] == -(2 ** 63), values
    want = ["?"] * n if style == "qmark" else [str(i) for i in range(1, n + 1)] if style == "numeric" \
        else [f"p{i}" for i in range(1, n + 1)]
    assert placeholders(compiled.sql, dialect, style) == want, compiled.sql
    if style == "pyformat":
        assert "%" not in re.sub(r"%%|%\(p\d+\)s", "", compiled.sql), compiled.sql
