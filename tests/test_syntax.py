"""The text language: every seed example parses and checks; printing round-trips; no input crashes."""
from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import segql
from segql.errors import SegqlError
from segql.syntax import ast
from segql.syntax.parser import _parser, parse_condition, parse_document
from segql.syntax.printer import format_condition, format_document, strip_parens

from conftest import EXAMPLES

SEGMENT_FILES = sorted((EXAMPLES / "segments").glob("*.segql"))


@pytest.mark.parametrize("path", SEGMENT_FILES, ids=lambda p: p.name)
def test_example_files_parse_and_check(path, schema):
    segments = segql.check(path.read_text("utf-8"), schema, path=str(path))
    assert segments, "each example file defines segments"
    assert all(s.entity == "contacts" for s in segments)


SEED_002_CONDITIONS = [  # SPEC appendix: seed 002's examples in segql
    'email contains "@company.com"',
    'performed "email_opened" at least 5 times in last 30 days and performed "email_clicked" at least 2 times in last 30 days',
    'performed "email_opened" fewer than 2 times in last 60 days and performed "email_opened" more than 5 times and subscribed_at > 90 days ago',
    "opens = 0 and subscribed_at > 30 days ago",
    "cart_value > 0 and last_purchase = null and last_activity < 24 hours ago",
    'country = "USA" AND State IN ("CA", "NY", "TX") AND Timezone = "PST"',
    "month(birthday) = current_month()",
    'MONTH(Birthday) = CURRENT_MONTH()',
    'signup_date > 365 days ago and customer_tier = "Gold"',
    "last_activity > today - 30 days",
    "Last_Activity > TODAY - 30 days",
    "anniversary(signup_date)",
    "month(today) in (11, 12)",
    "lifetime_value > $1000 or performed \"purchase\" more than 5 times in last 1 year",
    "in list vip_customers and in segment active_last_30_days",
    "not in segment purchased_this_week",
    "products_viewed > 3 AND cart_items = 0 AND last_visit < 48 hours ago",
    "(opens × 2) + (clicks × 5) + (purchases × 10) > 100",
]


@pytest.mark.parametrize("text", SEED_002_CONDITIONS)
def test_seed_002_conditions_check(text, schema):
    path = str(EXAMPLES / "segments" / "adhoc.segql")  # references resolve among the example files
    [segment] = segql.check(text, schema, on="contacts", path=path)
    assert segment.condition is not None


def test_parser_is_built_once():
    _parser()
    before = _parser.cache_info()
    for _ in range(5):
        parse_condition("a = 1")
    assert _parser.cache_info().misses == before.misses


# ---- round trip: generated syntax trees print and parse back to the same tree ---------------------
names = st.sampled_from(["country", "value", "deals", "organization", "x", "Last_Purchase", "in", "days", "name",
                         "ümlaut", "order"])
paths = st.lists(names, min_size=1, max_size=3).map(lambda parts: ast.Path(tuple(parts)))
texts = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=12)
numbers = st.one_of(st.integers(-10**6, 10**6), st.decimals(allow_nan=False, allow_infinity=False, places=2,
                                                           min_value=-10**6, max_value=10**6))
literals = st.one_of(
    texts.map(lambda s: ast.Literal("string", s)),
    numbers.map(lambda n: ast.Literal("number", n)),
    st.booleans().map(lambda b: ast.Literal("boolean", b)),
    st.just(ast.Literal("null", None)),
    st.dates().map(lambda d: ast.Literal("date", d)),
)
units = st.sampled_from(["second", "minute", "hour", "day", "week", "month", "quarter", "year"])
durations = st.builds(ast.Duration, st.integers(0, 400), units, st.booleans())
atoms = st.one_of(paths, literals, durations, st.sampled_from([ast.Keyword("today"), ast.Keyword("now")]))


def _values(children):
    return st.one_of(
        st.builds(ast.Binary, st.sampled_from(["+", "-", "*", "/"]), children, children),
        st.builds(ast.Unary, st.just("-"), children),
        st.builds(ast.Call, st.sampled_from(["month", "lower", "coalesce", "round"]),
                  st.lists(children, min_size=1, max_size=3).map(tuple)),
    )


values = st.recursive(atoms, _values, max_leaves=6)
periods = st.one_of(
    st.builds(ast.Period, st.just("rolling"), units, st.integers(1, 90)),
    st.builds(ast.Period, st.sampled_from(["this", "last"]), st.sampled_from(["week", "month", "quarter", "year"])),
)
window_periods = st.one_of(periods, st.builds(ast.Period, st.just("between"), units, st.integers(0, 50),
                                              st.integers(0, 50)))
