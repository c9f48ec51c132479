"""A stateful, model-based test of the store, the SDK and the HTTP API (SPEC §6): hypothesis drives random
sequences of creates, updates (renames, new conditions, other entities, If-Match), deletes, refreshes,
live counts, static members, history, listing with filters and cursors, and API keys of two
organizations with different scopes (created, revoked, rotated), through FastAPI's TestClient. A plain
Python model says what SPEC §6 makes the store hold (members computed from the rows in Python, with
`in segment` references resolved among the model's segments); after every step the store equals the
model, and every answer is checked as it arrives:

- a key never reads or changes another organization's segment, not even its existence: 404 E0801 with
  the body a missing segment gets, hints naming only the key's own segments;
- a key without the scope is 403 E0903, no or a bad/revoked key 401 (E0901/E0902), before anything else;
- every error is a 4xx with `{"error": {"code", "message", "diagnostics": [...]}}`, never a 500;
- listing and members pages never skip or repeat and follow the documented order;
- `version` starts at 1 and grows by one per update; a stale `If-Match` is 412 and changes nothing;
- API keys are never stored (nor listed) in plaintext.

Stores: SQLite always; PostgreSQL with SEGQL_TEST_POSTGRES_URL (its own schema). Warehouses: the embedded
DuckDB (membership in the store), and a SQLite, PostgreSQL or MariaDB (SEGQL_TEST_MYSQL_URL) warehouse
(membership there). A second, smaller machine drives the SDK itself (hooks, refresh times, unrefreshed
segments). By default a few short derandomized runs (~6 s in all); a long run, reporting the first failure unshrunk:

    SEGQL_STATEFUL_EXAMPLES=150 SEGQL_STATEFUL_STEPS=50 SEGQL_STATEFUL_SHRINK=0 SEGQL_STATEFUL_RANDOM=1 \
        pytest -s tests/test_store_stateful.py

(-s prints how many requests answered which status, per endpoint.)
"""
from __future__ import annotations

import collections
import os
import random

import pytest

pytest.importorskip("fastapi", reason="the service extra is not installed: pip install 'segql[service]'")
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import segql
from segql.engines import connect
from segql.ops.service.app import create_app
from segql.ops.store.keys import KeyStore
from segql.ops.store.sdk import NAME_MAX, default_slug
from segql.ops.store.sdk import utc_stamp as segql_utc_stamp
from segql.schema import did_you_mean

EXAMPLES = int(os.environ.get("SEGQL_STATEFUL_EXAMPLES", "5"))
STEPS = int(os.environ.get("SEGQL_STATEFUL_STEPS", "20"))
OUTCOMES: collections.Counter = collections.Counter()  # (method, path, status) → requests: printed with -s
SHRINK = os.environ.get("SEGQL_STATEFUL_SHRINK", "1") != "0"  # 0: report the first failure as found (fast)
RANDOM = os.environ.get("SEGQL_STATEFUL_RANDOM") == "1"  # 1: other sequences each run (CI: always the same)

ORGS = ("org_acme", "org_globex")
READ, WRITE = "read:segments", "write:segments"
PLANS, STATUSES, COUNTRIES = ("trial", "pro", "free"), ("Active", "Churned"), ("US", "DE", "FR", None)

SCHEMA = """\
timezone: UTC
entities:
  contacts:
    table: contacts
    source: contacts.csv
    aliases: [Contact]
    key: id
    properties: {plan: string, status: string, country: string, lifetime_value: number}
    relationships:
      deals: {entity: deals, type: many, local: id, remote: contact_id}
  deals:
    table: deals
    source: deals.csv
    aliases: [Deal]
    key: id
    properties: {contact_id: integer, value: number, stage: string}
"""


def make_data(n=30, seed=7):
    rng = random.Random(seed)
    contacts = [(i, rng.choice(PLANS), rng.choice(STATUSES), rng.choice(COUNTRIES), rng.randint(0, 500))
                for i in range(1, n + 1)]
    deals = [(i, rng.randint(1, n), rng.choice([500, 5000, 20000]), rng.choice(["Won", "Negotiation"]))
             for i in range(1, n + 1)]
    return contacts, deals


CONTACTS, DEALS = make_data()
ROWS = {"contacts": CONTACTS, "deals": DEALS}


def _won_big(c):
    return any(d[1] == c[0] and d[3] == "Won" and d[2] >= 5000 for d in DEALS)


# (entity, form, given, predicate over a row); form "text" → criteria, "json" → conditions
CONDITIONS = [
    ("contacts", "text", 'plan = "trial"', lambda r: r[1] == "trial"),
    ("contacts", "json", {"status": "Active"}, lambda r: r[2] == "Active"),
    ("contacts", "text", 'country = "US" and lifetime_value >= 100', lambda r: r[3] == "US" and r[4] >= 100),
    ("contacts", "json", {"lifetime_value": {"$lt": 200}}, lambda r: r[4] < 200),
    ("contacts", "text", 'any deals (stage = "Won" and value >= 5000)', _won_big),
    ("deals", "text", "value >= 5000", lambda r: r[2] >= 5000),
    ("deals", "json", {"stage": "Won"}, lambda r: r[3] == "Won"),
]
INVALID = [("contacts", "text", 'contry = "US"'), ("contacts", "json", {"contry": "US"}),
           ("contacts", "text", "plan = 1")]  # invalid on every entity
ALIASES = {"contacts": ("contacts", "Contact"), "deals": ("deals", "Deal")}
NAME_CHARS = "abcXYZ éÉ-_%0\\"
SLUGS = ("vip", "churned", "a-b", "x")


class Cond:
    """A dynamic segment's condition in the model: a base predicate, maybe `or in segment <ref>`."""

    def __init__(self, entity, form, given, pred, ref=None):
        self.entity, self.form, self.given, self.pred, self.ref = entity, form, given, pred, ref

    def body(self) -> dict:
        if self.ref is not None:
            text = (f'{self.given} or in segment "{self.ref}"' if self.given is not None
                    else f'in segment "{self.ref}"')
            return {"criteria": text}
        return {"criteria": self.given} if self.form == "text" else {"conditions": self.given}


class Seg:
    def __init__(self, **kw):
        self.__dict__.update(kw)

    def copy(self):
        return Seg(**{k: (set(v) if isinstance(v, set) else list(v) if isinstance(v, list) else v)
                      for k, v in self.__dict__.items()})


def error_shape(r):
    assert r.status_code != 500, r.text
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert {"code", "message", "diagnostics"} <= set(err) and err["diagnostics"], body
    for d in err["diagnostics"]:
        assert {"code", "message", "hints"} <= set(d), d
    return err


