"""Random adversarial cases for the differential suite: a schema, rows full of edge cases (NULLs, empty
strings, trailing spaces, case-folding traps, ±0.0, timestamps exactly at now − N units, month ends,
Feb 29, contacts with no deals or events, instants zoned and epoch around the same edges and New York's
clock changes) and random segments over them, each a tree of
`oracle` nodes (so the same object is both the segql text and the expected members).

Everything is drawn from one `random.Random(seed)`: a failing case is reproduced by its seed.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from adversarial import oracle as o

SCHEMA_YAML = """\
timezone: {tz}
entities:
  contacts:
    table: adv_contacts
    key: id
    properties:
      name: string
      city: string
      score: number
      visits: integer
      signup: date
      seen: timestamp
      vip: boolean
      org_id: integer
      last_at: timestamptz
      ping_s: {{type: instant, unit: seconds}}
      tick_ms: {{type: instant, unit: milliseconds}}
    relationships:
      org: {{entity: orgs, type: one, local: org_id, remote: id}}
      deals: {{entity: deals, type: many, local: id, remote: contact_id}}
      events: {{entity: events, type: many, local: id, remote: contact_id}}
    calculated:
      per_visit: score / visits
      age_days: today - signup
      next_ratio: per_visit + coalesce(org.size, 0)
  orgs:
    table: adv_orgs
    key: id
    properties: {{label: string, size: integer, founded: date}}
  deals:
    table: adv_deals
    key: id
    properties: {{contact_id: integer, amount: number, stage: string, closed: timestamp, qty: integer,
                 paid_at: instant}}
  events:
    table: adv_events
    key: id
    event: {{name: name, time: at}}
    properties: {{contact_id: integer, name: string, at: timestamp, amount: number}}