slugs = st.one_of(st.sampled_from(["churned", "vip", "active-customers", "in"]), st.text(string.ascii_letters, min_size=1, max_size=6))


def _leaves():
    return st.one_of(
        st.builds(ast.Compare, st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "before", "after"]), values, values),
        st.builds(ast.InList, values, st.lists(values, max_size=3).map(tuple), st.booleans()),
        st.builds(ast.Between, values, values, values, st.booleans()),
        st.builds(ast.IsNull, values, st.booleans()),
        st.builds(ast.IsEmpty, values, st.booleans()),
        st.builds(ast.TextMatch, st.sampled_from(["contains", "starts", "ends"]), values,
                  texts.map(lambda s: ast.Literal("string", s)), st.booleans()),
        st.builds(ast.TextMatch, st.just("matches"), values, texts.map(lambda s: ast.Literal("string", s)),
                  st.booleans(), st.booleans()),
        st.builds(ast.InPeriod, values, periods, st.booleans()),
        st.builds(ast.InSegment, st.sampled_from(["segment", "list"]), slugs, st.none(), st.just(False)),
        st.builds(ast.InSegment, st.sampled_from(["segment", "list"]), slugs, paths, st.booleans()),
        st.builds(ast.Quantified, st.sampled_from(["any", "no"]), paths, st.none()),
        st.builds(ast.Performed, texts, st.none(), st.none() | st.builds(
            ast.EventCount, st.sampled_from([">=", "<=", "=", ">", "<"]), st.integers(0, 9)),
            st.none() | window_periods, st.just(False)),
        st.builds(ast.Performed, texts, st.none(), st.none(), st.none() | window_periods, st.just(True)),
    )


def _conditions(children):
    return st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda xs: ast.And(tuple(xs))),
        st.lists(children, min_size=2, max_size=3).map(lambda xs: ast.Or(tuple(xs))),
        st.builds(ast.Not, children),
        st.builds(ast.Quantified, st.sampled_from(["any", "all", "no"]), paths, children),
        st.builds(ast.Performed, texts, children, st.none(), st.none(), st.just(False)),
        st.builds(ast.Call, st.sampled_from(["count"]), paths.map(lambda p: (p,)), children),
    )


conditions = st.recursive(_leaves(), _conditions, max_leaves=8)


def _flatten(node):
    """Nested and-in-and reads back flat: compare trees modulo associativity of and/or."""
    import dataclasses

    node = strip_parens(node)
    if isinstance(node, (ast.And, ast.Or)):
        items = []
        for i in node.items:
            i = _flatten(i)
            items.extend(i.items if type(i) is type(node) else [i])
        return type(node)(tuple(items))
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        return node
    changes = {}
    for f in dataclasses.fields(node):
        v = getattr(node, f.name)
        if isinstance(v, ast.Node):
            changes[f.name] = _flatten(v)
        elif isinstance(v, tuple) and not f.name.endswith("spans"):
            changes[f.name] = tuple(_flatten(x) if isinstance(x, ast.Node) else x for x in v)
    return dataclasses.replace(node, **changes)


@settings(max_examples=300)
@given(conditions)
def test_print_parse_round_trip(tree):
    text = format_condition(tree)
    parsed = parse_condition(text)
    assert _flatten(parsed) == _flatten(tree), text
    assert format_condition(parsed) == text  # fmt of fmt is fmt


@settings(max_examples=100)
@given(conditions, st.lists(st.tuples(names, values), max_size=2))
def test_definition_round_trip(cond, lets):
    d = ast.Definition("segment", "my_segment", "contacts", cond, "A title \"quoted\"", "desc\nline",
                       tuple(ast.Let(n, v) for n, v in lets))
    text = format_document(ast.Document((d,)))
    again = parse_document(text)
    assert _flatten(again.definitions[0]) == _flatten(d), text
    assert format_document(again) == text


# ---- no input crashes the parser or the checker ---------------------------------------------------
@settings(max_examples=400)
@given(text=st.text(max_size=200))
def test_arbitrary_text_raises_only_segql_errors(text, schema):
    try:
        segql.check(text, schema, on="contacts")
    except SegqlError:
        pass


