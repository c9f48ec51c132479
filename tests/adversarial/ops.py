"""The operations beyond the member query, against the oracle: `counts`, `overlap`, `run --count`,
`explain` and `why` compile segments through their own lowering paths (`segql.lower.batch`: one statement
for many segments, pre-aggregated to-many passes, the split count, flag tables, per-record flags), which
the member-query differential (`run.check_case`) never executes.

    problems = check_ops_case(engine, case)   # [] when every operation agrees with the oracle

What is compared, per segment the engine compiles (a segment segql refuses is `check_case`'s business):
- counts and `run --count`: the oracle's number of members; `run`: its members, once each, ordered by key;
- overlap: the sizes and |A ∩ B| of the oracle's member sets, and the entity's record count;
- explain (docs/operations.md: "a node's count equals running that node as its own segment"): `members`,
  the root's count, the last step of the root's funnel, and every node whose shape matches the oracle's
  tree (and/or/not with as many children) — its count is the oracle's count of that node alone;
- why (docs/operations.md: "the root is the record's membership"): for a sample of keys, members and
  not, `member` and the truth of every node whose shape matches the oracle's tree, and under a leaf
  about related records (`any`/`all`/`no`, a to-many path, `performed` at least once) the count of
  those meeting it, of how many, and the first three keys.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, fields

from adversarial import oracle as o
from adversarial.generate import Case
from adversarial.run import compile_all, engine_members, load

import segql
from segql.errors import SegqlError
from segql.ops.run import count_members, list_rows
from segql.ops.why import why_records

OPERATIONS = ("counts", "overlap", "run --count", "run", "explain", "why")


@dataclass
class OpsDisagreement:
    seed: int
    dialect: str
    operation: str
    slug: str
    text: str
    detail: str
    member_query: str = ""  # whether segql's plain member query agrees with the oracle (set on a failure)

    def __str__(self):
        return (f"[seed {self.seed}] {self.dialect} {self.operation} {self.slug}: {self.detail}"
                f"{' (' + self.member_query + ')' if self.member_query else ''}\n  {self.text}")


def _node_count(world: o.World, entity: str, cond) -> int:
    ent = world.entities[entity]
    return sum(1 for r in ent.rows if cond.holds(o.Ctx(world, entity, r)))


def _shape(cond):
    """(kind, children) of an oracle node as explain/why show it: and/or/not, or a condition."""
    if isinstance(cond, o.And):
        return "and", cond.parts
    if isinstance(cond, o.Or):
        return "or", cond.parts
    if isinstance(cond, o.Not):
        return "not", [cond.a]
    return "condition", []


def _related(world: o.World, cond, row: dict):
    """What `why` shows under a leaf about related records (docs/operations.md): (relationship, how many
    meet the inner condition — for `all`, how many do not —, how many there are, the first three keys)."""
    c = o.Ctx(world, "contacts", row)
    if isinstance(cond, o.Quant):
        rel, meets = cond.rel, lambda r, t: cond.cond is None or cond.cond.holds(o.Ctx(world, t, r))
        if cond.kind == "all":
            rel, meets = cond.rel, lambda r, t: not cond.cond.holds(o.Ctx(world, t, r))
    elif isinstance(cond, o.Performed) and cond.count is None:
        rel = world.event_rel

        def meets(r, t):
            return (r.get(world.event_name) == cond.name
                    and (cond.where is None or cond.where.holds(o.Ctx(world, t, r)))
                    and (cond.window is None or o._window(r.get(world.event_time), "timestamp", cond.window, world)))
    elif isinstance(cond, o.Leaf) and isinstance(cond.left, o.ToMany) and not (isinstance(cond, o.In) and (
            not cond.values or any(isinstance(v, o.Lit) and v.v is None for v in cond.values))):
        # the positive form, per related record (`in ()` is a constant, and `in (null, …)` also holds with no
        # related record at all: neither is one test per related record, so no related records are shown)
        rel = cond.left.rel
        meets = lambda r, t: cond.pos(world.read(t, cond.left.name, r.get(cond.left.name)), c)
    else:
        return None
    target = world.rels[("contacts", rel)].target
    rows = world.related("contacts", rel, row)
    keys = sorted(r["id"] for r in rows if meets(r, target))
    return rel, len(keys), len(rows), keys[:3]


def _pairs(tree: dict, cond, path="root"):
    """(path, segql node, oracle node) for every node of `tree` whose shape matches the oracle's, from the
    root down; below a node whose shapes differ nothing is compared."""
    yield path, tree, cond
    kind, parts = _shape(cond)
    children = tree.get("children") or []
    if tree["kind"] == kind and len(children) == len(parts):
        for i, (child, part) in enumerate(zip(children, parts)):
            yield from _pairs(child, part, f"{path}.{i}")


def _segments(case: Case, eng, slugs) -> tuple[list, dict]:
    """The Loaded items segql compiles for this engine (the case's contact segments and the orgs segment
    they may reference) and the oracle's member sets."""
    schema = segql.parse_schema(case.schema_yaml)
    slugs = slugs + [s for s in case.world.segments if s not in slugs and case.world.segments[s].entity != "contacts"]
    compiled = compile_all(case, eng.dialect, slugs)
    by_slug = {i.slug: i for i in segql.load_segments(case.source(), schema)}
    items = [by_slug[s] for s in slugs if not isinstance(compiled[s], SegqlError)]
    expected = {i.slug: o.members(case.world, case.world.segments[i.slug]) for i in items}
    return schema, items, expected


