"""Run generated cases on real engines and compare their members with the oracle's.

    disagreements = check_case(engine, case)   # [] when every segment has the oracle's members

Each engine's *session* is put in a zone far from UTC (Pacific/Kiritimati, +14:00): segql's SQL must not
follow it (BigQuery, on GoogleSQL's reference evaluator `tests/zetasql_engine.py`: its default zone). All segments of a case run as one statement (their keys tagged with the segment's number,
UNION ALL), so slow engines (Spark) pay one job per case; a statement the engine refuses is retried
segment by segment to name the culprit.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from adversarial import oracle
from adversarial.generate import INSTANTS, PROPS, TABLES, Case
from sqlglot import exp

import segql
from segql.errors import SegqlError

FAR_ZONE = "Pacific/Kiritimati"  # UTC+14: the furthest from UTC, so a day boundary moves most


def far_session(eng) -> None:
    """Put the engine's session at UTC+14 (MariaDB: +13:00, its furthest offset; named zones need its zone tables)."""
    d = eng.dialect
    if d == "duckdb":
        eng.execute(f"SET TimeZone = '{FAR_ZONE}'")
    elif d == "postgres":
        eng.execute(f"SET TIME ZONE '{FAR_ZONE}'")
    elif d == "mysql":
        eng.execute("SET time_zone = '+13:00'")
    elif d == "clickhouse":
        eng.execute(f"SET session_timezone = '{FAR_ZONE}'")
    elif d == "spark":
        eng.spark.conf.set("spark.sql.session.timeZone", FAR_ZONE)
    elif d == "bigquery":  # tests/zetasql_engine.py: the reference evaluator's default zone (@@time_zone)
        eng.timezone = FAR_ZONE


@dataclass
class Disagreement:
    seed: int
    dialect: str
    slug: str
    text: str
    expected: set
    got: set | None  # None: the engine or segql refused it
    error: str = ""

    def __str__(self):
        if self.got is None:
            return f"[seed {self.seed}] {self.dialect} {self.slug}: {self.error}\n  {self.text}"
        return (f"[seed {self.seed}] {self.dialect} {self.slug}: missing {sorted(self.expected - self.got)} "
                f"extra {sorted(self.got - self.expected)}\n  {self.text}")


def load(eng, case: Case, mysql_collation: str | None = None) -> None:
    """Create the case's tables. On MySQL/MariaDB `mysql_collation` converts them to that collation, as a
    warehouse's tables are (segql's own engine creates them binary): `=` must still compare code points."""
    for entity, table in TABLES.items():
        types = {c: "integer" if t.startswith("instant:") else t for c, t in PROPS[entity].items()}  # epochs
        eng.create_table(table, types, case.rows(entity))
        if mysql_collation and eng.dialect == "mysql":
            eng.execute(f"ALTER TABLE {table} CONVERT TO CHARACTER SET utf8mb4 COLLATE {mysql_collation}")


def compile_all(case: Case, dialect: str, slugs) -> dict:
    """slug -> sqlglot tree of segql's SQL, or slug -> SegqlError when segql refuses it."""
    schema = segql.parse_schema(case.schema_yaml)
    try:  # check the file once (segql.compile would re-check it for every segment)
        checked = {s.slug: s for s in segql.check(case.source(), schema)}
    except SegqlError as e:
        return {slug: e for slug in slugs}
    out = {}
    for slug in slugs:
        try:
            out[slug] = segql.to_sql_tree(checked[slug], schema, dialect, now=case.now_arg)
        except SegqlError as e:
            out[slug] = e
    return out


def _union(trees: list[tuple[int, exp.Expression]], dialect: str) -> str:
    parts = [exp.select(exp.Literal.number(i).as_("seg"), exp.column("id", table=f"q{i}").as_("id"))
             .from_(exp.Subquery(this=tree.copy(), alias=exp.TableAlias(this=exp.to_identifier(f"q{i}"))), copy=False)
             for i, tree in trees]
    tree = parts[0]
    for p in parts[1:]:  # built by hand: exp.union copies its operands (quadratic in the segments)
        tree = exp.Union(this=tree, expression=p, distinct=False)
    return tree.sql(dialect=dialect)