KEYWORD_SOUP = ["and", "or", "not", "(", ")", "in", "segment", "list", "where", "on", "x", "deals.value", '"s"', "5",
                "days", "ago", "performed", "any", "between", "is", "null", "last", "this", "month", "count(",
                ",", "=", "<", "today", "-", "$5", "`a b`", "#c\n", "\n", "let", "title"]


@settings(max_examples=400)
@given(tokens=st.lists(st.sampled_from(KEYWORD_SOUP), max_size=25))
def test_token_soup_raises_only_segql_errors(tokens, schema):
    text = " ".join(tokens)
    for source in (text, "segment s on contacts where " + text):
        try:
            segql.check(source, schema, on="contacts")
        except SegqlError as err:
            assert err.code.startswith("E") and err.message


def test_deep_parentheses_are_a_segql_error(schema):
    text = "(" * 3000 + "country = \"US\"" + ")" * 3000
    with pytest.raises(SegqlError) as info:
        segql.check(text, schema, on="contacts")
    assert info.value.code == "E0110"


def test_deep_not_chain_is_a_segql_error(schema):
    with pytest.raises(SegqlError) as info:
        segql.check("not " * 3000 + 'country = "US"', schema, on="contacts")
    assert info.value.code == "E0110"


def test_forty_thousand_conditions(schema):
    text = " and ".join(f"opens != {i}" for i in range(40_000))
    [segment] = segql.check(text, schema, on="contacts")
    assert len(segment.condition.items) == 40_000


def test_oversized_input_is_refused(schema):
    with pytest.raises(SegqlError) as info:
        segql.check("x = 1 and " * 300_000 + "x = 1", schema, on="contacts")
    assert info.value.code == "E0111"


# ---- the fast parser: the same trees, spans included, as lark's exact path ------------------------
def _dump(x):
    """A tree as nested tuples, spans included (they take no part in node equality)."""
    import dataclasses

    if dataclasses.is_dataclass(x):
        return (type(x).__name__, tuple((f.name, _dump(getattr(x, f.name))) for f in dataclasses.fields(x)))
    if isinstance(x, (list, tuple)):
        return tuple(_dump(i) for i in x)
    return repr(x)


def _fast_and_exact(text, start):
    from segql.syntax import parser as p

    fast = p._FastParser(p.load_tables())
    try:
        got = fast.parse(text, start)
    except p._Fallback:
        return None
    return _dump(got), _dump(p._to_ast(p._parser().parse(text, start=start)))


def test_fast_parser_builds_the_exact_paths_trees():
    import random
    import re

    texts = [(p.read_text("utf-8"), "start") for p in SEGMENT_FILES]
    texts += [(t, "expr_only") for t in SEED_002_CONDITIONS]
    mixed = ('in segment a and not (x > 1) and "a\\"b" starts with y and y matches "z" '
             'ignoring case and performed "a" then "b" within 3 days at least 2 times in last 5 days\n'
             '# comment\n and `quoted name` between -1 and $1,000.5')
    texts.append((mixed, "expr_only"))
    rng = random.Random(7)
    compared = 0
    for text, start in list(texts):
        pair = _fast_and_exact(text, start)
        assert pair is not None, text  # valid inputs never leave the fast path
        assert pair[0] == pair[1], text
        compared += 1
        toks = re.findall(r'\s+|"[^"\n]*"|\w+|.', text)
        for _ in range(40):  # broken and reshuffled inputs: where the fast path answers, it answers alike
            k = toks[:]
            i = rng.randrange(len(k))
            if rng.random() < 0.5:
                del k[i]
            else:
                k[i], k[(i + 1) % len(k)] = k[(i + 1) % len(k)], k[i]
            pair = _fast_and_exact("".join(k), start)
            if pair is not None:
                assert pair[0] == pair[1], "".join(k)
                compared += 1
    assert compared > len(texts) * 5


def test_shipped_parser_tables_match_the_grammar():
    import hashlib
    import marshal

    from segql.syntax import parser as p

    shipped = sorted(p._package_dir().glob("tables-*.marshal"))
    assert len(shipped) == 1, "run `python -m segql.syntax.parser` and commit the one tables file"
    data = marshal.loads(shipped[0].read_bytes())
    assert data["grammar"] == hashlib.sha256(p._grammar_text().encode()).hexdigest(), \
        "the grammar changed: run `python -m segql.syntax.parser` and commit the new tables file"
    if data["lark"] == p.lark_version():
        assert shipped[0].name == p.tables_name()
