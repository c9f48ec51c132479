"""Safety limits: they always apply, so no input can crash segql or run away with time or memory.
(Policy limits — max conditions, max depth — come from the schema and apply only when it sets them.)
Each is described, with its diagnostic, in docs/limits.md."""
from __future__ import annotations

from decimal import Decimal

MAX_INPUT_CHARS = 2_000_000      # a segment file or JSON document
MAX_TOKENS = 250_000             # words and symbols in segment text: the parser's time (~15 µs each)
MAX_NESTING = 200                # levels of and/or/not/parentheses/calls in one condition
MAX_LEAF_CONDITIONS = 50_000     # leaf conditions in one segment, referenced segments included
MAX_EXPANDED_NODES = 200_000     # IR nodes of a segment with its lets, calculated fields and referenced
                                 # segments written out, as the SQL writes them
MAX_FORMULA_NODES = 10_000       # IR nodes of one calculated field or let, the fields it uses written out
MAX_JSON_DEPTH = 200
MAX_SCHEMA_BYTES = 4_000_000     # a schema file
MAX_SCHEMA_NODES = 200_000       # YAML nodes of a schema, every use of an alias counted ("billion laughs")
MAX_SCHEMA_DEPTH = 50            # levels of YAML nesting in a schema (a real one has about 6)
MAX_NUMBER_DIGITS = 100          # digits of a number literal, written out in full (no engine holds more)
MAX_DURATION_YEARS = 1_000       # `N days ago`, `in last N days`: a point within 1,000 years of today
_UNIT_PER_YEAR = {"second": 31_557_600, "minute": 525_960, "hour": 8_766, "day": 365.25, "week": 365.25 / 7,
                  "month": 12, "quarter": 4, "year": 1}


def max_time_amount(unit: str) -> int | None:
    """The largest amount of `unit` a duration or period may have (None: not a time unit)."""
    per_year = _UNIT_PER_YEAR.get(unit)
    return None if per_year is None else int(MAX_DURATION_YEARS * per_year)


def number_problem(value) -> str | None:
    """Why a number literal cannot be used (None: it can): NaN/infinity, or more than MAX_NUMBER_DIGITS
    digits written out in full — `1e99999999999999999999` and 5,000-digit integers included, which
    Python itself refuses to print (its int-str limit is 4,300 digits)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        # a comparison, not str(): str() of a huge int is the very conversion that fails
        return None if abs(value) < 10 ** MAX_NUMBER_DIGITS else \
            f"numbers may have at most {MAX_NUMBER_DIGITS} digits"
    if isinstance(value, float):
        value = Decimal(repr(value)) if value == value and abs(value) != float("inf") else Decimal("nan")
    if isinstance(value, Decimal):
        if not value.is_finite():
            return "NaN and infinities are not numbers segql can compare"
        sign, digits, exponent = value.as_tuple()
        width = max(len(digits) + exponent, len(digits), -exponent)  # integer part, or fraction digits
        if width > MAX_NUMBER_DIGITS:
            return f"numbers may have at most {MAX_NUMBER_DIGITS} digits"
    return None
