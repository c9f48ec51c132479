"""Adversarial differential suite: random segments over edge-case data, compiled by segql for every verified
engine and compared with an independent oracle written from SPEC §2 alone (tests/adversarial/oracle.py).

Sessions run far from UTC (Pacific/Kiritimati; MariaDB +13:00), `--now` is pinned on calendar edges and
the schema's zone is often not UTC. CI runs a bounded slice; a long run on demand:

    SEGQL_ADVERSARIAL_CASES=200 pytest tests/test_adversarial.py     # cases per engine (Spark: a fifth)
    SEGQL_ADVERSARIAL_SEED=1000 ...                                  # first seed

A failure prints the seed, engine, segment and the keys missing/extra; `make_case(seed)` rebuilds it.
"""
from __future__ import annotations

import importlib.util
import os
from datetime import UTC, date, datetime, timedelta

import pytest
from adversarial import oracle as o
from adversarial.generate import DST_INSTANTS, PROPS, case_from, make_case
from adversarial.run import check_case, far_session
from conftest_engines import _unavailable, engine_url

from segql.engines import connect

# bigquery: GoogleSQL's reference evaluator (tests/zetasql_engine.py), as tests/test_bigquery.py runs it
DIALECTS = ("duckdb", "sqlite", "postgres", "mysql", "clickhouse", "spark", "bigquery")
CASES = int(os.environ.get("SEGQL_ADVERSARIAL_CASES", "1"))
FIRST = int(os.environ.get("SEGQL_ADVERSARIAL_SEED", "0"))


# ---- the oracle against SPEC §2's own examples (it must be right before it judges) -----------------

def _world(rows, now=datetime(2026, 3, 31, 12, 0)):
    from adversarial.generate import PROPS, RELS

    ents = {n: o.Entity(n, "id", dict(p)) for n, p in PROPS.items()}
    ents["contacts"].rows = rows
    return o.World(ents, dict(RELS), now)


def _holds(cond, row, **kw):
    w = _world([row], **kw)
    return cond.holds(o.Ctx(w, "contacts", row))


def test_oracle_negation_is_the_complement_on_missing_values():
    ne = o.Cmp(o.Prop("city", "string"), "!=", o.Lit("US", "string"))
    assert _holds(ne, {"id": 1, "city": None}) and not _holds(o.Not(ne), {"id": 1, "city": None})
    assert not _holds(o.Cmp(o.Prop("city", "string"), "=", o.Lit("US", "string")), {"id": 1, "city": None})


def test_oracle_months_clamp_and_dates_count_whole_days():
    assert o.shift(date(2026, 3, 31), -1, "month") == date(2026, 2, 28)
    assert o.shift(date(2028, 3, 31), -1, "month") == date(2028, 2, 29)
    assert o.shift(date(2028, 2, 29), -1, "year") == date(2027, 2, 28)
    last7 = o.InWindow(o.Prop("signup", "date"), ("last", 7, "day"))  # the 7 days ending today
    assert _holds(last7, {"id": 1, "signup": date(2026, 3, 25)})
    assert not _holds(last7, {"id": 1, "signup": date(2026, 3, 24)})
    older = o.Ago(o.Prop("signup", "date"), ">", 30, "day")  # signup < today − 30
    assert not _holds(older, {"id": 1, "signup": date(2026, 3, 1)})
    assert _holds(older, {"id": 1, "signup": date(2026, 2, 28)})


def test_oracle_timestamp_windows_include_their_edges():
    now = datetime(2026, 3, 31, 12, 0)
    seen = o.Prop("seen", "timestamp")
    edge = {"id": 1, "seen": datetime(2026, 3, 24, 12, 0)}
    assert _holds(o.InWindow(seen, ("last", 7, "day")), edge, now=now)
    assert not _holds(o.Ago(seen, "<", 7, "day"), edge, now=now)  # less than 7 days ago: strictly after
    assert _holds(o.AgoBetween(seen, 7, 3, "day"), edge, now=now)  # bounds in either order


