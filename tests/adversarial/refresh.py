"""A randomized differential for `segql refresh` (ops/refresh.py): several refreshes of random segments over
random data that changes between them, on one engine, checked after every refresh against the oracle.

    problems = check_refresh_run(engine, seed)   # [] when every refresh stored and recorded what it should

A run takes a generated case (tests/adversarial/generate.py) and gives its contacts (and, for string and
big-integer keys, its organizations) keys of another kind — integers near and beyond 2^53 up to ±2^63,
strings with spaces, quotes, case and accent look-alikes, unicode, or `number` keys whose doubles print
alike at 15 digits — rewriting every reference (deals, events, list members) to match. Then, `STEPS` times:
mutate the data (rows deleted, values moved between rows, newcomers under fresh keys or under keys that
left earlier, exact duplicates of a key, rows with a NULL key), sometimes move the clock, sometimes change
nothing, and refresh a random subset of the segments (one seed in four without --now: the refresh reads the
clock, and the oracle judges at the time it recorded, which must lie between the clock before and after).
After each refresh:

- the stored members of each refreshed segment are the oracle's members (keys as the engine's text of the
  key, which must be one text per key, reading back as the key);
- its history rows are exactly the set differences with the previous members, once each, at the refresh
  time; the counts refresh reports and writes to segql_refreshes are their sizes; the samples are the first
  ten keys in byte order; a refresh with nothing changed writes no history;
- who stayed keeps entered_at; segments not refreshed this time keep every row (no interference).

Some steps fail on purpose: a statement of the refresh raises (a random one, or its last ones: dropping the
temporary tables, COMMIT), the refresh includes a segment whose table is missing (a real database error
midway), or the engine's query timeout is set so low that some statement is stopped (E0606; a segment
scanning a 100,000-row table is among those refreshed). A refresh that fails leaves the three state tables exactly as
they were, no transaction or (MariaDB) named lock is left behind, and the next refresh on the same
connection works. (Every refresh, finished or failed, is checked for leftovers too.)
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from adversarial import oracle as o
from adversarial.generate import PROPS, TABLES, Case, make_case

import segql
from segql.errors import SegqlError
from segql.ops import refresh as refresh_mod

STATE = ("segql_membership", "segql_membership_events", "segql_refreshes")
KINDS = ("bigint", "string", "number")
STEPS = 5

BIG = [2 ** 53 - 1, 2 ** 53, 2 ** 53 + 1, 2 ** 53 + 2, -(2 ** 53) - 1, -(2 ** 53), 2 ** 63 - 1, -(2 ** 63),
       2 ** 62 + 1, 10 ** 18 + 1, -(10 ** 18) - 3, 0, -1, 1, 99999999999999999, 2 ** 54 + 1]
ODD = ["", " ", "  ", "a", "A", "a ", " a", "é", "e\u0301", "É", "O'Brien", "''", 'say "hi"', "back\\slash",
       "\\", "%", "_", "a%b", "a_b", "line\nbreak", "tab\there", "😀", "李", "ß", "ẞ", "SS", "ss", "İ", "i", "ı",
       "\u212a", "K", "k", "1", "01", "1.0", " 1", "NULL", "null", "--", "'; DROP TABLE adv_contacts; --",
       "x" * 200, "Σ", "ς", "σ", "a\u00a0", "a\u200b", "𐐀", "𐐨", "ǅ", "ǆ", "ａ", "Zoë", "zoë", "?", "$1", "%s",
       ":name", "{}", "[a]", "a,b", "\r\n"]
# doubles: distinct values whose 15-digit text is the same (0.3 / 0.1+0.2; 2^53 / 2^53 − 2), huge, tiny
DOUBLES = [0.1, 0.2, 0.3, 0.30000000000000004, 1.0, 2.0, 2.5, -2.5, 2.0 ** 53, 2.0 ** 53 - 2, 2.0 ** 53 + 2,
           1e20, 1e-300, 123456789.125, 1e15 + 0.3, 1e15 + 0.25, 1 / 3, 2 / 3, 100.0, -7.0, 1e300, 5e-324]


def _fresh(kind: str, rng: random.Random, used: set, tagged: bool = False):
    """A key of `kind` not in `used` (added to it). `tagged`: a string key starts with a number of its own,
    so no collation folds two keys into one (MariaDB's joins on string keys do: KNOWN_MYSQL_STRING_KEYS)."""
    if tagged:
        k = f"{len(used)}:{_fresh(kind, rng, set(), False)}"
        used.add(k)
        return k
    pool = {"bigint": BIG, "string": ODD, "number": DOUBLES}[kind]
    for _ in range(50):
        if rng.random() < 0.6:
            k = rng.choice(pool)
        elif kind == "bigint":
            k = rng.choice((rng.randint(-(2 ** 63), 2 ** 63 - 1), 2 ** 53 + rng.randint(-5, 5),
                            -(2 ** 53) + rng.randint(-5, 5)))
        elif kind == "string":
            k = "".join(rng.choice(("a", "A", " ", "'", '"', "é", "😀", "\\", "%", "ß", "z", "0"))
                        for _ in range(rng.randint(1, 6)))
        else:
            k = rng.choice((rng.uniform(-1e6, 1e6), float(2 ** 53 + 2 * rng.randint(-5, 5)),
                            rng.random() / 7, float(rng.randint(-1000, 1000))))
        if k not in used:
            used.add(k)
            return k
    raise AssertionError("no fresh key")


@dataclass
class KeyedCase(Case):
    """A generated case whose contacts (and, for string/bigint keys, organizations) have keys of `kind`."""

    kind: str = "bigint"

    @property
    def types(self) -> dict:
        """The tables' column types (PROPS with the keys and the columns referring to them retyped)."""
        t = {"bigint": "integer", "string": "string", "number": "number"}[self.kind]
        org = t if self.kind != "number" else "integer"
        out = {e: dict(p) for e, p in PROPS.items()}
        out["contacts"]["id"] = t
        out["contacts"]["org_id"] = org
        out["orgs"]["id"] = org
        out["deals"]["contact_id"] = t
        out["events"]["contact_id"] = t
        out[o.LIST_ENTITY]["member_key"] = "string" if self.kind == "string" else (
            "number" if self.kind == "number" else "integer")
        return out

    @property
    def schema_yaml(self) -> str:
        t = self.types
        y = super().schema_yaml
        y = y.replace("table: adv_contacts\n    key: id", f"table: adv_contacts\n    key: {{name: id, type: {t['contacts']['id']}}}")
        y = y.replace("table: adv_orgs\n    key: id", f"table: adv_orgs\n    key: {{name: id, type: {t['orgs']['id']}}}")
        y = y.replace("org_id: integer", f"org_id: {t['contacts']['org_id']}")
        y = y.replace("contact_id: integer", f"contact_id: {t['deals']['contact_id']}")
        return y

    def rows(self, entity: str) -> list[tuple]:
        cols = list(self.types[entity])
        return [tuple(r.get(c) for c in cols) for r in self.world.entities[entity].rows]


def rekey(case: Case, kind: str, rng: random.Random, tagged: bool = False) -> KeyedCase:
    """The case with contacts' keys (and orgs' unless `number`) replaced by keys of `kind`, every reference
    rewritten; a reference to no record (an org id past the last, a list key of no contact) gets a fresh key
    no record has."""
    ents = case.world.entities
    used: set = set()
    tagged = tagged and kind == "string"
    cmap = {r["id"]: _fresh(kind, rng, used, tagged) for r in ents["contacts"].rows}
    omap = {r["id"]: r["id"] for r in ents["orgs"].rows}
    if kind != "number":
        oused: set = set()
        omap = {r["id"]: _fresh(kind, rng, oused, tagged) for r in ents["orgs"].rows}
        used |= {("org", k) for k in oused}  # a reference to no org gets a key no org has

    def via(m, k, fresh_used):
        if k is None:
            return None
        if k not in m:
            m[k] = _fresh(kind, rng, fresh_used, tagged) if (kind != "number" or m is cmap) else k
        return m[k]

    for r in ents["contacts"].rows:
        r["id"] = cmap[r["id"]]
        r["org_id"] = via(omap, r.get("org_id"), used)
    for r in ents["orgs"].rows:
        r["id"] = omap[r["id"]]
    for name in ("deals", "events"):
        for r in ents[name].rows:
            r["contact_id"] = via(cmap, r.get("contact_id"), used)
    for r in ents[o.LIST_ENTITY].rows:
        org_list = r["list_slug"].strip().lower() == "partners"
        r["member_key"] = via(omap if org_list else cmap, r.get("member_key"), used)
    out = KeyedCase(**{f.name: getattr(case, f.name) for f in fields(Case)}, kind=kind)
    out.used, out.tagged = used, tagged
    return out


def load(eng, case: KeyedCase, mysql_collation=None, only=None) -> None:
    """Create the case's tables (`only`: those of these entities)."""
    for entity, table in TABLES.items():
        if only is not None and entity not in only:
            continue
        types = {c: "integer" if t.startswith("instant:") else t for c, t in case.types[entity].items()}
        eng.create_table(table, types, case.rows(entity))
        if mysql_collation and eng.dialect == "mysql":
            eng.execute(f"ALTER TABLE {table} CONVERT TO CHARACTER SET utf8mb4 COLLATE {mysql_collation}")


def mutate(case: KeyedCase, rng: random.Random, gone: list, changed: set) -> str:
    """Change the case's data (and maybe clock) in place; returns what was done and adds the entities
    whose rows changed to `changed`. Rows are copied first."""
    ents = case.world.entities
    what = []
    contacts = [dict(r) for r in ents["contacts"].rows]
    donors = [r for r in contacts if r["id"] is not None]
    pick = rng.random()
    if pick < 0.12:
        return "nothing"
    if rng.random() < 0.5:  # deletions
        keep = [r for r in contacts if rng.random() >= 0.12]
        gone += [r["id"] for r in contacts if r not in keep and r["id"] is not None]
        what.append(f"deleted {len(contacts) - len(keep)}")
        contacts = keep
    if rng.random() < 0.7:  # values moved between rows
        n = 0
        for row in contacts:
            if rng.random() < 0.3 and donors:
                for col in rng.sample([c for c in PROPS["contacts"] if c != "id"], rng.randint(1, 3)):
                    row[col] = rng.choice(donors).get(col)
                n += 1
        what.append(f"changed {n}")
    if rng.random() < 0.5 and donors:  # newcomers: fresh keys, or a key that left earlier coming back
        for _ in range(rng.randint(1, 3)):
            present = {r["id"] for r in contacts}
            back = [k for k in gone if k not in present]
            key = rng.choice(back) if back and rng.random() < 0.5 else _fresh(case.kind, rng, case.used, case.tagged)
            contacts.append({**rng.choice(donors), "id": key})
        what.append("newcomers")
    if rng.random() < 0.3 and contacts:  # an exact duplicate of a row (its key twice)
        contacts.append(dict(rng.choice(contacts)))
        what.append("duplicate")
    if rng.random() < 0.2 and donors:  # a row with no key
        contacts.append({**rng.choice(donors), "id": None})
        what.append("null key")
    ents["contacts"].rows = contacts
    changed.add("contacts")
    for name in ("deals", "events"):
        if rng.random() < 0.4:
            ents[name].rows = [dict(r) for r in ents[name].rows if rng.random() >= 0.2]
            what.append(f"{name} deleted")
            changed.add(name)
    if rng.random() < 0.3 and case.now_arg is not None:
        later = case.now + rng.choice((timedelta(hours=1), timedelta(days=1), timedelta(days=-2), timedelta(days=31)))
        if _plain_wall_time(later, case.tz):
            case.now = case.world.now = later
            case.now_arg = later.isoformat()
            what.append(f"now {case.now_arg}")
    return ", ".join(what) or "nothing"


def _plain_wall_time(t: datetime, tz: str) -> bool:
    """Whether wall-clock time `t` exists exactly once in zone `tz` (no DST gap or overlap)."""
    from datetime import UTC
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    a, b = t.replace(tzinfo=zone, fold=0), t.replace(tzinfo=zone, fold=1)
    return a.utcoffset() == b.utcoffset() and a.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == t


def _dump(eng) -> dict:
    """Every row of the state tables, as sorted text (compared before/after a failed refresh)."""
    out = {}
    for t in STATE:
        try:
            rows = eng.execute(f"SELECT * FROM {t}")
        except SegqlError:
            rows = None
        out[t] = None if rows is None else sorted(tuple(str(v) for v in r) for r in rows)
    return out


def _when(v) -> datetime:
    return v if isinstance(v, datetime) else datetime.fromisoformat(str(v))


def _state(eng):
    members = {}
    for slug, key, at in eng.execute("SELECT segment, member_key, entered_at FROM segql_membership"):
        members.setdefault(slug, Counter())[key] += 1
        members.setdefault(("at", slug), {})[key] = _when(at)
    events = Counter((s, k, kind, _when(at)) for s, k, kind, at in
                     eng.execute("SELECT segment, member_key, kind, changed_at FROM segql_membership_events"))
    refreshes = Counter((s, _when(at), int(m), int(e), int(x)) for s, at, m, e, x in
                        eng.execute("SELECT segment, refreshed_at, members, entered, exited FROM segql_refreshes"))
    return members, events, refreshes


def key_texts(eng, entity: str, key_type: str) -> dict:
    """Each key of `entity` -> the engine's text of it as refresh stores it (Db.key_text of the key column)."""
    from sqlglot import exp

    db = refresh_mod.Db.__new__(refresh_mod.Db)
    db.engine, db.dialect = eng, eng.dialect
    col = exp.column("id", quoted=True)
    sql = exp.select(col, db.key_text(col.copy(), key_type)).from_(TABLES[entity]).where(
        exp.Not(this=exp.Is(this=col.copy(), expression=exp.Null()))).sql(dialect=eng.dialect)
    return {k: t for k, t in eng.execute(sql)}


def _text_ok(kind, key, text) -> bool:
    if kind == "bigint":
        return text == str(key)
    if kind == "string":
        return text == key
    try:
        return float(text) == key
    except ValueError:
        return False


BROKEN = "zz_broken"
SLOW = "zz_slow"  # a segment scanning SLOW_ROWS strings with a regex: longer than the timeouts tried
SLOW_ROWS = 100_000
_SLOW_TABLE = {  # built in the database (a client would take seconds to send it)
    "duckdb": "CREATE TABLE adv_slow AS SELECT range AS id, repeat('ab', 20) || CAST(range AS VARCHAR) AS s "
              "FROM range({n})",
    "postgres": "CREATE TABLE adv_slow AS SELECT g AS id, repeat('ab', 20) || g::text AS s "
                "FROM generate_series(1, {n}) g",
    "sqlite": "CREATE TABLE adv_slow AS WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < {n}) "
              "SELECT i AS id, 'abababababababababababababababababababab' || i AS s FROM r",
    "mysql": "CREATE TABLE adv_slow AS SELECT seq AS id, CONCAT(REPEAT('ab', 20), seq) AS s FROM seq_1_to_{n}",
}


def _slow_table(eng) -> None:
    eng.execute("DROP TABLE IF EXISTS adv_slow")
    eng.execute(_SLOW_TABLE[eng.dialect].format(n=SLOW_ROWS))


def check_refresh_run(eng, seed: int, *, steps: int = STEPS, mysql_collation=None, n_segments: int = 12,
                      failures: bool = True, stats: Counter | None = None) -> list[str]:
    """`steps` refreshes of case `seed` on `eng` (see the module's docstring); `stats` counts what happened
    (refreshes, failures by kind, no-change refreshes)."""
    stats = Counter() if stats is None else stats
    rng = random.Random(f"refresh run {seed}")
    kind = KINDS[seed % len(KINDS)]
    evergreen = seed % 4 == 3  # no --now: the refresh reads the clock, the oracle judges at the time it recorded
    case = rekey(make_case(seed, n_segments=n_segments, evergreen=evergreen), kind, rng,
                 tagged=eng.dialect == "mysql")
    tag = f"[seed {seed} {kind}] {eng.dialect}{' ' + mysql_collation if mysql_collation else ''}"
    from adversarial.run import _wall_now, refusal_expected

    schema = segql.parse_schema(case.schema_yaml.replace("\nlists:", "\n  ghosts:\n    table: adv_no_such_table\n"
                                                         "    key: id\n    properties: {n: integer}\n"
                                                         "  slow:\n    table: adv_slow\n    key: id\n"
                                                         "    properties: {s: string}\nlists:"))
    source = (case.source() + f"segment {BROKEN} on ghosts where n > 1\n"
              f'segment {SLOW} on slow where s matches "(ab)*c" or s ends with "x"\n')
    slow_table = False
    checked = {s.slug: s for s in segql.check(source, schema)}
    slugs = [s for s, seg in case.world.segments.items() if not refusal_expected(case, eng.dialect, seg)]
    for t in STATE:
        eng.execute(f"DROP TABLE IF EXISTS {t}")
    out: list[str] = []
    stored: dict[str, set] = {s: set() for s in slugs}  # what each segment's membership should hold
    entered_at: dict[str, dict] = {s: {} for s in slugs}
    gone: list = []
    for step in range(steps):
        changed = set()
        what = "first" if step == 0 else mutate(case, rng, gone, changed)
        load(eng, case, mysql_collation, None if step == 0 else changed)
        texts = key_texts(eng, "contacts", case.types["contacts"]["id"])
        org_texts = key_texts(eng, "orgs", case.types["orgs"]["id"])
        where = f"{tag} step {step} ({what}; now {case.now_arg}, zone {case.tz})"
        # keys as text: distinct keys, distinct texts, each reading back as its key
        if len(set(texts.values())) != len(texts) or not all(_text_ok(kind, k, t) for k, t in texts.items()):
            bad = sorted(((repr(k), t) for k, t in texts.items() if not _text_ok(kind, k, t)
                          or list(texts.values()).count(t) > 1), key=str)[:6]
            out.append(f"{where}: key texts not one per key: {bad}")
            return out
        subset = [s for s in slugs if rng.random() < 0.7] or slugs[:1]
        rng.shuffle(subset)
        before = _dump(eng)
        fail = rng.random() < 0.25 if failures and step > 0 else False
        mode = rng.choice(("raise", "broken", "timeout")) if fail else None
        segs = [checked[s] for s in subset]
        if mode == "broken":
            segs.insert(rng.randrange(len(segs) + 1), checked[BROKEN])
        if mode == "timeout":
            if not slow_table:
                _slow_table(eng)
                slow_table = True
            segs.insert(rng.randrange(len(segs) + 1), checked[SLOW])
        clock = _wall_now(case.tz).replace(microsecond=0)
        try:
            results = _refresh(eng, segs, schema, case.now_arg, mode, rng)
        except SegqlError as e:
            stats[f"failed: {mode}"] += 1
            out += _left_behind(eng, where)
            if mode is None:
                out.append(f"{where}: refresh failed: {e}")
                return out
            after = _dump(eng)
            if after != before:
                diff = {t: (len(before[t] or []), len(after[t] or [])) for t in STATE if before[t] != after[t]}
                out.append(f"{where}: a refresh that failed ({mode}: {e}) changed the state: rows before/after {diff}")
                return out
            continue  # nothing happened: the next step refreshes from the same stored state
        if mode == "broken":
            out.append(f"{where}: a refresh including a segment on a missing table did not fail")
            return out
        out += _left_behind(eng, where)
        stats["refreshes"] += 1
        stats["no change"] += what == "nothing"
        members, events, refreshes = _state(eng)
        prev_events, prev_refreshes = _events_refreshes(before)
        new_events = events - prev_events
        new_refreshes = refreshes - prev_refreshes
        if case.now_arg is None:  # the time the refresh recorded (the same everywhere: checked below)
            at = min((x[1] for x in new_refreshes), default=None)
            if at is None or not clock <= at <= _wall_now(case.tz):
                out.append(f"{where}: refresh recorded at {at}, not the clock in {case.tz} ({clock} …)")
                return out
            case.now = case.world.now = at
        at = case.now
        by_slug = {r["segment"]: r for r in results}
        if [r["segment"] for r in results] != [x.slug for x in refresh_mod.dependency_order(segs)]:
            out.append(f"{where}: results not one per segment in dependency order")
        for s in slugs:
            got = members.get(s, Counter())
            dup = [k for k, n in got.items() if n > 1]
            if dup:
                out.append(f"{where} {s}: stored twice {dup[:5]}")
            if s not in subset:  # untouched
                if set(got) != stored[s] or any(e[0] == s for e in new_events) or any(r[0] == s for r in new_refreshes):
                    out.append(f"{where} {s}: not refreshed, but its state changed")
                continue
            seg = case.world.segments[s]
            want = {(texts if seg.entity == "contacts" else org_texts)[k] for k in o.members(case.world, seg) if k is not None}
            entered, left = want - stored[s], stored[s] - want
            w = f"{where} {s}"
            if set(got) != want:
                out.append(f"{w}: stored missing {sorted(want - set(got))[:8]} extra {sorted(set(got) - want)[:8]}"
                           f"\n  {seg.text()}")
                stored[s] = set(got)
                continue
            r = by_slug.get(s)
            if r is not None and r["refreshed_at"] != at.isoformat():
                out.append(f"{w}: reported refreshed_at {r['refreshed_at']}, expected {at.isoformat()}")
            if r is None or (r["members"], r["entered"], r["left"]) != (len(want), len(entered), len(left)):
                out.append(f"{w}: reported {r and (r['members'], r['entered'], r['left'])}, expected "
                           f"{(len(want), len(entered), len(left))}")
            else:
                first = sorted(entered, key=lambda t: t.encode())[:refresh_mod.SAMPLE]
                firstl = sorted(left, key=lambda t: t.encode())[:refresh_mod.SAMPLE]
                if r["entered_keys"] != first or r["left_keys"] != firstl:
                    out.append(f"{w}: samples {r['entered_keys']} / {r['left_keys']}, expected {first} / {firstl}")
            mine = Counter((k, kind_, t) for (sl, k, kind_, t), n in new_events.items() if sl == s for _ in range(n))
            expect = Counter([(k, "entered", at) for k in entered] + [(k, "left", at) for k in left])
            if mine != expect:
                out.append(f"{w}: history {sorted(mine.elements())[:8]} expected {sorted(expect.elements())[:8]}")
            rows = [x[1:] for x in new_refreshes.elements() if x[0] == s]
            if rows != [(at, len(want), len(entered), len(left))]:
                out.append(f"{w}: segql_refreshes rows {rows}, expected {[(at, len(want), len(entered), len(left))]}")
            for k in entered:
                entered_at[s][k] = at
            for k in left:
                entered_at[s].pop(k, None)
            wrong = sorted(k for k in want if members[("at", s)][k] != entered_at[s][k])
            if wrong:
                out.append(f"{w}: entered_at wrong for {wrong[:8]}")
            stored[s] = want
        if out:
            return out
    return out


def _events_refreshes(dump):
    """The history and segql_refreshes Counters `_state` reads, from a `_dump` (text)."""
    def when(v):
        return datetime.fromisoformat(v)

    ev = Counter((s, k, kind, when(at)) for s, k, kind, at in dump["segql_membership_events"] or [])
    rf = Counter((s, when(at), int(m), int(e), int(x)) for s, at, m, e, x in dump["segql_refreshes"] or [])
    return ev, rf


def _open_transaction(eng) -> bool:
    """Whether the database holds a transaction open on the connection (its own word, not segql's flag:
    SQLite rolls an interrupted transaction back itself, and refresh's ROLLBACK then fails, keeping
    `engine.in_transaction` set — which only keeps a pool from reusing the engine)."""
    if eng.dialect == "sqlite":
        return eng.conn.in_transaction
    if eng.dialect == "postgres":
        from psycopg.pq import TransactionStatus

        return eng.conn.info.transaction_status != TransactionStatus.IDLE
    if eng.dialect == "mysql":
        from pymysql.constants.SERVER_STATUS import SERVER_STATUS_IN_TRANS

        return bool(eng.conn.server_status & SERVER_STATUS_IN_TRANS)
    try:  # DuckDB refuses a ROLLBACK without a transaction
        eng.conn.execute("ROLLBACK")
    except Exception:  # noqa: BLE001 - no transaction
        return False
    return True


def _left_behind(eng, where) -> list[str]:
    """A refresh, finished or failed, leaves no transaction open and (MariaDB) no named lock held."""
    out = []
    if _open_transaction(eng):
        out.append(f"{where}: the refresh left a transaction open")
    if eng.dialect == "mysql" and eng.execute(f"SELECT IS_USED_LOCK({refresh_mod.LOCK_KEY})")[0][0] is not None:
        out.append(f"{where}: the refresh left its named lock held")
    return out


def _refresh(eng, segs, schema, now, mode, rng):
    """refresh, with a failure of `mode`: raise at a random statement, or a query timeout so low that some
    statement is stopped (if none is, the refresh simply succeeds)."""
    if mode == "raise":  # at the n-th statement, or at the last ones (dropping the temporary tables, COMMIT)
        real, calls, at = refresh_mod.Db.run, [0], rng.randint(1, 6 + 8 * len(segs))
        end = rng.choice((None, None, "DROP", "COMMIT"))

        def run(self, sql):
            calls[0] += 1
            hit = sql.startswith(end) if end else calls[0] == at
            if hit and not sql.startswith(("ROLLBACK", "SELECT RELEASE_LOCK")):
                raise SegqlError("E0604", f"injected failure at statement {at}: {sql[:60]}")
            return real(self, sql)

        refresh_mod.Db.run = run
        try:
            return refresh_mod.refresh(segs, schema, eng, now)
        finally:
            refresh_mod.Db.run = real
    if mode == "timeout":
        eng.set_timeout(rng.choice((0.001, 0.002, 0.005)))
        try:
            return refresh_mod.refresh(segs, schema, eng, now)
        finally:
            eng.set_timeout(None)
    return refresh_mod.refresh(segs, schema, eng, now)