class StoreMachine(RuleBasedStateMachine):
    """Subclassed per backend with `store_url`, `db_url` and `schema_path` set."""

    store_url = db_url = schema_path = None

    def __init__(self):
        super().__init__()
        self.segments = segql.open_store(self.store_url, schema=self.schema_path, db=self.db_url)
        self._wipe()
        self.client = TestClient(create_app(self.segments, deliver_webhooks=False), raise_server_exceptions=False)
        self.keystore = KeyStore(self.segments)
        self.keys: list[dict] = []   # {"raw", "id", "org", "scopes", "revoked"}
        self.model: dict[str, dict[str, Seg]] = {org: {} for org in ORGS}  # org → id → Seg
        self.raw_keys_seen: list[str] = []

    def _wipe(self):
        db = self.segments.db
        for table in ("segql_static_members", "segql_refresh_history", "segql_store_membership",
                      "segql_store_membership_events", "segql_webhook_outbox", "segql_webhooks",
                      "segql_segments", "segql_api_keys"):
            db.execute(f"DELETE FROM {table}")
        if self.db_url is not None:
            from segql.ops.refresh import EVENTS, MEMBERSHIP, REFRESHES

            with self.segments.engine() as engine:
                for table in (MEMBERSHIP, EVENTS, REFRESHES):
                    try:
                        engine.execute(f"DELETE FROM {table}")
                    except segql.SegqlError:
                        pass

    def teardown(self):
        OUTCOMES[("model", "segments with referrers at the end", len(self.referenced()))] += 1
        # no key in plaintext anywhere in the store
        for table in ("segql_api_keys", "segql_segments"):
            rows = self.segments.db.execute(f"SELECT * FROM {table}")
            text = repr(rows)
            for raw in self.raw_keys_seen:
                assert raw not in text and raw.removeprefix("sk_") not in text
        self.client.close()
        self.segments.close()

    # ---- the model's helpers --------------------------------------------------------------------
    def by_slug(self, org, slug):
        return next((s for s in self.model[org].values() if s.slug == slug), None)

    def live(self, org, seg: Seg, depth=0) -> set:
        if not seg.is_dynamic:
            return set(seg.static)
        assert depth < 20
        cond = seg.cond
        rows = ROWS[seg.object_type]
        out = {r[0] for r in rows if cond.pred is not None and cond.pred(r)}
        if cond.ref is not None:
            out |= self.live(org, self.by_slug(org, cond.ref), depth + 1)
        return out

    def referrers(self, org, slug):
        return sorted(s.slug for s in self.model[org].values() if s.is_dynamic and s.cond.ref == slug)

    def reaches(self, org, start_slug, target_slug) -> bool:
        """Does `start_slug` (following refs) reach `target_slug`?"""
        seen, cur = set(), start_slug
        while cur is not None and cur not in seen:
            if cur == target_slug:
                return True
            seen.add(cur)
            s = self.by_slug(org, cur)
            cur = s.cond.ref if s is not None and s.is_dynamic else None
        return False

    def key_for(self, data, *, scope=None, org=None, valid=True):
        """A key (dict) drawn among the live ones of `org` having `scope`; None when there is none."""
        live = [k for k in self.keys if not k["revoked"] and (scope is None or scope in k["scopes"])
                and (org is None or k["org"] == org)]
        if not live or not valid:
            return None
        return data.draw(st.sampled_from(live), label="key")

    def any_key(self, data, scope=READ):
        """Mostly a live key with `scope`; sometimes any live key, a revoked one, none or a bogus one (the
        request must then be refused by auth, before anything else)."""
        choice = data.draw(st.sampled_from(["scoped"] * 10 + ["live"] * 2 + ["any", "none", "bogus"]), label="who")
        if choice == "none":
            return None
        if choice == "bogus":
            return {"raw": "sk_" + "A" * 43, "org": None, "scopes": (), "revoked": True}
        pool = {"scoped": [k for k in self.keys if not k["revoked"] and scope in k["scopes"]],
                "live": [k for k in self.keys if not k["revoked"]], "any": self.keys}[choice]
        return data.draw(st.sampled_from(pool or self.keys), label="key")

    def send(self, method, path, key, scope, **kw):
        """The request; returns None when auth refused it (checked here), else the response."""
        headers = kw.pop("headers", {})
        if key is not None:
            headers["Authorization"] = f"Bearer {key['raw']}"
        r = self.client.request(method, path, headers=headers, **kw)
        parts = path.split("/")
        OUTCOMES[(method, "/".join(parts[:3] + ["{id}"] * (len(parts) > 3) + parts[4:]), r.status_code)] += 1
        assert r.status_code != 500, r.text
        if key is None:
            assert r.status_code == 401 and error_shape(r)["code"] == "E0901", r.text
            return None
        if key["revoked"]:
            assert r.status_code == 401 and error_shape(r)["code"] == "E0902", r.text
            return None
        if scope not in key["scopes"]:
            assert r.status_code == 403 and error_shape(r)["code"] == "E0903", r.text
            return None
        return r

    def target(self, data, org):
        """An id or slug: one of the org's own segments, another organization's, or one nobody has."""
        kind = data.draw(st.sampled_from(["own"] * 8 + ["foreign"] * 2 + ["missing"]), label="target")
        others = [s for o in ORGS if o != org for s in self.model[o].values()]
        own = list(self.model[org].values())
        if kind == "own" and own:
            seg = data.draw(st.sampled_from(own), label="own")
            return (seg.id if data.draw(st.booleans(), label="by id") else seg.slug), seg
        if kind == "foreign" and others:
            seg = data.draw(st.sampled_from(others), label="foreign")
            ident = seg.id if data.draw(st.booleans(), label="by id") else seg.slug
            if self.by_slug(org, ident) is None:  # a foreign slug the org also has is the org's own
                return ident, None
        ident = data.draw(st.sampled_from(["nobody", "segment_00000000", *SLUGS]), label="missing id")
        return ident, self.by_slug(org, ident)  # one of SLUGS may be the org's own

    def assert_not_found(self, r, org, ident):
        """404 E0801 exactly as for a segment nobody has: nothing of another organization shows."""
        assert r.status_code == 404, (ident, r.text)
        err = error_shape(r)
        assert err["code"] == "E0801" and err["message"] == f"no segment {ident!r}", r.text
        own = [s.slug for s in self.model[org].values()]
        [diag] = err["diagnostics"]
        assert diag["hints"] == did_you_mean(ident, own) or (
            len(diag["hints"]) == 1 and any(f'"{slug}"' in diag["hints"][0] for slug in own)), (r.text, own)
        assert set(err) == {"code", "message", "diagnostics"} and set(diag) == {"code", "message", "hints"}

    def check_segment(self, got: dict, seg: Seg, org):
        want = {"object": "segment", "id": seg.id, "organization": org, "name": seg.name, "slug": seg.slug,
                "description": seg.description, "object_type": seg.object_type, "is_dynamic": seg.is_dynamic,
                "member_count": seg.member_count, "version": seg.version}
        assert {k: got[k] for k in want} == want, (got, want)
        if seg.is_dynamic:
            assert got["criteria"], got
            expected_conditions = seg.cond.given if seg.cond.form == "json" and seg.cond.ref is None else None
            assert got["conditions"] == expected_conditions, got
        else:
            assert got["criteria"] is None and got["conditions"] is None, got
        assert got["created_at"] == seg.created_at and got["updated_at"] >= seg.created_at
        if seg.member_count_at_set:
            assert got["member_count_at"], got

    # ---- keys -----------------------------------------------------------------------------------
    @initialize(data=st.data())
    def first_keys_and_segments(self, data):
        """Each organization starts with a read/write key and a few valid segments (one static); the two
        often have the same slugs."""
        for org in ORGS:
            self._new_key(org, (READ, WRITE))
        for org in ORGS:
            key = next(k for k in self.keys if k["org"] == org)
            for i, (entity, form, given, pred) in enumerate(data.draw(
                    st.lists(st.sampled_from(CONDITIONS), min_size=1, max_size=3), label="first")):
                name = data.draw(st.sampled_from(["Vip", "Churned", "Éclair", "Big deals", f"s{i}"]), label="nm")
                if self.by_slug(org, default_slug(name)) is not None:
                    continue
                self._created(org, key, {"name": name, "object_type": entity, **Cond(entity, form, given, pred).body()},
                              Cond(entity, form, given, pred), name, default_slug(name), None, entity)
            self._created(org, key, {"name": "Beta", "is_dynamic": False, "type": "Contact"}, None, "Beta", "beta",
                          None, "contacts")

    def _created(self, org, key, body, cond, name, slug, description, entity):
        r = self.send("POST", "/v1/segments", key, WRITE, json=body)
        assert r.status_code == 201, (body, r.text)
        self._check_created(org, r, cond, name, slug, description, entity)

    def _check_created(self, org, r, cond, name, slug, description, entity):
        got = r.json()
        dynamic = cond is not None
        seg = Seg(id=got["id"], slug=slug, name=name, description=description, object_type=entity,
                  is_dynamic=dynamic, cond=cond, version=1, static=set(), history=[], members=set(),
                  member_count=0, created_at=got["created_at"], member_count_at_set=dynamic)
        if dynamic:
            seg.members = self.live(org, seg)
            seg.member_count = len(seg.members)
            seg.history.append((len(seg.members), len(seg.members), 0))
        self.model[org][seg.id] = seg
        self.check_segment(got, seg, org)

    def _new_key(self, org, scopes):
        raw, key = self.keystore.create(org, list(scopes))
        assert raw.startswith("sk_") and raw not in repr(key.to_dict())
        self.raw_keys_seen.append(raw)
        self.keys.append({"raw": raw, "id": key.id, "org": org, "scopes": tuple(scopes), "revoked": False})

    @rule(org=st.sampled_from(ORGS), scopes=st.sampled_from([(READ,), (WRITE,), (READ, WRITE), ()]))
    def create_key(self, org, scopes):
        self._new_key(org, scopes)

    @precondition(lambda self: len([k for k in self.keys if not k["revoked"]]) > 1)
    @rule(data=st.data(), rotate=st.booleans())
    def revoke_key(self, data, rotate):
        key = data.draw(st.sampled_from([k for k in self.keys if not k["revoked"]]), label="revoke")
        if rotate:  # rotation: a new key with the same scopes, then the old one revoked
            self._new_key(key["org"], key["scopes"])
        self.keystore.revoke(key["id"])
        key["revoked"] = True
        if not any(not k["revoked"] and READ in k["scopes"] and WRITE in k["scopes"] and k["org"] == key["org"]
                   for k in self.keys):
            self._new_key(key["org"], (READ, WRITE))  # keep the organization reachable

    # ---- create ---------------------------------------------------------------------------------
    def _name(self, data):
        return data.draw(st.one_of(
            st.text(NAME_CHARS, min_size=1, max_size=12).filter(lambda s: s.strip()),
            st.sampled_from(["", "   ", "n" * (NAME_MAX + 1), "Vip", "VIP", "churned", "Éclair", "éclair"])),
            label="name")

    def _condition(self, data, org, entity=None):
        """(Cond or None, expected error status or None) for a new condition."""
        kind = data.draw(st.sampled_from(["plain"] * 4 + ["ref"] * 3 + ["invalid"]), label="condition")
        if kind == "invalid":
            ent, form, given = data.draw(st.sampled_from(INVALID), label="invalid")
            return Cond(ent, form, given, None), 422
        pool = [c for c in CONDITIONS if entity is None or c[0] == entity]
        ent, form, given, pred = data.draw(st.sampled_from(pool), label="plain")
        if kind == "ref":
            candidates = sorted({s.slug for o in ORGS for s in self.model[o].values()} | {"nobody"})
            fitting = sorted(s.slug for s in self.model[org].values() if s.is_dynamic and s.object_type == ent)
            ref = data.draw(st.sampled_from(fitting) if fitting and data.draw(st.booleans(), label="fit ref")
                            else st.sampled_from(candidates), label="ref")
            text = given if form == "text" else None
            cond = Cond(ent, "text", text, pred if text is not None else None, ref)
            target = self.by_slug(org, ref)
            if target is None or not target.is_dynamic or target.object_type != ent:
                return cond, 422  # unknown here (even if another organization has it), static, or on another entity
            return cond, None
        return Cond(ent, form, given, pred), None

    @rule(data=st.data())
    def create(self, data):
        key = self.any_key(data, WRITE)
        org = key["org"] if key and key["org"] else ORGS[0]
        dynamic = data.draw(st.booleans(), label="dynamic")
        name = self._name(data)
        body = {"name": name}
        slug = data.draw(st.one_of(st.none(), st.sampled_from(SLUGS)), label="slug")
        if slug is not None:
            body["slug"] = slug
        description = data.draw(st.one_of(st.none(), st.sampled_from(["", "Éclair users", "d" * 501, "x_y%"])),
                                label="description")
        if description is not None:
            body["description"] = description
        status = None
        if dynamic:
            cond, status = self._condition(data, org)
            body.update(cond.body())
            entity = cond.entity
            if data.draw(st.integers(0, 9), label="wrong entity") == 0 and status is None:
                entity = "deals" if entity == "contacts" else "contacts"
                status = 422
        else:
            cond, entity = None, data.draw(st.sampled_from(["contacts", "deals"]), label="entity")
            body["is_dynamic"] = False
        body[data.draw(st.sampled_from(["object_type", "type"]), label="field")] = data.draw(
            st.sampled_from(ALIASES[entity]), label="entity name")
        if not name.strip() or len(name) > NAME_MAX or (description and len(description) > 500):
            status = 422
        slug_final = slug if slug is not None else default_slug(name)
        if dynamic and cond.ref is not None and cond.ref == slug_final:
            status = 422  # refers to itself: a cycle
        r = self.send("POST", "/v1/segments", key, WRITE, json=body)
        if r is None:
            return
        if status is None and self.by_slug(org, slug_final) is not None:
            status = 409
        if status is not None:
            assert r.status_code == status, (body, r.text)
            err = error_shape(r)
            if status == 409:
                assert err["code"] == "E0802", r.text
            # another organization's slug never shows in a diagnostic
            own = {s.slug for s in self.model[org].values()}
            foreign = {s.slug for o in ORGS if o != org for s in self.model[o].values()} - own - {slug_final}
            for d in err["diagnostics"]:
                for hint in d["hints"]:
                    assert not any(f'"{f}"' in hint for f in foreign), (hint, foreign)
            return
        assert r.status_code == 201, (body, r.text)
        self._check_created(org, r, cond, name, slug_final, description, entity)

    @rule(data=st.data())
    def create_more(self, data):  # creates twice as often as other steps: there is more to work on
        self.create(data)

    # ---- read -----------------------------------------------------------------------------------
    @rule(data=st.data())
    def get(self, data):
        key = self.any_key(data)
        org = key["org"] if key and key["org"] else ORGS[0]
        ident, seg = self.target(data, org)
        r = self.send("GET", f"/v1/segments/{ident}", key, READ)
        if r is None:
            return
        if seg is None:
            return self.assert_not_found(r, org, ident)
        assert r.status_code == 200, r.text
        self.check_segment(r.json(), seg, org)

    @rule(data=st.data())
    def history(self, data):
        key = self.any_key(data)
        org = key["org"] if key and key["org"] else ORGS[0]
        ident, seg = self.target(data, org)
        r = self.send("GET", f"/v1/segments/{ident}/history", key, READ)
        if r is None:
            return
        if seg is None:
            return self.assert_not_found(r, org, ident)
        assert r.status_code == 200, r.text
        rows = r.json()["data"]
        assert [(h["member_count"], h["entered"], h["left"]) for h in rows] == seg.history, (rows, seg.history)
        times = [h["refreshed_at"] for h in rows]
        assert times == sorted(times)

    @rule(data=st.data(), limit=st.integers(1, 7))
    def members(self, data, limit):
        key = self.any_key(data)
        org = key["org"] if key and key["org"] else ORGS[0]
        ident, seg = self.target(data, org)
        columns = data.draw(st.sampled_from([None, "plan", "plan,country", "value,stage"]), label="columns")
        params = {"limit": limit, **({"columns": columns} if columns else {})}
        r = self.send("GET", f"/v1/segments/{ident}/members", key, READ, params=params)
        if r is None:
            return
        if seg is None:
            return self.assert_not_found(r, org, ident)
        if columns is not None and (columns == "value,stage") != (seg.object_type == "deals"):
            assert r.status_code in (400, 422), r.text  # not a property of the entity
            error_shape(r)
            return
        header = {"contacts": ("id", "plan", "status", "country", "lifetime_value"),
                  "deals": ("id", "contact_id", "value", "stage")}[seg.object_type]
        rows = {row[0]: dict(zip(header, row)) for row in ROWS[seg.object_type]}
        got = []
        for _ in range(100):
            assert r.status_code == 200, r.text
            page = r.json()
            assert len(page["data"]) <= limit
            got += [row["id"] for row in page["data"]]
            for row in page["data"]:
                for c in (columns or "").split(",") if columns else ():
                    if row["id"] in rows:  # a static segment may hold a key no record has
                        assert row[c] == rows[row["id"]][c], (row, rows[row["id"]])
            if page["next_cursor"] is None:
                break
            r = self.send("GET", f"/v1/segments/{ident}/members", key, READ,
                          params={**params, "cursor": page["next_cursor"]})
        junk = data.draw(st.sampled_from(["abc", "-1", "", "9" * 30, "1.5", "%00"]), label="junk cursor")
        r = self.send("GET", f"/v1/segments/{ident}/members", key, READ, params={**params, "cursor": junk})
        assert r.status_code in (200, 400), r.text
        want = seg.members if seg.is_dynamic else seg.static
        assert len(got) == len(set(got)), f"a page repeated a member: {got}"
        assert set(got) == want, (got, sorted(want))
        nonneg = [k for k in got if k >= 0]
        assert nonneg == sorted(nonneg), got

    @rule(data=st.data())
    def counts(self, data):
        key = self.any_key(data)
        org = key["org"] if key and key["org"] else ORGS[0]
        targets = [self.target(data, org) for _ in range(data.draw(st.integers(1, 3), label="n"))]
        r = self.send("POST", "/v1/segments/counts", key, READ, json={"ids": [t[0] for t in targets]})
        if r is None:
            return
        missing = [ident for ident, seg in targets if seg is None]
        if missing:
            return self.assert_not_found(r, org, missing[0])
        assert r.status_code == 200, r.text
        got = [(row["id"], row["member_count"]) for row in r.json()["data"]]
        assert got == [(seg.id, len(self.live(org, seg)) if seg.is_dynamic else len(seg.static))
                       for _, seg in targets]

    @rule(data=st.data(), limit=st.integers(1, 4),
          sort=st.sampled_from(["-updated_at", "updated_at", "name", "-name", "slug", "-member_count",
                                "member_count", "created_at", "-created_at"]),
          is_dynamic=st.sampled_from([None, True, False]),
          object_type=st.sampled_from([None, "contacts", "Deal"]),
          q=st.sampled_from([None, "", "é", "É", "vip", "_", "%", "x_y", "ÉCLAIR", "a-", "\\", "%\\"]))
    def list(self, data, limit, sort, is_dynamic, object_type, q):
        key = self.any_key(data)
        params = {"limit": limit, "sort": sort}
        for name, value in (("is_dynamic", is_dynamic), ("object_type", object_type), ("q", q)):
            if value is not None:
                params[name] = str(value).lower() if isinstance(value, bool) else value
        r = self.send("GET", "/v1/segments", key, READ, params=params)
        if r is None:
            return
        org = key["org"]
        got, before = [], set(self.model[org])
        for _ in range(200):
            assert r.status_code == 200, r.text
            page = r.json()
            assert len(page["data"]) <= limit
            got += page["data"]
            if page["next_cursor"] is None:
                break
            if data.draw(st.integers(0, 3), label="create between pages") == 0:
                self._create_between_pages(org, data)
            other = data.draw(st.sampled_from(["name", "-member_count", "slug", sort]), label="other sort")
            if other.lstrip("-") != sort.lstrip("-"):  # a cursor pages the sort it was given for, only
                r = self.send("GET", "/v1/segments", key, READ,
                              params={**params, "sort": other, "cursor": page["next_cursor"]})
                assert r.status_code == 400 and error_shape(r)["code"] == "E0906", r.text
            r = self.send("GET", "/v1/segments", key, READ, params={**params, "cursor": page["next_cursor"]})
        # a segment created while paging may or may not show (keyset: it may sort before the cursor)
        got = [g for g in got if g["id"] in before]
        segs = [s for s in self.model[org].values() if s.id in before]
        if is_dynamic is not None:
            segs = [s for s in segs if s.is_dynamic == is_dynamic]
        if object_type is not None:
            segs = [s for s in segs if s.object_type == ("deals" if object_type == "Deal" else object_type)]
        if q:
            ql = q.lower()
            segs = [s for s in segs if ql in s.name.lower() or ql in s.slug.lower()
                    or ql in (s.description or "").lower()]
        ids = [g["id"] for g in got]
        assert len(ids) == len(set(ids)), f"a page repeated a segment: {ids}"
        assert set(ids) == {s.id for s in segs}, (params, [(g["name"], g["slug"]) for g in got],
                                                  [(s.name, s.slug, s.description) for s in segs])
        field, desc = sort.lstrip("-"), sort.startswith("-")
        current = {g["id"]: g for g in got}
        for g in got:
            self.check_segment(g, self.model[org][g["id"]], org)

        def value(g):
            v = g[field]
            return -1 if v is None else v
        expected = sorted(got, key=lambda g: (g["created_at"], g["id"]))
        expected = sorted(expected, key=value, reverse=desc)
        assert ids == [g["id"] for g in expected], (sort, [(value(current[i]), i) for i in ids])

    def _create_between_pages(self, org, data):
        key = next(k for k in self.keys if k["org"] == org and not k["revoked"] and WRITE in k["scopes"])
        entity, form, given, pred = data.draw(st.sampled_from(CONDITIONS), label="between")
        name = f"Between {len(self.model[org])} {data.draw(st.sampled_from(['a', 'É', 'z']), label='nm')}"
        if self.by_slug(org, default_slug(name)) is None:
            cond = Cond(entity, form, given, pred)
            self._created(org, key, {"name": name, "object_type": entity, **cond.body()}, cond, name,
                          default_slug(name), None, entity)

    @rule(data=st.data())
    def export(self, data):
        key = self.any_key(data)
        r = self.send("GET", "/v1/export", key, READ)
        if r is None:
            return
        assert r.status_code == 200, r.text
        assert sorted(item["data"]["slug"] for item in r.json()) == sorted(
            s.slug for s in self.model[key["org"]].values())

    # ---- writes ---------------------------------------------------------------------------------
    @rule(data=st.data())
    def refresh(self, data):
        key = self.any_key(data, WRITE)
        org = key["org"] if key and key["org"] else ORGS[0]
        ident, seg = self.target(data, org)
        r = self.send("POST", f"/v1/segments/{ident}/refresh", key, WRITE)
        if r is None:
            return
        if seg is None:
            return self.assert_not_found(r, org, ident)
        assert r.status_code == 200, r.text
        got = r.json()
        if not seg.is_dynamic:
            assert got["skipped"] is True and got["member_count"] == len(seg.static), got
            return
        new = self.live(org, seg)
        entered, left = new - seg.members, seg.members - new
        assert (got["member_count"], got["entered"], got["left"]) == (len(new), len(entered), len(left)), (
            got, sorted(new), sorted(seg.members))
        assert set(got["entered_keys"]) <= entered and len(got["entered_keys"]) == min(10, len(entered))
        assert set(got["left_keys"]) <= left and len(got["left_keys"]) == min(10, len(left))
        seg.members, seg.member_count = new, len(new)
        seg.history.append((len(new), len(entered), len(left)))

    @rule(data=st.data())
    def delete(self, data):
        key = self.any_key(data, WRITE)
        org = key["org"] if key and key["org"] else ORGS[0]
        ident, seg = self.target(data, org)
        r = self.send("DELETE", f"/v1/segments/{ident}", key, WRITE)
        if r is None:
            return
        if seg is None:
            return self.assert_not_found(r, org, ident)
        users = self.referrers(org, seg.slug)
        if users:
            assert r.status_code == 409, r.text
            err = error_shape(r)
            assert err["code"] == "E0804" and all(repr(u) in err["message"] for u in users), r.text
            return
        assert r.status_code == 204, r.text
        del self.model[org][seg.id]
        for table in ("segql_static_members", "segql_refresh_history", "segql_store_membership",
                      "segql_store_membership_events"):  # its membership and history went with it
            assert self.segments.db.one(f"SELECT COUNT(*) FROM {table} WHERE segment_id = ?", (seg.id,))[0] == 0
        if self.db_url is not None:
            from sqlglot import exp

            from segql.ops.refresh import MEMBERSHIP

            query = exp.select(exp.Count(this=exp.Star())).from_(MEMBERSHIP).where(
                exp.column("segment").eq(exp.Literal.string(seg.id)))
            with self.segments.engine() as engine:
                count = engine.execute(query.sql(dialect=engine.dialect))[0][0]
            assert count == 0, seg.id

    @rule(data=st.data(), add=st.booleans(),
          keys=st.lists(st.one_of(st.integers(-3, 40), st.integers(0, 40).map(str)), min_size=1, max_size=6),
          bad=st.integers(0, 9))
    def static_members(self, data, add, keys, bad):
        key = self.any_key(data, WRITE)
        org = key["org"] if key and key["org"] else ORGS[0]
        ident, seg = self.target(data, org)
        if bad == 0:
            keys = [*keys, "not-a-key"]
        r = self.send("POST" if add else "DELETE", f"/v1/segments/{ident}/members", key, WRITE,
                      json={"keys": keys})
        if r is None:
            return
        if seg is None:
            return self.assert_not_found(r, org, ident)
        if seg.is_dynamic:
            assert r.status_code == 409 and error_shape(r)["code"] == "E0807", r.text
            return
        if bad == 0:
            assert r.status_code == 422 and error_shape(r)["code"] == "E0703", r.text
            return
        assert r.status_code == 200, r.text
        ints = {int(k) for k in keys}
        seg.static = seg.static | ints if add else seg.static - ints
        seg.member_count, seg.member_count_at_set = len(seg.static), True
        assert r.json() == {"member_count": seg.member_count}

    @rule(data=st.data())
    def update(self, data):
        key = self.any_key(data, WRITE)
        org = key["org"] if key and key["org"] else ORGS[0]
        ident, seg = self.target(data, org)
        body, headers = {}, {}
        fields = data.draw(st.sets(st.sampled_from(["name", "description", "slug", "condition", "object_type"]),
                                   min_size=1, max_size=3), label="fields")
        status = None
        new = seg.copy() if seg is not None else None
        if "name" in fields:
            body["name"] = name = self._name(data)
            if not name.strip() or len(name) > NAME_MAX:
                status = 422
            elif new:
                new.name = name
        if "description" in fields:
            body["description"] = d = data.draw(st.sampled_from([None, "Éclair fans", "d" * 501]), label="desc")
            if d is not None and len(d) > 500:
                status = 422
            elif new:
                new.description = d
        if "slug" in fields:
            body["slug"] = data.draw(st.sampled_from([*SLUGS, seg.slug if seg else "x"]), label="new slug")
            if new:
                new.slug = body["slug"]
        entity = seg.object_type if seg else "contacts"
        if "object_type" in fields:
            entity = data.draw(st.sampled_from(["contacts", "deals"]), label="new entity")
            body["object_type"] = data.draw(st.sampled_from(ALIASES[entity]), label="entity name")
            if new:
                new.object_type = entity
        if "condition" in fields:
            cond, cstatus = self._condition(data, org, entity if data.draw(st.booleans(), label="fit") else None)
            body.update(cond.body())
            status = status or cstatus
            if new is not None:
                if not seg.is_dynamic:
                    status = 422
                else:
                    new.cond = cond
                    if cond.entity != entity:
                        status = 422
                    elif cond.ref is not None and cstatus is None and (
                            cond.ref == seg.slug or self.reaches(org, cond.ref, seg.slug)):
                        status = 422  # a cycle (or a reference to its own old slug)
        elif new is not None and seg.is_dynamic and entity != seg.object_type:
            status = 422  # the stored conditions do not fit the other entity
        stale = data.draw(st.sampled_from([None, None, "current", "stale"]), label="if-match")
        if stale is not None and seg is not None:
            version = seg.version if stale == "current" else data.draw(st.sampled_from([seg.version + 1, seg.version - 1]))
            headers["If-Match"] = data.draw(st.sampled_from(["{}", '"{}"', 'W/"{}"']), label="etag").format(version)
        r = self.send("PATCH", f"/v1/segments/{ident}", key, WRITE, json=body, headers=headers)
        if r is None:
            return
        if seg is None:
            return self.assert_not_found(r, org, ident)
        if stale == "stale":
            assert r.status_code == 412 and error_shape(r)["code"] == "E0803", r.text
            return
        if status is None and new.slug != seg.slug:
            if self.by_slug(org, new.slug) is not None or self.referrers(org, seg.slug):
                status = 409
        if status is None and seg.is_dynamic and self.referrers(org, seg.slug):
            # a write that would leave a referrer invalid (another entity) is refused too
            if new.object_type != seg.object_type:
                status = 409
        if status is not None:
            assert r.status_code in ((status,) if status != 409 else (409, 422)), (
                body, r.text, seg.slug, [(s.slug, s.cond.ref if s.is_dynamic else "static")
                                         for s in self.model[org].values()])
            error_shape(r)
            return
        assert r.status_code == 200, (body, r.text)
        new.version = seg.version + 1
        got = r.json()
        assert got["updated_at"] >= seg.created_at
        self.model[org][seg.id] = new
        self.check_segment(got, new, org)

    def referenced(self):
        return [(org, s) for org in ORGS for s in self.model[org].values() if self.referrers(org, s.slug)]

    @precondition(lambda self: self.referenced())
    @rule(data=st.data(), what=st.sampled_from(["entity", "slug", "delete", "condition"]))
    def change_a_referenced_segment(self, data, what):
        """What a referrer depends on: its target's slug, existence and entity (often missed by `update`)."""
        org, seg = data.draw(st.sampled_from(self.referenced()), label="referenced")
        key = next(k for k in self.keys if k["org"] == org and not k["revoked"] and WRITE in k["scopes"]
                   and READ in k["scopes"])
        if what == "delete":
            r = self.send("DELETE", f"/v1/segments/{seg.id}", key, WRITE)
            assert r.status_code == 409 and error_shape(r)["code"] == "E0804", r.text
        elif what == "slug":
            r = self.send("PATCH", f"/v1/segments/{seg.id}", key, WRITE, json={"slug": seg.slug + "-2"})
            assert r.status_code == 409 and error_shape(r)["code"] == "E0804", r.text
        elif what == "entity":
            other = "deals" if seg.object_type == "contacts" else "contacts"
            entity, form, given, pred = data.draw(st.sampled_from([c for c in CONDITIONS if c[0] == other]))
            body = {"object_type": other, **Cond(entity, form, given, pred).body()}
            r = self.send("PATCH", f"/v1/segments/{seg.id}", key, WRITE, json=body)
            # the referrers would be on another entity than their target (E0315 on their next refresh)
            assert r.status_code in (409, 422), (self.referrers(org, seg.slug), r.text)
            error_shape(r)
        else:  # a new condition on the same entity: allowed, the referrers follow it at their next refresh
            entity, form, given, pred = data.draw(st.sampled_from([c for c in CONDITIONS if c[0] == seg.object_type]))
            cond = Cond(entity, form, given, pred)
            r = self.send("PATCH", f"/v1/segments/{seg.id}", key, WRITE, json=cond.body())
            assert r.status_code == 200, r.text
            new = seg.copy()
            new.cond, new.version = cond, seg.version + 1
            self.model[org][seg.id] = new
            self.check_segment(r.json(), new, org)

    @precondition(lambda self: self.referenced())
    @rule(data=st.data(), what=st.sampled_from(["entity", "slug", "delete", "condition"]))
    def change_a_referenced_segment_again(self, data, what):  # twice as often: references are rare
        self.change_a_referenced_segment(data, what)

    # ---- invariants -----------------------------------------------------------------------------
    @invariant()
    def store_equals_model(self):
        for org in ORGS:
            stored = {s.id: s for s in self.segments.find(organization=org)}
            assert set(stored) == set(self.model[org]), (org, sorted(stored), sorted(self.model[org]))
            for seg_id, seg in self.model[org].items():
                self.check_segment(stored[seg_id].to_dict(), seg, org)
            assert len({s.slug for s in stored.values()}) == len(stored)

    @invariant()
    def keys_are_hashed(self):
        rows = self.segments.db.execute("SELECT id, organization, key_hash, scopes, created_at, revoked_at "
                                        "FROM segql_api_keys")
        assert len(rows) == len(self.keys)
        text = repr(rows) + repr([k.to_dict() for k in self.keystore.list()])
        for raw in self.raw_keys_seen[-8:]:
            assert raw not in text and raw[3:] not in text
        revoked = {r[0] for r in rows if r[5] is not None}
        assert revoked == {k["id"] for k in self.keys if k["revoked"]}


