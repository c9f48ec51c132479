"""The bind-parameter differential: a case's segments compiled with `params=STYLE` and executed with their
bound values on the engine's own driver have the inline SQL's members and the oracle's.

    disagreements = check_params_case(engine, case)   # [] when every style agrees everywhere

Besides the members, every parameterized statement is checked for its form: the placeholders in the SQL
text (string literals and quoted names blanked out) are exactly the parameters, in order (`?` count, `$1`
… `$n` in order, each `p1` … `pn` named once, in order), and rendering the same tree again gives the same
bytes. All segments of a case run as one statement (the UNION ALL of tests/adversarial/run.py), so its
parameters number in the hundreds; a statement the engine refuses is retried segment by segment.
"""
from __future__ import annotations

import re

import sqlglot
from adversarial import oracle
from adversarial.run import Disagreement, compile_all, load, refusal_expected
from sqlglot import exp
from sqlglot.tokens import TokenType

import segql
from segql.errors import SegqlError

# the styles each engine's driver binds (segql's own engines: DuckDB/SQLite qmark, psycopg/pymysql
# pyformat, chDB named); DuckDB also binds `$1` and `$name`, SQLite `$1` and `:name`, PostgreSQL `$1`
# (server-side, through psycopg's RawCursor), MariaDB `?` (server-side: PREPARE … EXECUTE USING)
STYLES = {"duckdb": ("qmark", "numeric", "named"), "sqlite": ("qmark", "numeric", "named"),
          "postgres": ("pyformat", "numeric"),
          "mysql": ("pyformat", "qmark"), "clickhouse": ("named",), "spark": ("qmark",)}

_TOKEN = {"qmark": r"\?", "numeric": r"\$(\d+)", "pyformat": r"%\((p\d+)\)s"}
_NAMED = {"duckdb": r"\$(p\d+)", "clickhouse": r"\{(p\d+):[^}]*\}", "bigquery": r"@(p\d+)", "tsql": r"@(p\d+)"}


def placeholders(sql: str, dialect: str, style: str) -> list[str]:
    """The placeholders of `sql` in order of appearance (`?` for qmark, else the number or name), outside
    string literals and quoted names (blanked out with the tokenizer's own spans)."""
    text = list(sql)
    for tok in sqlglot.tokenize(sql, read=dialect):
        if tok.token_type in (TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.BYTE_STRING,
                              TokenType.HEX_STRING, TokenType.RAW_STRING, TokenType.HEREDOC_STRING) \
                or (tok.token_type == TokenType.IDENTIFIER):
            text[tok.start:tok.end + 1] = " " * (tok.end + 1 - tok.start)
    blank = "".join(text)
    pattern = r":(\d+)" if (style, dialect) == ("numeric", "snowflake") else \
        _TOKEN.get(style) or _NAMED.get(dialect, r":(p\d+)")
    if style == "pyformat":
        blank = blank.replace("%%", "  ")
    return [m.group(1) if m.groups() else "?" for m in re.finditer(pattern, blank)]


def form_errors(tree: exp.Expression, dialect: str, style: str) -> list[str]:
    """What is wrong with the parameterized SQL's form (placeholders ≠ parameters, not byte-identical)."""
    compiled = segql.render(tree.copy(), dialect, params=style, pretty=False)
    again = segql.render(tree.copy(), dialect, params=style, pretty=False)
    out = []
    if (again.sql, again.params) != (compiled.sql, compiled.params):
        out.append(f"{style}: rendering the same tree twice differs")
    found = placeholders(compiled.sql, dialect, style)
    n = len(compiled.params)
    if style in ("named", "pyformat"):
        want = [f"p{i}" for i in range(1, n + 1)]
        if not isinstance(compiled.params, dict) or list(compiled.params) != want:
            out.append(f"{style}: parameter names {list(compiled.params)[:5]}… not p1…p{n}")
    else:
        want = ["?"] * n if style == "qmark" else [str(i) for i in range(1, n + 1)]
        if not isinstance(compiled.params, list):
            out.append(f"{style}: parameters are a {type(compiled.params).__name__}, not a list")
    if found != want:
        out.append(f"{style}: placeholders {found[:8]}… ({len(found)}) do not match {n} parameters\n  {compiled.sql}")
    if style == "pyformat" and "%" in re.sub(r"%%|%\(p\d+\)s", "", compiled.sql):
        out.append(f"pyformat: a lone % in the SQL (the driver reads it as a placeholder)\n  {compiled.sql}")
    inline = segql.render(tree.copy(), dialect, pretty=False)
    if n and inline == compiled.sql:
        out.append(f"{style}: parameters but the SQL is the inline SQL")
    return out