lists: {{table: adv_list_members, list: list_slug, member: member_key}}
"""
# static lists `source()` defines (SPEC §2.10); rows of adv_list_members under near-miss slugs do not count
LISTS = ("vips", "nobody")
ORG_LISTS = ("partners",)  # a static list of organizations: `org in list partners`

PROPS = {
    "contacts": {"id": "integer", "name": "string", "city": "string", "score": "number", "visits": "integer",
                 "signup": "date", "seen": "timestamp", "vip": "boolean", "org_id": "integer",
                 "last_at": "instant", "ping_s": "instant:seconds", "tick_ms": "instant:milliseconds"},
    "orgs": {"id": "integer", "label": "string", "size": "integer", "founded": "date"},
    "deals": {"id": "integer", "contact_id": "integer", "amount": "number", "stage": "string", "closed": "timestamp",
              "qty": "integer", "paid_at": "instant"},
    "events": {"id": "integer", "contact_id": "integer", "name": "string", "at": "timestamp", "amount": "number"},
    o.LIST_ENTITY: {"id": "integer", "list_slug": "string", "member_key": "integer"},
}
TABLES = {"contacts": "adv_contacts", "orgs": "adv_orgs", "deals": "adv_deals", "events": "adv_events",
          o.LIST_ENTITY: "adv_list_members"}
# Instants (SPEC §5.1): oracle types; the tables keep `instant` natively zoned and `instant:<unit>` as integers.
INSTANTS = {name for props in PROPS.values() for name, typ in props.items() if typ.startswith("instant")}
# Fixed offsets an instant's value is written in (SQLite keeps the offset in its text; the others normalise).
OFFSETS = (timezone(timedelta(hours=-9, minutes=-30)), timezone(timedelta(hours=14)), UTC)
# New York's 2026 clock changes as instants (02:00 EST → 03:00 EDT; 02:00 EDT → 01:00 EST), ±1 ms, and the
# repeated hour twice (01:30 EDT and 01:30 EST both read 01:30 there: docs/language.md "Instants").
DST_INSTANTS = tuple(datetime(2026, m, d, h, mi, tzinfo=UTC) + timedelta(milliseconds=ms)
                     for m, d, h, mi in ((3, 8, 7, 0), (11, 1, 6, 0), (11, 1, 5, 30), (11, 1, 6, 30))
                     for ms in (-1, 0, 1))
RELS = {("contacts", "org"): o.Rel("org", "one", "orgs", "org_id", "id"),
        ("contacts", "deals"): o.Rel("deals", "many", "deals", "id", "contact_id"),
        ("contacts", "events"): o.Rel("events", "many", "events", "id", "contact_id")}

# Schema zones far from UTC, and one with daylight saving time (a naive timestamp is a wall-clock time:
# now − 1 month across a DST change is the same wall-clock time a month earlier). No pinned now falls in
# a DST gap or overlap.
ZONES = ("UTC", "Pacific/Kiritimati", "Asia/Kolkata", "Etc/GMT+11", "America/New_York")
# Pinned clocks on calendar edges: a leap day, month ends, year ends, midnight, a Monday, a Sunday night.
NOWS = (datetime(2028, 2, 29, 12, 0, 0), datetime(2026, 3, 31, 0, 0, 0), datetime(2027, 1, 1, 0, 0, 0),
        datetime(2026, 12, 31, 23, 59, 59), datetime(2026, 11, 16, 0, 0, 0), datetime(2026, 11, 15, 23, 59, 59),
        datetime(2027, 5, 31, 8, 30, 15), datetime(2029, 3, 1, 0, 30, 0), datetime(2028, 3, 31, 18, 0, 0),
        datetime(2026, 6, 30, 23, 59, 59, 999000), datetime(2026, 3, 9, 12, 0, 0), datetime(2026, 11, 2, 1, 30, 0))

STRINGS = ["", " ", "a", "a ", "A", " a", "ab", "Ab", "AB", "abc", "%", "_", "\\", "a%b", "a_b", "a\\b", "100%",
           "İstanbul", "istanbul", "ISTANBUL", "ı", "ß", "ẞ", "SS", "\u212a", "k", "K", "Σίσυφος", "ΣΊΣΥΦΟΣ",
           "σ", "ς", "é", "e\u0301", "É", "😀", "𐐀", "𐐨", "line\nbreak", "tab\there", "Zoë", "李", "ǅ", "ǆ",
           "Won", "won", "Won ", "Lost", "Negotiation", "x.y", "a-b", "'", '"', "!", "a!b", "!%", "[a]", "^$"]
NEEDLES = ["a", "A", "b", "%", "_", "\\", "a%", "%b", "_b", "i", "İ", "ı", "ss", "ß", "ẞ", "k", "\u212a", "σ", "ς",
           "Σ", "é", "É", "e\u0301", "😀", "𐐀", "𐐨", " ", "", "won", "WON", "n ", "\n", "line", "ǆ", "ǅ", "!",
           "a!", "!%", "[a", "$"]
REGEXES = ["a", "^a", "a$", "^a$", "^$", "b$", ".", "^.$", "^..$", "a.b", "[a-c]", "^[A-Z]", "[0-9]", "a*", "^a+$",
           "ab?c", "a{1,2}b", "(a|b)c", "^(ab|x)", "line.break", "k$", "won", "^W.n$", "%", "_", "x\\.y", "é",
           "[^a]", "^[^a-z]+$", "^ *$", "a |b", "s$"]
NUMBERS = [0, 0.0, -0.0, 1, 2, 2.5, -2.5, 3, 0.5, -1, 7, 100, 1000.25, 0.25, 1.5]
INTS = [0, 1, 2, 3, 7, -1, 100]
# halves exact in binary. Not 1.45 or 2.675: the double nearest 1.45 lies below the half, and SPEC §2.8 does
# not say whether the double or the decimal it prints as is rounded (segql rounds |x|·10^d computed in
# double: 1.45 → 1.5 but 2.675 → 2.67, docs/dialects.md `round_half_away`)
HALVES = [25.0, -35.0, 0.125, -0.375, 2.5, -0.5, 0.5, 1.25]
BIG = [1e150, -1e150, 1e-300, 123456789.125, 2.0 ** 53]  # huge (products stay finite: PostgreSQL and MariaDB
# raise on double overflow, docs/dialects.md), tiny, exact in binary
AGES = [0, 1, 2, 3, 7, 30]


@dataclass
class Case:
    seed: int
    tz: str
    now: datetime  # naive, in the schema's zone
    now_arg: str | None  # what segql gets as --now (sometimes with an offset)
    world: o.World
    segments: list = field(default_factory=list)

    @property
    def schema_yaml(self) -> str:
        return SCHEMA_YAML.format(tz=self.tz)

    def source(self) -> str:
        lists = "".join(f"list {slug} on contacts\n" for slug in LISTS)
        lists += "".join(f"list {slug} on orgs\n" for slug in ORG_LISTS)
        return lists + "\n".join(s.text() for s in self.world.segments.values()) + "\n"

    def rows(self, entity: str) -> list[tuple]:
        cols = list(PROPS[entity])
        return [tuple(r.get(c) for c in cols) for r in self.world.entities[entity].rows]


def _now_arg(rng: random.Random, now: datetime, tz: str) -> str:
    """--now: the naive wall-clock time (read in the schema's zone) or the same instant with an offset."""
    instant = now.replace(tzinfo=ZoneInfo(tz))
    pick = rng.random()
    if pick < 0.5:
        return now.isoformat()
    if pick < 0.75:
        return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return instant.astimezone(timezone(timedelta(hours=-9, minutes=-30))).isoformat()


class Gen:
    def __init__(self, rng: random.Random, now: datetime, evergreen: bool = False, tz: str = "UTC"):
        self.r = rng
        self.tz = tz
        self.evergreen = evergreen
        self.now = now
        self.today = now.date()
        self.ts_pool = self._timestamps()
        self.date_pool = self._dates()
        self.instant_pool = self._instants()
        self.lets: list = []  # the current segment's `let` fields
        self.spans: list = []  # (n, unit) between some A and B events in the data (sequence edges)

    # ---- data ------------------------------------------------------------------------------------
    def _timestamps(self) -> list:
        pool = [None, datetime(2024, 2, 29, 0, 0), datetime(2024, 2, 29, 23, 59, 59), datetime(2000, 1, 1),
                datetime(1969, 12, 31, 23, 59, 59, 999000), datetime(1950, 6, 15, 8, 0)]  # before the epoch
        for unit in o.UNITS:
            for n in AGES:
                p = o.shift(self.now, -n, unit)
                pool += [p, p - timedelta(seconds=1), p + timedelta(seconds=1), p - timedelta(milliseconds=1)]
        for which in ("this", "last"):
            for unit in ("week", "month", "quarter", "year"):
                s, e = o.period(self.today, which, unit)
                for d in (s, e):
                    p = o.as_dt(d)
                    pool += [p, p - timedelta(seconds=1)]
        pool += [self.now + timedelta(seconds=1), self.now + timedelta(days=1), o.as_dt(self.today)]
        return pool

    def _instants(self) -> list:
        """The timestamp pool's wall-clock times as instants in the schema's zone (either reading of an
        ambiguous one), written in assorted offsets, plus New York's clock changes and midnight − 1 ms.
        None before 1971: MariaDB's TIMESTAMP starts at 1970-01-01 00:00:01 UTC."""
        zone = ZoneInfo(self.tz)
        walls = [t for t in self.ts_pool if t is not None and t.year > 1970]
        walls.append(o.as_dt(self.today) - timedelta(milliseconds=1))
        pool = [t.replace(tzinfo=zone, fold=self.r.randrange(2)) for t in walls] + list(DST_INSTANTS)
        return [t.astimezone(self.r.choice((zone,) + OFFSETS)) for t in pool]

    def instant(self, typ: str, p_none=0.12):
        """A stored value for a property of oracle type `typ` (aware datetime or epoch integer)."""
        v = self.pick(self.instant_pool, p_none)
        if v is None or typ == "instant":
            return v
        if self.r.random() < 0.05:
            return -1  # before the epoch: 1969-12-31 23:59:59 UTC (or −1 ms)
        return o.to_epoch(v, typ.split(":")[1])

    def _dates(self) -> list:
        pool = [None, date(2024, 2, 29), date(2023, 2, 28), date(2028, 2, 29), date(2025, 12, 31), date(2026, 1, 31),
                date(1969, 12, 31), date(1960, 2, 29), date(1900, 1, 1)]  # birthdays before the epoch
        for unit in ("day", "week", "month", "quarter", "year"):
            for n in AGES:
                p = o.shift(self.today, -n, unit)
                pool += [p, p - timedelta(days=1), p + timedelta(days=1)]
        for which in ("this", "last"):
            for unit in ("week", "month", "quarter", "year"):
                s, e = o.period(self.today, which, unit)
                pool += [s, s - timedelta(days=1), e, e - timedelta(days=1)]
        return pool

    def pick(self, pool, p_none=0.12):
        return None if self.r.random() < p_none else self.r.choice(pool)

    def world(self) -> o.World:
        r = self.r
        n_orgs, n_contacts = r.randint(2, 5), r.randint(12, 24)
        orgs = [{"id": i, "label": self.pick(STRINGS), "size": self.pick(INTS + [50, 500]),
                 "founded": self.pick(self.date_pool)} for i in range(1, n_orgs + 1)]
        contacts, deals, events = [], [], []
        for i in range(1, n_contacts + 1):
            contacts.append({"id": i, "name": self.pick(STRINGS), "city": self.pick(STRINGS),
                             "score": self.pick([float(x) for x in NUMBERS] + [1000.25, -0.0, 0.75] + BIG + HALVES),
                             "visits": self.pick(INTS + [2 ** 53 + 1, -(2 ** 40)]), "signup": self.pick(self.date_pool),
                             "seen": self.pick(self.ts_pool), "vip": self.pick([True, False]),
                             "org_id": self.pick(list(range(1, n_orgs + 2))),  # n_orgs + 1: no such org
                             **{p: self.instant(PROPS["contacts"][p]) for p in ("last_at", "ping_s", "tick_ms")}})
            for _ in range(r.choice([0, 0, 1, 2, 3])):
                deals.append({"id": len(deals) + 1, "contact_id": i, "amount": self.pick([float(x) for x in NUMBERS]),
                              "stage": self.pick(["Won", "Lost", "Won ", "won", "Negotiation", "", "İ", "ß"]),
                              "closed": self.pick(self.ts_pool), "qty": self.pick([0, 1, 2, 3, 7, -1]),
                              "paid_at": self.instant("instant")})
            for _ in range(r.choice([0, 0, 1, 2, 4, 6])):
                events.append({"id": len(events) + 1, "contact_id": i,
                               "name": self.pick(["purchase", "purchase", "open", "Purchase", "purchase "], 0.05),
                               "at": self.pick(self.ts_pool, 0.05), "amount": self.pick([0.0, 5.0, 100.0, 250.5])})
            if r.random() < 0.3:  # a sequence's edges: a tie, and B exactly a span after A (± 1 s)
                t = r.choice([x for x in self.ts_pool if x is not None])
                span = (r.choice((0, 1, 2, 3, 7, 30)), self.unit())
                self.spans.append(span)
                later = o.shift(t, *span) + timedelta(seconds=r.choice((0, 0, 1, -1)))
                for when in (t, t, later):
                    events.append({"id": len(events) + 1, "contact_id": i, "at": when, "amount": 5.0,
                                   "name": r.choice(("purchase", "open", "purchase"))})
        deals.append({"id": len(deals) + 1, "contact_id": None, "amount": 5.0, "stage": "Won", "closed": None})
        ents = {name: o.Entity(name, "id", dict(PROPS[name])) for name in PROPS}
        ents["contacts"].rows, ents["orgs"].rows, ents["deals"].rows, ents["events"].rows = contacts, orgs, deals, events
        ents[o.LIST_ENTITY].rows = self.list_rows(n_contacts, n_orgs)
        return o.World(ents, dict(RELS), self.now, tz=self.tz)

    def list_rows(self, n_contacts: int, n_orgs: int) -> list[dict]:
        """Static list members: some contacts (some twice), a NULL member (a `NOT IN` trap), keys of no
        contact, and rows under near-miss slugs (`VIPS`, `vips `, `Vips`) that are no member of `vips`;
        some organizations (their keys overlap the contacts')."""
        r = self.r
        keys = [k for k in range(1, n_contacts + 1) if r.random() < 0.35]
        rows = [("vips", k) for k in keys] + [("vips", k) for k in keys[:1]] + [("vips", n_contacts + 7)]
        rows += [("partners", k) for k in range(1, n_orgs + 2) if r.random() < 0.4] + [("Partners", 1)]
        if r.random() < 0.6:
            rows.append(("vips", None))
        rows += [(r.choice(("VIPS", "vips ", "Vips", " vips", "nobody ")), r.randint(1, n_contacts)) for _ in range(3)]
        r.shuffle(rows)
        return [{"id": i, "list_slug": slug, "member_key": k} for i, (slug, k) in enumerate(rows, 1)]

    # ---- segments --------------------------------------------------------------------------------
    def num_lit(self):
        v = self.r.choice(NUMBERS)
        if v == 1000.25 and self.r.random() < 0.5:
            return o.Lit(v, raw="$1,000.25")
        return o.Lit(v)

    def str_lit(self):
        return o.Lit(self.r.choice(STRINGS), "string")

    def date_lit(self):
        d = self.r.choice([x for x in self.date_pool if x is not None])
        return o.Lit(d, "date", raw=o.quote(d.isoformat()) if self.r.random() < 0.3 else None)

    def ts_lit(self):
        t = self.r.choice([x for x in self.ts_pool if x is not None])
        if self.r.random() < 0.2:  # an offset: the instant it names, read in the schema's zone (docs/language.md)
            at = t.replace(tzinfo=ZoneInfo(self.tz)).astimezone(self.r.choice(OFFSETS))
            return o.Lit(o.wall_clock(at, "instant", self.tz), "timestamp", raw=o.quote(at.isoformat()))
        return o.Lit(t, "timestamp", raw=o.quote(t.isoformat()) if self.r.random() < 0.3 else None)

    def unit(self, date_only=False):
        if date_only:
            return self.r.choice(("day", "week", "month", "quarter", "year"))
        # evergreen: a window seconds wide could let a record enter and leave while the statement runs
        return self.r.choice(o.UNITS[2:] if self.evergreen else o.UNITS)

    def window(self, date_only=False):
        r = self.r
        k = r.random()
        if k < 0.4:
            return ("last", r.choice(AGES[1:]), self.unit(date_only))
        if k < 0.7:
            return ("between", r.choice(AGES), r.choice(AGES), self.unit(date_only))
        return ("period", r.choice(("this", "last")), r.choice(("week", "month", "quarter", "year")))

    def string_leaf(self, left):
        r = self.r
        k = r.randrange(7)
        if k == 0:
            return o.Cmp(left, r.choice(("=", "!=")), self.str_lit())
        if k == 1:
            return o.In(left, [self.str_lit() for _ in range(r.randint(0, 3))], r.random() < 0.4)
        if k == 2:
            return o.StrOp(left, r.choice(("contains", "starts with", "ends with")), r.choice(NEEDLES), r.random() < 0.3)
        if k == 3:
            return o.Matches(left, r.choice(REGEXES), r.random() < 0.3, r.random() < 0.3)
        if k == 4:
            return o.IsNull(left, r.random() < 0.5, r.choice(("is", "=")))
        if k == 5 and not isinstance(left, o.ToMany):
            return o.IsEmpty(left, r.random() < 0.5)
        if not isinstance(left, o.ToMany):
            return o.Cmp(o.Func("length", [left]), r.choice(("=", ">", "<=")), o.Lit(r.choice((0, 1, 2, 3, 7))))
        return o.Cmp(left, "=", self.str_lit())  # string order is left to collations: not compared

    def number_expr(self, entity):
        r = self.r
        p = o.Prop(*(("score", "number") if entity == "contacts" else ("amount", "number")))
        if entity != "contacts":
            return p
        q = o.Prop("visits", "integer")
        k = r.randrange(8)
        if k == 0:
            return o.Arith("/", p, q)
        if k == 1:
            return o.Arith("/", q, o.Lit(r.choice((2, 3, 0))))
        if k == 2:
            return o.Func("round", [o.Arith("/", p, q) if r.random() < 0.5 else p])
        if k == 3:
            return o.Func("round", [p, o.Lit(1)])
        if k == 4:
            return o.Func("coalesce", [p, o.Lit(0)])
        if k == 5:
            return o.Arith(r.choice(("+", "-", "*", "×")), p, q)
        if k == 6:
            return o.Func("abs", [p])
        return r.choice((p, q))

    def number_leaf(self, left):
        r = self.r
        k = r.randrange(4)
        if k == 0:
            return o.In(left, [self.num_lit() for _ in range(r.randint(1, 3))], r.random() < 0.4)
        if k == 1:
            a, b = sorted([r.choice(NUMBERS), r.choice(NUMBERS)])
            return o.Between(left, o.Lit(a), o.Lit(b), r.random() < 0.3)
        if k == 2 and not isinstance(left, o.ToMany):
            return o.IsNull(left, r.random() < 0.5)
        return o.Cmp(left, r.choice(("=", "!=", "<", "<=", ">", ">=")), self.num_lit())

    def time_leaf(self, left):
        r = self.r
        is_date = left.typ == "date"
        k = r.randrange(9)
        if k == 0:
            return o.Ago(left, r.choice(("<", ">", "<=", ">=") + (("=",) if is_date else ())), r.choice(AGES),
                         self.unit(is_date))
        if k == 1:
            return o.AgoBetween(left, r.choice(AGES), r.choice(AGES), self.unit(is_date), r.random() < 0.3)
        if k == 2:
            return o.InWindow(left, self.window(is_date), r.choice(("in", "within")))
        if k == 3:
            base = r.choice(("today", "now"))
            return o.Cmp(left, r.choice(("<", ">", "<=", ">=", "=")),  # points before and after now
                         o.Clock(base, r.choice((-1, -1, 1)) * r.choice(AGES), self.unit(base == "today" or is_date)))
        if k == 4:
            if r.random() < 0.25:  # a timestamp against a date (00:00 of it; `=`: calendar days) and back,
                # spelled `date "…"` / `timestamp "…"`: a bare string takes the other operand's type (SPEC §2.5)
                other = self.r.choice([x for x in (self.ts_pool if is_date else self.date_pool) if x is not None])
                return o.Cmp(left, r.choice(("<", ">", "=", ">=")), o.Lit(other, "timestamp" if is_date else "date"))
            return o.Cmp(left, r.choice(("<", ">", "=", ">=")), self.date_lit() if is_date else self.ts_lit())
        if k == 5:
            f = r.choice(("year", "month", "day", "day_of_week"))
            return o.Cmp(o.Func(f, [left]), r.choice(("=", "<", ">")), o.Lit(r.choice((1, 2, 3, 7, 12, 28, 29, 2026))))
        if k == 6 and is_date:
            return o.Cmp(o.Arith("-", o.Clock("today"), left), r.choice(("<", ">", "=", ">=")), o.Lit(r.choice(AGES)))
        if k == 7:
            return o.Cmp(left, "=", o.Clock("today"))
        return o.IsNull(left, r.random() < 0.5)

    def deal_cond(self, depth=0):
        r = self.r
        k = r.randrange(5 if depth < 1 else 3)
        if k == 0:
            return self.string_leaf(o.Prop("stage", "string"))
        if k == 1:
            return self.number_leaf(o.Prop("amount", "number"))
        if k == 2:
            return self.time_leaf(o.Prop(r.choice(("closed", "paid_at")), "timestamp"))
        if k == 3:
            return o.Not(self.deal_cond(depth + 1))
        return r.choice((o.And, o.Or))([self.deal_cond(depth + 1), self.deal_cond(depth + 1)])

    def event_cond(self):
        r = self.r
        k = r.random()
        if k < 0.15:  # the event's own time and name (a where beside the window)
            return self.time_leaf(o.Prop("at", "timestamp"))
        if k < 0.25:
            return self.string_leaf(o.Prop("name", "string"))
        if k < 0.3:
            return o.Not(o.Cmp(o.Prop("amount", "number"), ">", o.Lit(5)))
        if r.random() < 0.5:
            return o.Cmp(o.Prop("amount", "number"), r.choice(("<", ">=", "=", "!=")), o.Lit(r.choice((5, 100, 0, 250.5))))
        return o.IsNull(o.Prop("amount", "number"), r.random() < 0.5)

    def leaf(self, earlier: list[str]):
        r = self.r
        k = r.randrange(-4, 21)
        if k <= 1:
            return self.string_leaf(o.Prop(r.choice(("name", "city")), "string"))
        if k == 2 or k == -1:
            return self.number_leaf(self.number_expr("contacts"))
        if k in (3, 4):
            return self.time_leaf(o.Prop(*r.choice((("signup", "date"), ("seen", "timestamp"), ("last_at", "timestamp"),
                                                    ("ping_s", "timestamp"), ("tick_ms", "timestamp")))))
        if k == 5:
            return r.choice((o.BoolProp(o.Prop("vip", "boolean")), o.Cmp(o.Prop("vip", "boolean"), "=", o.Lit(False, "boolean")),
                             o.IsNull(o.Prop("vip", "boolean"))))
        if k == 6:
            return r.choice((lambda: self.string_leaf(o.ToOne("org", "label", "string")),
                             lambda: self.number_leaf(o.ToOne("org", "size", "integer")),
                             lambda: self.time_leaf(o.ToOne("org", "founded", "date")),
                             lambda: o.InSegment(r.choice(("big_orgs", "org_odd")), r.random() < 0.3, "org")))()
        if k in (7, 8):
            return r.choice((lambda: self.string_leaf(o.ToMany("deals", "stage", "string")),
                             lambda: self.number_leaf(o.ToMany("deals", "amount", "number")),
                             lambda: o.IsNull(o.ToMany("deals", r.choice(("stage", "amount")), "x"), r.random() < 0.5)))()
        if k == 9:
            kind = r.choice(("any", "all", "no"))  # a bare `all deals` is not in the language
            return o.Quant(kind, "deals", None if kind != "all" and r.random() < 0.2 else self.deal_cond())
        if k == 10:
            kind = r.choice(("count", "sum", "avg", "min", "max"))
            where = self.deal_cond() if r.random() < 0.4 else None
            if kind in ("min", "max") and r.random() < 0.3:
                return self.time_leaf(o.Agg(kind, "deals", r.choice(("closed", "paid_at")), where, "timestamp"))
            agg = o.Agg(kind, "deals", None if kind == "count" else r.choice(("amount", "qty")), where)
            return o.Cmp(agg, r.choice(("=", "!=", "<", ">", ">=")),
                         o.Lit(r.choice((0, 1, 2, 2.5, 5, 100, 0.3333, 0.6667, 1.3333, 2.3333))))
        if k in (11, 12):
            count = None
            if r.random() < 0.6:
                count = (r.choice(list(o.COUNTS)), r.choice((0, 1, 2, 3)))
            return o.Performed(r.choice(("purchase", "purchase", "open")),
                               self.event_cond() if r.random() < 0.3 else None, count,
                               self.window() if r.random() < 0.7 else None, did_not=count is None and r.random() < 0.3)
        if k == 13 and earlier:
            return o.InSegment(r.choice(earlier), r.random() < 0.4)
        if k >= 17:
            return self.extra_leaf()
        if k == 14:
            if self.lets and r.random() < 0.6:
                return self.number_leaf(r.choice(self.lets))
            return self.mixed_leaf()
        return self.string_leaf(o.Prop("name", "string"))



    def time_operand(self):
        r = self.r
        return r.choice((o.Prop("signup", "date"), o.Prop("seen", "timestamp"), o.Prop("last_at", "timestamp"),
                         o.Prop("ping_s", "timestamp"), o.ToOne("org", "founded", "date"),
                         o.ToMany("deals", "closed", "timestamp"), o.ToMany("deals", "paid_at", "timestamp")))

    def sequence(self):
        """`performed "A" then "B" [within N units] [count] [window]` (SPEC §8)."""
        r = self.r
        names = ("purchase", "purchase", "open", "Purchase")
        span = (r.choice((0, 1, 2, 3, 7, 30)), self.unit()) if r.random() < 0.7 else None
        if span and self.spans and r.random() < 0.6:  # the span of some record's A … B in the data
            span = r.choice(self.spans)
        if span and span[0] == 0 and r.random() < 0.5:
            span = (0, "day")
        did_not = r.random() < 0.25
        count = None if did_not or r.random() < 0.5 else (r.choice(list(o.COUNTS)), r.choice((0, 1, 2)))
        return o.Sequence(r.choice(names), self.event_cond() if r.random() < 0.3 else None, r.choice(names),
                          self.event_cond() if r.random() < 0.3 else None, span, count,
                          self.window() if r.random() < 0.5 else None, did_not)

    def extra_leaf(self):
        """Constructs of SPEC §2 and §8 beyond the leaves above: sequences, static lists, anniversaries and
        the current month, negated windows, `before`/`after`, windows and ages on to-many paths, booleans
        spelled every way, `lower`, quantifiers and counts over events, the schema's calculated fields,
        `null` inside `in (…)`, huge and tiny numbers."""
        r = self.r
        k = r.randrange(13)
        if k == 0:
            return self.sequence()
        if k == 12:  # round half away from zero at 0, 1, 2 and -1 digits, against a rounded half
            digits = r.choice((0, 1, 2, -1))
            want = o.round_half_away(r.choice(HALVES), digits)
            return o.Cmp(o.Func("round", [o.Prop("score", "number"), o.Lit(digits)]), r.choice(("=", "!=", ">=")),
                         o.Lit(want))
        if k == 1:
            if r.random() < 0.3:
                return o.InList(r.choice(ORG_LISTS), r.random() < 0.4, "org")
            return o.InList(r.choice(LISTS), r.random() < 0.4)
        if k == 2:
            left = self.time_operand()
            if isinstance(left, o.ToMany):
                left = o.Prop("seen", "timestamp")
            pick = r.randrange(3)
            if pick == 0:
                return o.Anniversary(left)
            f = r.choice(("month", "year"))
            cur = o.Func("current_month" if f == "month" else "current_year", [])
            arg = left if pick == 1 else o.Clock("today", r.choice((-1, 1)) * r.choice(AGES), r.choice(("day", "month")))
            return o.Cmp(o.Func(f, [arg]), r.choice(("=", "!=", "<")), cur)
        if k == 3:
            left = self.time_operand()
            return o.InWindow(left, self.window(left.typ == "date"), r.choice(("in", "within", "past")),
                              negated=r.random() < 0.6)
        if k == 4:
            left = self.time_operand()
            is_date = left.typ == "date"
            right = r.choice((o.AgoPoint(r.choice(AGES), self.unit(is_date), "date" if is_date else "timestamp"),
                              o.Clock("today", -r.choice(AGES), "day"), self.date_lit() if is_date else self.ts_lit()))
            return o.Before(left, r.random() < 0.5, right)
        if k == 5:
            left = o.ToMany("deals", r.choice(("closed", "paid_at")), "timestamp")
            if r.random() < 0.5:
                return o.Ago(left, r.choice(("<", ">", "<=", ">=")), r.choice(AGES), self.unit())
            return o.AgoBetween(left, r.choice(AGES), r.choice(AGES), self.unit(), r.random() < 0.4)
        if k == 6:
            vip = o.Prop("vip", "boolean")
            return r.choice((o.Cmp(vip, "!=", o.Lit(True, "boolean")), o.Cmp(vip, "!=", o.Lit(False, "boolean")),
                             o.Not(o.BoolProp(vip)), o.Cmp(vip, "=", o.Lit(True, "boolean")),
                             o.IsNull(vip, True, r.choice(("is", "=")))))
        if k == 7:
            low = o.Func("lower", [r.choice((o.Prop("name", "string"), o.ToOne("org", "label", "string")))], "string")
            pick = r.randrange(3)
            if pick == 0:
                return o.Cmp(low, r.choice(("=", "!=")), o.Lit(o.simple_lower(r.choice(STRINGS)), "string"))
            if pick == 1:
                return o.In(low, [o.Lit(o.simple_lower(r.choice(STRINGS)), "string") for _ in range(2)], r.random() < 0.4)
            return o.StrOp(low, r.choice(("contains", "starts with", "ends with")), r.choice(NEEDLES), r.random() < 0.3)
        if k == 8:
            if r.random() < 0.5:
                return o.Quant(r.choice(("any", "all", "no")), "events", self.event_cond())
            return o.Cmp(o.Agg("count", "events", None, self.event_cond()), r.choice(("=", ">", "<")),
                         o.Lit(r.choice((0, 1, 2))))
        if k == 9:
            calc = r.choice((o.LetRef("per_visit", o.Arith("/", o.Prop("score", "number"), o.Prop("visits", "integer"))),
                             o.LetRef("age_days", o.Arith("-", o.Clock("today"), o.Prop("signup", "date")), "integer"),
                             o.LetRef("next_ratio", o.Arith("+", o.Arith("/", o.Prop("score", "number"),
                                                                         o.Prop("visits", "integer")),
                                                          o.Func("coalesce", [o.ToOne("org", "size", "integer"),
                                                                              o.Lit(0)])))))
            if calc.name == "age_days":
                return o.Cmp(calc, r.choice(("=", "<", ">=")), o.Lit(r.choice((0, 1, 29, 30, 31, 365, 366))))
            return self.number_leaf(calc)
        if k == 10:
            left = r.choice((o.Prop("city", "string"), o.ToOne("org", "label", "string"), o.ToMany("deals", "stage", "string")))
            vals = [self.str_lit() for _ in range(r.randint(0, 2))] + [o.Lit(None, "null")]
            r.shuffle(vals)
            return o.In(left, vals, r.random() < 0.4)
        left = r.choice((o.Prop("score", "number"), o.Arith("*", o.Prop("score", "number"), o.Prop("visits", "integer")),
                         o.Arith("/", o.Prop("visits", "integer"), o.Lit(3)), o.Prop("visits", "integer")))
        return o.Cmp(left, r.choice(("=", "<", ">", "!=")), o.Lit(r.choice((0, 1, 2.0 ** 53, 9007199254740993,
                                                                             3002399751580331.0, 0.5))))

    def mixed_leaf(self):
        """Operands of different kinds or records: a date against a timestamp, a related record's value
        against the contact's own, arithmetic on aggregates (dividing by a count of nothing)."""
        r = self.r
        k = r.randrange(8)
        signup, seen = o.Prop("signup", "date"), o.Prop("seen", "timestamp")
        if k == 0:
            a, b = (signup, seen) if r.random() < 0.5 else (seen, signup)
            return o.Cmp(a, r.choice(("=", "<", ">=", "!=")), b)
        if k == 1:  # each deal against the contact's own value, aggregate or organization (docs/language.md)
            right = r.choice((o.Prop("score", "number"), o.Agg(r.choice(("avg", "max", "min")), "deals", "amount", None),
                              o.Agg("sum", "deals", "qty", self.deal_cond() if r.random() < 0.3 else None),
                              o.ToOne("org", "size", "integer")))
            return o.Cmp(o.ToMany("deals", r.choice(("amount", "qty")), "number"), r.choice(("=", "<", ">", "!=")), right)
        if k == 2:
            return o.Cmp(o.ToMany("deals", "closed", "timestamp"), r.choice(("<", ">=")), seen)
        if k == 3:
            ratio = o.Arith("/", o.Agg("sum", "deals", "amount", None), o.Agg("count", "deals", None, None))
            return o.Cmp(ratio, r.choice(("<", ">=", "=")), o.Lit(r.choice((0, 1, 2.5))))
        if k == 6:  # an instant against a naive timestamp, a date or another instant's wall clock
            inst = o.Prop(r.choice(("last_at", "ping_s", "tick_ms")), "timestamp")
            return o.Cmp(inst, r.choice(("=", "<", ">=", "!=")), r.choice((seen, signup, o.Prop("tick_ms", "timestamp"))))
        if k == 7:
            return o.Cmp(o.ToMany("deals", "paid_at", "timestamp"), r.choice(("<", ">=", "=")),
                         o.Prop(r.choice(("ping_s", "last_at", "seen")), "timestamp"))
        if k == 5 and r.random() < 0.6:  # strings against strings: code points, trailing spaces and case
            name, other = o.Prop("name", "string"), r.choice((o.Prop("city", "string"), o.ToOne("org", "label", "string")))
            pick = r.randrange(4)
            if pick == 0:
                return o.Cmp(name, r.choice(("=", "!=")), other)
            if pick == 1:
                return o.In(name, [other, self.str_lit()], r.random() < 0.4)
            if pick == 2:
                return o.Cmp(o.ToMany("deals", "stage", "string"), r.choice(("=", "!=")), other)
            return o.Cmp(o.Func("lower", [name], "string"), "=", o.Func("lower", [other], "string"))
        if k == 4:
            return o.Cmp(o.Func("coalesce", [o.ToOne("org", "size", "integer"), o.Prop("visits", "integer")]),
                         r.choice(("=", ">", "<")), o.Lit(r.choice(INTS)))
        return o.Cmp(o.Arith("-", o.Clock("today"), o.ToOne("org", "founded", "date")), r.choice(("<", ">=")),
                     o.Lit(r.choice((0, 1, 30, 365))))

    def cond(self, depth: int, earlier: list[str], max_depth: int = 3):
        r = self.r
        if depth >= max_depth or r.random() < 0.55:
            return self.leaf(earlier)
        k = r.random()
        if k < 0.2:
            return o.Not(self.cond(depth + 1, earlier, max_depth))
        return (o.And if k < 0.6 else o.Or)([self.cond(depth + 1, earlier, max_depth) for _ in range(r.randint(2, 3))])


def respell(node, rng: random.Random, seen=None) -> None:
    """Property and relationship names in other cases (`SCORE`, `Org.Label`): they resolve
    case-insensitively when unambiguous (SPEC §2.9), as the generator's schema always is."""
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, (o.Prop, o.ToOne, o.ToMany)):
        plain = node.name if isinstance(node, o.Prop) else f"{node.rel}.{node.name}"
        node.spelled = rng.choice((plain.upper(), plain.title(),
                                   "".join(c.upper() if rng.random() < 0.5 else c for c in plain)))
    if isinstance(node, (list, tuple)):
        for x in node:
            respell(x, rng, seen)
    elif is_dataclass(node):
        for f in fields(node):
            respell(getattr(node, f.name), rng, seen)