def check_ops_case(eng, case: Case, slugs=None, mysql_collation: str | None = None, *, why_keys: int = 6,
                   operations=OPERATIONS) -> list[OpsDisagreement]:
    """Run every operation over the case's segments (pinned --now) on `eng` and compare with the oracle."""
    assert case.now_arg is not None, "the operations are compared at a pinned clock"
    slugs = list(case.segments if slugs is None else slugs)
    load(eng, case, mysql_collation)
    schema, items, expected = _segments(case, eng, slugs)
    now, world = case.now_arg, case.world
    out: list[OpsDisagreement] = []

    def bad(op, slug, detail):
        out.append(OpsDisagreement(case.seed, eng.dialect, op, slug, world.segments[slug].text(), detail))

    def attempt(op, slug, fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except SegqlError as e:
            bad(op, slug, f"refused: {e}")
            return None

    if "counts" in operations:
        try:
            rows = segql.counts(items, schema, eng, now=now)
        except SegqlError:  # one statement per entity: name the segment the engine refuses
            rows = [r for i in items for r in (attempt("counts", i.slug, segql.counts, [i], schema, eng, now=now) or [])]
        for r in rows:
            if r["members"] != len(expected[r["segment"]]):
                bad("counts", r["segment"], f"{r['members']}, expected {len(expected[r['segment']])}")

    if "overlap" in operations:
        blocks = None
        try:
            blocks = segql.overlap(items, schema, eng, now=now)
        except SegqlError as e:
            bad("overlap", items[0].slug, f"refused: {e}")
        for block in blocks or []:
            ent = block["entity"]
            if block["records"] != len(world.entities[ent].rows):
                bad("overlap", block["segments"][0], f"{ent}: {block['records']} records, "
                    f"expected {len(world.entities[ent].rows)}")
            for a, sa in enumerate(block["segments"]):
                for b, sb in enumerate(block["segments"]):
                    want = len(expected[sa] & expected[sb])
                    if b >= a and block["matrix"][a][b] != want:
                        bad("overlap", sa, f"|{sa} ∩ {sb}| = {block['matrix'][a][b]}, expected {want}"
                            + ("" if sa == sb else f"\n  {sb}: {world.segments[sb].text()}"))

    if "run --count" in operations:
        for i in items:
            n = attempt("run --count", i.slug, count_members, i.segment, schema, eng, now=now)
            if n is not None and int(n) != len(expected[i.slug]):
                bad("run --count", i.slug, f"{n}, expected {len(expected[i.slug])}")

    if "run" in operations:  # the listing `segql run` prints: members once each, ordered by key
        for i in items:
            rows = attempt("run", i.slug, list_rows, i.segment, schema, eng, now=now)
            if rows is not None and [r[0] for r in rows] != sorted(expected[i.slug]):
                bad("run", i.slug, f"listed {[r[0] for r in rows]}, expected {sorted(expected[i.slug])}")

    if "explain" in operations:
        for i in items:
            seg = world.segments[i.slug]
            got = attempt("explain", i.slug, segql.explain, i.segment, i.definition, schema, eng, now=now)
            if got is None:
                continue
            want = len(expected[i.slug])
            if got["members"] != want or got["records"] != len(world.entities[seg.entity].rows):
                bad("explain", i.slug, f"members {got['members']} of {got['records']}, expected {want} of "
                    f"{len(world.entities[seg.entity].rows)}")
            tree = got["tree"]
            if tree is None:  # a static list: its size only
                continue
            if tree.get("funnel") and tree["funnel"][-1]["records"] != want:
                bad("explain", i.slug, f"funnel ends at {tree['funnel'][-1]['records']}, expected {want}")
            for path, node, cond in _pairs(tree, seg.cond):
                n = _node_count(world, seg.entity, cond)
                if node["records"] != n:
                    bad("explain", i.slug, f"node {path} `{node['condition']}`: {node['records']}, expected {n}")

    if "why" in operations:
        rng = random.Random(f"why {case.seed} {eng.dialect}")
        keys = [r["id"] for r in world.entities["contacts"].rows]
        for i in items:
            if i.segment.entity != "contacts":
                continue
            seg, members = world.segments[i.slug], expected[i.slug]
            inside, outside = sorted(members), sorted(set(keys) - members)
            sample = rng.sample(inside, min(len(inside), why_keys // 2))
            sample += rng.sample(outside, min(len(outside), why_keys - len(sample)))
            got = attempt("why", i.slug, why_records, i.segment, i.definition, schema, eng, sample, now=now)
            for key, res in zip(sample, got or []):
                if res["member"] != (key in members):
                    bad("why", i.slug, f"key {key}: member {res['member']}, expected {key in members}")
                row = next(r for r in world.entities["contacts"].rows if r["id"] == key)
                for path, node, cond in _pairs(res["tree"], seg.cond) if res["tree"] is not None else ():
                    want = cond.holds(o.Ctx(world, "contacts", row))
                    if node["value"] != want:
                        bad("why", i.slug, f"key {key} node {path} `{node['condition']}`: {node['value']}, "
                            f"expected {want}")
                    related = _related(world, cond, row) if node["kind"] == "condition" else None
                    if related is not None:
                        shown = node.get("related")
                        shown = shown and (shown["relationship"], shown["count"], shown["of"], shown["keys"])
                        if shown != related:
                            bad("why", i.slug, f"key {key} node {path} `{node['condition']}`: related {shown}, "
                                f"expected {related}")

    if out:  # is the plain member query right about these segments? (if not, check_case reports it too)
        got, errors = engine_members(eng, case, sorted({d.slug for d in out}))
        for d in out:
            if d.slug in errors:
                d.member_query = "member query refused too"
            else:
                same = got[d.slug] == expected[d.slug]
                d.member_query = "member query agrees with the oracle" if same else "member query disagrees too"
    return out


# ---- static lists beside the generator's own: duplicates, a NULL, a key of no record, look-alike slugs ----
class StaticList(o.Segment):
    """`list slug on contacts`: its members are the list's keys that are records."""

    def __init__(self, slug: str):
        super().__init__(slug, "contacts", o.InList(slug))

    def text(self):
        return f"list {self.slug} on contacts"


def with_lists(case: Case, rng: random.Random) -> Case:
    """The case with two more static lists in the generator's list table (members: some contacts' keys,
    duplicates, a key no record has, a NULL, and rows of look-alike slugs `OPS_VIPS`, `ops_vips ` that are
    other lists), both declared, and segments that use them: `in list`, `not in list`, and each beside one
    of the case's own conditions."""
    out = Case(**{f.name: getattr(case, f.name) for f in fields(case)})
    keys = [r["id"] for r in case.world.entities["contacts"].rows]
    pairs = [(slug, k) for slug in ("ops_vips", "ops_beta") for k in rng.sample(keys, rng.randint(0, len(keys) // 2))]
    pairs += [("ops_vips", rng.choice(keys)), ("ops_vips", 999), ("ops_vips", None), ("OPS_VIPS", rng.choice(keys)),
              ("ops_vips ", rng.choice(keys)), ("ops_beta", rng.choice(keys))]
    table = case.world.entities[o.LIST_ENTITY].rows
    first = max((r["id"] for r in table), default=0) + 1
    table.extend({"id": first + i, "list_slug": slug, "member_key": k} for i, (slug, k) in enumerate(pairs))
    segs = case.world.segments
    for slug in ("ops_vips", "ops_beta"):
        segs[slug] = StaticList(slug)
    own = [segs[s] for s in case.segments[:2]]
    extra = {"l_in": (o.InList("ops_vips"), []), "l_out": (o.InList("ops_beta", True), []),
             "l_and": (o.And([o.InList("ops_vips"), own[0].cond]), own[0].lets) if own else (o.InList("ops_vips"), []),
             "l_or": (o.Or([o.InList("ops_beta", True), own[1].cond]), own[1].lets) if len(own) > 1
             else (o.InList("ops_beta"), [])}
    for slug, (cond, lets) in extra.items():  # a condition keeps the `let`s it may use
        segs[slug] = o.Segment(slug, "contacts", cond, list(lets))
    out.segments = list(case.segments) + ["ops_vips", "ops_beta"] + list(extra)
    return out
