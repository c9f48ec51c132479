"""The portable regex subset: validation, rewriting, and agreement of python_search with real engines."""
from __future__ import annotations

import os

import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from conftest_engines import open_engine
from segql.errors import SegqlError
from segql.lower.dialects import DIALECTS, get_ops
from segql.semantic.regex import portable, python_search, to_flavor, validate

# ------------------------------------------------------------------------------------------ validation

REJECTED = {
    "(a": 0, "a)": 1, "*a": 0, "a**": 2, "a*?": 2, "a+?": 2, "a{2}+": 4, "a{3,2}": 1, "a{1001}": 1,
    "(a{100}){20}": 0, "(?=a)": 0, "(?!a)": 0, "(?<=a)b": 0, "(?i)a": 0, "(?P<n>a)": 0, "(a)\\1": 3,
    "\\b": 0, "a\\Z": 1, "\\p{L}": 0, "[[:alpha:]]": 1, "[]a]": 1, "[a": 0, "[z-a]": 1, "": 0, "a|": 2,
    "()": 0, "^*": 1, "a{": 1, "{2}": 0, "\\": 0, "[\\D]": 1, "\\x41": 0,
}


@pytest.mark.parametrize("pattern,offset", REJECTED.items())
def test_rejected(pattern, offset):
    with pytest.raises(SegqlError) as ei:
        validate(pattern)
    assert ei.value.code == "E0311"
    assert f"offset {offset}:" in ei.value.message, ei.value.message
    assert ei.value.hints


@pytest.mark.parametrize("pattern", ["a", "a.b", "^ab$", "[a-z]+", "[^0-9]", "a{2}", "a{2,}", "a{2,3}", "(ab|cd)*",
                                     "(?:ab)?", "\\.\\*\\$", "\\d+", "[\\d_]", "\\W", "x\\s*y", "[a\\-z]", "a]b",
                                     "[-a]", "[a-]", "é+", "🎉", "\\n"])
def test_accepted(pattern):
    validate(pattern)


@pytest.mark.parametrize("pattern,ic,out", [
    ("a.b", False, "a[^\n]b"),
    ("ab", True, "[aA][bB]"),
    ("[a-c]", True, "[a-cA-C]"),
    ("[^x]", True, "[^xX]"),
    ("[0-z]", True, "[0-zA-Za-z]"),  # redundant but correct: A-Z lies inside 0-z
    ("\\d", False, "[0-9]"),
    ("(?:a|b)$", False, "(a|b)$"),
    ("é", True, "é"),
])
def test_portable(pattern, ic, out):
    assert portable(pattern, ic) == out


def test_flavors_end_anchor():
    p = portable("a$", False)
    assert to_flavor(p, "java") == "a\\z" and to_flavor(p, "pcre") == "a\\z" and to_flavor(p, "re2") == "a$"


@pytest.mark.parametrize("pattern,ic,text,hit", [
    ("b$", False, "ab\n", False), ("a.b", False, "a\nb", False), ("^b", False, "a\nb", False),
    ("AB", True, "xaby", True), ("é", True, "É", False), ("[a-c]+", True, "ABC", True),
    ("\\d", False, "٣", False), ("^.$", False, "🎉", True), ("a|^b", False, "cb", False),
])
def test_python_search(pattern, ic, text, hit):
    assert python_search(pattern, ic)(text) is hit


@pytest.mark.parametrize("dialect", DIALECTS)
def test_regex_renders_everywhere(dialect):
    from segql.errors import UnsupportedError
    try:
        e = get_ops(dialect).regex_search(exp.column("s"), portable("^a.[b-d]{1,3}(x|y)*\\.$", True))
    except UnsupportedError:
        assert dialect == "tsql"
        return
    sqlglot.parse_one(e.sql(dialect=dialect), read=dialect)


# ------------------------------------------------------------------- random patterns vs. real engines

ALPHABET = ["a", "b", "A", "\n", "é", ".", " ", "🎉"]


def _atom():
    lit = st.sampled_from(["a", "b", "A", "é", " ", "\\.", "\\n", "🎉", "\\d", "\\w", "\\s", "\\W"])
    dot = st.just(".")
    sets = st.sampled_from(["[ab]", "[^a]", "[a-c]", "[A-Z]", "[^\\n]", "[é.]", "[\\d ]", "[^ab ]", "[a\\-]"])
    return st.one_of(lit, dot, sets)


def _quant():
    return st.sampled_from(["", "", "", "*", "+", "?", "{2}", "{1,2}", "{0,}"])


@st.composite
def patterns(draw, depth=0):
    n = draw(st.integers(1, 3))
    parts = []
    for _ in range(n):
        if depth < 2 and draw(st.integers(0, 5)) == 0:
            inner = draw(patterns(depth=depth + 1))
            parts.append("(" + inner + ")" + draw(_quant()))
        else:
            parts.append(draw(_atom()) + draw(_quant()))
    body = "".join(parts)
    if depth < 2 and draw(st.integers(0, 4)) == 0:
        body += "|" + draw(patterns(depth=depth + 1))
    if depth == 0:
        if draw(st.booleans()):
            body = "^" + body
        if draw(st.booleans()):
            body = body + "$"
    return body


STRINGS = st.lists(st.text(alphabet=ALPHABET, max_size=6), min_size=1, max_size=8)
PATTERNS = st.lists(st.tuples(patterns(), st.booleans()), min_size=1, max_size=8)

ENGINES = {}


def _engine(dialect):
    if dialect not in ENGINES:
        ENGINES[dialect] = open_engine(dialect)
    return ENGINES[dialect]


@pytest.fixture(scope="module", autouse=True)
def _close_engines():
    yield
    for e in ENGINES.values():
        e.close()
    ENGINES.clear()


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite", "postgres", "mysql", "clickhouse", "spark"])
def test_engines_agree_with_python(dialect):
    eng = _engine(dialect)
    ops = get_ops(dialect)

    n = int(os.environ.get("SEGQL_REGEX_EXAMPLES", "25"))
    n = max(1, n // 3) if dialect == "spark" else n  # a Spark query costs ~0.3 s

    @settings(max_examples=n, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(pats=PATTERNS, texts=STRINGS)
    def check(pats, texts):
        pats = [(p, ic) for p, ic in pats if _valid(p)]
        if not pats:
            return
        eng.create_table("rx_texts", {"i": "integer", "s": "string"}, list(enumerate(texts)))
        cols = [exp.column("i", quoted=True)]
        for k, (p, ic) in enumerate(pats):
            e = ops.regex_search(exp.column("s", quoted=True), portable(p, ic))
            cols.append(exp.alias_(exp.Case(ifs=[exp.If(this=e, true=exp.Literal.number(1))],
                                            default=exp.Literal.number(0)), f"r{k}", quoted=True))
        sql = exp.select(*cols).from_(exp.to_table("rx_texts")).order_by("i").sql(dialect=dialect)
        rows = eng.execute(sql)
        for i, row in enumerate(rows):
            for k, (p, ic) in enumerate(pats):
                want = python_search(p, ic)(texts[i])
                assert bool(row[k + 1]) == want, (dialect, p, ic, texts[i], portable(p, ic))

    check()


def _valid(p):
    try:
        validate(p)
        return True
    except SegqlError:
        return False