def make_case(seed: int, n_segments: int = 30, max_depth: int = 3, evergreen: bool = False) -> Case:
    """Case `seed`: its data, clock, zone and `n_segments` segments (`max_depth` 0: single conditions, which
    keeps Spark's plans small). `evergreen`: no --now; the data's edges are placed around the real clock,
    so the SQL's own `today`/`now` (in the schema's zone, whatever the session's) is what is tested."""
    rng = random.Random(seed)
    tz = rng.choice(ZONES)
    now = rng.choice(NOWS)
    if evergreen:
        now = datetime.now(ZoneInfo(tz)).replace(tzinfo=None, microsecond=0)
    gen = Gen(rng, now, evergreen, tz)
    world = gen.world()
    world.segments["big_orgs"] = o.Segment("big_orgs", "orgs", o.Cmp(o.Prop("size", "integer"), ">", o.Lit(50)))
    # an org segment true on an all-NULL row (`label is null`, negations): a contact without an org is
    # never `org in segment` it, whatever the condition says about missing values
    org_leaf = rng.choice((lambda: gen.string_leaf(o.Prop("label", "string")),
                           lambda: gen.number_leaf(o.Prop("size", "integer")),
                           lambda: gen.time_leaf(o.Prop("founded", "date"))))
    world.segments["org_odd"] = o.Segment("org_odd", "orgs", rng.choice(
        (o.Not(org_leaf()), o.Or([o.IsNull(o.Prop("label", "string")), org_leaf()]), org_leaf())))
    slugs = []
    for i in range(n_segments):
        gen.lets = []
        if rng.random() < 0.2:  # segment-local calculated fields, the second built on the first
            first = o.LetRef("ratio", o.Arith("/", o.Agg("sum", "deals", "amount", None), o.Prop("visits", "integer")))
            gen.lets = [first, o.LetRef("bumped", o.Func("coalesce", [o.Arith("+", first, o.Lit(1)), o.Lit(0)])),
                        o.LetRef("age", o.Arith("-", o.Clock("today"), o.Prop("signup", "date")), "integer")]
        cond = gen.cond(0, slugs[-5:], max_depth)
        if rng.random() < 0.15:
            respell(cond, rng)
        seg = o.Segment(f"s{i}", "contacts", cond, list(gen.lets))
        world.segments[seg.slug] = seg
        slugs.append(seg.slug)
    return Case(seed, tz, now, None if evergreen else _now_arg(rng, now, tz), world, slugs)


def case_from(segments: dict, *, contacts=(), orgs=(), deals=(), events=(), lists=(),
              now=datetime(2026, 3, 31, 12, 0), tz: str = "UTC", now_arg: str | None = "") -> Case:
    """A hand-written (minimised) case: rows as dicts (missing columns are NULL), segments as oracle
    conditions on contacts. `now_arg` "" means the naive `now`; None means evergreen."""
    ents = {name: o.Entity(name, "id", dict(PROPS[name])) for name in PROPS}
    for name, rows in (("contacts", contacts), ("orgs", orgs), ("deals", deals), ("events", events),
                       (o.LIST_ENTITY, lists)):
        ents[name].rows = [dict(r) for r in rows]
    world = o.World(ents, dict(RELS), now, tz=tz)
    for slug, cond in segments.items():
        world.segments[slug] = o.Segment(slug, "contacts", cond)
    return Case(-1, tz, now, now.isoformat() if now_arg == "" else now_arg, world, list(segments))