def execute(eng, style: str, sql: str, params):
    """Run parameterized SQL on the engine's driver: PostgreSQL's `$1` through psycopg's RawCursor (the
    server binds them; segql's engine speaks pyformat)."""
    if eng.dialect == "postgres" and style == "numeric":
        import psycopg

        try:
            with psycopg.RawCursor(eng.conn) as cur:
                cur.execute(sql, params)
                rows = cur.fetchall()
            eng.conn.commit()
            return rows
        except psycopg.Error as e:
            eng.conn.rollback()
            raise SegqlError("E0604", f"PostgreSQL error: {e}") from e
    if eng.dialect == "mysql" and style == "qmark":  # server-side: PREPARE … EXECUTE USING @variables
        names = [f"@segql_p{i}" for i in range(1, len(params) + 1)]
        for name, value in zip(names, params):
            eng.execute(f"SET {name} = %s", (value,))
        eng.execute("PREPARE segql_q FROM %s", (sql,))
        try:
            return eng.execute("EXECUTE segql_q" + (" USING " + ", ".join(names) if names else ""))
        finally:
            eng.execute("DEALLOCATE PREPARE segql_q")
    return eng.execute(sql, params)


def _members(eng, trees: dict, style: str | None) -> tuple[dict, dict]:
    """({slug: keys}, {slug: error}) of the compiled trees as one UNION ALL statement (one per segment
    when the engine refuses it), inline (`style` None) or with bind parameters."""
    def run(tree_list):
        union = _union_tree(tree_list)
        if style is None:
            return eng.execute(union.sql(dialect=eng.dialect))
        compiled = segql.render(union, eng.dialect, params=style, pretty=False)
        return execute(eng, style, compiled.sql, compiled.params)

    slugs = list(trees)
    got, errors = {s: set() for s in slugs}, {}
    if not slugs:
        return got, errors
    try:
        for seg, key in run([(i, trees[s]) for i, s in enumerate(slugs)]):
            got[slugs[seg]].add(key)
    except SegqlError:
        for i, s in enumerate(slugs):
            try:
                got[s] = {key for _, key in run([(i, trees[s])])}
            except SegqlError as e:
                errors[s] = f"run ({style or 'inline'}): {e}"
                del got[s]
    return got, errors


def _union_tree(trees):
    """run.py's UNION ALL as a tree (its copies keep the values' parameter marks)."""
    parts = [exp.select(exp.Literal.number(i).as_("seg"), exp.column("id", table=f"q{i}").as_("id"))
             .from_(exp.Subquery(this=t.copy(), alias=exp.TableAlias(this=exp.to_identifier(f"q{i}"))), copy=False)
             for i, t in trees]
    tree = parts[0]
    for p in parts[1:]:
        tree = exp.Union(this=tree, expression=p, distinct=False)
    return tree


def check_params_case(eng, case, slugs=None, styles=None, mysql_collation=None, form=None) -> list:
    """Disagreements of `case` on `eng`: per segment, the inline members and those of each bind-parameter
    style against the oracle's, and each segment's parameterized SQL in the styles `form` (default: all
    of them) checked by `form_errors`."""
    dialect = eng.dialect
    styles = STYLES[dialect] if styles is None else styles
    form = styles if form is None else form
    slugs = list(case.segments if slugs is None else slugs)
    load(eng, case, mysql_collation)
    compiled = compile_all(case, dialect, slugs)
    trees = {s: t for s, t in compiled.items() if not isinstance(t, SegqlError)}
    out = []
    results = {None: _members(eng, trees, None)}
    for style in styles:
        results[style] = _members(eng, trees, style)
    for slug in slugs:
        seg = case.world.segments[slug]
        expected = oracle.members(case.world, seg)
        if slug not in trees:
            if not (refusal_expected(case, dialect, seg) and "E0501" in str(compiled[slug])):
                out.append(Disagreement(case.seed, dialect, slug, seg.text(), expected, None,
                                        f"compile: {compiled[slug]}"))
            continue
        if refusal_expected(case, dialect, seg):
            out.append(Disagreement(case.seed, dialect, slug, seg.text(), expected, None, "E0501 expected"))
            continue
        for style, (got, errors) in results.items():
            tag = f"{dialect}/{style or 'inline'}"
            if slug in errors:
                out.append(Disagreement(case.seed, tag, slug, seg.text(), expected, None, errors[slug]))
            elif got[slug] != expected:
                out.append(Disagreement(case.seed, tag, slug, seg.text(), expected, got[slug]))
        for style in form:
            for err in form_errors(trees[slug], dialect, style):
                out.append(Disagreement(case.seed, f"{dialect}/{style}", slug, seg.text(), expected, None, err))
    return out


# ---- hand-picked hostile values ------------------------------------------------------------------------

