"""`segql plan` / `segql apply` (SPEC §6.4): segment files under review against the store, like dbt models.

The files are the whole truth for an organization: applying them creates the segments only in files,
changes the stored ones whose definition differs, and deletes stored segments whose slug is in no file.
References (`in segment x`) therefore resolve among the files (and their sibling files), as after apply.

For each change, who would enter and who would leave if applied now: the stored definition and the new
one are both run on the data at the same moment (`now`, default the current time) and their members
compared. Where a changed segment's condition items differ (the items of its top-level `and`/`or`, as
printed), each differing item is run on its own to say which change caused each entry and exit: for an
`and`, a record enters because an item it failed was dropped, and leaves because it fails an added item;
for an `or`, the other way round.

    actions = plan(segments, ["segments/"], organization="default")
    apply(segments, files)          # all or nothing: ONE store transaction
"""
from __future__ import annotations

import dataclasses
import difflib

from segql import ir
from segql.errors import SegqlError
from segql.ops import nodes
from segql.ops.load import check_documents, read_documents
from segql.ops.refresh import refresh_time
from segql.ops.run import list_rows
from segql.ops.store.sdk import Prepared, criteria_text, utc_stamp
from segql.ops.store.seeds import raise_all
from segql.syntax import ast
from segql.syntax.printer import format_condition, format_definition

SAMPLE = 10


@dataclasses.dataclass
class Action:
    """One line of a plan: create | change | delete | unchanged a segment, and its effect on members."""

    action: str
    slug: str
    object_type: str
    path: str | None = None
    line: int = 0
    diff: list[str] = dataclasses.field(default_factory=list)
    entered: int = 0
    left: int = 0
    entered_keys: list = dataclasses.field(default_factory=list)
    left_keys: list = dataclasses.field(default_factory=list)
    causes: list[dict] = dataclasses.field(default_factory=list)
    prepared: Prepared | None = dataclasses.field(default=None, repr=False)
    stored: object = dataclasses.field(default=None, repr=False)

    def to_dict(self) -> dict:
        out = {k: getattr(self, k) for k in ("action", "slug", "object_type", "path", "line", "diff", "entered",
                                              "left", "entered_keys", "left_keys", "causes")}
        return out


def _fields(d: ast.Definition, segment: ir.Segment) -> dict:
    return {"name": d.title or d.slug, "slug": d.slug, "description": d.description,
            "object_type": segment.entity, "is_dynamic": 1 if d.kind == "segment" else 0, "conditions": None,
            "criteria": criteria_text(d)}


def _shown(d: ast.Definition) -> list[str]:
    return format_definition(d).rstrip("\n").splitlines()


def plan(segments, files, *, organization: str = "default", now=None) -> list[Action]:
    """What applying `files` would change (raises every diagnostic of the files together)."""
    schema = segments.schema
    errors: list[SegqlError] = []
    docs = read_documents(list(files), schema, errors)
    checked = check_documents(docs, schema)
    raise_all(errors + checked.errors)
    stored = {s.slug: s for s in segments.find(organization=organization)}
    actions: list[Action] = []
    for item in checked.loaded:
        d = item.definition
        if item.document.path is not None and d not in item.document.definitions:  # pragma: no cover
            continue
        fields = _fields(d, item.segment)
        old = stored.get(d.slug)
        where = {"path": item.document.path, "line": d.span.line if d.span.line > 0 else 1}
        prepared = Prepared(d, item, fields)
        if old is None:
            actions.append(Action("create", d.slug, item.segment.entity, diff=[f"+{x}" for x in _shown(d)],
                                  prepared=prepared, **where))
            continue
        same = all(fields[k] == getattr(old, k) if k != "is_dynamic" else bool(fields[k]) == old.is_dynamic
                   for k in ("name", "description", "object_type", "is_dynamic", "criteria"))
        old_def = segments.stored_definition(old)
        diff = [] if same else [x for x in difflib.ndiff(_shown(old_def), _shown(d)) if x[:1] in "+-"]
        actions.append(Action("unchanged" if same else "change", d.slug, item.segment.entity, diff=diff,
                              prepared=prepared, stored=old, **where))
    in_files = {i.definition.slug for i in checked.loaded}
    for slug, old in sorted(stored.items()):
        if slug not in in_files:
            actions.append(Action("delete", slug, old.object_type,
                                  diff=[f"-{x}" for x in _shown(segments.stored_definition(old))], stored=old))
    _effects(segments, actions, now)
    return actions


