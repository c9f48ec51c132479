"""The adversarial differential's segments as *rule lists* (seed 002) and *react-querybuilder* queries
(docs/json.md): each JSON form, compiled by segql, must have the oracle's members for the text form on
DuckDB and SQLite (SPEC §1.3: every input form has one meaning), and so must `segql fmt` of that JSON.

The converters below are written from docs/json.md alone, from the oracle's condition classes; a
construct a form cannot express (negation in a rule list, aggregates, `performed`, `in segment`, `let`,
arithmetic …) leaves the segment out, and the test asserts that a real share was converted.

    SEGQL_ADVERSARIAL_CASES=50 SEGQL_ADVERSARIAL_SEED=3000 pytest tests/test_adversarial_jsonforms.py
"""
from __future__ import annotations

import json
import os
import random
from datetime import date, datetime

import pytest
from adversarial import oracle as o
from adversarial.generate import make_case
from adversarial.run import far_session, load, refusal_expected
from conftest_engines import engine_url

import segql
from segql.engines import connect
from segql.errors import SegqlError
from segql.frontends.source import parse_source
from segql.syntax.printer import format_document

CASES = int(os.environ.get("SEGQL_ADVERSARIAL_CASES", "1"))
FIRST = int(os.environ.get("SEGQL_ADVERSARIAL_SEED", "0"))


class Unsupported(Exception):
    """The form has no spelling for this construct (the segment is left out)."""


def _operand(left) -> str:
    """A rule's field: a property, a to-one path or a to-many path (MongoDB's meaning, SPEC §2.4)."""
    if isinstance(left, (o.Prop, o.ToOne, o.ToMany)):
        return left.text()
    raise Unsupported(type(left).__name__)


def _iso(v) -> str:
    return v.isoformat()


def _scalar(lit, left_typ: str | None, rng: random.Random, date_objects: bool):
    """A literal as a JSON value (docs/json.md "Values and types")."""
    if isinstance(lit, o.Lit) and lit.typ == "raw":  # already JSON
        return lit.v
    if not isinstance(lit, o.Lit):
        if isinstance(lit, o.Clock) and date_objects:  # {"$date": "today - 3 days"}
            return {"$date": lit.text()}
        raise Unsupported(type(lit).__name__)
    v = lit.v
    if isinstance(v, (date, datetime)):
        text = lit.raw[1:-1] if lit.raw and lit.raw.startswith('"') else _iso(v)
        mismatch = (lit.typ == "date") != (left_typ == "date")
        if mismatch or (date_objects and rng.random() < 0.3):  # `timestamp "…"` beside a date: say so
            if not date_objects:
                raise Unsupported("a date literal of the other type")
            return {"$date": text}
        return text
    if lit.raw is not None and not isinstance(v, str):  # "$1,000.25": its value
        return v
    return v


# ------------------------------------------------------------------------------------------- rule lists

RULE_CMP = {"=": "equals", "!=": "not_equals", ">": "greater_than", "<": "less_than"}
RULE_TEXT = {"contains": "contains", "starts with": "starts_with", "ends with": "ends_with"}