def test_oracle_strings_fold_simply_and_literally():
    assert o.simple_lower("İ") == "i" and o.simple_lower("ΟΣ") == "οσ" and o.simple_lower("\u212a") == "k"
    name = o.Prop("name", "string")
    assert _holds(o.StrOp(name, "contains", "%"), {"id": 1, "name": "100%"})
    assert not _holds(o.StrOp(name, "contains", "_"), {"id": 1, "name": "ab"})
    assert not _holds(o.Cmp(name, "=", o.Lit("a", "string")), {"id": 1, "name": "a "})
    assert not _holds(o.Matches(name, "a$"), {"id": 1, "name": "a\n"})
    assert not _holds(o.Matches(name, "a.b"), {"id": 1, "name": "a\nb"})
    assert not _holds(o.Matches(name, "k", icase=True), {"id": 1, "name": "\u212a"})  # the `i` flag is ASCII


def test_oracle_numbers():
    assert o.round_half_away(2.5) == 3 and o.round_half_away(-2.5) == -3 and o.round_half_away(0.25, 1) == 0.3
    div = o.Arith("/", o.Prop("visits", "integer"), o.Lit(2))
    assert div.value(o.Ctx(_world([]), "contacts", {"visits": 3})) == 1.5
    assert o.Arith("/", o.Lit(1), o.Lit(0)).value(o.Ctx(_world([]), "contacts", {})) is None


def test_oracle_to_many_follows_mongodb():
    w = _world([{"id": 1}, {"id": 2}])
    w.entities["deals"].rows = [{"id": 1, "contact_id": 1, "stage": "Won"}, {"id": 2, "contact_id": 1, "stage": None}]
    stage = o.ToMany("deals", "stage", "string")
    none, some = {"id": 2}, {"id": 1}
    holds = lambda c, r: c.holds(o.Ctx(w, "contacts", r))
    assert holds(o.IsNull(stage), none) and holds(o.IsNull(stage), some)  # no deals / one without a stage
    assert not holds(o.Cmp(stage, "!=", o.Lit("Won", "string")), some)  # none may be Won
    assert holds(o.Cmp(stage, "!=", o.Lit("Won", "string")), none)
    assert holds(o.Quant("all", "deals", o.Cmp(o.Prop("stage", "string"), "=", o.Lit("x", "string"))), none)
    assert o.Agg("sum", "deals", "amount", None).value(o.Ctx(w, "contacts", none)) == 0
    assert o.Agg("avg", "deals", "amount", None).value(o.Ctx(w, "contacts", none)) is None


def test_oracle_reads_instants_as_the_schema_zones_wall_clock():
    """docs/language.md "Instants": one reading in the schema's zone, then wall-clock rules (DST included)."""
    from adversarial.run import refusal_expected

    ny = "America/New_York"
    edt, est = datetime(2026, 11, 1, 5, 30, tzinfo=UTC), datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert o.wall_clock(edt, "instant", ny) == o.wall_clock(est, "instant", ny) == datetime(2026, 11, 1, 1, 30)
    assert o.wall_clock(-1, "instant:seconds", "Etc/GMT+11") == datetime(1969, 12, 31, 12, 59, 59)
    assert o.wall_clock(o.to_epoch(edt, "milliseconds") - 1, "instant:milliseconds", "UTC") == datetime(
        2026, 11, 1, 5, 29, 59, 999000)
    last, ping = o.Prop("last_at", "timestamp"), o.Prop("ping_s", "timestamp")
    now = datetime(2026, 3, 8, 3, 30)  # the morning clocks went forward: 2 hours ago is 01:30 EST, 06:30Z
    recent = o.Ago(last, "<", 2, "hour")
    w = _world([{"id": 1, "last_at": datetime(2026, 3, 8, 6, 31, tzinfo=UTC)},
                {"id": 2, "last_at": datetime(2026, 3, 8, 6, 29, tzinfo=UTC)}], now=now)
    w.tz = ny
    assert o.members(w, o.Segment("s", "contacts", recent)) == {1}
    w.entities["contacts"].rows = [{"id": 1, "last_at": edt, "ping_s": o.to_epoch(est, "seconds")}]
    same = o.Segment("s", "contacts", o.Cmp(last, "=", ping))  # the repeated hour reads twice
    assert o.members(w, same) == {1}
    case = case_from({"s": o.Cmp(last, "<", o.Clock("now"))}, tz=ny)
    assert refusal_expected(case, "sqlite", same) and refusal_expected(case, "mysql", same)
    assert not refusal_expected(case, "postgres", same)
    assert not refusal_expected(case, "mysql", o.Segment("t", "contacts", o.Cmp(o.Prop("seen", "timestamp"), "<",
                                                                                   o.Clock("now"))))
    case.tz = "Etc/GMT+11"
    assert refusal_expected(case, "sqlite", same) and not refusal_expected(case, "mysql", same)