def _effects(segments, actions: list[Action], now) -> None:
    """Fill in who would enter and leave, evaluating old and new definitions at one moment."""
    todo = [a for a in actions if a.action != "unchanged"]
    if not todo:
        return
    schema = segments.schema
    at = refresh_time(now, schema.timezone)
    with segments.engine(pooled=True) as engine:
        def members(seg: ir.Segment | None) -> list:
            if seg is None or seg.kind != "segment":
                return []
            return [r[0] for r in list_rows(seg, schema, engine, now=at) if r[0] is not None]

        for a in todo:
            new_item = a.prepared.loaded if a.prepared is not None else None
            old_item = segments.loaded(a.stored) if a.stored is not None and a.stored.is_dynamic else None
            if a.stored is not None and not a.stored.is_dynamic:
                old_keys = segments._typed(a.stored, _static_keys(segments, a.stored))
            else:
                old_keys = members(old_item.segment if old_item else None)
            new_keys = members(new_item.segment if new_item else None) if a.action != "delete" else []
            if a.action == "change" and new_item is not None and new_item.segment.kind == "list":
                new_keys = old_keys  # a static segment keeps its members
            old_set, new_set = set(old_keys), set(new_keys)
            entered = [k for k in new_keys if k not in old_set]
            left = [k for k in old_keys if k not in new_set]
            a.entered, a.left = len(entered), len(left)
            a.entered_keys, a.left_keys = entered[:SAMPLE], left[:SAMPLE]
            if a.action == "change" and old_item is not None and new_item is not None and (entered or left):
                a.causes = _causes(old_item, new_item, entered, left, members)


def _static_keys(segments, seg) -> list[str]:
    keys, cursor = [], None
    while True:
        page = segments._page("segql_static_members", seg, cursor, 1000)
        keys += page
        if len(page) < 1000:
            return keys
        cursor = page[-1]


def _items(item) -> tuple[str, dict]:
    """The top-level items of a segment's condition, printed, with their meaning."""
    root = nodes.pair(item.definition.condition, item.segment.condition)
    kids = root.children if root.kind in ("and", "or") else [root]
    return (root.kind if root.kind in ("and", "or") else "and"), {
        format_condition(k.syntax): k.meaning for k in kids}


def _causes(old_item, new_item, entered: list, left: list, members) -> list[dict]:
    old_kind, old_items = _items(old_item)
    new_kind, new_items = _items(new_item)
    if old_kind != new_kind:
        return []
    entity = new_item.segment.entity
    removed = {t: m for t, m in old_items.items() if t not in new_items}
    added = {t: m for t, m in new_items.items() if t not in old_items}
    # the same text, another meaning: a segment it references (`in segment x`) changed too
    redefined = {t for t in old_items if t in new_items and old_items[t] != new_items[t]}
    for t in redefined:
        removed[t], added[t] = old_items[t], new_items[t]
    out = []

    def passing(meaning) -> set:
        return set(members(ir.Segment("item", entity, "segment", meaning)))

    for text, meaning in removed.items():
        hits = passing(meaning)
        # and: those who failed a dropped item may now enter; or: those it let in may now leave
        n_in = sum(1 for k in entered if k not in hits) if old_kind == "and" else 0
        n_out = sum(1 for k in left if k in hits) if old_kind == "or" else 0
        if n_in or n_out:
            out.append({"condition": text, "change": "redefined" if text in redefined else "removed",
                        "entered": n_in, "left": n_out})
    for text, meaning in added.items():
        hits = passing(meaning)
        n_out = sum(1 for k in left if k not in hits) if new_kind == "and" else 0
        n_in = sum(1 for k in entered if k in hits) if new_kind == "or" else 0
        if n_in or n_out:
            out.append({"condition": text, "change": "redefined" if text in redefined else "added",
                        "entered": n_in, "left": n_out})
    return out


def apply(segments, files, *, organization: str = "default", now=None) -> list[Action]:
    """Apply the plan in ONE store transaction: every create, change and delete, or none."""
    actions = plan(segments, files, organization=organization, now=now)
    done = []
    with segments.db.transaction():
        for a in actions:
            if a.action == "create":
                done.append(("created", segments._insert(a.prepared, organization)))
            elif a.action == "change":
                if bool(a.prepared.fields["is_dynamic"]) != a.stored.is_dynamic:
                    raise SegqlError("E0813", f"{a.slug!r} changes between static and dynamic",
                                     hints=["give the new segment another slug"])
                current = segments.get(a.stored.id, organization=organization)
                segments._write_update(current, a.prepared, organization)
                done.append(("updated", current.id))
            elif a.action == "delete":
                segments._delete_rows(a.stored.id)
                done.append(("deleted", a.stored))
    for hook, what in done:
        if hook == "deleted":
            segments._forget_warehouse_membership(what.id)
            segments._fire("deleted", what)
        else:
            segments._fire(hook, segments.get(what, organization=organization))
    return actions


def summary(actions: list[Action]) -> dict:
    return {k: sum(1 for a in actions if a.action == k) for k in ("create", "change", "delete", "unchanged")}


def stamp(now, tz: str) -> str:
    from zoneinfo import ZoneInfo

    return utc_stamp(refresh_time(now, tz).replace(tzinfo=ZoneInfo(tz)))
