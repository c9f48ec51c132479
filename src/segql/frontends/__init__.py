"""JSON front ends (SPEC §1.3): MongoDB-style documents and filters, seed 002's rule lists, and
react-querybuilder queries, all producing the same syntax tree as the text language.

    json_document({"type": "Contact", "filter": {"country": "US"}}, schema=schema)
    json_document_from_text(text, path="vip.json", schema=schema)   # errors carry line:col too

What a JSON value is:
- an array: several definitions (each element one of the shapes below);
- `{"object_type": "segments", "data": {...}}`: seed 001's export item, the definition is `data`;
- an object with `filter`, `conditions`, `query` or `rules`: a *document* — `filter`/`query`/`conditions`
  hold a MongoDB-style filter (an object), a rule list (an array, seed 002) or a react-querybuilder group
  (an object with `rules`); a top-level `rules` makes the document itself a react-querybuilder group;
- an object with `criteria` or `isDynamic` (seed 000's Segment): `criteria` is a filter or a document,
  possibly as JSON text; `"isDynamic": false` without criteria is a static list;
- any other object: a bare MongoDB-style filter on the `on` entity.
See docs/json.md.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path as FsPath
from typing import TYPE_CHECKING

from segql import limits
from segql.errors import SegqlError, Span
from segql.schema import did_you_mean
from segql.syntax import ast

if TYPE_CHECKING:  # the readers are imported when a JSON input arrives, not at start-up
    from segql.frontends.mongo import Ctx

__all__ = ["json_document", "json_document_from_text"]

FILTER_KEYS = ("filter", "conditions", "query", "rules")
ENTITY_KEYS = ("type", "object_type", "on")
META_KEYS = ("name", "title", "slug", "description")
# keys of the seeds' segment objects that say nothing about membership; accepted and ignored
IGNORED_KEYS = ("id", "object", "created_at", "updated_at", "createdAt", "updatedAt", "memberCount",
                "member_count", "contact_count", "organization", "$schema")
NAME_MAX, DESCRIPTION_MAX = 100, 500


class _NaN(Exception):
    pass


def _reject_constant(name):
    raise _NaN(name)


def _decimal(text: str):
    """JSON's number text → Decimal, refusing what no engine holds (`1e99999999999999999999` would
    otherwise raise decimal.InvalidOperation far from here)."""
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise _NaN(text) from None
    if limits.number_problem(value):
        raise _NaN(text)
    return value


def _int(text: str):
    """Checked on the text: int() itself fails past 4,300 digits."""
    if len(text.lstrip("-")) > limits.MAX_NUMBER_DIGITS:
        raise _NaN(text)
    return int(text)


def json_document_from_text(text: str, *, path: str | None = None, on: str | None = None, schema=None) -> ast.Document:
    """JSON text → Document. Parse errors are E0150 at the line/column; every node's span has the line,
    column and JSON pointer of where it came from."""
    from segql.frontends.mongo import Ctx

    value, body = decode_json(text, path=path)
    ctx = Ctx(schema, text=body, path=path)
    ctx.text = text
    return _checked_document(value, ctx, on)


def read_json(text: str, *, path: str | None = None):
    """JSON text that is data, not a segment (`segql match --record`) → (value, ctx): decoded as
    `decode_json`, strings checked as in documents, and `ctx.error(code, message, pointer tokens)` for
    diagnostics at the value's line and column."""
    from segql.frontends.mongo import Ctx

    value, body = decode_json(text, path=path)
    ctx = Ctx(None, text=body, path=path)
    ctx.text = text
    _check_value(value, ctx)
    return value, ctx


