"""The function catalogue (semantic/functions.py) is the one list of functions: every IR function in it
lowers on every dialect (or is refused with E0501) and evaluates in-process to the value worked out by hand
below; every callable name in it is accepted by the checker and listed in the unknown-function hint."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_differential import SCHEMA  # noqa: E402

import segql  # noqa: E402
from segql import ir  # noqa: E402
from segql.errors import SegqlError, UnsupportedError  # noqa: E402
from segql.lower.dialects import DIALECTS  # noqa: E402
from segql.lower.sql import Lowerer  # noqa: E402
from segql.semantic.functions import CALLS, FUNCTIONS  # noqa: E402
from segql.targets.evaluate import matches  # noqa: E402

CONTACTS = SCHEMA.entities["contacts"]


def col(name):
    return ir.Column("contacts", CONTACTS.properties[name])


ARGS = {"temporal": col("last_seen"), "string": col("name"), "numeric": col("score"), "any": col("age"),
        "unit": ir.Literal("month", "string"), "digits": ir.Literal(1, "integer")}
# a Friday afternoon; every expected value below is worked out by hand for it
RECORD = {"id": 1, "name": "Ab", "score": -2.25, "age": 7, "last_seen": dt.datetime(2024, 3, 15, 13, 45)}
EXPECTED = {
    "year": 2024, "month": 3, "day": 15, "isodow": 5, "trunc": dt.datetime(2024, 3, 1),
    "date_of": dt.date(2024, 3, 15), "to_timestamp": dt.datetime(2024, 3, 15, 13, 45), "days_between": 0,
    "lower": "ab", "upper": "AB", "length": 2, "abs": 2.25, "round": -2.3, "coalesce": 7,
}


def call(name) -> ir.Func:
    spec = FUNCTIONS[name]
    n = len(spec.params) + (1 if spec.variadic else 0)
    args = tuple(ARGS[kind] for kind in spec.kinds(n))
    kind = {"arg": args[0].type, "common": args[0].type}.get(spec.result, spec.result)
    return ir.Func(name, args, kind)


def test_every_function_has_a_hand_worked_value():
    assert set(EXPECTED) == set(FUNCTIONS)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_function_lowers_or_is_refused(name, dialect):
    segment = ir.Segment("s", "contacts", "segment", ir.Not(ir.IsNull(call(name))))
    try:
        sql = Lowerer(SCHEMA, dialect).select(segment).sql(dialect=dialect)
    except UnsupportedError as err:
        assert err.code == "E0501"
        return
    assert "WHERE NOT" in sql


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_evaluates(name):
    func = call(name)
    expected = EXPECTED[name]
    kind = {str: "string", int: "integer", float: "number", dt.date: "date", dt.datetime: "timestamp"}[
        type(expected)]
    segment = ir.Segment("s", "contacts", "segment", ir.Compare("=", func, ir.Literal(expected, kind)))
    assert matches(segment, SCHEMA, RECORD, "2024-03-31T12:00:00")
    wrong = ir.Segment("s", "contacts", "segment", ir.IsNull(func))
    assert not matches(wrong, SCHEMA, RECORD, "2024-03-31T12:00:00")


def test_every_call_maps_to_the_catalogue():
    for c in CALLS.values():
        if c.form in ("func", "current"):
            assert c.func in FUNCTIONS, c.name


SAMPLE_ARGS = {"temporal": "last_seen", "string": "name", "numeric": "score", "any": "age", "digits": "1"}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_callable_name_is_accepted(name):
    c = CALLS[name]
    if c.form == "aggregate":
        args = "deals" if name == "count" else "deals.value"
    else:
        n = c.at_least if c.at_least is not None else len(c.params)
        args = ", ".join(SAMPLE_ARGS[k] for k in (c.params + c.params[-1:] * n)[:n])
    text = f"{name}({args})"
    condition = text if c.form == "anniversary" else f"{text} is null"
    [segment] = segql.check(condition, SCHEMA, on="contacts")
    assert segment.condition is not None


def test_unknown_function_lists_every_name():
    with pytest.raises(SegqlError) as info:
        segql.check("zzzzzz(age) > 1", SCHEMA, on="contacts")
    assert info.value.code == "E0304"
    listed = info.value.hints[0]
    assert all(name in listed for name in CALLS)


def test_wrong_argument_kind_shows_the_signature():
    with pytest.raises(SegqlError) as info:
        segql.check("day_of_week(name) = 1", SCHEMA, on="contacts")
    assert info.value.code == "E0304" and "needs a date or timestamp, got string" in info.value.message
    assert info.value.hints == [CALLS["day_of_week"].signature]
    with pytest.raises(SegqlError) as info:
        segql.check("round(score, 1, 2) > 1", SCHEMA, on="contacts")
    assert "takes 1 or 2 arguments, got 3" in info.value.message


def test_round_digits_in_parentheses_and_their_bounds():
    """`round(x, (-1))` is `round(x, -1)` (parentheses never change meaning; `fmt` and generators write
    them around negative numbers). Digits beyond ±15 are refused: `1e-400` is no double (PostgreSQL
    refuses the SQL, other engines divide 0 by 0), so `round(x, -400)` could not run alike everywhere."""
    [paren] = segql.check("round(score, (-1)) = 30", SCHEMA, on="contacts")
    [bare] = segql.check("round(score, -1) = 30", SCHEMA, on="contacts")
    assert paren.condition == bare.condition
    for digits in ("-16", "(-400)", "16"):
        with pytest.raises(SegqlError) as info:
            segql.check(f"round(score, {digits}) = 0", SCHEMA, on="contacts")
        assert info.value.code == "E0304" and "15 digits" in info.value.message
