"""Many conditions over one scan of an entity's table: the SQL behind `counts`, `overlap` and `explain`.

One `Scan` lowers any number of conditions against the same FROM with the ordinary `Lowerer`, so every
condition means exactly what it means in `segql compile`. The to-one LEFT JOINs the Lowerer adds are
collected once for the whole query (keyed by relationship, so two segments using `organization.industry`
share one join); to-many conditions stay semi-joins and aggregates stay scalar subqueries, so the scan
never fans out and each record is one row.

- `count_query`: `SELECT COUNT(CASE WHEN <c1> THEN 1 END) AS c0, ... FROM entity ...` — one statement for
  all of an entity's segments (`segql counts`).
- `flag_query`: the conditions become 0/1 columns of a derived table (each condition lowered once), and
  the outer query counts boolean combinations of them (`segql overlap`: |A ∩ B|; `segql explain`: each
  node and each prefix of an `and`). A flag is `CASE WHEN c THEN 1 ELSE 0 END`, never NULL, so combining
  flags with AND/OR/NOT outside is exactly the two-valued logic of SPEC §2 (`not P` is the complement).
"""
from __future__ import annotations

from sqlglot import exp

from . import ir
from .errors import SegqlError
from .lower.sql import Lowerer, _Frame, _Query, pin_now, quoted, table_expr


class Scan:
    """One FROM over `entity` with the joins every lowered condition needs."""

    def __init__(self, schema, dialect: str, entity: str, now=None):
        from .api import _check_now

        self.schema = schema
        self.dialect = dialect
        self.entity = schema.entities[entity]
        self.lowerer = Lowerer(schema, dialect, pin_now(_check_now(now), schema.timezone))
        self.query = _Query()
        self.frame = _Frame(self.lowerer._alias(), self.entity, self.query)

    def condition(self, segment_or_cond) -> exp.Expression:
        """The WHERE-condition of a segment (or a bare IR condition) on this scan's row."""
        lw = self.lowerer
        lw.frames.append(self.frame)
        try:
            if isinstance(segment_or_cond, ir.Segment):
                seg = segment_or_cond
                if seg.entity != self.entity.name:  # pragma: no cover - callers group by entity
                    raise ValueError(f"{seg.slug} is on {seg.entity}, not {self.entity.name}")
                if seg.condition is None:
                    if self.schema.lists is None:
                        raise SegqlError("E0313", f"{seg.slug} is a static list, but the schema has no "
                                         "`lists:` table")
                    return lw.in_list(seg.slug, True)
                return lw.condition(seg.condition, True)
            return lw.condition(segment_or_cond, True)
        finally:
            lw.frames.pop()

    def select(self, projections) -> exp.Select:
        tree = exp.Select(expressions=list(projections)).from_(
            table_expr(self.entity.table, self.frame.alias), copy=False)
        for join in self.query.joins:
            tree = tree.join(join, copy=False)
        return tree

    def key(self) -> exp.Expression:
        self.lowerer.frames.append(self.frame)
        try:
            return self.lowerer.column(self.frame, self.entity.key)
        finally:
            self.lowerer.frames.pop()


def _count_when(cond: exp.Expression, name: str) -> exp.Expression:
    case = exp.Case(ifs=[exp.If(this=cond, true=exp.Literal.number(1))])
    return exp.alias_(exp.Count(this=case), name, quoted=True)


def _flag(cond: exp.Expression, name: str) -> exp.Expression:
    case = exp.Case(ifs=[exp.If(this=cond, true=exp.Literal.number(1))], default=exp.Literal.number(0))
    return exp.alias_(case, name, quoted=True)


def count_query(schema, dialect: str, entity: str, items, now=None, *, total: bool = False) -> exp.Select:
    """One statement counting the members of each item (an `ir.Segment` or `ir.Cond`); columns c0, c1, …
    (and `total`, the number of records, when asked)."""
    scan = Scan(schema, dialect, entity, now)
    projections = [_count_when(scan.condition(item), f"c{i}") for i, item in enumerate(items)]
    if total:
        projections.append(exp.alias_(exp.Count(this=exp.Star()), "total", quoted=True))
    return scan.select(projections)


# Boolean combinations of flags, for the outer query of `flag_query`:
#   ("flag", i) | ("and", [e, ...]) | ("or", [e, ...]) | ("not", e) | ("true",)
def _combo(e, alias: str) -> exp.Expression:
    kind = e[0]
    if kind == "flag":
        return exp.EQ(this=exp.column(quoted(f"f{e[1]}"), table=exp.Identifier(this=alias)),
                      expression=exp.Literal.number(1))
    if kind == "true":
        return exp.EQ(this=exp.Literal.number(1), expression=exp.Literal.number(1))
    if kind == "not":
        return exp.Not(this=exp.Paren(this=_combo(e[1], alias)))
    parts = [exp.Paren(this=_combo(x, alias)) for x in e[1]]
    node = parts[0]
    for p in parts[1:]:
        node = (exp.And if kind == "and" else exp.Or)(this=node, expression=p)
    return node


def flag_query(schema, dialect: str, entity: str, items, combos, now=None) -> exp.Select:
    """Each item (segment or condition) lowered once as a 0/1 flag column; the outer query returns
    COUNT(*) AS total and one count per combination in `combos` (columns n0, n1, …)."""
    scan = Scan(schema, dialect, entity, now)
    flags = [_flag(scan.condition(item), f"f{i}") for i, item in enumerate(items)]
    if not flags:
        flags = [exp.alias_(exp.Literal.number(1), "f0", quoted=True)]
    inner = scan.select(flags)
    projections = [exp.alias_(exp.Count(this=exp.Star()), "total", quoted=True)]
    projections += [_count_when(_combo(c, "f"), f"n{i}") for i, c in enumerate(combos)]
    return exp.Select(expressions=projections).from_(exp.Subquery(this=inner, alias=exp.TableAlias(
        this=exp.Identifier(this="f"))), copy=False)


def _without_jit(engine, sql):
    """PostgreSQL JIT-compiles a statement this wide for seconds (measured: 87 segments, 5.0 s with JIT,
    0.35 s without, on 200 rows). Switch it off for this statement and restore the session's setting."""
    try:
        previous = engine.execute("SELECT current_setting('jit')")[0][0]
        engine.execute("SET jit = off")
    except Exception:  # noqa: BLE001 - a server without the setting: run as is
        return engine.execute(sql)
    try:
        return engine.execute(sql)
    finally:
        engine.execute(f"SET jit = {'on' if previous == 'on' else 'off'}")


def run_one_row(engine, tree) -> dict:
    """Execute a one-row statement; its values by column alias (ints where the engine gives Decimals)."""
    sql = tree.sql(dialect=engine.dialect, copy=False)
    if engine.dialect == "postgres":
        rows = _without_jit(engine, sql)
    else:
        rows = engine.execute(sql)
    names = [e.alias_or_name for e in tree.expressions]
    return {n: (int(v) if v is not None else 0) for n, v in zip(names, rows[0])}
