"""Static lists (`in list x`, `list x on contacts`): members live in the schema's `lists:` table on the
target database; adding and removing is one transaction (`segql list add|remove|show`)."""
from __future__ import annotations

from sqlglot import exp

from segql.errors import SegqlError
from segql.lower.dialects import get_ops
from segql.lower.sql import schema_name, table_expr
from segql.ops.refresh import Db
from segql.schema import did_you_mean


def require_lists(schema):
    if schema.lists is None:
        raise SegqlError("E0313", "the schema has no `lists:` table for static lists",
                         hints=["add `lists: {table: list_members, list: list_slug, member: member_key}`"])
    return schema.lists


def key_type(schema, on: str | None) -> tuple[str, object]:
    """The type of the keys a list holds (and the entity, when `on` names one)."""
    if on is not None:
        entity = schema.entity(on)
        if entity is None:
            raise SegqlError("E0301", f"unknown entity {on!r}", hints=did_you_mean(on, schema.entity_names()))
        return entity.properties[entity.key].type, entity
    types = {e.properties[e.key].type for e in schema.entities.values()}
    if len(types) == 1:
        return types.pop(), None
    raise SegqlError("E0004", "the entities' keys have different types; say which entity the list holds",
                     hints=["pass --on ENTITY"])


def convert_keys(keys, kind: str) -> list:
    """Keys typed on a command line, as the key column's type (E0703 when one does not read)."""
    out = []
    for k in keys:
        if kind in ("integer", "number"):
            try:
                out.append(int(k) if kind == "integer" else float(k))
            except ValueError:
                raise SegqlError("E0703", f"list member {k!r} is not {'an integer' if kind == 'integer' else 'a number'}"
                                 " key") from None
        else:
            out.append(k)
    return out


def _lists_table(lists):
    return table_expr(lists.table)


def list_members(engine, schema, slug: str) -> list:
    """The members of static list `slug`, ordered."""
    lists = require_lists(schema)
    member, list_col = exp.column(schema_name(lists.member_column)), exp.column(schema_name(lists.list_column))
    q = exp.select(member).distinct().from_(_lists_table(lists)).where(
        exp.EQ(this=list_col, expression=exp.Literal.string(slug))).order_by(member.copy())
    return [r[0] for r in engine.execute(_sql(q, engine.dialect))]


def _sql(tree, dialect: str) -> str:
    """A statement's SQL with its string literals (slugs, member keys) spelled as the dialect needs."""
    return get_ops(dialect).finish(tree).sql(dialect=dialect)


def _literal(v):
    return exp.Literal.string(v) if isinstance(v, str) else exp.Literal.number(v)


def change_list(engine, schema, slug: str, action: str, keys: list, *, on: str | None = None) -> dict:
    """Add or remove `keys` (one transaction). Returns `{"changed", "unchanged", "unknown_records"}`:
    keys added that no record has yet are kept (they count once the record exists) and reported."""
    lists = require_lists(schema)
    kind, entity = key_type(schema, on)
    keys = list(dict.fromkeys(convert_keys(keys, kind)))
    db = Db(engine, f"list {action}")
    table = _lists_table(lists)
    list_col, member_col = exp.column(schema_name(lists.list_column)), exp.column(schema_name(lists.member_column))
    changed = 0
    db.begin()
    try:
        present = set(list_members(db, schema, slug))
        for k in keys:
            if action == "add" and k not in present:
                stmt = exp.insert(exp.Values(expressions=[exp.Tuple(expressions=[exp.Literal.string(slug), _literal(k)])]), table,
                                  columns=[schema_name(lists.list_column), schema_name(lists.member_column)])
                db.run(_sql(stmt, db.dialect))
                changed += 1
            elif action == "remove" and k in present:
                cond = exp.and_(exp.EQ(this=list_col.copy(), expression=exp.Literal.string(slug)),
                                exp.EQ(this=member_col.copy(), expression=_literal(k)))
                db.run(_sql(exp.delete(table.copy(), where=cond), db.dialect))
                changed += 1
        db.commit()
    except BaseException:
        db.rollback()
        raise
    missing = _missing_records(db, entity, keys) if entity is not None and action == "add" else []
    return {"changed": changed, "unchanged": len(keys) - changed, "unknown_records": missing}


def _missing_records(db, entity, keys) -> list:
    col = exp.column(schema_name(entity.properties[entity.key].column), table=exp.Identifier(this="e"))
    q = exp.select(col).from_(table_expr(entity.table, "e")).where(
        exp.In(this=col.copy(), expressions=[_literal(k) for k in keys]))
    try:
        found = {r[0] for r in db.run(_sql(q, db.dialect))}
    except SegqlError:
        return []
    return [k for k in keys if k not in found]