def decode_json(text: str, *, path: str | None = None):
    """JSON text → (value, the text as parsed): numbers as int and Decimal, bounded in size, depth and
    digits; every failure a diagnostic at its line and column (E0150, E0114, E0155)."""
    if len(text) > limits.MAX_INPUT_CHARS:
        raise SegqlError("E0155", f"the input is over the size limit of {limits.MAX_INPUT_CHARS:,} characters",
                         Span(1, 1, 1, 2), path=path)
    body = text.replace("\ufeff", " ", 1) if text.startswith("\ufeff") else text
    try:
        value = json.loads(body, parse_float=_decimal, parse_int=_int, parse_constant=_reject_constant)
    except json.JSONDecodeError as err:
        raise SegqlError("E0150", f"invalid JSON: {err.msg}", Span(err.lineno, err.colno, err.lineno, err.colno + 1),
                         ["check for a missing comma, quote or bracket near here"], path=path, source=text) from None
    except _NaN as err:
        offset = max(body.find(str(err)), 0)
        line = body.count("\n", 0, offset) + 1
        col = offset - (body.rfind("\n", 0, offset) + 1) + 1
        span = Span(line, col, line, col + min(len(str(err)), 80))
        if str(err) in ("NaN", "Infinity", "-Infinity"):
            raise SegqlError("E0150", f"invalid JSON: {err} is not a JSON number", span, path=path,
                             source=text) from None
        raise SegqlError("E0114", f"numbers may have at most {limits.MAX_NUMBER_DIGITS} digits", span,
                         ["compare with a smaller number"], path=path, source=text) from None
    except RecursionError:
        raise SegqlError("E0155", f"the JSON is nested more than {limits.MAX_JSON_DEPTH} levels deep",
                         Span(1, 1, 1, 2), path=path, source=text) from None
    return value, body


def json_document(value, *, path: str | None = None, on: str | None = None, schema=None) -> ast.Document:
    """A decoded JSON value (dict or list) → Document; spans carry JSON pointers."""
    from segql.frontends.mongo import Ctx

    return _checked_document(value, Ctx(schema, path=path), on)


def _checked_document(value, ctx: Ctx, on) -> ast.Document:
    _check_value(value, ctx)
    try:
        return _document(value, ctx, on)
    except SegqlError as err:  # raised by a syntax node itself (a time amount over its limit)
        err.path, err.source = err.path or ctx.path, err.source or ctx.text
        raise


_BAD_CHAR = re.compile("[\x00\ud800-\udfff]")


def _check_value(value, ctx: Ctx, tokens=()):
    """One walk over the whole value before it is read, so every reader can trust it: bounded depth and
    size; strings (keys too) are Unicode without U+0000 or lone surrogates (SPEC §2.7, as in the text
    language); numbers are finite and at most MAX_NUMBER_DIGITS digits (decoded values come from API
    callers too, not only from our own JSON parser)."""
    stack = [(value, len(tokens), tuple(tokens))]
    count = 0
    while stack:
        v, depth, tokens = stack.pop()
        count += 1
        if depth > limits.MAX_JSON_DEPTH or count > limits.MAX_INPUT_CHARS:
            raise SegqlError("E0155", f"the JSON is nested more than {limits.MAX_JSON_DEPTH} levels deep"
                             if depth > limits.MAX_JSON_DEPTH else "the JSON value is too large",
                             path=ctx.path, source=ctx.text)
        if isinstance(v, dict):
            for k, x in v.items():
                if isinstance(k, str) and _BAD_CHAR.search(k):
                    raise _bad_string(ctx, k, tokens + (k,), key=True)
                stack.append((x, depth + 1, tokens + (k,)))
        elif isinstance(v, list):
            stack.extend((x, depth + 1, tokens + (i,)) for i, x in enumerate(v))
        elif isinstance(v, str):
            if _BAD_CHAR.search(v):
                raise _bad_string(ctx, v, tokens)
        elif isinstance(v, (int, float, Decimal)):
            problem = limits.number_problem(v)
            if problem:
                raise ctx.error("E0114", problem, tokens, ["compare with a smaller number"])


def _bad_string(ctx, text, tokens, key=False):
    what = "U+0000" if "\x00" in text else "a lone surrogate (half of a \\uD83D\\uDE00 pair)"
    return ctx.error("E0151", f"strings may not contain {what}", tokens,
                     ["segment values and names are Unicode text without U+0000 (SPEC §2.7)"], key=key)


def _document(value, ctx: Ctx, on) -> ast.Document:
    if isinstance(value, list):
        if not value:
            raise ctx.error("E0152", "an empty array holds no segments", ())
        defs = tuple(_definition(v, ctx, (i,), on, i) for i, v in enumerate(value))
    elif isinstance(value, dict):
        defs = (_definition(value, ctx, (), on, None),)
    else:
        raise ctx.error("E0152", "a JSON segment must be an object (or an array of them)", ())
    seen = {}
    for d in defs:
        if d.slug in seen:
            raise SegqlError("E0152", f"two segments have the slug {d.slug!r}", d.span,
                             ["give each a distinct \"slug\""], path=ctx.path, source=ctx.text)
        seen[d.slug] = d
    return ast.Document(defs, path=ctx.path, source=ctx.text, span=ctx.span(()))