def to_rules(cond, rng: random.Random):
    """An oracle condition as a rule-list condition (a rule or a group)."""
    if isinstance(cond, (o.And, o.Or)):
        return {"logic": "AND" if isinstance(cond, o.And) else "OR",
                "conditions": [to_rules(p, rng) for p in cond.parts]}
    if isinstance(cond, o.BoolProp):
        return {"field": cond.prop.text(), "operator": "equals", "value": True}
    if isinstance(cond, o.Cmp):
        field = _operand(cond.left)
        if cond.op in RULE_CMP:
            op = RULE_CMP[cond.op]
        else:
            op = {">=": "greater_than_or_equal", "<=": "less_than_or_equal"}[cond.op] + rng.choice(("", "s"))
        return {"field": field, "operator": op, "value": _scalar(cond.right, cond.left.typ, rng, True)}
    if isinstance(cond, o.In):
        return {"field": _operand(cond.left), "operator": "not_in" if cond.negated else "in",
                "value": [_scalar(v, cond.left.typ, rng, True) for v in cond.values]}
    if isinstance(cond, o.Between):
        return {"field": _operand(cond.left), "operator": "not_between" if cond.negated else "between",
                "value": [_scalar(cond.lo, cond.left.typ, rng, True), _scalar(cond.hi, cond.left.typ, rng, True)]}
    if isinstance(cond, o.IsNull):
        return {"field": _operand(cond.left), "operator": "is_not_null" if cond.negated else "is_null"}
    if isinstance(cond, o.IsEmpty):
        return {"field": _operand(cond.left), "operator": "is_not_empty" if cond.negated else "is_empty"}
    if isinstance(cond, o.StrOp):
        return {"field": _operand(cond.left), "operator": ("not_" if cond.negated else "") + RULE_TEXT[cond.op],
                "value": cond.needle}
    if isinstance(cond, o.Matches):
        if cond.icase:
            raise Unsupported("matches ignoring case")
        return {"field": _operand(cond.left), "operator": "not_matches" if cond.negated else "matches",
                "value": cond.pattern}
    if isinstance(cond, o.Ago):
        if cond.unit == "day" and cond.op in ("<", ">") and rng.random() < 0.7:
            return {"field": _operand(cond.left), "value": cond.n,
                    "operator": "less_than_days_ago" if cond.op == "<" else "more_than_days_ago"}
        # an age that is neither newer nor older: a point in time (docs/json.md "Relative dates")
        base = "today" if cond.left.typ == "date" else "now"
        point = {"$date": f"{base} - {cond.n} {cond.unit}{'s' if cond.n != 1 else ''}"}
        flip = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "="}[cond.op]
        return to_rules(o.Cmp(cond.left, flip, o.Lit(point, "raw")), rng)
    if isinstance(cond, o.Sequence) and not (cond.did_not and cond.count):
        return {"field": "events", "operator": "not_sequence" if cond.did_not else "sequence",
                "value": sequence_value(cond, rng)}
    if isinstance(cond, o.InWindow) and not cond.negated and cond.w[0] == "last" and cond.w[2] == "day":
        return {"field": _operand(cond.left), "operator": "within_days", "value": cond.w[1]}
    raise Unsupported(type(cond).__name__)


def _event_filter(cond) -> dict:
    """A sequence's `where` on the event as a MongoDB-style filter (only the shapes the generator uses
    on `amount`)."""
    if isinstance(cond, o.Not):
        inner = _event_filter(cond.a)
        [(field, ops)] = inner.items()
        if not isinstance(ops, dict) or len(ops) != 1:
            raise Unsupported("not")
        return {field: {"$not": ops}}
    if isinstance(cond, o.IsNull) and isinstance(cond.left, o.Prop):
        return {cond.left.text(): {"$ne": None} if cond.negated else None}
    if isinstance(cond, o.Cmp) and isinstance(cond.left, o.Prop) and isinstance(cond.right, o.Lit) \
            and isinstance(cond.right.v, (int, float)) and not isinstance(cond.right.v, bool):
        op = {"=": "$eq", "!=": "$ne", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}[cond.op]
        return {cond.left.text(): {op: cond.right.v}}
    raise Unsupported("event filter " + type(cond).__name__)


def _period_text(w) -> str:
    if w[0] == "last":
        return f"last {w[1]} {w[2]}{'s' if w[1] != 1 else ''}"
    if w[0] == "period":
        return f"{w[1]} {w[2]}"
    raise Unsupported("a window between two ages")


SEQ_COUNT = {"at least": "at_least", "at most": "at_most", "exactly": "exactly", "more than": "more_than",
             "fewer than": "fewer_than", "less than": "fewer_than"}


def sequence_value(seq, rng) -> dict:
    """docs/json.md "Sequences": the `$sequence` object (the rule operator `sequence` takes the same)."""
    v = {"first": seq.a, "then": seq.b}
    if seq.a_where is not None:
        v["first_where"] = _event_filter(seq.a_where)
    if seq.b_where is not None:
        v["then_where"] = _event_filter(seq.b_where)
    if seq.span is not None:
        n, unit = seq.span
        if unit == "day" and rng.random() < 0.5:
            v["within_days"] = n
        else:
            v["within"] = f"{n} {unit}{'s' if n != 1 else ''}"
    if seq.window is not None:
        v["window"] = _period_text(seq.window)
    if seq.count is not None:
        v[SEQ_COUNT[seq.count[0]]] = seq.count[1]
    return v


