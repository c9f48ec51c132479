"""The conformance data set: one deterministic (seeded) set of rows covering the hard cases of SPEC §2, loaded
into every verified engine by tests/test_conformance.py.

Relative to the pinned `NOW` (2024-03-31 10:30 UTC — a Sunday, the last day of a month, a quarter and a
leap February's following month, so `now − 1 month` = Feb 29) it holds timestamps exactly on window edges
and one second either side (now − 30 days, − 7 days, − 24/48 hours, − 2 hours, − 1 month, − 3 months,
Monday 00:00 of this and last week, month/quarter/year starts …), dates on calendar edges (Feb 29, month
ends, Monday/Sunday, today − 30/31/29 …), NULLs in every column, contacts without deals, events or an
organization (and with a dangling organization id), strings with `' " \\ % _ !`, Unicode (é ß İ Σ emoji,
combining marks), case differences, leading/trailing spaces and the empty string, and zero divisors.

`LIVE` rows (ids from 900) are placed relative to the *real* clock when the data is built, each at least
three hours from every rolling-window edge of tests/conformance/evergreen.segql and close enough (± 3–5
hours) that SQL which followed the session's time zone (set to non-UTC by conftest_engines) would move
them across an edge. (Calendar windows — `this month`, `today` — move only at midnight UTC: a run that
straddles midnight may see the engines disagree on them.)
"""
from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

D, T, TD = dt.date, dt.datetime, dt.timedelta

NOW = T(2024, 3, 31, 10, 30, 0)          # naive wall clock in the schema's zone (UTC)
NOW_ISO = "2024-03-31T10:30:00Z"
TODAY = NOW.date()
S = TD(seconds=1)
MS = TD(milliseconds=1)
SEED = 20240331


def _around(t):
    return [t - S, t, t + S]


TIMESTAMPS = sorted(set(
    _around(NOW) + _around(NOW - TD(days=30)) + _around(NOW - TD(days=7)) + _around(NOW - TD(hours=24))
    + _around(NOW - TD(hours=48)) + _around(NOW - TD(hours=2)) + _around(NOW - TD(days=60))
    + _around(NOW - TD(days=90)) + _around(NOW - TD(days=180)) + _around(NOW - TD(days=10))
    + _around(NOW - TD(days=3))
    + _around(T(2024, 2, 29, 10, 30))        # now - 1 month (clamped from Feb 31)
    + _around(T(2023, 12, 31, 10, 30))       # now - 3 months
    + _around(T(2023, 3, 31, 10, 30))        # now - 1 year
    + _around(T(2024, 3, 25))                # Monday 00:00 of this week
    + _around(T(2024, 3, 18))                # Monday 00:00 of last week
    + _around(T(2024, 3, 24))                # today - 1 week, at 00:00
    + _around(T(2024, 3, 31))                # today 00:00
    + _around(T(2024, 3, 1))                 # this month
    + _around(T(2024, 1, 1))                 # this quarter / year
    + _around(T(2023, 10, 1))                # last quarter
    + _around(T(2026, 1, 1)) + _around(T(2026, 6, 1, 10))   # literals used by the corpus
    + [NOW - TD(days=30) + MS, NOW - TD(days=30) - MS, T(2024, 2, 29, 23, 59, 59, 999000),
       T(1999, 12, 31, 23, 59, 59), T(2029, 12, 31, 12), T(2024, 3, 29, 12), T(2024, 3, 20, 8),
       T(2024, 2, 15, 9), T(2023, 11, 30, 18)]))

DATES = sorted(set(
    [TODAY - TD(days=n) for n in (0, 1, 2, 6, 7, 8, 29, 30, 31, 59, 60, 61, 89, 90, 91, 364, 365, 366, 399,
                                  400, 401)]
    + [D(2024, 2, 29), D(2024, 2, 28), D(2024, 3, 1), D(2020, 2, 29), D(2023, 3, 31), D(2000, 3, 31),
       D(2024, 3, 25), D(2024, 3, 24), D(2024, 3, 18), D(2024, 3, 17), D(2024, 1, 1), D(2023, 12, 31),
       D(2023, 10, 1), D(2023, 9, 30), D(2023, 11, 15), D(2025, 12, 31), D(2026, 1, 1), D(2025, 6, 7),
       D(2025, 6, 8), D(1960, 12, 31), D(2024, 4, 1), D(1988, 3, 12), D(1975, 11, 30)]))