# ---- the differential run ------------------------------------------------------------------------------

def _zetasql_engine():
    """BigQuery on GoogleSQL's reference evaluator: the process's shared WebAssembly instance (its compiled
    module cached on disk, tests/zetasql_engine.py), a catalog of its own. Like tests/test_bigquery.py, a
    pinned case runs SQL compiled with the pinned now (no clock is read), an evergreen case the evaluator's
    real clock (the one thing about it that cannot be pinned), judged as on every other engine."""
    if importlib.util.find_spec("zetasql") is None:
        _unavailable("zetasql is not installed (pip install 'segql[test]')")
    from zetasql_engine import ZetaSQLEngine, shared_wasm

    return ZetaSQLEngine(shared_wasm())


def _far_engine(dialect: str):
    """An engine for `dialect` whose session zone is far from UTC, closed after the module."""
    eng = _zetasql_engine() if dialect == "bigquery" else connect(engine_url(dialect))
    far_session(eng)
    yield eng
    eng.close()


@pytest.fixture(scope="module", params=DIALECTS)
def far_engine(request):
    yield from _far_engine(request.param)


# GoogleSQL's evaluator runs a generated case in about a second (analysing each segment costs ~30 ms), and
# BigQuery is otherwise executed on the conformance corpus alone: CI's slice (CASES = 1) gives it a few
# more cases than one (4 pinned, 2 evergreen: ~6 s on a quiet machine; the budget is 15 s).
BIGQUERY_CI_CASES = 4


