"""JSON text that keeps every digit of a decimal: the CLI's `--format json` and the service's answers that
carry warehouse values or bound parameters (a NUMERIC amount, `0.1000000000000000000000001`)."""
from __future__ import annotations

import json
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


def to_json(value, *, indent: int | None = 2) -> str:
    """JSON text in which a Decimal is the number it is: `json` writes only floats, so a NUMERIC value or
    a bound `0.1000000000000000000000001` came out as 0.1. Each Decimal goes through as a marked string
    (a random tag per call, so no real string can look like one) and is put back as its digits."""
    tag, numbers = os.urandom(8).hex(), []

    def default(o):
        if isinstance(o, Decimal):
            if not o.is_finite():
                return None
            numbers.append(str(o))  # `1E+3`, `-0.50`: JSON numbers as Decimal writes them
            return f"{tag}:{len(numbers) - 1}"
        return as_text(o)  # never an internal error on a warehouse value

    text = json.dumps(value, ensure_ascii=False, indent=indent, default=default)
    if not numbers:
        return text
    return re.sub(f'"{tag}:(\\d+)"', lambda m: numbers[int(m.group(1))], text)
