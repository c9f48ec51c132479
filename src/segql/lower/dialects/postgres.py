"""PostgreSQL: what differs from the portable `Ops` (see base.py and docs/dialects.md)."""
from __future__ import annotations

from segql.lower.dialects.base import Ops


class PostgresOps(Ops):
    name = "postgres"
    order = 1  # position in DIALECTS
    verified = True
    aliases = ("postgresql",)
    prefold_lower = True  # LOWER follows the database's libc/ICU locale; 'C' would be ASCII-only

    def regex_search(self, s, pattern):
        import segql.semantic.regex as regex
        if regex.max_bound(pattern) > 255:
            self.unsupported("a regex repetition bound above 255", "PostgreSQL limits {m,n} to 255")
        return super().regex_search(s, pattern)