def test_engines_agree_with_the_oracle(far_engine):
    """Every generated segment has the oracle's members on every verified engine, with --now pinned.
    MariaDB's tables are in its default collation (utf8mb4_general_ci) for even seeds. Spark runs a
    smaller sample (single conditions, one statement per case): its planning costs seconds per segment.
    BigQuery: the SQL compiled with the pinned now reads no clock, so the evaluator's real one is unused."""
    spark = far_engine.dialect == "spark"
    cases = max(1, CASES // 5) if spark else CASES
    if far_engine.dialect == "bigquery":
        cases = max(cases, BIGQUERY_CI_CASES)
    found = []
    for seed in range(FIRST, FIRST + cases):
        case = make_case(seed, n_segments=6, max_depth=0) if spark else make_case(seed)
        found += check_case(far_engine, case, mysql_collation="utf8mb4_general_ci" if seed % 2 == 0 else None)
    assert not found, f"{len(found)} disagreement(s):\n" + "\n".join(map(str, found[:20]))


def test_evergreen_engines_agree_with_the_oracle(far_engine):
    """No --now: the SQL reads the clock itself, in the schema's zone, not the session's (UTC+14). Rows sit
    on window edges around the real clock; a record whose membership changes while the statement runs is
    not judged. A refusal the dialect documents (E0501, MySQL named zones) is not a disagreement."""
    if far_engine.dialect == "spark":
        pytest.skip("Spark: the pinned sample only (planning costs seconds per segment)")
    cases = max(1, CASES // 2)
    if far_engine.dialect == "bigquery":  # the evaluator's real clock, which cannot be pinned
        cases = max(cases, BIGQUERY_CI_CASES // 2)
    found = []
    for seed in range(FIRST + 10_000, FIRST + 10_000 + cases):
        found += check_case(far_engine, make_case(seed, n_segments=20, evergreen=True))
    assert not found, f"{len(found)} disagreement(s):\n" + "\n".join(map(str, found[:20]))


# ---- minimised disagreements the random runs found (one per class of bug) ------------------------------

_amount = o.ToMany("deals", "amount", "number")
_score = o.Prop("score", "number")
_last = o.Prop("last_at", "timestamp")
_name, _city = o.Prop("name", "string"), o.Prop("city", "string")
_visits = o.Prop("visits", "integer")
_dst = list(DST_INSTANTS)

REPROS = {
    # ClickHouse hashes floats for IN: -0.0 IN (0) was false (fixed: Ops.exact_number adds 0.0 to a number
    # operand of `=`/`in` unless the other side is a non-zero literal)
    "negative zero in a list": (lambda: case_from(
        {"own": o.In(_score, [o.Lit(0), o.Lit(1.5)]), "related": o.In(_amount, [o.Lit(-0.0)]),
         "three": o.In(o.Func("coalesce", [_score, o.Lit(0)]), [o.Lit(0.0), o.Lit(7), o.Lit(1)]),
         "negated": o.In(_score, [o.Lit(-0.0), o.Lit(7), o.Lit(1), o.Lit(2)], negated=True)},
        contacts=[{"id": 1, "score": -0.0}, {"id": 2, "score": 0.0}],
        deals=[{"id": 1, "contact_id": 1, "amount": 0.0}, {"id": 2, "contact_id": 2, "amount": -0.0}]), {}),
    # ClickHouse decorrelates `deals.amount = score` into a hash join on the two doubles: -0.0 missed 0.0
    # (fixed: Ops.exact_number adds 0.0 to both sides there)
    "negative zero against the record's own value": (lambda: case_from(
        {"eq": o.Cmp(_amount, "=", _score), "ne": o.Cmp(_amount, "!=", _score)},
        contacts=[{"id": 1, "score": 0.0}, {"id": 2, "score": -0.0}, {"id": 3, "score": 2.5}],
        deals=[{"id": 1, "contact_id": 1, "amount": -0.0}, {"id": 2, "contact_id": 2, "amount": 0.0},
               {"id": 3, "contact_id": 3, "amount": 2.5}]), {}),
    # MariaDB's LOWER under utf8mb4_bin/_general_ci maps only Unicode 4.0's cases (737 of 1433 characters
    # miss: ẞ, Deseret, Cherokee, Georgian …); fixed: segql lowercases under utf8mb4_uca1400_ai_ci (MariaDB
    # ≥ 10.10), which maps all of them.
    "simple lowercase beyond Unicode 4.0": (lambda: case_from(
        {"eszett": o.StrOp(o.Prop("name", "string"), "contains", "ß"),
         "deseret": o.StrOp(o.Prop("name", "string"), "ends with", "𐐀")},
        contacts=[{"id": 1, "name": "ẞ"}, {"id": 2, "name": "𐐀"}, {"id": 3, "name": "x"}]),
        {}),
    # instants around New York's 2026 clock changes, zoned and epoch, in a session far from UTC: the
    # documented wall-clock reading (SQLite and MariaDB must refuse them with E0501 in a named zone)
    "instants across clock changes": (lambda: case_from(
        {"recent": o.Ago(_last, "<", 2, "hour"), "day": o.InWindow(_last, ("last", 1, "day")),
         "today": o.Cmp(o.Prop("ping_s", "timestamp"), "=", o.Clock("today")),
         "same": o.Cmp(_last, "=", o.Prop("tick_ms", "timestamp")),
         "paid": o.Cmp(o.ToMany("deals", "paid_at", "timestamp"), ">=", o.Clock("now", -90, "minute"))},
        contacts=[{"id": i, "last_at": t, "ping_s": o.to_epoch(t, "seconds"),
                   "tick_ms": o.to_epoch(t + timedelta(hours=1), "milliseconds")}  # equal in the repeated hour
                  for i, t in enumerate(_dst + [datetime(2026, 3, 8, 6, m, tzinfo=UTC) for m in (29, 31)], 1)],
        deals=[{"id": i, "contact_id": i, "paid_at": t} for i, t in enumerate(_dst, 1)],
        now=datetime(2026, 3, 8, 3, 30), tz="America/New_York"), {}),
    # an integer literal no double equals against a `number`: DuckDB, PostgreSQL and MariaDB compared in
    # double precision, rounding 2**53 + 1 to 2**53 (`score < 9007199254740993` missed score = 2**53).
    # Fixed: lower/sql.py `_beyond_double` compares with the doubles either side of the literal.
    "integer literal beyond a double's precision": (lambda: case_from(
        {"lt": o.Cmp(_score, "<", o.Lit(2 ** 53 + 1)), "eq": o.Cmp(_score, "=", o.Lit(2 ** 53 + 1)),
         "ge": o.Cmp(_score, ">=", o.Lit(-(2 ** 53) - 1)), "in": o.In(_score, [o.Lit(2 ** 53 + 1), o.Lit(1)], True),
         "many": o.Cmp(_amount, "<", o.Lit(2 ** 54 + 2))},
        contacts=[{"id": 1, "score": 2.0 ** 53}, {"id": 2, "score": 2.0 ** 53 + 2}, {"id": 3, "score": -(2.0 ** 53)},
                  {"id": 4, "score": 1.0}, {"id": 5}],
        deals=[{"id": 1, "contact_id": 1, "amount": 2.0 ** 54 + 4}, {"id": 2, "contact_id": 2, "amount": 2.0 ** 54}]),
        {}),
    # a decimal literal against an integer beyond 2**53: BigQuery read `9007199254740992.0` as FLOAT64 and
    # compared the INT64 in double precision (2**53 + 1 equal to it; found by a long run, seeds 7059, 7075,
    # 7119, 7149). Fixed: Ops.decimal_literal, a BIGNUMERIC literal there.
    "decimal literal against a big integer": (lambda: case_from(
        {"eq": o.Cmp(_visits, "=", o.Lit(2.0 ** 53)), "gt": o.Cmp(_visits, ">", o.Lit(2.0 ** 53)),
         "not_eq": o.Not(o.Cmp(_visits, "=", o.Lit(2.0 ** 53))), "lt": o.Cmp(_visits, "<", o.Lit(-(2.0 ** 53))),
         "in": o.In(_visits, [o.Lit(2.0 ** 53), o.Lit(2.5)])},
        contacts=[{"id": 1, "visits": 2 ** 53}, {"id": 2, "visits": 2 ** 53 + 1}, {"id": 3, "visits": -(2 ** 53) - 1},
                  {"id": 4, "visits": 5}, {"id": 5}]), {}),
    # a missing value inside `in (…)`: `name in (city, "%")` with city NULL was NULL, not false, so its
    # negation `not (name in (city, "%"))` lost those contacts (only `name IS NULL` was guarded) on DuckDB,
    # SQLite, PostgreSQL, MariaDB. Fixed: lower/sql.py compares with each nullable value apart.
    "missing value in a list": (lambda: case_from(
        {"not_in": o.In(_name, [_city, o.Lit("%", "string")], True), "in": o.In(_name, [_city, o.Lit("%", "string")]),
         "not_not": o.Not(o.In(_name, [_city], True)),
         "many": o.In(o.ToMany("deals", "stage", "string"), [_city, o.Lit("Won", "string")], True)},
        contacts=[{"id": 1, "name": "a"}, {"id": 2, "name": "%"}, {"id": 3, "name": "b", "city": "b"}, {"id": 4},
                  {"id": 5, "name": "c", "city": "d"}],
        deals=[{"id": 1, "contact_id": 1, "stage": "x"}, {"id": 2, "contact_id": 3, "stage": "b"},
               {"id": 3, "contact_id": 2}, {"id": 4, "contact_id": 5, "stage": "Won"}]), {}),
}


@pytest.mark.parametrize("name", list(REPROS))
def test_minimised_repro(far_engine, name, request):
    build, known = REPROS[name]
    if far_engine.dialect == "spark" and CASES == 1:
        pytest.skip("Spark runs the repros in long runs only (SEGQL_ADVERSARIAL_CASES > 1): seconds per statement")
    if far_engine.dialect in known:
        request.applymarker(pytest.mark.xfail(strict=True, reason=known[far_engine.dialect]))
    found = check_case(far_engine, build())
    assert not found, "\n".join(map(str, found))


# ---- refresh: the stored membership and its history against the oracle ---------------------------------
# `segql refresh` writes members with INSERT … SELECT inside a transaction, by engine-specific paths (a FULL
# JOIN difference on DuckDB/PostgreSQL, a staging table on MariaDB/SQLite). A plain SELECT agreeing with the
# oracle does not prove the stored members do (MariaDB's strict mode turns a SELECT's warnings into errors in
# INSERT … SELECT). Keys: the generator's are integers, stored as text `CAST(id AS TEXT)`: compared as str(id).

REFRESH_DIALECTS = ("duckdb", "postgres", "mysql", "sqlite")  # the engines with transactions (refresh's)
STATE = ("segql_membership", "segql_membership_events", "segql_refreshes")
# the second refresh's clock, after the data changed: the same now, or later/earlier by a wall-clock step
NOW_STEPS = (timedelta(0), timedelta(hours=1), timedelta(days=1), timedelta(days=-3), timedelta(days=40))


@pytest.fixture(scope="module", params=REFRESH_DIALECTS)
def refresh_engine(request):
    yield from _far_engine(request.param)


def _plain_wall_time(t: datetime, tz: str) -> bool:
    """Whether wall-clock time `t` exists exactly once in zone `tz` (no DST gap or overlap)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    a, b = t.replace(tzinfo=zone, fold=0), t.replace(tzinfo=zone, fold=1)
    return a.utcoffset() == b.utcoffset() and a.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == t


def change_case(case, rng) -> None:
    """The case's data and clock after a while: some contacts, deals and events deleted, some contacts'
    values replaced by another contact's (the generator's own hostile values, moved), copies of contacts
    added under new keys (without their deals and events), a pinned clock stepped.
    Rows are copied: the oracle's world before the change is not touched in place."""
    ents = case.world.entities
    contacts = [dict(r) for r in ents["contacts"].rows if rng.random() >= 0.1]
    donors = list(ents["contacts"].rows)
    for row in contacts:
        if rng.random() < 0.5:
            for col in rng.sample([c for c in PROPS["contacts"] if c != "id"], 2):
                row[col] = rng.choice(donors).get(col)
    top = max((r["id"] for r in donors), default=0)
    contacts += [{**rng.choice(donors), "id": top + i} for i in range(1, rng.randint(1, 4) + 1)]  # newcomers
    ents["contacts"].rows = contacts
    for name in ("deals", "events", "orgs"):
        ents[name].rows = [dict(r) for r in ents[name].rows if rng.random() >= (0.1 if name == "orgs" else 0.2)]
    if case.now_arg is None:  # evergreen: the refresh reads the clock
        return
    later = case.now + rng.choice(NOW_STEPS)
    if not _plain_wall_time(later, case.tz):
        later = case.now
    case.now = case.world.now = later
    case.now_arg = later.isoformat()


def refresh_case(eng, case, segments, schema) -> list[dict]:
    from segql.ops.refresh import refresh

    return refresh(segments, schema, eng, case.now_arg)


def _when(v) -> datetime:
    """A state table's timestamp as a naive datetime (SQLite keeps text)."""
    return v if isinstance(v, datetime) else datetime.fromisoformat(str(v))


def _state(eng):
    members = {}
    for slug, key, entered_at in eng.execute("SELECT segment, member_key, entered_at FROM segql_membership"):
        members.setdefault(slug, {})[key] = _when(entered_at)
    events = [(s, k, kind, _when(at)) for s, k, kind, at in
              eng.execute("SELECT segment, member_key, kind, changed_at FROM segql_membership_events")]
    refreshes = [(s, _when(at), int(m), int(e), int(x)) for s, at, m, e, x in
                 eng.execute("SELECT segment, refreshed_at, members, entered, exited FROM segql_refreshes")]
    return members, events, refreshes


def check_refresh_case(eng, case, seed_rng, mysql_collation=None) -> list[str]:
    """Refresh every segment of `case` on `eng` twice (the data and clock changed in between) and compare
    the stored membership, history and refresh rows with the oracle's members before and after. Every
    time recorded is the refresh's `now` as wall-clock time in the schema's zone (the session's is far
    from UTC). An evergreen case (no `now`) is refreshed at the clock: the oracle judges it at the time
    the refresh recorded, which must lie between the clock read before and after it."""
    from collections import Counter

    from adversarial.run import _wall_now, load, refusal_expected

    import segql

    schema = segql.parse_schema(case.schema_yaml)
    checked = {s.slug: s for s in segql.check(case.source(), schema)}
    # segments the dialect must refuse (E0501) fail a refresh as a whole: refreshed without them (the
    # refusal itself is test_engines_agree_with_the_oracle's)
    slugs = [s for s, seg in case.world.segments.items() if not refusal_expected(case, eng.dialect, seg)]
    segments = [checked[s] for s in slugs]
    tag = f"[seed {case.seed}] {eng.dialect}{' ' + mysql_collation if mysql_collation else ''}"
    for t in (*STATE, "segql_refresh_lock"):
        eng.execute(f"DROP TABLE IF EXISTS {t}")
    out = []
    history, counts = Counter(), Counter()  # what the earlier refresh left in the history and segql_refreshes
    before = {s: set() for s in slugs}
    first = None  # the first refresh's time
    for step in ("first", "second"):
        if step == "second":
            change_case(case, seed_rng)
        load(eng, case, mysql_collation)
        for ent in case.world.entities.values():
            assert all(type(r["id"]) is int for r in ent.rows), "refresh keys are compared as integers' text"
        clock = _wall_now(case.tz).replace(microsecond=0)
        try:
            results = refresh_case(eng, case, segments, schema)
        except segql.SegqlError as e:
            return [f"{tag} {step} refresh (now {case.now_arg}, zone {case.tz}) failed: {e}"]
        members, events, refreshes = _state(eng)
        new_events = Counter(events) - history
        new_refreshes = Counter(refreshes) - counts
        if case.now_arg is None:  # the time the refresh recorded (all of them the same: checked below)
            at = min(x[1] for x in new_refreshes)
            if not clock <= at <= _wall_now(case.tz):
                return [f"{tag} {step} refresh at {at}: not the clock in {case.tz} ({clock} …)"]
            case.now = case.world.now = at
        at = case.now
        first = first or at
        expected = {s: {str(k) for k in o.members(case.world, case.world.segments[s])} for s in slugs}
        by_slug = {r["segment"]: r for r in results}
        when = f"(now {case.now_arg or at}, zone {case.tz})"
        times = {x[1] for x in new_refreshes} | {x[3] for x in new_events}
        if times - {at}:
            out.append(f"{tag} {step} refresh {when}: recorded at {sorted(times - {at})}, not at {at}")
        for s in slugs:
            seg = case.world.segments[s]
            got, want = set(members.get(s, {})), expected[s]
            entered, left = want - before[s], before[s] - want
            where = f"{tag} {step} refresh {s} {when}"
            if got != want:
                out.append(f"{where}: missing {sorted(want - got, key=int)} extra {sorted(got - want, key=int)}"
                           f"\n  {seg.text()}")
                continue
            r = by_slug.get(s)
            if r is None or (r["members"], r["entered"], r["left"]) != (len(want), len(entered), len(left)):
                out.append(f"{where}: reported {r and (r['members'], r['entered'], r['left'])}, expected "
                           f"members/entered/left {(len(want), len(entered), len(left))}")
            mine = Counter((k, kind) for slug, k, kind, _ in new_events.elements() if slug == s)
            if mine != Counter([(k, "entered") for k in entered] + [(k, "left") for k in left]):
                out.append(f"{where}: history {sorted(mine.elements())}, expected entered {sorted(entered)} "
                           f"left {sorted(left)}")
            # who stayed keeps the first refresh's entered_at; who entered has this one's
            wrong = sorted(k for k in want if members[s][k] != (at if k in entered else first))
            if wrong:
                out.append(f"{where}: entered_at wrong for {wrong}")
            mine = [x[2:] for x in new_refreshes.elements() if x[0] == s]
            if mine != [(len(want), len(entered), len(left))]:
                out.append(f"{where}: segql_refreshes rows {mine}, expected "
                           f"{[(len(want), len(entered), len(left))]}")
        history, counts, before = Counter(events), Counter(refreshes), expected
    return out


def test_refresh_stores_the_oracles_members(refresh_engine):
    """`refresh` of every generated segment (one transaction, the engine's own difference path) stores the
    oracle's members; a second refresh after deleting and changing rows and moving the clock records who
    entered and left, in the membership, its history and segql_refreshes. MariaDB's tables are in its
    default collation (utf8mb4_general_ci) for even seeds. Four cases per SEGQL_ADVERSARIAL_CASES (about
    a second each on DuckDB): both collations run, and seed 3 is the one that overflowed SQLite's parser."""
    import random

    found = []
    for seed in range(FIRST, FIRST + 4 * CASES):
        case = make_case(seed)
        found += check_refresh_case(refresh_engine, case, random.Random(f"refresh {seed}"),
                                    mysql_collation="utf8mb4_general_ci" if seed % 2 == 0 else None)
    assert not found, f"{len(found)} disagreement(s):\n" + "\n".join(found[:20])


# minimised disagreements the random refreshes found: name -> (case builder, {dialect: reason} known to fail)
REFRESH_REPROS = {
    # SQLite: `last quarter` nested clamped month arithmetic 4 deep (its end = start + 3 months, the start
    # = quarter start − 3 months, each a MIN of two DATE(…) of its argument); the SELECT alone ran, but
    # refresh's INSERT … SELECT … FROM (SELECT … FROM (query)) beside an OR overflowed SQLite's parser
    # stack ("parser stack overflow", E0604). Fixed: months added to a month's first day need no clamp
    # (lower/dialects/sqlite.py), so the period's bounds are one flat DATE(…) each.
    "calendar quarter beside an OR": (lambda: case_from(
        {"s": o.Or([o.Cmp(o.Prop("city", "string"), "=", o.Lit("a", "string")),
                    o.Performed("purchase", None, None, ("period", "last", "quarter"))])},
        contacts=[{"id": 1, "city": "a"}, {"id": 2, "city": "b"}, {"id": 3, "city": "b"}],
        events=[{"id": 1, "contact_id": 2, "name": "purchase", "at": datetime(2025, 12, 31, 23, 59, 59)},
                {"id": 2, "contact_id": 3, "name": "purchase", "at": datetime(2026, 1, 1)}]), {}),
}


@pytest.mark.parametrize("name", list(REFRESH_REPROS))
def test_refresh_minimised_repro(refresh_engine, name, request):
    import random

    build, known = REFRESH_REPROS[name]
    if refresh_engine.dialect in known:
        request.applymarker(pytest.mark.xfail(strict=True, reason=known[refresh_engine.dialect]))
    found = check_refresh_case(refresh_engine, build(), random.Random(name))
    assert not found, "\n".join(found)


def test_evergreen_refresh_stores_the_oracles_members(refresh_engine):
    """No `now`: the refresh reads the clock (in the schema's zone, not the session's) once, evaluates every
    segment at it and records it; the oracle's members at the recorded time are the stored ones."""
    import random

    found = []
    for seed in range(FIRST + 10_000, FIRST + 10_000 + CASES):
        case = make_case(seed, n_segments=20, evergreen=True)
        found += check_refresh_case(refresh_engine, case, random.Random(f"refresh {seed}"),
                                    mysql_collation="utf8mb4_general_ci" if seed % 2 == 0 else None)
    assert not found, f"{len(found)} disagreement(s):\n" + "\n".join(found[:20])