def rules_document(seg: o.Segment, rng: random.Random) -> dict:
    """The segment as a rule-list document (its unused `let`s dropped: a `let` used is a LetRef, refused)."""
    top = to_rules(seg.cond, rng)
    if "conditions" in top:
        doc = {"type": "contacts", "name": seg.slug, "conditions": top["conditions"]}
        if top["logic"] == "OR" or rng.random() < 0.5:
            doc["logic"] = top["logic"]
        return doc
    return {"type": "contacts", "name": seg.slug, "conditions": [top]}


# ------------------------------------------------------------------------------------ react-querybuilder

QB_TEXT = {("contains", False): "contains", ("starts with", False): "beginsWith", ("ends with", False): "endsWith",
           ("contains", True): "doesNotContain", ("starts with", True): "doesNotBeginWith",
           ("ends with", True): "doesNotEndWith"}


def _form_value(lit, left_typ, rng):
    """A value as a form input may send it: the JSON value, or (numbers, booleans) as a string."""
    v = _scalar(lit, left_typ, rng, False)
    if v is None:
        raise Unsupported("null in a react-querybuilder value")
    if isinstance(v, bool):
        return ("true" if v else "false") if rng.random() < 0.6 else v
    if isinstance(v, (int, float)) and rng.random() < 0.6:
        return rng.choice(("", " ")) + repr(v) + rng.choice(("", " "))
    return v


def to_qb(cond, rng: random.Random):
    """An oracle condition as a react-querybuilder rule or group."""
    if isinstance(cond, o.Or) and rng.random() < 0.4:  # independent combinators: `and` binds tighter
        rules = []
        for i, part in enumerate(cond.parts):
            terms = part.parts if isinstance(part, o.And) else [part]
            for j, term in enumerate(terms):
                if rules:
                    rules.append("or" if j == 0 else rng.choice(("and", "AND")))
                rules.append(to_qb(term, rng))
        return {"rules": rules}
    if isinstance(cond, (o.And, o.Or)):
        rules = [to_qb(p, rng) for p in cond.parts]
        if rng.random() < 0.2:  # a disabled rule, or a group left without enabled rules, is dropped
            junk = {"field": "visits", "operator": ">", "value": "1", "disabled": True}
            rules.insert(rng.randrange(len(rules) + 1),
                         junk if rng.random() < 0.5 else {"combinator": "or", "not": True, "rules": [junk]})
        return {"combinator": "and" if isinstance(cond, o.And) else rng.choice(("or", "OR")), "rules": rules}
    if isinstance(cond, o.Not):
        inner = to_qb(cond.a, rng)
        if "rules" in inner and "not" not in inner:
            return {**inner, "not": True}
        return {"combinator": "and", "not": True, "rules": [inner]}
    if isinstance(cond, o.BoolProp):
        return {"field": cond.prop.text(), "operator": "=", "value": rng.choice(("true", True))}
    if isinstance(cond, o.Cmp):
        field = _operand(cond.left)
        if isinstance(cond.right, (o.Prop, o.ToOne)):
            return {"field": field, "operator": cond.op, "value": cond.right.text(), "valueSource": "field"}
        return {"field": field, "operator": cond.op, "value": _form_value(cond.right, cond.left.typ, rng)}
    if isinstance(cond, (o.In, o.Between)):
        field = _operand(cond.left)
        items = cond.values if isinstance(cond, o.In) else [cond.lo, cond.hi]
        if any(isinstance(v, (o.Prop, o.ToOne)) for v in items):
            raise Unsupported("a field in a list")
        values = [_form_value(v, cond.left.typ, rng) for v in items]
        texts = [str(v) if not isinstance(v, bool) else str(v).lower() for v in values]
        if items and rng.random() < 0.5 and all("," not in t and t == t.strip() and t for t in texts):
            values = rng.choice((", ", ",")).join(texts)  # "CA, NY": items trimmed
        if isinstance(cond, o.In):
            op = "notIn" if cond.negated else "in"
        else:
            op = "notBetween" if cond.negated else "between"
        return {"field": field, "operator": op, "value": values}
    if isinstance(cond, o.IsNull):
        return {"field": _operand(cond.left), "operator": "notNull" if cond.negated else "null"}
    if isinstance(cond, o.StrOp):
        return {"field": _operand(cond.left), "operator": QB_TEXT[(cond.op, cond.negated)], "value": cond.needle}
    raise Unsupported(type(cond).__name__)


