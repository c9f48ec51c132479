"""Generate the demo data set in examples/data/ (deterministic: the same files every run).

    python examples/make_demo_data.py

Timestamps are spread around DEMO_NOW (2026-11-15 12:00 UTC); the README's examples pin `--now` to it
so their answers do not drift with the calendar. The data has the awkward cases on purpose: missing
values, contacts without deals or events, names with quotes, `%`, `_` and non-ASCII letters.
"""
from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

DEMO_NOW = dt.datetime(2026, 11, 15, 12, 0, 0)
HERE = Path(__file__).resolve().parent


def rows():
    rnd = random.Random(20261115)
    industries = ["Software", "Fintech", "Retail", "Health", None]
    orgs = [(i, f"Org {i}" if i % 7 else f"O'Brien & \"Sons\" {i}", rnd.choice(industries),
             rnd.choice([5, 40, 120, 800, 5000, None])) for i in range(1, 31)]
    first = ["Ana", "Björn", "Chloé", "Dmitri", "Eve", "François", "Günther", "Hana", "Ian", "Jürgen", "李", "Zoë"]
    countries = ["USA", "Canada", "Germany", "France", "USA ", "usa", None]
    states = ["CA", "NY", "TX", "WA", None]
    tiers = ["Gold", "Silver", "Bronze", None]
    contacts = []
    for i in range(1, 201):
        def ts(max_days):
            if rnd.random() < 0.15:
                return None
            return DEMO_NOW - dt.timedelta(days=rnd.uniform(0, max_days))

        def day(max_days):
            if rnd.random() < 0.1:
                return None
            return (DEMO_NOW - dt.timedelta(days=rnd.randint(0, max_days))).date()

        name = rnd.choice(first)
        domain = rnd.choice(["company.com", "gmail.com", "example.org", "100%_real.io"])
        email = None if i % 23 == 0 else f"{name.lower()}.{i}@{domain}"
        orders = rnd.choice([0, 0, 1, 2, 5, 12, None])
        revenue = None if orders is None else round(orders * rnd.uniform(20, 400), 2)
        contacts.append((
            i, email, name, rnd.choice(countries), rnd.choice(states), rnd.choice(["PST", "EST", "CET", None]),
            rnd.choice(["USA", "Canada", "Europe", None]), rnd.choice(["Senior Developer", "Marketing Lead", "CEO",
                                                                       "developer advocate", None]),
            rnd.choice(["Software", "Marketing", None]), rnd.choice(tiers), rnd.choice(["Active", "Paused", None]),
            None if revenue is None else revenue * 1.1, revenue, revenue, rnd.choice([500, 5000, 20000, None]),
            rnd.choice([0, 0, 49.5, 120, None]), orders, rnd.randint(0, 30), rnd.randint(0, 10), rnd.randint(0, 6),
            rnd.randint(0, 40), rnd.randint(0, 8), rnd.randint(0, 3), rnd.choice([10, 150, 1000, None]),
            day(900), day(20000), day(400), ts(400), ts(300), ts(60), ts(10), ts(200),
            rnd.random() < 0.2, rnd.random() < 0.5, rnd.random() < 0.3,
            None if i % 11 == 0 else rnd.randint(1, 30),
        ))
    stages = ["Negotiation", "Won", "Lost", "Prospecting", None]
    deals = []
    for i in range(1, 301):
        deals.append((i, rnd.randint(1, 200) if i % 40 else None, rnd.choice([500, 2500, 10000, 15000, 80000, None]),
                      rnd.choice(stages), DEMO_NOW - dt.timedelta(days=rnd.uniform(0, 500)) if rnd.random() < 0.6 else None))
    names = ["email_opened", "email_clicked", "purchase", "page_view"]
    events = []
    for i in range(1, 3001):
        events.append((i, rnd.choice(names), DEMO_NOW - dt.timedelta(seconds=rnd.randint(0, 400 * 86400)),
                       rnd.randint(1, 200), round(rnd.uniform(5, 500), 2) if rnd.random() < 0.5 else None))
    lists = [("vip_customers", k) for k in range(1, 201, 9)] + [("beta_testers", k) for k in range(3, 201, 17)]
    return {"organizations": orgs, "contacts": contacts, "deals": deals, "events": events, "list_members": lists}


COLUMNS = {
    "organizations": "id INTEGER, name VARCHAR, industry VARCHAR, employees INTEGER",
    "contacts": ("id INTEGER, email VARCHAR, first_name VARCHAR, country VARCHAR, state VARCHAR, timezone VARCHAR, "
                 "location VARCHAR, job_title VARCHAR, product_interest VARCHAR, customer_tier VARCHAR, "
                 "subscription_status VARCHAR, lifetime_value DOUBLE, total_spent DOUBLE, total_revenue DOUBLE, "
                 "budget DOUBLE, cart_value DOUBLE, order_count INTEGER, opens INTEGER, clicks INTEGER, "
                 "purchases INTEGER, email_opens INTEGER, products_viewed INTEGER, cart_items INTEGER, "
                 "company_size INTEGER, signup_date DATE, birthday DATE, last_purchase_date DATE, "
                 "subscribed_at TIMESTAMP, last_purchase TIMESTAMP, last_activity TIMESTAMP, last_visit TIMESTAMP, "
                 "last_open TIMESTAMP, is_vip BOOLEAN, welcome_email_sent BOOLEAN, previous_customer BOOLEAN, "
                 "organization_id INTEGER"),
    "deals": "id INTEGER, contact_id INTEGER, value DOUBLE, stage VARCHAR, closed_at TIMESTAMP",
    "events": "id INTEGER, name VARCHAR, occurred_at TIMESTAMP, contact_id INTEGER, amount DOUBLE",
    "list_members": "list_slug VARCHAR, member_key INTEGER",
}


def main():
    import duckdb

    out = HERE / "data"
    out.mkdir(exist_ok=True)
    con = duckdb.connect()
    for table, data in rows().items():
        con.execute(f"CREATE TABLE {table} ({COLUMNS[table]})")
        marks = ", ".join("?" * len(data[0]))
        con.executemany(f"INSERT INTO {table} VALUES ({marks})", data)
        con.execute(f"COPY (SELECT * FROM {table} ORDER BY 1, 2) TO '{out / (table + '.parquet')}' (FORMAT PARQUET)")
    print(f"wrote {', '.join(COLUMNS)} to {out}")


if __name__ == "__main__":
    main()
