"""Unicode text rules segql's meaning depends on, in one place for every layer.

The SQL lowering (LIKE patterns), the Python evaluator and the SQLite `lower()` function segql registers
all use `simple_lower`, so they cannot drift apart.
"""
from __future__ import annotations


def simple_lower(s: str) -> str:
    """Unicode *simple* lowercase (UnicodeData.txt field 13), code point by code point.

    Python's `str.lower` applies the full mapping (U+0130 'İ' -> 'i' + U+0307) and the context-dependent
    final sigma rule ('ΑΣ' -> 'ας'); per-character lowering avoids the context, and U+0130 is the only
    character whose full lowercase differs from its simple one.
    """
    out = []
    for c in s:
        if c == "\u0130":
            out.append("i")
        else:
            lc = c.lower()
            out.append(lc if len(lc) == 1 else c)
    return "".join(out)


def simple_upper(s: str) -> str:
    """Unicode simple uppercase: a character whose uppercase is longer (ß -> SS) stays as it is."""
    out = []
    for c in s:
        uc = c.upper()
        out.append(uc if len(uc) == 1 else c)
    return "".join(out)
