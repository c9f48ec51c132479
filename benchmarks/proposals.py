"""Speed-ups proposed for files this benchmark work may not edit (src/segql/lower/dialects.py), applied
here at run time so their gain can be measured and their output checked identical:

    python benchmarks/run.py compile --with-proposals

1. `Ops.cast` (dialects.py) builds its target type with `exp.DataType.build(type_sql, dialect=...)`, which
   runs sqlglot's tokenizer and parser on e.g. "TIMESTAMP" for every date/timestamp literal — about a
   quarter of all lowering time on the corpus. Proposal: parse each (type_sql, dialect) once
   (functools.lru_cache) and `.copy()` the cached DataType.
"""
from __future__ import annotations

import functools


def apply() -> None:
    from sqlglot import exp

    from segql.lower import dialects

    @functools.lru_cache(maxsize=None)
    def _datatype(type_sql: str, dialect: str) -> exp.DataType:
        return exp.DataType.build(type_sql, dialect=dialect)

    def cast(self, x, type_sql: str) -> exp.Expression:
        return exp.Cast(this=dialects._lit(x), to=_datatype(type_sql, self.name).copy())

    dialects.Ops.cast = cast