STRINGS = {
    "email": ["a.1@x.org", "john.smith@Company.COM", "x@company.com", "X@COMPANY.COM ", "o'brien\"s@x.com",
              "100%_real@x.com", "100x_real@x.com", "100%xreal", "me@gmail.com", "GMAIL@x", "back\\slash@x.com",
              "ÉCOLE@x.org", "école@x.org", "user@example.ORG", "user@example.org ", "🎉@party.org",
              "b.22@y.org", "", " "],
    "first_name": ["Zoë", "zoë", "ZOË", "李", "Émile", "émile", "Bob", "bob ", "Ann", "Σίσυφος", "ΟΔΟΣ", "οδος",
                   "İsmail", "ismail", "straße", "STRASSE", "🎉Joy", "Al", "O'Neil", "a\\b", "50%", "x_y",
                   "Zoe\u0301", "", "É"],
    "country": ["USA", "usa", "USA ", " USA", "Usa", "Canada", "France", "france", "", "Ümit", "ß", "Ss"],
    "state": ["CA", "ca", "NY", "TX", "CA ", "", "tx"],
    "timezone": ["PST", "pst", "EST", "PST "],
    "location": ["USA", "Canada", "usa", "", "canada "],
    "job_title": ["Senior Developer", "senior dev", "SENIOR", "CEO", "ceo", "CEO & founder", "Chief",
                  "Marketing Lead", "developer", "Developer ", "DEVELOPER", "Sr. Developer", "C:\\path", "back\\",
                  "İstanbul dev", "100%", "a_b", "Sale!_50%", "50!%", "Web developer\n", "", "Σ developer"],
    "product_interest": ["Software", "Marketing", "software", "Marketing "],
    "customer_tier": ["Gold", "Silver", "gold", "Bronze", "Gold ", ""],
    "subscription_status": ["Active", "active", "Cancelled"],
}
NUMBERS = {
    "lifetime_value": [100.5, 100.49, 0.0, -5.0, 1000.0, 1000.01, 500.0, 500.5, 99.5, 12345.678, 2.5, -2.5],
    "total_spent": [0.0, 99.5, 73.5, 70.0, 500.0, 500.01, 69.65, -7.35, 1000.0],
    "total_revenue": [0.0, 160.0, 40.0, 100.0, 5000.0, 150.0, 99.99, -10.0],
    "budget": [0.0, 5000.0, 4999.99, 10000.0, 10000.01, 100.0, 99.0],
    "cart_value": [0.0, 99.5, 99.49, 40.0, 160.0, 100.0, 160.01, 39.99, 250.0],
}
INTEGERS = {
    "order_count": [0, 1, 2, 3], "opens": [0, 1, 2, 3, 5, 6, 10, 11, -1], "clicks": [0, 1, 2, 3, 5],
    "purchases": [0, 1, 2, 4], "email_opens": [0, 5, 6, 12], "products_viewed": [0, 3, 4, 10],
    "cart_items": [0, 1, 2], "company_size": [0, 100, 101, 5000],
}
BOOLEANS = ("is_vip", "welcome_email_sent", "previous_customer")
DATE_PROPS = ("signup_date", "birthday", "last_purchase_date")
TS_PROPS = ("subscribed_at", "last_purchase", "last_activity", "last_visit", "last_open")

EVENT_NAMES = ["purchase", "purchase", "email_opened", "email_opened", "email_clicked", "page_view", "Purchase",
               "purchase ", "PURCHASE"]
STAGES = ["Won", "won", "Won ", "Negotiation", "negotiation", "Lost", "", "Negotiation"]


