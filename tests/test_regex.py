"""The portable regex subset: validation, rewriting, and agreement of python_search with real engines."""
from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading

import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from conftest_engines import open_engine
import segql.semantic.regex as regex_mod
from segql.errors import SegqlError
from segql.lower.dialects import DIALECTS, get_ops
from segql.semantic.regex import portable, python_search, search_portable, to_flavor, validate

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


# ------------------------------------------- the in-process matcher (a Thompson NFA, no backtracking)

def _oracle(p, ic, s):
    """Python's backtracking `re` on the python-flavor rendering: correct, only slow on adversarial input."""
    return re.search(to_flavor(portable(p, ic), "python"), s) is not None


class _OracleTimeout(Exception):
    pass


def _oracle_within(p, ic, s, seconds=1.0):
    """_oracle, or None when it backtracks for longer than `seconds` (interrupted with SIGALRM; where that
    is unavailable the oracle just runs to the end)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return _oracle(p, ic, s)
    armed = [True]

    def expire(signum, frame):
        if armed[0]:
            raise _OracleTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds, 0.1)  # re-fires if an alarm lands outside `re`
        return _oracle(p, ic, s)
    except _OracleTimeout:
        return None
    finally:
        while True:  # an alarm may still land here until `armed` is cleared
            try:
                armed[0] = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                break
            except _OracleTimeout:
                pass


def _rich_atom():
    return st.one_of(_atom(), st.sampled_from(["^", "$", "[^\\n]", "\\S", "[b-é]", "[🎉a]"]))


_BOUNDED = ["", "", "", "?", "{2}", "{1,2}", "{0}", "{0,3}"]
_UNBOUNDED = ["*", "+", "{0,}", "{2,}"]


@st.composite
def rich_patterns(draw, depth=0, budget=None):
    # at most 3 unbounded quantifiers per pattern: more nested stars make the oracle (backtracking `re`)
    # itself take exponential time, even on these 10-character texts
    budget = [3] if budget is None else budget

    def quant():
        q = draw(st.sampled_from(_BOUNDED + (_UNBOUNDED if budget[0] else [])))
        budget[0] -= q in _UNBOUNDED
        return q

    parts = []
    for _ in range(draw(st.integers(1, 3))):
        if depth < 3 and draw(st.integers(0, 3)) == 0:
            inner = draw(rich_patterns(depth=depth + 1, budget=budget))
            parts.append("(" + inner + ")" + quant())
        else:
            a = draw(_rich_atom())
            parts.append(a if a in ("^", "$") else a + quant())
    body = "".join(parts)
    if depth < 3 and draw(st.integers(0, 3)) == 0:
        body += "|" + draw(rich_patterns(depth=depth + 1, budget=budget))
    return body


@settings(max_examples=int(os.environ.get("SEGQL_REGEX_DIFF_EXAMPLES", "400")), deadline=None,
          suppress_health_check=list(HealthCheck), database=None)
@given(p=rich_patterns(), ic=st.booleans(),
       texts=st.lists(st.text(alphabet=ALPHABET, max_size=10), min_size=1, max_size=6))
def test_matcher_agrees_with_python_re(p, ic, texts):
    if not _valid(p):
        return
    f = python_search(p, ic)
    pp = portable(p, ic)
    for s in texts:
        want = _oracle_within(p, ic, s)
        if want is None:  # Python's `re` is the one that backtracks exponentially here
            continue
        assert f(s) is want, (p, ic, s, pp)
        assert search_portable(pp, s) is want, (p, ic, s, pp)


@pytest.mark.parametrize("pattern,text,hit", [
    ("a$", "a", True), ("a$", "a\n", False), ("^$", "", True), ("^$", "\n", False), ("$", "", True),
    ("$", "abc", True), ("^", "x", True), ("$^", "", True), ("$^", "a", False), ("a^", "a", False),
    ("(a|^)b", "b", True), ("(a|^)b", "ab", True), ("(a|^)b", "cb", False), ("a(b|$)", "a", True),
    ("a(b|$)", "a\n", False), ("a(b|$)", "ac", False), ("(^|x)$", "", True), ("(^|x)$", "\n", False),
    (".", "\n", False), (".", "\r", True), ("\\n", "\n", True), ("[^a]", "\n", True), ("a.*$", "ab\ncd", False),
    ("a[^b]*$", "a\n\n", True), ("^\\s*$", "\n", True), ("^.*$", "x\n", False), ("(a*)*$", "", True),
    ("(^)*a", "ba", True), ("(^a)+", "ba", False), ("(a{0})*b", "b", True), ("x(a{0})+", "x", True),
    ("^b", "a\nb", False), ("a\\n^b", "a\nb", False), ("a$\\nb", "a\nb", False), ("🎉{2}$", "🎉🎉", True),
])
def test_matcher_anchors_and_newlines(pattern, text, hit):
    assert python_search(pattern)(text) is hit
    assert search_portable(portable(pattern), text) is hit
    assert _oracle(pattern, False, text) is hit


def test_matcher_dfa_cache_is_bounded(monkeypatch):
    # a pattern whose DFA is exponential: the cache is dropped and rebuilt, results stay right
    monkeypatch.setattr(regex_mod, "_DFA_BUDGET", 200)
    regex_mod._automaton.cache_clear()
    try:
        rnd = random.Random(7)
        f = python_search("[ab]*a[ab]{8}c")
        for _ in range(20):
            s = "".join(rnd.choice("abc") for _ in range(300))
            assert f(s) is _oracle("[ab]*a[ab]{8}c", False, s)
        assert regex_mod._automaton(portable("[ab]*a[ab]{8}c")).size <= 200 + 2 * 40
    finally:
        regex_mod._automaton.cache_clear()


_REDOS = r"""
import sqlite3, sys
from segql.engines import register_sqlite_functions
from segql.semantic.regex import portable, python_search
conn = sqlite3.connect(":memory:")
register_sqlite_functions(conn)
n = 20000
cases = [("(a+)+$", "a" * n + "b"), ("(a|a)*b", "a" * n), ("(a*)*b", "a" * n), ("(.*a){20}", "a" * 19 + "b" * n),
         ("(A+)+$", "a" * n + "b"), ("([ab]*a){20}c", "ab" * n)]
for p, s in cases:
    ic = p[1] == "A"
    assert python_search(p, ic)(s) is False, p
    assert conn.execute("select regexp(?, ?)", (portable(p, ic), s)).fetchone()[0] == 0, p
print("ok")
"""


def test_matcher_redos_patterns_finish():
    # Python's `re` needs exponential time on these (about a second already at 24 characters); the
    # automaton is linear. Run in a subprocess so a regression fails on the timeout instead of hanging.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, "-c", _REDOS], env=env, capture_output=True, text=True, timeout=10,
                         check=False)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
