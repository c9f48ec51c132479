"""Segment references: `[path] in segment x` (checked once, cycles refused) and `in list x`."""
from __future__ import annotations

from segql import ir
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
            definition, _doc = found
            if definition.slug in self._resolving:
                raise self._cycle_error(definition.slug, node.span)
            target = self.check_definition(definition)
            if target.entity != entity.name:
                raise _err("E0315", f"segment {node.slug!r} is on {target.entity}, not {entity.name}", node,
                           [f"reach it through a relationship: `<relationship> in segment {node.slug}`"])
            if target.kind == "list":
                cond = ir.InList(node.slug)
            else:
                cond = ir.SegmentRef(node.slug, target.condition)
        cond = self._exists_chain(steps, cond)
        return ir.Not(cond) if node.negated else cond

    def _cycle_error(self, name, span):
        start = self._resolving.index(name)
        chain = " → ".join(self._resolving[start:] + [name])
        return _err("E0309", f"circular reference: {chain}", span, ["break the cycle"])