def _slugify(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_")


def _definition(obj, ctx: Ctx, tokens, on, index) -> ast.Definition:
    from segql.frontends.mongo import MongoReader
    from segql.frontends.querybuilder import QueryBuilderReader

    if not isinstance(obj, dict):
        raise ctx.error("E0152", "a segment must be a JSON object", tokens)
    if obj.get("object_type") == "segments" and "data" in obj:  # seed 001's export item
        for key in obj:
            if key not in ("object_type", "data", "id"):
                raise ctx.error("E0158", f"unknown key {key!r} in an export item", tokens + (key,), key=True)
        return _definition(obj["data"], ctx, tokens + ("data",), on, index)
    present = [k for k in FILTER_KEYS if k in obj]
    seed000 = "criteria" in obj or "isDynamic" in obj
    if not present and not seed000:
        return _bare(obj, ctx, tokens, on, index)
    if len(present) > 1:
        raise ctx.error("E0152", f"a segment has one filter, but this one has {' and '.join(present)}",
                        tokens + (present[1],), key=True)
    if present and "criteria" in obj:
        raise ctx.error("E0152", f"a segment has one filter, but this one has {present[0]} and criteria",
                        tokens + ("criteria",), key=True)
    filter_key = present[0] if present else ("criteria" if "criteria" in obj else None)
    allowed = [*ENTITY_KEYS, *META_KEYS, *IGNORED_KEYS, "isDynamic"]
    if filter_key:
        allowed.append(filter_key)
    if filter_key == "rules":
        allowed += ["combinator", "not"]
    if filter_key == "conditions" and isinstance(obj.get("conditions"), list):
        allowed.append("logic")
    for key in obj:
        if key not in allowed:
            hints = did_you_mean(str(key), allowed)
            if key in ("sort", "limit", "skip", "projection"):
                hints = [f"a segment is a set of records: it has no {key} (see `segql run --limit`)"]
            raise ctx.error("E0158", f"unknown key {key!r} in a segment document", tokens + (key,),
                            hints or [f"keys: {', '.join(allowed)}"], key=True)

    title = _meta_string(obj, ctx, tokens, ("name", "title"), 1, NAME_MAX, "name")
    description = _meta_string(obj, ctx, tokens, ("description",), 0, DESCRIPTION_MAX, "description")
    entity_name, entity_tokens = _entity_name(obj, ctx, tokens, on)
    slug = _slug(obj, ctx, tokens, title, index)
    kind = "segment"
    dynamic = obj.get("isDynamic", True)
    if not isinstance(dynamic, bool):
        raise ctx.error("E0152", "isDynamic must be true or false", tokens + ("isDynamic",))

    if filter_key == "criteria":
        criteria, ct = obj["criteria"], tokens + ("criteria",)
        if isinstance(criteria, str):
            criteria = _criteria_text(criteria, ctx, ct)
        if isinstance(criteria, dict) and any(k in criteria for k in FILTER_KEYS):
            inner = _definition(criteria, ctx, ct, entity_name or on, index)
            if entity_name is None:
                entity_name, entity_tokens = inner.entity, ct
            condition = inner.condition
        else:
            if entity_name is None:
                raise _no_entity(ctx, tokens)
            condition = MongoReader(ctx).filter(criteria, ct, ctx.entity(entity_name))
        if not dynamic:
            raise ctx.error("E0152", "a static segment (isDynamic: false) has no criteria", tokens + ("isDynamic",),
                            ["members of a static list are managed by hand"])
    elif filter_key is None:
        if dynamic:
            raise ctx.error("E0152", "a dynamic segment needs criteria (or filter, conditions, query)", tokens)
        if entity_name is None:
            raise _no_entity(ctx, tokens)
        kind, condition = "list", None
    else:
        if entity_name is None:
            raise _no_entity(ctx, tokens)
        if not dynamic:
            raise ctx.error("E0152", "a static segment (isDynamic: false) has no filter", tokens + ("isDynamic",))
        entity = ctx.entity(entity_name)
        if filter_key == "rules":
            condition = QueryBuilderReader(ctx).group(
                obj, tokens, entity, extra_keys=[k for k in obj if k not in ("combinator", "not", "rules", "id")])
        else:
            condition = _filter(obj[filter_key], ctx, tokens + (filter_key,), entity, obj, tokens)
        if condition is None:
            from segql.frontends.mongo import everything

            condition = everything(entity.key if entity else "id", ctx.span(tokens + (filter_key,)))
    return ast.Definition(kind, slug, entity_name, condition, title, description, span=ctx.span(tokens),
                          entity_span=ctx.span(entity_tokens) if entity_tokens else ctx.span(tokens))


def _filter(value, ctx, ft, entity, obj, tokens):
    from segql.frontends.mongo import MongoReader
    from segql.frontends.querybuilder import QueryBuilderReader
    from segql.frontends.rules import RulesReader

    if isinstance(value, list):
        return RulesReader(ctx).group(value, obj.get("logic"), ft, tokens + ("logic",), entity)
    if isinstance(value, dict) and isinstance(value.get("rules"), list) and (
            "combinator" in value or not any(k.startswith("$") for k in value if isinstance(k, str))):
        return QueryBuilderReader(ctx).group(value, ft, entity)
    if isinstance(value, dict) and isinstance(value.get("conditions"), list) and "logic" in value:
        return RulesReader(ctx).group(value["conditions"], value.get("logic"), ft + ("conditions",),
                                      ft + ("logic",), entity)
    return MongoReader(ctx).filter(value, ft, entity)


def _bare(obj, ctx, tokens, on, index) -> ast.Definition:
    from segql.frontends.mongo import MongoReader

    if on is None:
        raise _no_entity(ctx, tokens, bare=True)
    condition = MongoReader(ctx).filter(obj, tokens, ctx.entity(on))
    slug = _slug({}, ctx, tokens, None, index)
    return ast.Definition("segment", slug, on, condition, span=ctx.span(tokens))


def _no_entity(ctx, tokens, bare=False):
    what = "a bare filter" if bare else "this segment"
    return ctx.error("E0156", f"{what} does not say which entity it is about", tokens,
                     ['add "type": "contacts" (or "object_type"/"on"), or pass --on ENTITY (on= in the API)'])


def _entity_name(obj, ctx, tokens, on):
    found = [(k, obj[k]) for k in ENTITY_KEYS if k in obj]
    for key, value in found:
        if not isinstance(value, str) or not value.strip():
            raise ctx.error("E0152", f"{key} must be an entity name", tokens + (key,))
    names = {v for _, v in found}
    if len(names) > 1:
        key = found[1][0]
        raise ctx.error("E0152", f"the document names two entities: {' and '.join(repr(v) for _, v in found)}",
                        tokens + (key,), key=True)
    if found:
        return found[0][1], tokens + (found[0][0],)
    return on, None


def _meta_string(obj, ctx, tokens, keys, low, high, what):
    present = [k for k in keys if k in obj]
    if not present:
        return None
    key = present[0]
    value = obj[key]
    t = tokens + (key,)
    if value is None and what == "description":
        return None
    if not isinstance(value, str):
        raise ctx.error("E0152", f"{key} must be a string", t)
    if len(value) < low or (what == "name" and not value.strip()):
        raise ctx.error("E0157", f"the {what} must not be empty", t, [f"a {what} has 1 to {high} characters"])
    if len(value) > high:
        raise ctx.error("E0157", f"the {what} is {len(value)} characters long; at most {high} are allowed", t)
    return value


def _slug(obj, ctx, tokens, title, index):
    if "slug" in obj:
        slug = obj["slug"]
        if not isinstance(slug, str) or not slug.strip():
            raise ctx.error("E0152", "slug must be a non-empty string", tokens + ("slug",))
        return slug
    stem = FsPath(ctx.path).stem if ctx.path else None
    if stem and index is None:
        return stem
    if title and _slugify(title):
        return _slugify(title)
    base = stem or "segment"
    return base if index is None else f"{base}_{index + 1}"


def _criteria_text(text, ctx, tokens):
    """Seed 000 stores criteria as JSON text (`JSON.stringify({...})`)."""
    try:
        value = json.loads(text, parse_float=_decimal, parse_int=_int, parse_constant=_reject_constant)
    except (json.JSONDecodeError, _NaN) as err:
        msg = err.msg if isinstance(err, json.JSONDecodeError) else f"{str(err)[:80]} is not a number segql can use"
        raise ctx.error("E0150", f"criteria is not valid JSON: {msg}", tokens) from None
    except RecursionError:
        raise ctx.error("E0155", "criteria is nested too deeply", tokens) from None
    _check_value(value, ctx, tokens)
    return value
