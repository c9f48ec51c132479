"""Events: `performed "name" [where (…)] [in last …] [N times]` over the entity's one event stream
(SPEC §2.6)."""
from __future__ import annotations

from segql import ir
from segql.semantic.scope import Scope
from segql.semantic.scope import err as _err


class EventsMixin:
    def _Performed(self, node, scope):
        entity = scope.entity
        streams = [r for r in entity.relationships.values()
                   if r.kind == "many" and self.schema.entities[r.target].is_event_stream]
        if not streams:
            raise _err("E0312", f"{entity.name} has no event stream", node,
                       ["give a related entity `event: {name: <property>, time: <property>}` in the schema"])
        if len(streams) > 1:
            raise _err("E0312", f"{entity.name} has several event streams ({', '.join(r.name for r in streams)})",
                       node, [f"count one explicitly: count({streams[0].name} where name = \"...\") >= 1"])
        rel = streams[0]
        events = self.schema.entities[rel.target]
        inner_scope = Scope(events)
        name_col = ir.Column(events.name, events.properties[events.event_name])
        parts: list[ir.Cond] = [ir.Compare("=", name_col, ir.Literal(node.event, "string"))]
        if node.where is not None:
            parts.append(self.condition(node.where, inner_scope))
        if node.window is not None:
            time_col = ir.Column(events.name, events.properties[events.event_time])
            parts.append(self._window(time_col, node.window, node, events.event_time))
        where = parts[0] if len(parts) == 1 else ir.And(tuple(parts))
        op, n = (node.count.op, node.count.count) if node.count else (">=", 1)
        if node.negated:
            op, n = ">=", 1
        # counts that only ask "any?" or "none?" are semi-joins; others count
        if (op, n) in ((">=", 1), (">", 0)):
            cond = ir.Exists(rel, where)
        elif (op, n) in (("<", 1), ("<=", 0), ("=", 0)):
            cond = ir.Not(ir.Exists(rel, where))
        else:
            cond = ir.Compare(op, ir.Aggregate("count", rel, None, where, "integer"), ir.Literal(n, "integer"))
        return ir.Not(cond) if node.negated else cond
