"""Many conditions over one scan of an entity's table: the SQL behind `counts`, `overlap` and `explain`.

One `Scan` lowers any number of conditions against the same FROM with the ordinary `Lowerer`, so every
condition means exactly what it means in `segql compile`. The to-one LEFT JOINs the Lowerer adds are
collected once for the whole query (keyed by relationship, so two segments using `organization.industry`
share one join).

To-many conditions are pre-aggregated: every top-level `any rel (…)` / `no rel (…)` (`ir.Exists`) and
every top-level aggregate (`count(rel …)`, `sum|avg|min|max(rel.v …)`, `performed … N times`) over a
to-many relationship whose inside refers only to the related record (`ir.refers_outside`) becomes one column
of ONE grouped pass over that relationship's table, shared by all conditions on the relationship:

    LEFT JOIN (SELECT t3.fk AS k, COUNT(CASE WHEN <c1> THEN 1 END) AS a0,
                      SUM(CASE WHEN <c2> THEN <v> END) AS a1, …
               FROM events AS t3 WHERE NOT t3.fk IS NULL [AND (<c1> OR <c2> …)]
               GROUP BY t3.fk) AS t2 ON t2.k = t1.id

and each such IR node is replaced (`Lowerer.substitutions`, which apply only on the scan's own record) by an expression on that row: existence `COALESCE(t2.a0, 0) > 0`, count/sum
`COALESCE(t2.aN, 0)` (0 for records with no related rows, SPEC §2.4), avg/min/max the column guarded by
the count of the values it aggregates (missing when there are none — also on ClickHouse, whose LEFT JOIN
fills a miss with 0, not NULL). The bracketed row filter applies when every column is conditional and no
condition holds a subquery. To-one paths inside stay joins inside the pass; to-many conditions nested
inside stay subqueries inside the CASE. The join is on the grouping key, so the scan never fans out and
each record is one row. Conditions that refer to the outer record from inside (`deals.value >
lifetime_value`), or sit inside a to-one path or another quantifier, keep the ordinary lowering (semi-join,
anti-join, scalar subquery).

- `count_query`: `SELECT COUNT(CASE WHEN <c1> THEN 1 END) AS c0, ... FROM entity ...` — one statement for
  all of an entity's segments (`segql counts`).
- `flag_query`: the conditions become 0/1 columns of a derived table (each condition lowered once), and
  the outer query counts boolean combinations of them (`segql overlap`: |A ∩ B|; `segql explain`: each
  node and each prefix of an `and`). A flag is `CASE WHEN c THEN 1 ELSE 0 END`, never NULL, so combining
  flags with AND/OR/NOT outside is exactly the two-valued logic of SPEC §2 (`not P` is the complement).
"""
from __future__ import annotations

import datetime as dt

from sqlglot import exp

from segql import ir
from segql.errors import SegqlError
from segql.lower.sql import Lowerer, _Frame, _Query, pin_now, quoted, table_expr


def preaggregable(node, rels) -> list:
    """The `ir.Exists` / `ir.Aggregate` nodes of a condition on the record itself (scope 0: not inside a
    quantifier, aggregate or to-one path) over a to-many relationship in `rels`, whose insides do not
    refer to that record — in order of appearance."""
    found: list = []

    def into(n) -> bool:
        if isinstance(n, (ir.Exists, ir.Aggregate)):
            inside = (n.condition,) if isinstance(n, ir.Exists) else (n.value, n.where)
            rel = rels.get(n.rel.name)
            if rel == n.rel and rel.kind == "many" and not any(ir.refers_outside(x) for x in inside):
                found.append(n)
            return False
        return not isinstance(n, (ir.ToOne, ir.Sequence))  # their insides are about other records

    for _ in ir.walk(node, into=into):
        pass
    return found