def engine_members(eng, case: Case, slugs, compiled=None) -> tuple[dict, dict]:
    """({slug: set of keys}, {slug: error text}) for `slugs` on `eng` (tables already loaded)."""
    compiled = compiled or compile_all(case, eng.dialect, slugs)
    errors = {s: f"compile: {e}" for s, e in compiled.items() if isinstance(e, SegqlError)}
    ok = [s for s in slugs if s not in errors]
    got = {s: set() for s in ok}
    if not ok:
        return got, errors
    try:
        for seg, key in eng.execute(_union([(i, compiled[s]) for i, s in enumerate(ok)], eng.dialect)):
            got[ok[seg]].add(key)
    except SegqlError:
        for s in ok:  # name the statement the engine refuses
            try:
                got[s] = {row[0] for row in eng.execute(segql.render(compiled[s].copy(), eng.dialect))}
            except SegqlError as e:
                errors[s] = f"run: {e}"
                del got[s]
    return got, errors


def _reads_instant(world: oracle.World, node, seen=None) -> bool:
    """Whether a segment (through the segments it includes) reads an instant property."""
    seen = set() if seen is None else seen
    if isinstance(node, oracle.InSegment):
        if node.slug in seen:
            return False
        seen.add(node.slug)
        return _reads_instant(world, world.segments[node.slug], seen)
    if isinstance(node, (oracle.Prop, oracle.ToOne, oracle.ToMany)) and node.name in INSTANTS:
        return True
    if isinstance(node, oracle.Agg) and node.prop in INSTANTS:
        return True
    if isinstance(node, (list, tuple)):
        return any(_reads_instant(world, x, seen) for x in node)
    if is_dataclass(node):
        return any(_reads_instant(world, getattr(node, f.name), seen) for f in fields(node))
    return False


def refusal_expected(case: Case, dialect: str, seg) -> bool:
    """docs/dialects.md: an instant read in a zone other than UTC is E0501 on SQLite (no zones) and, for a
    named zone, on MySQL/MariaDB (fixed `Etc/GMT±N` zones work). Such a segment must be refused, not run."""
    if case.tz == "UTC" or not _reads_instant(case.world, seg):
        return False
    return dialect == "sqlite" or (dialect == "mysql" and not case.tz.startswith("Etc/GMT"))


def _wall_now(tz: str) -> datetime:
    return datetime.now(ZoneInfo(tz)).replace(tzinfo=None)


def check_case(eng, case: Case, slugs=None, mysql_collation: str | None = None) -> list[Disagreement]:
    """Run the case's segments on `eng` and compare with the oracle. An evergreen case (no --now) is judged
    at the clock before and after the statement: a record whose membership changes in between is not judged."""
    slugs = list(case.segments if slugs is None else slugs)
    load(eng, case, mysql_collation)
    compiled = compile_all(case, eng.dialect, slugs)
    before = _wall_now(case.tz)
    got, errors = engine_members(eng, case, slugs, compiled)
    after = _wall_now(case.tz)
    out = []
    for slug in slugs:
        seg = case.world.segments[slug]
        if case.now_arg is None:
            case.world.now = before
            early = oracle.members(case.world, seg)
            case.world.now = after
            expected = oracle.members(case.world, seg)
            if slug in got:
                unsure = early ^ expected
                got[slug] = (got[slug] - unsure) | (expected & unsure)
        else:
            expected = oracle.members(case.world, seg)
        refused = slug in errors and "E0501" in errors[slug]
        if refusal_expected(case, eng.dialect, seg):
            if not refused:
                out.append(Disagreement(case.seed, eng.dialect, slug, seg.text(), expected, None,
                                        "E0501 expected (docs/dialects.md), got " + errors.get(slug, "members")))
            continue
        if refused and case.now_arg is None:
            continue  # a documented refusal: an evergreen `now` in a named zone on MySQL/SQLite (SPEC §2.11)
        if slug in errors:
            out.append(Disagreement(case.seed, eng.dialect, slug, seg.text(), expected, None, errors[slug]))
        elif got[slug] != expected:
            out.append(Disagreement(case.seed, eng.dialect, slug, seg.text(), expected, got[slug]))
    return out
