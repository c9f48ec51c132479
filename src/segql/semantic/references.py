"""Segment references: `[path] in segment x` (checked once, cycles refused) and `in list x`."""
from __future__ import annotations

from segql import ir
from segql.errors import SegqlError
from segql.schema import did_you_mean
from segql.semantic.scope import err as _err


class ReferencesMixin:
    def _InSegment(self, node, scope):
        entity = scope.entity
        steps = []
        if node.subject is not None:
            steps, terminal = self.resolve_path(node.subject, scope)
            if terminal is not None or not steps:
                raise _err("E0305", f"{'.'.join(node.subject.parts)} is not a relationship", node.subject,
                           [f"write `in {node.kind} {node.slug}` for this record"])
            entity = self.schema.entities[steps[-1].target]
        if node.kind == "list":
            if self.schema.lists is None:
                raise _err("E0313", "the schema has no `lists:` table for static lists", node,
                           ["add `lists: {table: list_members, list: list_slug, member: member_key}`"])
            cond: ir.Cond = ir.InList(node.slug)
        else:
            found = self.library.find(node.slug)
            if found is None:
                raise _err("E0314", f"unknown segment {node.slug!r}", node.slug_span or node,
                           did_you_mean(node.slug, list(self.library.definitions)) or
                           ["segments are looked up in the files given and the *.segql files beside them"])
            definition, doc = found
            if definition.slug in self._resolving:
                raise self._cycle_error(definition.slug, node.span)
            try:
                target = self.check_definition(definition)
            except SegqlError as error:
                raise self._located_in(error, doc, node) from None
            if target.entity != entity.name:
                raise _err("E0315", f"segment {node.slug!r} is on {target.entity}, not {entity.name}", node,
                           [f"reach it through a relationship: `<relationship> in segment {node.slug}`"])
            if target.kind == "list":
                if self.schema.lists is None:  # a static list's members live in the `lists:` table
                    raise _err("E0313", f"segment {node.slug!r} is a static list, but the schema has no `lists:` "
                               "table to read its members from", node.slug_span or node,
                               [("a static stored segment cannot be used in `in segment` yet: copy its "
                                 "condition, or keep the list in the schema's `lists:` table")])
                cond = ir.InList(node.slug)
            else:
                cond = ir.SegmentRef(node.slug, target.condition)
        cond = self._exists_chain(steps, cond)
        return ir.Not(cond) if node.negated else cond

    def _located_in(self, error, doc, node):
        """An error inside a referenced segment is at ITS file's line and column, shown with its source
        (not the referring file's), and says which `in segment` led there."""
        if error.path is not None or doc is None or doc.path is None:
            return error  # already placed (a segment further down the chain), or no file to name
        error.path, error.source = doc.path, doc.source
        referring = self.library.definitions.get(self._resolving[-1]) if self._resolving else None
        where = referring[1].path if referring and referring[1] is not None else None
        if where is not None and where != doc.path:  # in the same file the caret is enough
            error.hints.append(f"used by `in segment {node.slug}` at {where}:{node.span.line}:{node.span.col}")
        return error

    def _cycle_error(self, name, span):
        start = self._resolving.index(name)
        chain = " → ".join(self._resolving[start:] + [name])
        return _err("E0309", f"circular reference: {chain}", span, ["break the cycle"])