class _PreAggregate:
    """One grouped pass over a to-many relationship's table: `k` (the relationship key) and one column per
    distinct aggregate asked for. When every column only looks at rows meeting some condition (without a
    subquery), the pass reads only the rows meeting one of them (`WHERE … AND (c1 OR c2 …)`): a record
    without such rows gets no group, which reads as 0 (count, sum) or missing (avg, min, max) — what its
    columns would say."""

    def __init__(self, rel, target, alias: str, frame: _Frame):
        self.rel, self.target, self.alias, self.frame = rel, target, alias, frame
        self.columns: list = []  # (name, aggregate expression)
        self._by_sql: dict = {}
        self.conditions: dict = {}  # SQL text -> condition some column is restricted to
        self.unconditional = False  # some column looks at every row

    def ref(self, name: str) -> exp.Expression:
        return exp.column(quoted(name), table=exp.Identifier(this=self.alias))

    def column(self, agg: exp.Expression, when, dialect: str) -> exp.Expression:
        """The derived table's column holding `agg`, an aggregate of rows meeting `when` (None: all)."""
        text = agg.sql(dialect=dialect)
        if text not in self._by_sql:
            name = "n" if isinstance(agg, exp.Count) and isinstance(agg.this, exp.Star) else f"a{len(self.columns)}"
            self._by_sql[text] = name
            self.columns.append((name, agg))
            if when is None or when.find(exp.Select) is not None:
                self.unconditional = True  # all rows; or a subquery, which the filter would run twice
            else:
                self.conditions.setdefault(when.sql(dialect=dialect), when.copy())
        return self.ref(self._by_sql[text])

    def size(self, dialect: str) -> exp.Expression:
        """COALESCE(p.n, 0): the number of related records (0 when none)."""
        return _zero_if_null(self.column(exp.Count(this=exp.Star()), None, dialect))

    def row_filter(self) -> exp.Expression | None:
        """The rows any column looks at (None: all rows)."""
        if self.unconditional or not self.conditions:
            return None
        return Lowerer._connect(list(self.conditions.values()), exp.Or)


def _zero_if_null(x):
    return exp.Coalesce(this=x, expressions=[exp.Literal.number(0)])


def _when(cond, then):
    if cond is None:
        return then
    return exp.Case(ifs=[exp.If(this=cond, true=then)])


