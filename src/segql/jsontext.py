"""JSON text that keeps every digit of a decimal: the CLI's `--format json` and the service's answers that
carry warehouse values or bound parameters (a NUMERIC amount, `0.1000000000000000000000001`)."""
from __future__ import annotations

import json
import math
import os
import re
from decimal import Decimal


def as_text(o) -> str:
    """A warehouse value JSON has no type for, as text: a date or time in ISO form, bytes decoded, anything
    else (a uuid …) as `str` gives it."""
    if hasattr(o, "isoformat"):
        return o.isoformat()
    if isinstance(o, (bytes, bytearray, memoryview)):
        return bytes(o).decode("utf-8", "replace")
    return str(o)


def _finite(value):
    """`value` with every float NaN or infinity replaced by None (lists, tuples and dicts walked)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def to_json(value, *, indent: int | None = 2) -> str:
    """JSON text in which a Decimal is the number it is: `json` writes only floats, so a NUMERIC value or
    a bound `0.1000000000000000000000001` came out as 0.1. Each Decimal goes through as a marked string
    (a random tag per call, so no real string can look like one) and is put back as its digits. A double
    NaN or infinity (a warehouse DOUBLE can hold them) is null: `NaN` is not JSON."""
    tag, numbers = os.urandom(8).hex(), []

    def default(o):
        if isinstance(o, Decimal):
            if not o.is_finite():
                return None
            numbers.append(str(o))  # `1E+3`, `-0.50`: JSON numbers as Decimal writes them
            return f"{tag}:{len(numbers) - 1}"
        return as_text(o)  # never an internal error on a warehouse value

    try:
        text = json.dumps(value, ensure_ascii=False, indent=indent, default=default, allow_nan=False)
    except ValueError:  # a double NaN or infinity, which JSON has no number for: null, as pydantic writes it
        numbers.clear()
        text = json.dumps(_finite(value), ensure_ascii=False, indent=indent, default=default, allow_nan=False)
    if not numbers:
        return text
    return re.sub(f'"{tag}:(\\d+)"', lambda m: numbers[int(m.group(1))], text)