def contacts_and_more(rng: random.Random):
    contacts, deals, events, members = [], [], [], []

    def pick(pool, p_null=0.15):
        return None if rng.random() < p_null else rng.choice(pool)

    for cid in range(1, 181):
        c = {"id": cid}
        for prop, pool in STRINGS.items():
            c[prop] = pick(pool)
        for prop, pool in NUMBERS.items():
            c[prop] = pick(pool)
        for prop, pool in INTEGERS.items():
            c[prop] = pick(pool)
        for prop in BOOLEANS:
            c[prop] = pick([True, False], 0.2)
        for prop in DATE_PROPS:
            c[prop] = pick(DATES)
        for prop in TS_PROPS:
            c[prop] = pick(TIMESTAMPS)
        c["organization_id"] = pick([1, 2, 3, 4, 5, 6, 7, 8, 999], 0.2)
        contacts.append(c)
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3, 4])):
            deals.append({"contact_id": cid, "value": pick([10000.0, 9999.99, 10000.01, 999.99, 1000.0, 0.0,
                                                             25000.0, 5000.0, 5000.01, 20000.0]),
                          "stage": pick(STAGES), "closed_at": pick(TIMESTAMPS)})
        for _ in range(rng.choice([0, 0, 1, 2, 3, 5, 8])):
            events.append({"contact_id": cid, "name": pick(EVENT_NAMES, 0.05),
                           "amount": pick([100.0, 100.01, 99.99, 0.0, 250.0, 1000.0]),
                           "occurred_at": pick(TIMESTAMPS, 0.05)})
    # a contact with nothing at all, and one with everything NULL but zero divisors
    contacts.append({"id": 181})
    contacts.append({"id": 182, "order_count": 0, "cart_items": 0, "total_revenue": 10.0, "total_spent": 10.0})
    # orphans: related rows that belong to no contact, or to a NULL key
    deals += [{"contact_id": None, "value": 50000.0, "stage": "Won", "closed_at": NOW - S},
              {"contact_id": 99999, "value": 50000.0, "stage": "Negotiation", "closed_at": NOW}]
    events += [{"contact_id": None, "name": "purchase", "amount": 500.0, "occurred_at": NOW - S},
               {"contact_id": 99999, "name": "purchase", "amount": 500.0, "occurred_at": NOW - S}]
    # sequences (SPEC §8): a purchase exactly 14 days after a trial, one second too late, before it, at the
    # same instant, the same row as both, two trials at one instant, a clamped month, window edges
    start = NOW - TD(days=40)
    for cid, rows in {
        183: [("trial_started", start), ("purchase", start + TD(days=14))],
        184: [("trial_started", start), ("purchase", start + TD(days=14) + S)],
        185: [("purchase", start - S), ("trial_started", start)],
        186: [("trial_started", start), ("purchase", start)],
        187: [("trial_started", start)],
        188: [("trial_started", start), ("trial_started", start), ("purchase", start + TD(days=2))],
        189: [("trial_started", T(2024, 1, 31, 10)), ("purchase", T(2024, 2, 29, 10)),
              ("purchase", T(2024, 3, 1, 10))],
        190: [("trial_started", NOW - TD(days=90) - S), ("purchase", NOW - TD(days=89))],
        191: [("trial_started", NOW - TD(days=90)), ("purchase", NOW - TD(days=90)), ("purchase", None),
              ("trial_started", None)],
    }.items():
        contacts.append({"id": cid})
        for name, at in rows:
            events.append({"contact_id": cid, "name": name, "amount": 100.0, "occurred_at": at})
    events.append({"contact_id": None, "name": "purchase", "amount": 1.0, "occurred_at": start + TD(days=1)})
    for i, d in enumerate(deals, 1):
        d["id"] = i
    for i, e in enumerate(events, 1):
        e["id"] = i
    for cid in rng.sample(range(1, 183), 40):
        members.append({"list_slug": rng.choice(["vip_customers", "beta_testers", "VIP_customers",
                                                  "vip_customers ", "churned"]), "member_key": cid})
    members += [{"list_slug": "vip_customers", "member_key": None}, {"list_slug": None, "member_key": 5},
                {"list_slug": "vip_customers", "member_key": 99999}]
    return contacts, deals, events, members