class Scan:
    """One FROM over `entity` with the joins every lowered condition needs."""

    def __init__(self, schema, dialect: str, entity: str, now=None):
        self.schema = schema
        self.entity = schema.entities[entity]
        self.lowerer = Lowerer(schema, dialect, pin_now(now, schema.timezone))
        self.dialect = self.lowerer.dialect  # an alias (`postgresql`) renders as its dialect
        self.query = _Query()
        self.frame = _Frame(self.lowerer._alias(), self.entity, self.query)
        self.preaggregates: dict[str, _PreAggregate] = {}  # by relationship name, in order of first use
        self.empty: dict = {}  # pre-aggregated node -> its value for a record without related rows

    # ---- pre-aggregation of to-many conditions ------------------------------------------------------
    def preaggregate(self, items) -> None:
        """Compute the pre-aggregable to-many conditions of all `items` (segments or conditions) in one
        grouped pass per relationship, and substitute them in the lowering of every item."""
        rels = self.entity.relationships
        for item in items:
            cond = item.condition if isinstance(item, ir.Segment) else item
            if cond is None:
                continue
            for node in preaggregable(cond, rels):
                if node not in self.lowerer.substitutions:
                    self.lowerer.substitutions[node] = self._substitute(node)
                    self.empty[node] = self._empty(node)

    def _empty(self, node) -> exp.Expression:
        """What a pre-aggregated node is for a record WITHOUT related rows (typed, so that comparisons
        resolve as they do for the column): existence false, count and sum 0, avg/min/max missing."""
        zero = exp.Literal.number(0)
        if isinstance(node, ir.Exists):
            return exp.GT(this=zero, expression=zero.copy())
        if node.func in ("count", "sum"):
            return zero
        lw = self.lowerer
        if node.func == "avg":
            return lw.ops.to_double(exp.Null())
        dummy = {"date": dt.date(2000, 1, 1), "timestamp": dt.datetime(2000, 1, 1), "boolean": True,
                 "string": ""}.get(node.type, 0)
        lit = lw.literal(dummy, node.type)
        return exp.Nullif(this=lit, expression=lit.copy())  # NULL of the value's type

    def _group(self, rel) -> _PreAggregate:
        pre = self.preaggregates.get(rel.name)
        if pre is None:
            target = self.schema.entities[rel.target]
            alias = self.lowerer._alias()
            frame = _Frame(self.lowerer._alias(), target, _Query())
            pre = self.preaggregates[rel.name] = _PreAggregate(rel, target, alias, frame)
        return pre

    def _inside(self, pre: _PreAggregate, lower, *args):
        lw = self.lowerer
        lw.frames.extend([self.frame, pre.frame])
        try:
            return lower(*args)
        finally:
            del lw.frames[-2:]

    def _substitute(self, node) -> exp.Expression:
        lw, d = self.lowerer, self.dialect
        pre = self._group(node.rel)
        zero = exp.Literal.number(0)
        if isinstance(node, ir.Exists):
            if node.condition is None:
                return exp.GT(this=pre.size(d), expression=zero)
            cond = self._inside(pre, lw.condition, node.condition, True)
            col = pre.column(exp.Count(this=_when(cond, exp.Literal.number(1))), cond, d)
            return exp.GT(this=_zero_if_null(col), expression=zero)
        value = self._inside(pre, lw.value, node.value) if node.value is not None else None
        where = self._inside(pre, lw.condition, node.where, True) if node.where is not None else None
        func = node.func
        if func == "count":
            if value is None and where is None:
                return pre.size(d)
            agg = exp.Count(this=_when(where, value if value is not None else exp.Literal.number(1)))
            return _zero_if_null(pre.column(agg, where, d))
        if func == "sum":
            return _zero_if_null(pre.column(exp.Sum(this=_when(where, lw.summand(node, value))), where, d))
        if func == "avg":
            value = lw.ops.to_double(value)
            agg = exp.Avg(this=_when(where, value))
        else:
            agg = (exp.Min if func == "min" else exp.Max)(this=_when(where, value))
        col = pre.column(agg, where, d)
        # missing when no related record has a value: guarded by the count of those values, since
        # ClickHouse's LEFT JOIN fills a miss with 0, not NULL
        counted = pre.column(exp.Count(this=_when(where, value.copy())), where, d)
        return exp.Case(ifs=[exp.If(this=exp.GT(this=_zero_if_null(counted), expression=zero), true=col)])

    def _grouped(self, pre: _PreAggregate):
        """The grouped pass over `pre`'s relationship and the ON condition joining it to the scan's row."""
        lw = self.lowerer
        rel = pre.rel
        remote = self._inside(pre, lw.column, pre.frame, rel.remote)
        sub = exp.Select(expressions=[exp.alias_(remote, "k", quoted=True)]
                         + [exp.alias_(agg, name, quoted=True) for name, agg in pre.columns])
        sub = sub.from_(table_expr(pre.target.table, pre.frame.alias), copy=False)
        for join in pre.frame.query.joins:
            sub = sub.join(join, copy=False)
        rows = exp.Not(this=exp.Is(this=remote.copy(), expression=exp.Null()))
        only = pre.row_filter()
        if only is not None:
            rows = exp.And(this=rows, expression=exp.Paren(this=only))
        sub = sub.where(rows, copy=False)
        sub = sub.group_by(remote.copy(), copy=False)
        on = exp.EQ(this=pre.ref("k"), expression=lw.column(self.frame, rel.local))
        return exp.Subquery(this=sub, alias=exp.TableAlias(this=exp.Identifier(this=pre.alias))), on

    def _preaggregate_joins(self, only=None):
        for pre in self.preaggregates.values():
            if only is None or pre.alias in only:
                sub, on = self._grouped(pre)
                yield exp.Join(this=sub, side="LEFT", on=on)

    # ---- conditions and the statement ---------------------------------------------------------------
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

    def condition_empty(self, item) -> exp.Expression:
        """The condition of `item` for a record without related rows in any pre-aggregated relationship."""
        lw = self.lowerer
        saved, lw.substitutions = lw.substitutions, self.empty
        try:
            return self.condition(item)
        finally:
            lw.substitutions = saved

    def select(self, projections, only=None) -> exp.Select:
        """SELECT projections FROM the entity with the to-one joins and the pre-aggregated passes (those
        whose alias is in `only`, when given)."""
        tree = exp.Select(expressions=list(projections)).from_(
            table_expr(self.entity.table, self.frame.alias), copy=False)
        for join in self.query.joins:
            tree = tree.join(join, copy=False)
        for join in self._preaggregate_joins(only):
            tree = tree.join(join, copy=False)
        return self.lowerer.ops.finish(tree)

    def matched(self, pre: _PreAggregate, projections) -> exp.Select:
        """SELECT projections FROM the entity INNER JOIN `pre`'s grouped pass: the records that have related
        rows (at most one row each: the pass has one row per key), with the to-one joins the projections
        read (and those these joins hang from)."""
        need = {c.table for p in projections for c in p.find_all(exp.Column)}
        keep = []
        for join in reversed(self.query.joins):
            if join.alias_or_name in need:
                keep.append(join)
                need |= {c.table for c in join.find_all(exp.Column)}
        tree = exp.Select(expressions=list(projections)).from_(
            table_expr(self.entity.table, self.frame.alias), copy=False)
        sub, on = self._grouped(pre)
        tree = tree.join(sub, on=on, join_type="inner", copy=False)
        for join in reversed(keep):
            tree = tree.join(join.copy(), copy=False)
        return self.lowerer.ops.finish(tree)

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
    (and `total`, the number of records, when asked).

    A condition that reads ONE pre-aggregated relationship is not evaluated on every record after a LEFT
    JOIN of the grouped pass (measured: that join and the CASE over its 1M joined rows were most of the
    statement). Its count is split by whether the record has related rows:

        members = [records meeting E]  -  [matched records meeting E]  +  [matched records meeting C]

    where C is the condition, E the condition for a record without related rows (`Scan.condition_empty`:
    existence false, counts 0, …; for `any deals (…)` a constant the engine folds away), the first term is
    counted in the scan of the entity (no join) and the other two over `entity JOIN grouped pass` — the
    records that have related rows, one row each. Exact in SQL's three-valued logic (a record is counted
    when its condition is TRUE, whichever side it is on), with NULL or repeated keys too. Conditions reading
    two or more pre-aggregated relationships keep the LEFT JOINs. The parts are one-row derived tables of
    one statement: `SELECT m.c0, m.x1 - p0.b1 + p0.a1 AS c1, … FROM (scan) m CROSS JOIN (matched) p0 …`."""
    scan = Scan(schema, dialect, entity, now)
    scan.preaggregate(items)
    conds = [scan.condition(item) for item in items]
    by_alias = {pre.alias: pre for pre in scan.preaggregates.values()}
    uses = [{c.table for c in cond.find_all(exp.Column) if c.table in by_alias} for cond in conds]
    joined = set().union(*(u for u in uses if len(u) > 1))  # read by a condition over two or more
    main, parts, split = [], {}, {}
    for i, (item, cond, used) in enumerate(zip(items, conds, uses)):
        if len(used) == 1 and not used & joined:
            alias = next(iter(used))
            empty = scan.condition_empty(item)
            main.append(_count_when(empty, f"x{i}"))
            parts.setdefault(alias, []).append((i, cond, empty))
            split[i] = alias
        else:
            main.append(_count_when(cond, f"c{i}"))
    if total:
        main.append(exp.alias_(exp.Count(this=exp.Star()), "total", quoted=True))
    if not parts:
        return scan.select(main)
    names = {alias: f"p{n}" for n, alias in enumerate(parts)}

    def ref(table: str, name: str) -> exp.Column:
        return exp.column(quoted(name), table=exp.Identifier(this=table))

    tree = exp.Select(expressions=[]).from_(exp.Subquery(this=scan.select(main, only=joined), alias=exp.TableAlias(
        this=exp.Identifier(this="m"))), copy=False)
    for alias, conds_here in parts.items():
        projections = []
        for i, cond, empty in conds_here:
            projections += [_count_when(cond, f"a{i}"), _count_when(empty.copy(), f"b{i}")]
        sub = scan.matched(by_alias[alias], projections)
        tree = tree.join(exp.Subquery(this=sub, alias=exp.TableAlias(this=exp.Identifier(this=names[alias]))),
                         join_type="cross", copy=False)
    out = []
    for i in range(len(items)):
        if i in split:
            p = names[split[i]]
            value = exp.Add(this=exp.Sub(this=ref("m", f"x{i}"), expression=ref(p, f"b{i}")),
                            expression=ref(p, f"a{i}"))
        else:
            value = ref("m", f"c{i}")
        out.append(exp.alias_(value, f"c{i}", quoted=True))
    if total:
        out.append(exp.alias_(ref("m", "total"), "total", quoted=True))
    tree.set("expressions", out)
    return tree


def correlated_in_aggregate(tree: exp.Expression) -> bool:
    """Whether a subquery inside an aggregate of `tree` reads a table alias defined outside it — what
    ClickHouse refuses ("Correlated subqueries in aggregate function argument are not supported")."""
    for agg in tree.find_all(exp.AggFunc):
        for sub in agg.find_all(exp.Select):
            inside = {t.alias_or_name for t in sub.find_all(exp.Table)}
            inside |= {s.alias for s in sub.find_all(exp.Subquery) if s.alias}
            if any(c.table and c.table not in inside for c in sub.find_all(exp.Column)):
                return True
    return False


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
    scan.preaggregate(items)
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


def run_one_row(engine, tree, memory_limit=None) -> dict:
    """Execute a one-row statement; its values by column alias (ints where the engine gives Decimals).
    `memory_limit`: run it within that much working memory where the engine can be told so (DuckDB:
    `Engine.execute_bounded`)."""
    sql = tree.sql(dialect=engine.dialect, copy=False)
    if engine.dialect == "postgres":
        rows = _without_jit(engine, sql)
    elif memory_limit is not None and hasattr(engine, "execute_bounded"):  # any object with execute() will do
        rows = engine.execute_bounded(sql, memory_limit)
    else:
        rows = engine.execute(sql)
    names = [e.alias_or_name for e in tree.expressions]
    return {n: (int(v) if v is not None else 0) for n, v in zip(names, rows[0])}


def record_query(schema, dialect: str, entity: str, keys, conditions, values, samples, now=None, *,
                 sample_size: int = 3) -> exp.Select:
    """Records' flags and deciding values in one statement (`segql why`): for each record whose key is in
    `keys` (one row each, column `k` the key), a 0/1 column `f<i>` per condition, a column `v<i>` per value expression (the operands a
    condition compared), and for each `(rel, condition)` in `samples` the count of related records
    meeting it (`c<i>`, all related records `r<i>`) and the first `sample_size` of their keys in key order
    (`s<i>_<j>`). No column is named like a table alias (`t<n>`): ClickHouse reads a SELECT alias anywhere
    in the statement, so a column `t1` was read for the scan's table `t1` in every correlated subquery.
    No pre-aggregation: for one record the correlated subqueries read only its rows."""
    scan = Scan(schema, dialect, entity, now)
    lw = scan.lowerer
    projections = [_flag(scan.condition(c), f"f{i}") for i, c in enumerate(conditions)]
    lw.frames.append(scan.frame)
    try:
        for i, v in enumerate(values):
            projections.append(exp.alias_(lw.value(v), f"v{i}", quoted=True))
        for i, (rel, cond) in enumerate(samples):
            projections.append(exp.alias_(lw.aggregate(ir.Aggregate("count", rel, None, cond, "integer")),
                                          f"c{i}", quoted=True))
            projections.append(exp.alias_(lw.aggregate(ir.Aggregate("count", rel, None, None, "integer")),
                                          f"r{i}", quoted=True))
            for j in range(sample_size):
                projections.append(exp.alias_(_related_key(lw, scan.frame, rel, cond, j), f"s{i}_{j}", quoted=True))
        key_col = lw.column(scan.frame, scan.entity.key)
        kind = scan.entity.properties[scan.entity.key].type
        literals = [lw.literal(k, kind) for k in keys]
    finally:
        lw.frames.pop()
    projections.insert(0, exp.alias_(key_col.copy(), "k", quoted=True))
    only = exp.EQ(this=key_col, expression=literals[0]) if len(literals) == 1 else exp.In(
        this=key_col, expressions=literals)
    tree = scan.select(projections)
    if lw.ops.correlated_beside_where:
        return tree.where(only, copy=False)
    # ClickHouse: the records are chosen in a derived table under the scan's alias, the subqueries read it
    alias = exp.TableAlias(this=exp.Identifier(this=scan.frame.alias))
    rows = exp.select(exp.Star()).from_(table_expr(scan.entity.table, scan.frame.alias), copy=False).where(
        only, copy=False)
    tree.set("from_", exp.From(this=exp.Subquery(this=rows, alias=alias)))
    return tree


def _related_key(lw: Lowerer, outer: _Frame, rel, cond, offset: int) -> exp.Expression:
    """`(SELECT key FROM related WHERE fk = outer.local AND cond ORDER BY key LIMIT 1 OFFSET n)`, or the
    dialect's aggregate for the n-th key where a correlated LIMIT cannot run (`Ops.nth_related_key`)."""
    with lw.scope(lw.schema.entities[rel.target]) as frame:
        inner = lw.condition(cond, True) if cond is not None else None
        remote = lw.column(frame, rel.remote)
        key = lw.column(frame, frame.entity.key)
    filters = [exp.EQ(this=remote, expression=lw.column(outer, rel.local))]
    if inner is not None:
        filters.append(inner)
    nth = lw.ops.nth_related_key(key, offset)
    sub = lw.from_(exp.Select(expressions=[key if nth is None else nth]), frame).where(
        Lowerer._connect(filters, exp.And), copy=False)
    if nth is not None:  # ClickHouse: an aggregate, as its correlated LIMIT cannot run
        return exp.Subquery(this=sub)
    sub = sub.order_by(exp.Ordered(this=key.copy()), copy=False).limit(1, copy=False)
    if offset:
        sub = sub.offset(offset, copy=False)
    return exp.Subquery(this=sub)