# ---- backends -----------------------------------------------------------------------------------
def _project(tmp):
    lines = ["id,plan,status,country,lifetime_value"] + [
        ",".join("" if v is None else str(v) for v in row) for row in CONTACTS]
    (tmp / "contacts.csv").write_text("\n".join(lines) + "\n")
    lines = ["id,contact_id,value,stage"] + [",".join(str(v) for v in row) for row in DEALS]
    (tmp / "deals.csv").write_text("\n".join(lines) + "\n")
    (tmp / "schema.yml").write_text(SCHEMA)
    return str(tmp / "schema.yml")


def _warehouse(url):
    eng = connect(url)
    eng.create_table("contacts", {"id": "integer", "plan": "string", "status": "string", "country": "string",
                                  "lifetime_value": "number"}, CONTACTS)
    eng.create_table("deals", {"id": "integer", "contact_id": "integer", "value": "number", "stage": "string"},
                     DEALS)
    eng.close()


def _postgres(name):
    from test_operations import drop_postgres_schema, postgres_url_in_schema

    return postgres_url_in_schema(name), lambda: drop_postgres_schema(name)


@pytest.mark.parametrize("store,warehouse", [("sqlite", "duckdb"), ("sqlite", "sqlite"), ("postgres", "duckdb"),
                                             ("postgres", "postgres"), ("sqlite", "mysql")])