ORGANIZATIONS = [
    {"id": 1, "name": "Acme", "industry": "Software", "employees": 100},
    {"id": 2, "name": "Bolt", "industry": "software", "employees": 101},
    {"id": 3, "name": "Coin", "industry": "Fintech", "employees": 5000},
    {"id": 4, "name": "Dune", "industry": "Software ", "employees": None},
    {"id": 5, "name": None, "industry": None, "employees": 0},
    {"id": 6, "name": "Edge", "industry": "Retail", "employees": 250},
    {"id": 7, "name": "Ƒjord", "industry": "", "employees": 101},
    {"id": 8, "name": "Gale", "industry": "Software", "employees": 7},
]


def live_rows(live_now: dt.datetime) -> tuple[list, list]:
    """Contacts 900.. and their events, relative to the real clock (for evergreen SQL): each value is ≥ 3 h
    from every rolling edge of evergreen.segql, and within 3–5 h of one of them."""
    h = TD(hours=1)
    ago = [
        1 * h,            # inside 2 hours, 24 hours, 7 days …
        5 * h,            # outside 2 hours (a +3 h session shift would move it in)
        20 * h, 28 * h,   # either side of 24 hours
        44 * h, 52 * h,   # either side of 48 hours
        TD(days=7) - 4 * h, TD(days=7) + 4 * h,
        TD(days=30) - 5 * h, TD(days=30) + 5 * h,
        TD(days=90) - 4 * h, TD(days=90) + 4 * h,
        TD(days=45), TD(days=200),
        -5 * h,           # in the future
    ]
    today = live_now.date()
    day_offsets = [0, 1, 6, 8, 29, 31, 59, 61, 100, -3]
    contacts, events = [], []
    for i, a in enumerate(ago):
        cid = 900 + i
        ts = (live_now - a).replace(microsecond=0)
        contacts.append({
            "id": cid, "email": f"live{i}@x.org", "country": "USA" if i % 2 else "usa",
            "last_activity": ts, "last_purchase": ts, "last_visit": ts, "last_open": ts, "subscribed_at": ts,
            "signup_date": today - TD(days=day_offsets[i % len(day_offsets)]),
            "last_purchase_date": today - TD(days=day_offsets[(i + 3) % len(day_offsets)]),
            "birthday": D(1990, ((i % 12) + 1), 15), "opens": i % 4, "lifetime_value": 600.0 + i,
            "subscription_status": "Active", "previous_customer": bool(i % 2), "welcome_email_sent": i % 3 == 0,
        })
        for j, b in enumerate(ago[i % 5::3]):
            events.append({"contact_id": cid, "name": "purchase" if j % 2 == 0 else "email_opened",
                           "amount": 150.0, "occurred_at": (live_now - b).replace(microsecond=0)})
    return contacts, events


def build(live_now: dt.datetime | None = None) -> dict[str, list[dict]]:
    """{entity: records keyed by property name}, plus "lists": list-member rows."""
    rng = random.Random(SEED)
    contacts, deals, events, members = contacts_and_more(rng)
    if live_now is not None:
        lc, le = live_rows(live_now)
        contacts += lc
        base = len(events)
        for i, e in enumerate(le, 1):
            e["id"] = base + i
        events += le
    return {"contacts": contacts, "organizations": [dict(o) for o in ORGANIZATIONS], "deals": deals,
            "events": events, "lists": members}


def tables(schema, data: dict) -> list[tuple[str, dict, list]]:
    """(table, {column: segql type}, rows) for every entity and the lists table of `schema`."""
    out = []
    for name, ent in schema.entities.items():
        props = list(ent.properties.values())
        rows = [tuple(r.get(p.name) for p in props) for r in data[name]]
        out.append((ent.table, {p.column: p.type for p in props}, rows))
    lt = schema.lists
    out.append((lt.table, {lt.list_column: "string", lt.member_column: "integer"},
                [(m["list_slug"], m["member_key"]) for m in data["lists"]]))
    return out


def load(url: str, live_now: dt.datetime) -> None:
    """Create and fill the conformance tables at `url` (the CLI tests run this in a subprocess)."""
    import segql
    from segql.engines import connect

    schema = segql.load_schema(Path(__file__).parent / "schema.yml")
    with connect(url) as eng:
        for table, cols, rows in tables(schema, build(live_now)):
            eng.create_table(table, cols, rows)


