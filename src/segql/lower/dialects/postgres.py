"""PostgreSQL: what differs from the portable `Ops` (see base.py and docs/dialects.md)."""
from __future__ import annotations

from sqlglot import exp

from segql.lower.dialects.base import Ops, respell_strings


class PostgresOps(Ops):
    name = "postgres"
    order = 1  # position in DIALECTS
    verified = True
    aliases = ("postgresql",)
    prefold_lower = True  # LOWER follows the database's libc/ICU locale; 'C' would be ASCII-only

    def finish(self, tree):
        """With `standard_conforming_strings = off` a backslash in '…' is an escape, so `'\' OR 1=1 --'`
        would end the literal early. A string holding a backslash is written E'…' (backslashes and quotes
        escaped: sqlglot's postgres escape-string node), which reads the same under either setting."""
        return respell_strings(tree, lambda v: "\\" in v, lambda v: exp.ByteString(this=v))

    # `integer` is 64-bit (SPEC §2.8): PostgreSQL's EXTRACT cast to INTEGER, LENGTH and date - date are
    # 32-bit, so `year(d) * 10000000` raised "integer out of range" where DuckDB and MariaDB answer
    narrow_integer_literals = True  # an INTEGER literal, a smallint parameter (psycopg)

    def _extract(self, part, x):
        return self.tpl(f"CAST(EXTRACT({part.upper()} FROM __x) AS BIGINT)", x=x)

    def days_between(self, a, b):
        return self.tpl("CAST(__a - __b AS BIGINT)", a=a, b=b)

    def length(self, s):
        return self.tpl("CAST(LENGTH(__s) AS BIGINT)", s=s)

    def regex_search(self, s, pattern):
        import segql.semantic.regex as regex
        if regex.max_bound(pattern) > 255:
            self.unsupported("a regex repetition bound above 255", "PostgreSQL limits {m,n} to 255")
        return super().regex_search(s, pattern)