def qb_document(seg: o.Segment, rng: random.Random) -> dict:
    top = to_qb(seg.cond, rng)
    if "rules" not in top:
        top = {"combinator": "and", "rules": [top]}
    if rng.random() < 0.5:
        return {"type": "contacts", "name": seg.slug, **top}
    return {"type": "contacts", "name": seg.slug, "query": top}


FORMS = {"rules": rules_document, "querybuilder": qb_document}


# ------------------------------------------------------------------------------------------------ tests


@pytest.fixture(scope="module", params=("duckdb", "sqlite"))
def engine(request):
    eng = connect(engine_url(request.param))
    far_session(eng)
    yield eng
    eng.close()


def _members(eng, source, schema, now) -> set:
    [seg] = segql.check(source, schema)
    sql = segql.render(segql.to_sql_tree(seg, schema, eng.dialect, now=now), eng.dialect)
    return {row[0] for row in eng.execute(sql)}


def form_disagreements(eng, case, form: str) -> tuple[int, list[str]]:
    """(segments converted, disagreements) of `case`'s segments in `form` on `eng`."""
    schema = segql.parse_schema(case.schema_yaml)
    load(eng, case)
    converted, found = 0, []
    for slug in case.segments:
        seg = case.world.segments[slug]
        rng = random.Random(f"{case.seed}:{slug}:{form}")
        try:
            doc = FORMS[form](seg, rng)
        except Unsupported:
            continue
        converted += 1
        if refusal_expected(case, eng.dialect, seg):
            continue  # an instant in a zone SQLite cannot read: tests/test_adversarial.py checks the refusal
        text = json.dumps(doc, ensure_ascii=False)
        where = f"[seed {case.seed}] {eng.dialect} {form} {slug}: {seg.cond.text()}\n  as {text}"
        want = o.members(case.world, seg)
        try:
            got = _members(eng, text, schema, case.now_arg)
        except SegqlError as e:
            found.append(f"{where}\n  refused: {e}")
            continue
        if got != want:
            found.append(f"{where}\n  missing {sorted(want - got)} extra {sorted(got - want)}")
            continue
        try:  # `segql fmt` of the JSON file: canonical text with the same members
            formatted = format_document(parse_source(text, schema=schema))
            got = _members(eng, formatted, schema, case.now_arg)
        except SegqlError as e:
            found.append(f"{where}\n  fmt refused: {e}")
            continue
        if got != want:
            found.append(f"{where}\n  fmt: {formatted}\n  missing {sorted(want - got)} extra {sorted(got - want)}")
    return converted, found


@pytest.mark.parametrize("form", sorted(FORMS))
def test_json_form_keeps_the_members(engine, form):
    found, converted, total = [], 0, 0
    for seed in range(FIRST + 50_000, FIRST + 50_000 + CASES):
        case = make_case(seed, n_segments=30, max_depth=1 + seed % 2)
        n, f = form_disagreements(engine, case, form)
        converted, total, found = converted + n, total + len(case.segments), found + f
    print(f"{converted} of {total} segments as {form}")
    assert converted >= total // 5, f"only {converted} of {total} segments converted to {form}"
    assert not found, f"{len(found)} disagreement(s) as {form}:\n" + "\n".join(found[:20])


def test_negated_group_without_enabled_rules_is_dropped(engine):
    """Minimised from the run above: docs/json.md drops a group left without enabled rules (as
    formatQuery does), negated or not; segql read `{"not": true, "rules": [<disabled>]}` as `not (every
    record)`, so `vip and <that group>` selected nobody. A whole query of such a group holds for all."""
    case = make_case(52148)
    schema = segql.parse_schema(case.schema_yaml)
    load(engine, case)
    disabled = {"field": "visits", "operator": ">", "value": "1", "disabled": True}
    dropped = {"combinator": "or", "not": True, "rules": [disabled]}
    everyone = {row[0] for row in engine.execute("SELECT id FROM adv_contacts")}
    vip = _members(engine, 'segment s on contacts where vip', schema, case.now_arg)
    assert vip and vip != everyone
    nested = {"type": "contacts", "rules": [{"field": "vip", "operator": "=", "value": "true"}, dropped]}
    assert _members(engine, nested, schema, case.now_arg) == vip
    assert _members(engine, {"type": "contacts", **dropped}, schema, case.now_arg) == everyone