# strings a driver's quoting, a LIKE pattern's escaping or a placeholder scan could get wrong
HOSTILE_STRINGS = ["", " ", "'", "''", '"', "\\", "\\\\", "a\\b", "\\'", "'\\", "%", "_", "%%", "a%b", "a_b", "\\%",
                   "\\_", "!", "!%", "[a]", "^$", "%(p1)s", "%s", "?", "$1", ":p1", "$p1", "{p1:String}", "@p1",
                   "\x01", "\x1f", "\x7f", "\r", "a\rb", "\x0b", "\x0c", "\x08", "\n", "\t", "e\u0301", "é", "É",
                   "😀", "𝔸", "\U0010fffd", "\u05d0\u05d1\u05d2", "\u202eabc", "\u200b", "\ufeff", "ﬃ", "İ", "ß",
                   "it's 50% off_now", "-- x", "/* x */", "a;b", "NULL", "null"]
NEEDLES = ["%", "_", "\\", "\\%", "%_", "a%b", "a_b", "!", "!%", "'", "''", "\\'", "%s", "?", "$1", ":p1",
           "\x01", "\r", "\u0301", "😀", "\u05d1", "\u202e", "", " ", "ﬃ", "é", "--", "e\u0301"]
PATTERNS = ["%", "_", "a%b", "^'", "'$", "\\.", "[%_]", "^\\$1$", "\\?", "😀", "^.$", "^$", "\u05d0.\u05d2",
            "%\\(p1\\)s", "[\x01-\x1f]", "^(it|a)'s", "\\{p1:String\\}"]
HUGE_INTS = [2 ** 53 - 1, 2 ** 53, 2 ** 53 + 1, 2 ** 63 - 1, -(2 ** 63), -(2 ** 63) + 1, -(2 ** 53) - 1, 0, -1]
DECIMALS = ["0.1", "0.30000000000000004", "123456789.125", "0.000000000000000000000000001", "99999999999999.99",
            "-0.5", "1000000000000000000000.5", "9007199254740993.0"]


