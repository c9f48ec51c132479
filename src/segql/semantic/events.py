"""Events: `performed "name" [where (…)] [in last …] [N times]` over the entity's one event stream
(SPEC §2.6)."""
from __future__ import annotations

from segql import ir
from segql.semantic.scope import SUB_DAY, Scope
from segql.semantic.scope import err as _err

_SECONDS = {"second": 1, "minute": 60, "hour": 3600}


class EventsMixin:
    def _event_stream(self, node, scope):
        entity = scope.entity
        streams = [r for r in entity.relationships.values()
                   if r.kind == "many" and self.schema.entities[r.target].is_event_stream]
        if not streams:
            raise _err("E0312", f"{entity.name} has no event stream", node,
                       ["give a related entity `event: {name: <property>, time: <property>}` in the schema"])
        if len(streams) > 1:
            raise _err("E0312", f"{entity.name} has several event streams ({', '.join(r.name for r in streams)})",
                       node, [f"count one explicitly: count({streams[0].name} where name = \"...\") >= 1"])
        return streams[0]

    def _Performed(self, node, scope):
        rel = self._event_stream(node, scope)
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

    def _event_filter(self, events, event: str, where, window, node) -> ir.Cond:
        """One event's condition in a sequence: its name, its `where` (on the event) and the window."""
        parts: list[ir.Cond] = [ir.Compare("=", ir.Column(events.name, events.properties[events.event_name]),
                                           ir.Literal(event, "string"))]
        if where is not None:
            parts.append(self.condition(where, Scope(events)))
        if window is not None:
            time_col = ir.Column(events.name, events.properties[events.event_time])
            parts.append(self._window(time_col, window, node, events.event_time))
        return parts[0] if len(parts) == 1 else ir.And(tuple(parts))

    def _Sequence(self, node, scope):
        """SPEC §8: `performed "A" then "B" [within N units]`: an A event and a different B event at the
        same time or later (at most N units later). The window applies to both events."""
        rel = self._event_stream(node, scope)
        events = self.schema.entities[rel.target]
        time_col = ir.Column(events.name, events.properties[events.event_time])
        if time_col.type not in ("date", "timestamp"):
            raise _err("E0306", f"the event time {events.event_time!r} of {events.name} is not a date or timestamp",
                       node, ["give the event stream a `time:` property of type timestamp or date"])
        within, unit = None, "day"
        if node.within is not None:
            within, unit = node.within.amount, node.within.unit
            if unit in SUB_DAY:
                self._refuse_sub_day_on_date(time_col, unit, node.within,
                                             f"within {max(1, -(-within * _SECONDS[unit] // 86400))} days")
        key_col = ir.Column(events.name, events.properties[events.key], is_key=True)
        first = self._event_filter(events, node.first, node.first_where, node.window, node)
        then = self._event_filter(events, node.then, node.then_where, node.window, node)
        op, n = (node.count.op, node.count.count) if node.count and not node.negated else (">=", 1)
        cond = ir.Sequence(rel, first, then, time_col, key_col, within, unit, op, n)
        return ir.Not(cond) if node.negated else cond