if __name__ == "__main__":  # python tests/conformance/data.py URL LIVE_NOW
    load(sys.argv[1], dt.datetime.fromisoformat(sys.argv[2]))


# ============================================================================================ instants
INSTANT_ZONES = ("UTC", "America/New_York")  # the schema zones tests/test_conformance.py reads instants in
_UTC = dt.UTC


def _wall_edges(zone: str) -> list[dt.datetime]:
    """The window and calendar edges of tests/conformance/instants.segql at the pinned NOW, as wall-clock
    times in `zone` (naive)."""
    from zoneinfo import ZoneInfo

    now = NOW.replace(tzinfo=_UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    today = T(now.year, now.month, now.day)
    monday = today - TD(days=today.weekday())
    month = today.replace(day=1)
    last_month = (month - TD(days=1)).replace(day=1)
    return [now, now - TD(days=30), now - TD(days=7), now - TD(hours=24), now - TD(hours=2), now - TD(days=2),
            now.replace(month=now.month - 1, day=min(now.day, 29)), today, today + TD(days=1), monday,
            monday - TD(days=7), month, last_month, today.replace(month=1, day=1), T(now.year - 1, 3, 31, 12)]


def instant_points() -> list[dt.datetime]:
    """Aware UTC instants: every edge of every INSTANT_ZONES zone and 1 s / 1 ms either side, and New York's
    daylight-saving changes (the repeated hour of 2023-11-05, the skipped one of 2024-03-10)."""
    from zoneinfo import ZoneInfo

    out = set()
    for zone in INSTANT_ZONES:
        for wall in _wall_edges(zone):
            at = wall.replace(tzinfo=ZoneInfo(zone)).astimezone(_UTC)
            out.update([at - S, at - MS, at, at + MS, at + S])
    ny = ZoneInfo("America/New_York")
    for wall, fold in ((T(2023, 11, 5, 1, 30), 0), (T(2023, 11, 5, 1, 30), 1), (T(2023, 11, 5, 0, 59, 59), 0),
                       (T(2024, 3, 10, 1, 59, 59, 999000), 0), (T(2024, 3, 10, 3), 0)):
        out.add(wall.replace(tzinfo=ny, fold=fold).astimezone(_UTC))
    return sorted(out)


def instant_rows(live_now: dt.datetime) -> dict[str, list[dict]]:
    """Visitors (one instant each, stored four ways: aware datetime and epoch s / ms / µs) and their hits
    (epoch ms). Visitors from 900 sit relative to `live_now` (naive UTC), as `live_rows` do."""
    points = instant_points()
    live = [(live_now - a).replace(tzinfo=_UTC) for a in (
        TD(hours=1), TD(hours=5), TD(hours=20), TD(hours=28), TD(days=7) - TD(hours=4), TD(days=7) + TD(hours=4),
        TD(days=30) - TD(hours=5), TD(days=30) + TD(hours=5), TD(days=90) - TD(hours=4), TD(days=90) + TD(hours=4),
        TD(hours=-5))]
    epoch = T(1970, 1, 1, tzinfo=_UTC)

    def micros(at):
        return (at - epoch) // TD(microseconds=1)

    visitors, hits = [], []
    for cid, at in [*enumerate(points, 1), *enumerate(live, 900)]:
        us = micros(at)
        visitors.append({"id": cid, "seen_at": at, "seen_s": us // 1_000_000, "seen_ms": us // 1000, "seen_us": us})
    visitors.append({"id": len(points) + 1})  # no instant at all
    stamps = [*points, *live]
    for i, v in enumerate(visitors[::2]):  # half of them have hits (the reference BigQuery is slow on many)
        for j, name in ((2 * i, "hit"), (2 * i + 5, "hit"), (2 * i + 11, "other")):
            at = stamps[j % len(stamps)]
            hits.append({"id": len(hits) + 1, "visitor_id": v["id"], "name": name, "at": micros(at) // 1000})
    return {"visitors": visitors, "hits": hits}
