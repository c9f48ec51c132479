"""Checking: syntax tree + schema → typed IR (`checker`, which dispatches each node kind to the module of
its concern: `paths`, `types`, `time`, `functions` — the function catalogue —, `predicates`, `events`,
`references`; `policy` for the size limits; `scope` for what they share); the schema as segments see it
(`schemas`); the portable regex subset (`regex`); where `in segment x` finds x (`library`)."""