def test_store_and_service_follow_the_model(store, warehouse, tmp_path):
    cleanups = []
    schema = _project(tmp_path)
    if store == "sqlite":
        store_url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        store_url, drop = _postgres(f"segql_stateful_store_{os.getpid()}")
        cleanups.append(drop)
    db_url = None
    if warehouse == "sqlite":
        db_url = f"sqlite:///{tmp_path / 'warehouse.db'}"
        _warehouse(db_url)
    elif warehouse == "mysql":
        from conftest_engines import engine_url

        db_url = engine_url("mysql")  # skips with the reason when SEGQL_TEST_MYSQL_URL is unset
        _warehouse(db_url)
    elif warehouse == "postgres":
        db_url, drop = _postgres(f"segql_stateful_wh_{os.getpid()}")
        cleanups.append(drop)
        _warehouse(db_url)
    machine = type(f"Machine_{store}_{warehouse}", (StoreMachine,),
                   {"store_url": store_url, "db_url": db_url, "schema_path": schema})
    # default runs stay short: fewer examples on the slower backends
    examples = EXAMPLES if (store, warehouse) == ("sqlite", "duckdb") else max(1, EXAMPLES // 3)
    machine.TestCase.settings = settings(max_examples=examples, stateful_step_count=STEPS, deadline=None,
                                         suppress_health_check=list(HealthCheck), derandomize=not RANDOM, database=None,
                                         phases=list(Phase) if SHRINK else [p for p in Phase if p != Phase.shrink])
    try:
        machine.TestCase().runTest()
        print("\n".join(f"{k} {v}" for k, v in sorted(OUTCOMES.items())))
    finally:
        for c in cleanups:
            c()


def test_the_model_checker_sees_a_leak(tmp_path):
    """The 404 check is not vacuous: a body naming another organization's segment fails it."""

    class Fake:
        status_code = 404
        text = ""

        @staticmethod
        def json():
            return {"error": {"code": "E0801", "message": "no segment 'vip'",
                              "diagnostics": [{"code": "E0801", "message": "no segment 'vip'",
                                               "hints": ['did you mean "vip2"?']}]}}

    m = StoreMachine.__new__(StoreMachine)
    m.model = {org: {} for org in ORGS}
    with pytest.raises(AssertionError):
        m.assert_not_found(Fake, ORGS[0], "vip")


# ---- the SDK itself ---------------------------------------------------------------------------------
class SdkMachine(RuleBasedStateMachine):
    """The SDK without the service: creates that are not refreshed (member_count null, sorted as -1),
    refresh times (`now` before the last refresh is E0806 unless force), expected_version, hooks that fire
    exactly once per committed write and never for a refused one, and every refusal a SegqlError."""

    store_url = schema_path = None

    def __init__(self):
        super().__init__()
        self.segments = segql.open_store(self.store_url, schema=self.schema_path)
        for table in ("segql_static_members", "segql_refresh_history", "segql_store_membership",
                      "segql_store_membership_events", "segql_segments"):
            self.segments.db.execute(f"DELETE FROM {table}")
        self.model: dict[str, dict[str, Seg]] = {org: {} for org in ORGS}
        self.fired = collections.Counter()
        self.expected_fired = collections.Counter()
        for hook in ("created", "updated", "deleted"):
            getattr(self.segments, hook)(lambda seg, *_, hook=hook: self.fired.update([hook]))
        self.segments.refreshed(lambda seg, change: self.fired.update(["refreshed"]))

    def teardown(self):
        self.segments.close()

    def call(self, fn, *args, **kw):
        """(result, None) or (None, SegqlError): nothing else may escape."""
        try:
            out = fn(*args, **kw), None
        except segql.SegqlError as err:
            out = None, err
        OUTCOMES[("sdk", fn.__name__, out[1].code if out[1] else "ok")] += 1
        return out

    def pick(self, data, org):
        own = list(self.model[org].values())
        others = [s for o in ORGS if o != org for s in self.model[o].values()]
        if own and data.draw(st.integers(0, 9), label="kind") > 0:
            return data.draw(st.sampled_from(own), label="own")
        if others:
            seg = data.draw(st.sampled_from(others), label="foreign")
            if not any(s.slug == seg.slug for s in own):
                return seg  # by id below: another organization's, so absent here
        return None

    @rule(data=st.data(), org=st.sampled_from(ORGS), dynamic=st.booleans(),
          name=st.one_of(st.sampled_from(["Vip", "Churned", "Éclair", "b", "B", "", "n" * 101]),
                         st.integers(0, 99).map(lambda i: f"Seg {i}")))
    def create(self, data, org, dynamic, name):
        entity, form, given, pred = data.draw(st.sampled_from(CONDITIONS), label="condition")
        cond = Cond(entity, form, given, pred) if dynamic else None
        fields = {**cond.body(), "type": entity} if dynamic else {"is_dynamic": False, "type": entity}
        seg, err = self.call(self.segments.create, name=name, organization=org, **fields)
        valid = bool(name.strip()) and len(name) <= NAME_MAX
        taken = any(s.slug == default_slug(name) for s in self.model[org].values())
        if not valid or taken:
            assert err is not None and err.code == ("E0157" if not valid else "E0802"), (name, err)
            return
        assert err is None, err
        self.expected_fired["created"] += 1
        assert seg.member_count == (None if dynamic else 0) and seg.version == 1
        self.model[org][seg.id] = Seg(id=seg.id, slug=seg.slug, name=name, description=None, object_type=entity,
                                      is_dynamic=dynamic, cond=cond, version=1, static=set(), history=[],
                                      members=set(), member_count=seg.member_count, created_at=seg.created_at,
                                      member_count_at_set=False, last_refresh=None)

    @rule(data=st.data(), org=st.sampled_from(ORGS), when=st.sampled_from([None, "earlier", "later"]),
          force=st.booleans())
    def refresh(self, data, org, when, force):
        seg = self.pick(data, org)
        if seg is None:
            _, err = self.call(self.segments.refresh, "nobody", organization=org)
            assert err.code == "E0801"
            return
        import datetime as dt

        now = None
        if when is not None and seg.last_refresh is not None:
            last = dt.datetime.fromisoformat(seg.last_refresh.replace("Z", "+00:00"))
            now = (last + dt.timedelta(seconds=-5 if when == "earlier" else 3600)).isoformat()
        change, err = self.call(self.segments.refresh, seg.id, now=now, force=force, organization=org)
        if seg.id not in self.model[org]:
            assert err.code == "E0801", err
            return
        if not seg.is_dynamic:
            assert err is None and change.noop
            return
        in_the_future = seg.last_refresh is not None and seg.last_refresh > segql_utc_stamp()  # after "later"
        if not force and ((when == "earlier" and now is not None) or (now is None and in_the_future)):
            assert err is not None and err.code == "E0806", err
            return
        assert err is None, err
        self.expected_fired["refreshed"] += 1
        new = self.model[org].get(seg.id)
        members = {r[0] for r in ROWS[seg.object_type] if seg.cond.pred(r)}
        assert (change.member_count, change.entered, change.left) == (
            len(members), len(members - new.members), len(new.members - members))
        new.members, new.member_count, new.member_count_at_set = members, len(members), True
        new.last_refresh = change.refreshed_at if new.last_refresh is None else max(new.last_refresh,
                                                                                    change.refreshed_at)

    @rule(data=st.data(), org=st.sampled_from(ORGS), when=st.sampled_from([None, "earlier", "later"]),
          force=st.booleans())
    def refresh_again(self, data, org, when, force):
        self.refresh(data, org, when, force)

    @rule(data=st.data(), org=st.sampled_from(ORGS), stale=st.booleans(),
          name=st.sampled_from(["Renamed", "", "Éclair 2"]))
    def update(self, data, org, stale, name):
        seg = self.pick(data, org)
        ident = seg.id if seg is not None else "nobody"
        expected = None if seg is None else seg.version + (1 if stale else 0)
        got, err = self.call(self.segments.update, ident, name=name, expected_version=expected, organization=org)
        if seg is None or seg.id not in self.model[org]:
            assert err is not None and err.code == "E0801", err
            return
        if stale:
            assert err is not None and err.code == "E0803", err
            return
        if not name:
            assert err is not None and err.code == "E0157", err
            return
        assert err is None, err
        self.expected_fired["updated"] += 1
        seg.name, seg.version = name, seg.version + 1
        assert got.version == seg.version and got.slug == seg.slug

    @rule(data=st.data(), org=st.sampled_from(ORGS))
    def delete(self, data, org):
        seg = self.pick(data, org)
        ident = seg.id if seg is not None else "nobody"
        _, err = self.call(self.segments.delete, ident, organization=org)
        if seg is None or seg.id not in self.model[org]:
            assert err is not None and err.code == "E0801", err
            return
        assert err is None, err
        self.expected_fired["deleted"] += 1
        del self.model[org][seg.id]

    @rule(org=st.sampled_from(ORGS), limit=st.integers(1, 4),
          sort=st.sampled_from(["member_count", "-member_count", "name", "-updated_at", "slug"]))
    def page(self, org, limit, sort):
        from segql.ops.store import workbench

        got, cursor = [], None
        for _ in range(100):
            page, cursor = workbench.find_page(self.segments, sort=sort, limit=limit, cursor=cursor,
                                               organization=org)
            got += page
            if cursor is None:
                break
        ids = [s.id for s in got]
        assert len(ids) == len(set(ids)) and set(ids) == set(self.model[org]), (ids, sorted(self.model[org]))
        field, desc = sort.lstrip("-"), sort.startswith("-")

        def value(seg):
            v = getattr(seg, field)
            return -1 if v is None else v
        want = sorted(sorted(got, key=lambda s: (s.created_at, s.id)), key=value, reverse=desc)
        assert ids == [s.id for s in want]

    @invariant()
    def store_equals_model_and_hooks_fired_once(self):
        assert self.fired == self.expected_fired, (self.fired, self.expected_fired)
        for org in ORGS:
            stored = {s.id: s for s in self.segments.find(organization=org)}
            assert set(stored) == set(self.model[org])
            for seg_id, seg in self.model[org].items():
                got = stored[seg_id]
                assert (got.name, got.slug, got.version, got.member_count, got.is_dynamic) == (
                    seg.name, seg.slug, seg.version, seg.member_count, seg.is_dynamic), (got, seg.__dict__)


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_the_sdk_follows_the_model(store, tmp_path):
    schema = _project(tmp_path)
    cleanups = []
    if store == "sqlite":
        url = f"sqlite:///{tmp_path / 'sdk.db'}"
    else:
        url, drop = _postgres(f"segql_stateful_sdk_{os.getpid()}")
        cleanups.append(drop)
    machine = type(f"Sdk_{store}", (SdkMachine,), {"store_url": url, "schema_path": schema})
    machine.TestCase.settings = settings(max_examples=EXAMPLES if store == "sqlite" else max(1, EXAMPLES // 3),
                                         stateful_step_count=STEPS, deadline=None,
                                         suppress_health_check=list(HealthCheck), derandomize=not RANDOM, database=None,
                                         phases=list(Phase) if SHRINK else [p for p in Phase if p != Phase.shrink])
    try:
        machine.TestCase().runTest()
        print("\n".join(f"{k} {v}" for k, v in sorted(OUTCOMES.items()) if k[0] == "sdk"))
    finally:
        for c in cleanups:
            c()