def hostile_case():
    """A case whose values are the hostile ones (each string also in the data, each integer a row's
    visits), over one segment per value and construct."""
    from datetime import UTC, date, datetime, timedelta, timezone

    from adversarial.generate import case_from

    o = oracle
    name, city = o.Prop("name", "string"), o.Prop("city", "string")
    visits, score = o.Prop("visits", "integer"), o.Prop("score", "number")
    signup, seen, vip, last = (o.Prop("signup", "date"), o.Prop("seen", "timestamp"), o.Prop("vip", "boolean"),
                               o.Prop("last_at", "timestamp"))

    def s(v):
        return o.Lit(v, "string")

    strings = HOSTILE_STRINGS + [x.upper() for x in HOSTILE_STRINGS if x.upper() != x]
    contacts = [{"id": i, "name": v, "city": strings[(i * 7) % len(strings)]} for i, v in enumerate(strings, 1)]
    n = len(contacts)
    for i, v in enumerate(HUGE_INTS):
        contacts[i]["visits"] = v
    for i, v in enumerate([0.1, 0.30000000000000004, 123456789.125, 1e-27, 99999999999999.99, -0.5, 1e21,
                           2.0 ** 53, 2.0 ** 53 + 2, -(2.0 ** 63), 2.0 ** 63, 0.0, -0.0]):
        contacts[i]["score"] = v
    for i, v in enumerate([date(1, 1, 1), date(9999, 12, 31), date(2028, 2, 29), date(2026, 3, 31), date(1970, 1, 1)]):
        contacts[i]["signup"] = v
    for i, v in enumerate([datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59), datetime(2028, 2, 29, 12)]):
        contacts[i]["seen"] = v
    zone = timezone(timedelta(hours=5, minutes=30))
    for i, v in enumerate([datetime(2026, 3, 8, 7, 0, tzinfo=UTC), datetime(2026, 3, 8, 12, 30, 1, tzinfo=zone)]):
        contacts[i]["last_at"] = v
    for i in range(n):
        contacts[i]["vip"] = (None, True, False)[i % 3]
    segs = {}
    for i, v in enumerate(HOSTILE_STRINGS):  # each segment holds one value twice: its parameters are apart
        segs[f"eq{i}"] = o.Or([o.Cmp(name, "=", s(v)), o.And([o.Cmp(city, "!=", s(v)), o.IsNull(name)])])
    for i, v in enumerate(NEEDLES):
        segs[f"like{i}"] = o.Or([o.StrOp(name, "contains", v), o.StrOp(city, "starts with", v, negated=i % 2 == 1),
                                 o.And([o.StrOp(city, "ends with", v), o.Cmp(o.Func("length", [name]), "=", o.Lit(1))])])
    for i, v in enumerate(PATTERNS):
        segs[f"matches{i}"] = o.Matches(name, v, icase=i % 3 == 0)
    for i, v in enumerate(HUGE_INTS):
        segs[f"int{i}"] = o.Or([o.Cmp(visits, "=", o.Lit(v)), o.Cmp(visits, "<", o.Lit(v)), o.Cmp(score, ">=", o.Lit(v))])
    for i, v in enumerate(DECIMALS):
        segs[f"dec{i}"] = o.Or([o.Cmp(score, "=", o.Lit(float(v), raw=v)), o.Cmp(score, "<", o.Lit(float(v), raw=v))])
    segs.update({
        "one": o.In(name, [s("'")]),
        "many": o.In(name, [s(v) for v in HOSTILE_STRINGS]),
        "many_not": o.In(city, [s(v) for v in HOSTILE_STRINGS[::2]], negated=True),
        "ints": o.In(visits, [o.Lit(v) for v in HUGE_INTS]),
        "null_in": o.In(name, [s("%"), o.Lit(None, "string"), s("")]),
        "null_not_in": o.In(city, [o.Lit(None, "string"), s("'")], negated=True),
        "twice": o.Or([o.Cmp(name, "=", s("a%b")), o.Cmp(city, "=", s("a%b")), o.StrOp(name, "contains", "a%b")]),
        "twice_int": o.And([o.Cmp(visits, ">", o.Lit(-1)), o.Cmp(visits, "!=", o.Lit(-1))]),
        "between": o.Between(visits, o.Lit(-(2 ** 63)), o.Lit(2 ** 53 + 1)),
        "dates": o.Or([o.Cmp(signup, "=", o.Lit(date(1, 1, 1), "date")), o.Cmp(signup, ">=", o.Lit(date(9999, 12, 31), "date")),
                       o.Cmp(signup, "=", o.Lit(date(2028, 2, 29), "date"))]),
        "early": o.Cmp(signup, "<", o.Lit(date(1, 1, 2), "date")),
        "stamps": o.Or([o.Cmp(seen, "<=", o.Lit(datetime(1, 1, 1), "timestamp")),
                        o.Cmp(seen, ">=", o.Lit(datetime(9999, 12, 31, 23, 59, 59), "timestamp"))]),
        "zoned": o.Cmp(last, "=", o.Lit(datetime(2026, 3, 8, 7, 0), "timestamp", raw='timestamp "2026-03-08T12:30:00+05:30"')),
        "bool": o.Or([o.BoolProp(vip),
                      o.Cmp(vip, "=", o.Lit(False, "boolean"))]),
        "str_len": o.Cmp(o.Func("length", [name]), "=", o.Lit(1)),
        "literal_empty": o.Or([o.IsEmpty(s("")), o.Cmp(name, "=", s("'"))]),  # PostgreSQL: `$1 IS NULL` has no type
        "literal_not_empty": o.And([o.IsEmpty(s("'"), negated=True), o.IsEmpty(o.Func("lower", [s("")]))]),
        "lower_eq": o.Cmp(o.Func("lower", [name]), "=", s("é")),
    })
    # events named by hostile strings (the name is a value too), one of them twice for a count
    events = [{"id": i, "contact_id": i, "name": v, "at": datetime(2026, 3, 30, 12), "amount": 2.0 ** 53 + 2}
              for i, v in enumerate(HOSTILE_STRINGS, 1)]
    events.append({"id": len(events) + 1, "contact_id": 3, "name": "'", "at": datetime(2026, 3, 1), "amount": -0.5})
    for i, v in enumerate(("'", "%", "\\", "a_b", "", "😀", "e\u0301", "%(p1)s", "?")):
        segs[f"performed{i}"] = o.Performed(v, o.Cmp(o.Prop("amount", "number"), ">", o.Lit(2 ** 53 + 1))
                                            if i % 2 else None, ("at least", 1) if i % 3 else None,
                                            ("last", 7, "day") if i % 4 == 1 else None)
    segs["performed_twice"] = o.Performed("'", None, ("exactly", 2), None)
    segs["did_not"] = o.Performed("'", o.Cmp(o.Prop("amount", "number"), "<", o.Lit(-0.25)), None, None, did_not=True)
    return case_from(segs, contacts=contacts, events=events)


def compiled_texts(pairs) -> dict:
    """`"dialect style slug"` -> [SQL, repr of each value] for the hostile case in each (dialect, style):
    what must be byte-identical across processes."""
    case = hostile_case()
    out = {}
    for dialect, style in pairs:
        for slug, tree in compile_all(case, dialect, case.segments).items():
            if not isinstance(tree, SegqlError):
                c = segql.render(tree, dialect, params=style)
                values = c.params.values() if isinstance(c.params, dict) else c.params
                out[f"{dialect} {style} {slug}"] = [c.sql, [repr(v) for v in values]]
    return out
