"""Text → syntax tree. The lark LALR parser is built once per process (and cached on disk by lark);
syntax errors become `SegqlError`s with a position, the words a user knows, and a hint.

Safety limits are enforced here, before anything recursive runs: input size and nesting depth.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import gc
import re
from decimal import Decimal
from importlib import resources
from pathlib import Path as _FsPath

from lark import Lark, Token, Tree, v_args
from lark.exceptions import (
    GrammarError,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)
from lark.visitors import Discard, Transformer_NonRecursive

from segql import limits
from segql.clock import parse_iso
from segql.errors import SegqlError, Span
from segql.syntax import ast

_UNITS = ("second", "minute", "hour", "day", "week", "month", "quarter", "year")


def _grammar_text() -> str:
    """The grammar ships inside the wheel (segql/grammar/); in a source checkout it is at grammar/."""
    try:
        return resources.files("segql").joinpath("grammar/segql.lark").read_text("utf-8")
    except (FileNotFoundError, OSError):
        here = _FsPath(__file__).resolve().parents[3] / "grammar" / "segql.lark"
        return here.read_text("utf-8")


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(
        _grammar_text(),
        parser="lalr",
        start=["start", "expr_only"],
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,
    )


def unit_name(text: str) -> str:
    word = text.lower()
    return word[:-1] if word.endswith("s") and word[:-1] in _UNITS else word


def _tok_span(tok: Token) -> Span:
    return Span(tok.line, tok.column, tok.end_line, tok.end_column)


def _meta_span(meta) -> Span:
    if getattr(meta, "empty", True):
        return Span()
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


_SURROGATE = re.compile("[\ud800-\udfff]")
# what the lexer will make a token of, near enough to bound the parser's work (strings, names, symbols)
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`[^`\n]*`|#[^\n]*|[\w.$]+|\S')


def unescape(raw: str, span: Span) -> str:
    """Decode a quoted string literal: \\" \\' \\\\ \\n \\t \\r \\uXXXX."""
    body = raw[1:-1]
    if "\\" not in body:
        return body
    out, i = [], 0
    simple = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in simple:
            out.append(simple[nxt])
            i += 2
        elif nxt == "u" and len(body) >= i + 6:
            try:
                out.append(chr(int(body[i + 2:i + 6], 16)))
            except ValueError:
                raise SegqlError("E0104", "bad \\u escape in string", span, ['write \\u followed by 4 hex digits'])
            i += 6
        else:  # any other backslash is kept, so regexes read naturally: "\\.com$"
            out.append(ch + nxt)
            i += 2
    text = "".join(out)
    if "\x00" in text:
        raise SegqlError("E0104", "strings may not contain U+0000", span)
    if _SURROGATE.search(text):  # `\uD83D\uDE00` is one character, as in JSON; a lone half is none
        try:
            text = text.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            raise SegqlError("E0104", "a \\u escape names half of a surrogate pair, which is no character",
                             span, ["write the character itself, or both halves: \\uD83D\\uDE00"]) from None
    return text


class _ToAst(Transformer_NonRecursive):
    """lark tree → `ast` nodes; every node gets the span of the text it came from."""

    # ---- definitions
    def start(self, items):
        return list(items)

    def expr_only(self, items):
        return items[0]

    @v_args(meta=True)
    def segment_def(self, meta, items):
        slug, entity, *clauses, condition = items
        return self._definition("segment", meta, slug, entity, clauses, condition)

    @v_args(meta=True)
    def list_def(self, meta, items):
        slug, entity, *clauses = items
        return self._definition("list", meta, slug, entity, clauses, None)

    def _definition(self, kind, meta, slug, entity, clauses, condition):
        title = description = None
        lets = []
        for clause in clauses:
            tag, value = clause
            if tag == "title":
                title = value
            elif tag == "description":
                description = value
            else:
                lets.append(value)
        slug_text = slug.value if isinstance(slug, ast.Literal) else slug[0]  # `segment "active-customers"`
        return ast.Definition(kind, slug_text, entity[0], condition, title, description, tuple(lets),
                              span=_meta_span(meta), entity_span=entity[1])

    def title_clause(self, items):
        return ("title", items[0].value)

    def description_clause(self, items):
        return ("description", items[0].value)

    @v_args(meta=True)
    def let_clause(self, meta, items):
        name, _eq, expr = items
        return ("let", ast.Let(name[0], expr, span=_meta_span(meta)))

    # names come out as (text, span) pairs until a node takes them
    def name(self, items):
        tok = items[0]
        text = tok.value[1:-1] if tok.type == "QUOTED_NAME" else tok.value
        return (text, _tok_span(tok))

    @v_args(meta=True)
    def path(self, meta, items):
        return ast.Path(tuple(n for n, _ in items), span=_meta_span(meta), part_spans=tuple(s for _, s in items))

    # ---- literals
    @v_args(meta=True)
    def string(self, meta, items):
        span = _meta_span(meta)
        return ast.Literal("string", unescape(items[0].value, span), span=span)

    def number(self, items):
        tok = items[0]
        value = int(tok.value) if tok.type == "INT" else Decimal(tok.value)
        return ast.Literal("number", value, span=_tok_span(tok))

    def money(self, items):
        tok = items[0]
        text = tok.value[1:].replace(",", "")
        value = Decimal(text) if "." in text else int(text)
        return ast.Literal("number", value, money=True, span=_tok_span(tok))

    @v_args(meta=True)
    def true(self, meta, _):
        return ast.Literal("boolean", True, span=_meta_span(meta))

    @v_args(meta=True)
    def false(self, meta, _):
        return ast.Literal("boolean", False, span=_meta_span(meta))

    @v_args(meta=True)
    def null(self, meta, _):
        return ast.Literal("null", None, span=_meta_span(meta))

    @v_args(meta=True)
    def today(self, meta, _):
        return ast.Keyword("today", span=_meta_span(meta))

    @v_args(meta=True)
    def now(self, meta, _):
        return ast.Keyword("now", span=_meta_span(meta))

    @v_args(meta=True)
    def ago(self, meta, items):
        return ast.Duration(int(items[0]), unit_name(items[1]), ago=True, span=_meta_span(meta))

    @v_args(meta=True)
    def duration(self, meta, items):
        return ast.Duration(int(items[0]), unit_name(items[1]), span=_meta_span(meta))

    @v_args(meta=True)
    def date_literal(self, meta, items):
        span = _meta_span(meta)
        return ast.Literal("date", parse_date(items[0].value, items[0].span), span=span)

    @v_args(meta=True)
    def timestamp_literal(self, meta, items):
        span = _meta_span(meta)
        return ast.Literal("timestamp", parse_timestamp(items[0].value, items[0].span), span=span)

    # ---- arithmetic
    def _binary(op):  # noqa: N805 - a factory used in the class body
        @v_args(meta=True)
        def build(self, meta, items):
            return ast.Binary(op, items[0], items[1], span=_meta_span(meta))
        return build

    add, sub, mul, div = _binary("+"), _binary("-"), _binary("*"), _binary("/")

    @v_args(meta=True)
    def neg(self, meta, items):
        operand = items[0]
        # `-5` is a negative number; `-(5)` and `- -5` stay operators, so printing round-trips
        if isinstance(operand, ast.Literal) and operand.kind == "number" and operand.value >= 0 \
                and not operand.money:
            return ast.Literal("number", -operand.value, span=_meta_span(meta))
        return ast.Unary("-", operand, span=_meta_span(meta))

    @v_args(meta=True)
    def parens(self, meta, items):
        return ast.Parens(items[0], span=_meta_span(meta))

    @v_args(meta=True)
    def call(self, meta, items):
        (name, name_span), call_args = items
        args, where = call_args if call_args is not None else ((), None)
        return ast.Call(name.lower(), tuple(args), where, span=_meta_span(meta), name_span=name_span)

    def call_args(self, items):
        return tuple(items[:-1]), items[-1]

    # ---- conditions
    @v_args(meta=True)
    def or_(self, meta, items):
        return ast.Or(tuple(items), span=_meta_span(meta))

    @v_args(meta=True)
    def and_(self, meta, items):
        return ast.And(tuple(items), span=_meta_span(meta))

    @v_args(meta=True)
    def not_(self, meta, items):
        return ast.Not(items[0], span=_meta_span(meta))

    @v_args(meta=True)
    def compare(self, meta, items):
        left, op, right = items
        word = op.value.lower()
        word = {"==": "=", "<>": "!="}.get(word, word)
        return ast.Compare(word, left, right, span=_meta_span(meta))

    @v_args(meta=True)
    def in_list(self, meta, items, negated=False):
        operand, *rest = items
        return ast.InList(operand, tuple(i for i in rest if i is not None), negated, span=_meta_span(meta))

    @v_args(meta=True)
    def not_in_list(self, meta, items):
        operand, *rest = items
        return ast.InList(operand, tuple(i for i in rest if i is not None), True, span=_meta_span(meta))

    @v_args(meta=True)
    def between(self, meta, items):
        return ast.Between(*items, span=_meta_span(meta))

    @v_args(meta=True)
    def not_between(self, meta, items):
        return ast.Between(*items, negated=True, span=_meta_span(meta))

    def _unary_test(cls, negated):  # noqa: N805
        @v_args(meta=True)
        def build(self, meta, items):
            return cls(items[0], negated, span=_meta_span(meta))
        return build

    is_null, is_not_null = _unary_test(ast.IsNull, False), _unary_test(ast.IsNull, True)
    is_empty, is_not_empty = _unary_test(ast.IsEmpty, False), _unary_test(ast.IsEmpty, True)

    def _text(op, negated):  # noqa: N805
        @v_args(meta=True)
        def build(self, meta, items):
            ignore_case = len(items) > 2 and items[2] is not None
            return ast.TextMatch(op, items[0], items[1], negated, ignore_case, span=_meta_span(meta))
        return build

    contains, not_contains = _text("contains", False), _text("contains", True)
    starts_with, not_starts_with = _text("starts", False), _text("starts", True)
    ends_with, not_ends_with = _text("ends", False), _text("ends", True)

    @v_args(meta=True)
    def matches(self, meta, items):
        return ast.TextMatch("matches", items[0], items[1], False, items[2] is not None, span=_meta_span(meta))

    @v_args(meta=True)
    def not_matches(self, meta, items):
        return ast.TextMatch("matches", items[0], items[1], True, items[2] is not None, span=_meta_span(meta))

    @v_args(meta=True)
    def rolling(self, meta, items):
        return ast.Period("rolling", unit_name(items[-1]), int(items[-2]), span=_meta_span(meta))

    @v_args(meta=True)
    def calendar(self, meta, items):
        kind = "this" if len(items) == 2 else "last"
        return ast.Period(kind, items[-1].value.lower(), span=_meta_span(meta))

    @v_args(meta=True)
    def window_between(self, meta, items):
        a, b, unit = items
        return ast.Period("between", unit_name(unit), int(a), int(b), span=_meta_span(meta))

    def window(self, items):
        return items[0]

    @v_args(meta=True)
    def in_period(self, meta, items):
        return ast.InPeriod(items[0], items[1], False, span=_meta_span(meta))

    @v_args(meta=True)
    def not_in_period(self, meta, items):
        return ast.InPeriod(items[0], items[1], True, span=_meta_span(meta))

    def _ref(kind, negated):  # noqa: N805
        @v_args(meta=True)
        def build(self, meta, items):
            subject, slug = items
            if subject is not None and not isinstance(subject, ast.Path):
                raise SegqlError("E0103", f"only a relationship can be in a {kind}", subject.span,
                                 [f"write `in {kind} slug` for this record, or `relationship in {kind} slug`"])
            text, span = (slug.value, slug.span) if isinstance(slug, ast.Literal) else slug
            return ast.InSegment(kind, text, subject, negated, span=_meta_span(meta), slug_span=span)
        return build

    in_segment, not_in_segment = _ref("segment", False), _ref("segment", True)
    in_list_ref, not_in_list_ref = _ref("list", False), _ref("list", True)

    @v_args(meta=True)
    def quantified(self, meta, items):
        word, path, condition = items if len(items) == 3 else (*items, None)
        return ast.Quantified(word.value.lower(), path, condition, span=_meta_span(meta))

    def event_name(self, items):
        return items[0].value

    def _count(op):  # noqa: N805
        def build(self, items):
            return ast.EventCount(op, int(items[0]))
        return build

    at_least, at_most, exactly, more_than, fewer_than = (
        _count(">="), _count("<="), _count("="), _count(">"), _count("<"))

    @v_args(meta=True)
    def performed(self, meta, items):
        event, where, count, window = items
        if count is None:
            where, window = _window_after_where(where, window)
        return ast.Performed(event, where, count, window, False, span=_meta_span(meta))

    @v_args(meta=True)
    def not_performed(self, meta, items):
        event, where, window = items
        where, window = _window_after_where(where, window)
        return ast.Performed(event, where, None, window, True, span=_meta_span(meta))


    @v_args(meta=True)
    def seq_span(self, meta, items):
        return ast.Duration(int(items[0]), unit_name(items[1]), span=_meta_span(meta))

    @v_args(meta=True)
    def sequence(self, meta, items):
        first, first_where, then, then_where, within, count, window = items
        if within is None and count is None:
            then_where, window = _window_after_where(then_where, window)
        return ast.Sequence(first, then, first_where, then_where, within, count, window, False,
                            span=_meta_span(meta))

    @v_args(meta=True)
    def not_sequence(self, meta, items):
        first, first_where, then, then_where, within, window = items
        if within is None:
            then_where, window = _window_after_where(then_where, window)
        return ast.Sequence(first, then, first_where, then_where, within, None, window, True,
                            span=_meta_span(meta))


def _window_after_where(where, window):
    """SPEC §2.6: the window always belongs to `performed`. In `performed "x" where (c) in last 30 days`
    the grammar reads `(c) in last 30 days` as the where-condition; the parenthesised condition ends before
    the window (also `within last …`, `between 30 and 60 days ago`, and under `not`)."""
    if where is None or window is not None:
        return where, window
    nots, node = [], where
    while isinstance(node, ast.Not):
        nots.append(node)
        node = node.item
    if isinstance(node, ast.InPeriod) and not node.negated and isinstance(node.operand, ast.Parens):
        inner, period = node.operand, node.period
    elif isinstance(node, ast.Between) and not node.negated and isinstance(node.operand, ast.Parens) \
            and isinstance(node.high, ast.Duration) and node.high.ago:
        low, high = node.low, node.high
        if isinstance(low, ast.Duration) and low.ago and low.unit == high.unit:
            amount = low.amount
        elif isinstance(low, ast.Literal) and low.kind == "number" and isinstance(low.value, int):
            amount = low.value
        else:
            return where, window
        inner = node.operand
        period = ast.Period("between", high.unit, amount, high.amount, span=_span_between(low.span, high.span))
    else:
        return where, window
    for n in reversed(nots):
        inner = ast.Not(inner, span=_span_between(n.span, inner.span))
    return inner, period


def _span_between(first: Span, last: Span) -> Span:
    return Span(first.line, first.col, last.end_line, last.end_col)


def parse_date(raw: str, span: Span) -> _dt.date:
    try:
        return _dt.date.fromisoformat(raw)
    except ValueError:
        raise SegqlError("E0105", f"{raw!r} is not a date", span, ['write dates as "YYYY-MM-DD"'])


def parse_timestamp(raw: str, span: Span) -> _dt.datetime:
    """ISO 8601; an offset is kept (converted to the schema's zone by the checker)."""
    try:
        return parse_iso(raw)
    except ValueError:
        raise SegqlError("E0105", f"{raw!r} is not a timestamp", span,
                         ['write timestamps as "YYYY-MM-DDTHH:MM:SS" with an optional offset or Z'])


_WORDS = {
    "COMPARE": "a comparison (= != < > <= >=)", "EQUALS": "=", "NAME": "a name", "QUOTED_NAME": "a `quoted name`",
    "STRING": "a string", "INT": "a number", "DECIMAL": "a number", "MONEY": "an amount ($500)",
    "LPAR": "(", "RPAR": ")", "COMMA": ",", "DOT": ".", "PLUS": "+", "MINUS": "-", "STAR": "*", "SLASH": "/",
    "UNIT": "a unit (days, hours, …)", "PERIOD": "week, month, quarter or year", "$END": "the end of input",
    "__ANON_0": "×", "_WITHIN_SPAN": "within (a span: within 14 days)",
}


def _word(terminal: str) -> str:
    if terminal in _WORDS:
        return _WORDS[terminal]
    return terminal.lstrip("_").lower().replace("_", " ")


def _syntax_error(err: UnexpectedInput, text: str) -> SegqlError:
    if isinstance(err, UnexpectedCharacters):
        ch = text[err.pos_in_stream] if err.pos_in_stream < len(text) else ""
        span = Span(err.line, err.column, err.line, err.column + 1)
        hints = []
        if ch in "\"'":
            hints.append("this string is not closed on the same line")
        elif ch == "`":
            hints.append("a `quoted name` must close on the same line")
        elif ch in "!&|":
            hints.append("write `and`, `or`, `not`, or `!=`")
        elif ch == "[":
            hints.append(_list_hint(text, err.pos_in_stream))
        return SegqlError("E0101", f"unexpected character {ch!r}", span, hints)
    if isinstance(err, UnexpectedEOF) or (isinstance(err, UnexpectedToken) and err.token.type == "$END"):
        lines = text.rstrip().split("\n")  # point just after the last thing written
        span = Span(len(lines), len(lines[-1]) + 1, len(lines), len(lines[-1]) + 2)
        expected = _expected(err)
        return SegqlError("E0102", "unexpected end of input", span,
                          [f"expected {expected}"] if expected else [])
    assert isinstance(err, UnexpectedToken)
    tok = err.token
    span = _tok_span(tok)
    expected = _expected(err)
    hints = [f"expected {expected}"] if expected else []
    keywords = ("_DATE", "_TIMESTAMP", "_TODAY", "_NOW", "ANY", "ALL", "NO", "_TRUE", "_FALSE", "_NULL",
                "_PERFORMED", "_NOT", "_IN")
    previous = (getattr(err, "token_history", None) or [None])[-1]
    for candidate in (tok, previous):
        if candidate is not None and candidate.type in keywords:
            hints.append(f"`{candidate.value}` is a keyword; write a field of that name in backticks: "
                         f"`{candidate.value}`".replace("``", "`"))
            break
    counted = _count_hint(text, tok)
    if counted:
        hints.insert(0, counted)
    return SegqlError("E0102", f"unexpected {tok.value!r}", span, hints)


def _list_hint(text: str, pos: int) -> str:
    """`in ["CA", "NY"]` (a JSON/Python list) → the segql form `in ("CA", "NY")`."""
    line_end = text.find("\n", pos)
    rest = text[pos + 1:line_end if line_end >= 0 else len(text)]
    close = rest.find("]")
    items = rest[:close].strip() if close >= 0 else ""
    return f"a list is written in parentheses: in ({items})" if items else "a list is written in parentheses: in (…)"


EVENT_HINT = "to count events, write: "  # frontends.source drops it when the schema has no event stream
_COUNTED = re.compile(r"(?:\bwhere\s+)?([A-Za-z][A-Za-z_]*)\s*(>=|<=|!=|=|>|<)\s*(\d+)\s+([A-Za-z]+)(.*)$")
_COUNT_WORDS = {">=": "at least", ">": "more than", "<=": "at most", "<": "fewer than", "=": "exactly"}


def _count_hint(text: str, tok) -> str | None:
    """`Opened >= 5 emails in last 30 days` (a CRM's wording) → `performed "email_opened" at least 5 times
    in last 30 days`: a verb, a comparison, a number and a plural noun where a condition should end."""
    if tok.type != "NAME" or tok.line is None:
        return None
    line = text.split("\n")[tok.line - 1]
    found = _COUNTED.search(line)
    if found is None or found.start(4) != tok.column - 1 or found.group(2) == "!=":
        return None
    verb, op, n, noun, rest = found.groups()
    noun = noun.lower()
    noun = noun[:-1] if noun.endswith("s") and not noun.endswith("ss") else noun
    window = re.match(r"\s*((?:in last|within last|in the last)\s+\d+\s+[a-z]+)", rest)
    tail = f" {window.group(1).replace('in the last', 'in last')}" if window else ""
    return f'{EVENT_HINT}performed "{noun}_{verb.lower()}" {_COUNT_WORDS[op]} {n} times{tail}'


def _expected(err) -> str:
    try:
        names = sorted(err.interactive_parser.accepts())
    except Exception:  # noqa: BLE001 - lark may not offer an interactive parser here
        names = sorted(getattr(err, "expected", ()) or ())
    words = sorted({_word(n) for n in names if n != "$END"} | ({"the end of input"} if "$END" in names else set()))
    if not words:
        return ""
    if len(words) > 8:
        words = words[:8] + ["…"]
    return ", ".join(words)


def _too_deep(node: Tree) -> SegqlError:
    return SegqlError("E0110", f"nesting deeper than {limits.MAX_NESTING} levels", _meta_span(node.meta),
                      ["split the condition into segments and combine them with `in segment`"])


_NUMBER_TOKENS = ("INT", "DECIMAL", "MONEY")


def _check_number_token(tok: Token) -> None:
    """A number too long for any engine — and, past 4,300 digits, for Python's own int() — is E0114."""
    if sum(c.isdigit() for c in tok.value) > limits.MAX_NUMBER_DIGITS:  # `$1,000,…`: commas do not count
        raise SegqlError("E0114", f"numbers may have at most {limits.MAX_NUMBER_DIGITS} digits",
                         _tok_span(tok), ["compare with a smaller number"])


def _dispatch_table() -> dict:
    """rule name -> (plain function, wants meta) for every `_ToAst` rule method, resolved once.

    lark's `Transformer` looks each method up per node, and for a `@v_args(meta=True)` method that lookup
    builds a new wrapper (`functools.update_wrapper`) every time: a quarter of the parse time on a
    typical segment. `_to_ast` calls the same functions the same way, without that overhead."""
    from lark.visitors import _vargs_meta

    table = {}
    for name in dir(_ToAst):
        if name.startswith("__"):
            continue
        attr = _ToAst.__dict__.get(name)
        if attr is None:
            continue
        wrapper = getattr(attr, "visit_wrapper", None)
        if wrapper is None:
            if callable(attr):
                table[name] = (attr, False)
        elif wrapper is _vargs_meta:
            table[name] = (attr.base_func, True)
        else:  # pragma: no cover - no other v_args form is used; keep lark's own dispatch for it
            table[name] = None
    return table


_DISPATCH: dict | None = None


def _to_ast(tree: Tree):
    """A nesting check and `_ToAst().transform(tree)` in one non-recursive walk: the nesting error for
    the first node found too deep (depth-first), then the same
    post-order calls, `VisitError` wrapping included."""
    global _DISPATCH
    if _DISPATCH is None:
        _DISPATCH = _dispatch_table()
    table = _DISPATCH
    limit = limits.MAX_NESTING
    # tree -> reversed post-order; the depth test visits Trees depth-first
    rev_postfix = []
    q = [(tree, 1)]
    while q:
        t, depth = q.pop()
        rev_postfix.append(t)
        if type(t) is Tree or isinstance(t, Tree):
            if depth > limit:
                raise _too_deep(t)
            d = depth + 1
            q.extend([(c, d) for c in t.children])
        elif isinstance(t, Token) and len(t) > limits.MAX_NUMBER_DIGITS and t.type in _NUMBER_TOKENS:
            _check_number_token(t)
    transformer = None
    stack: list = []
    for x in reversed(rev_postfix):
        if isinstance(x, Tree):
            size = len(x.children)
            if size:
                args = stack[-size:]
                del stack[-size:]
            else:
                args = []
            entry = table.get(x.data, False)
            if transformer is None:
                transformer = _ToAst()
            if entry is False:  # no method for this rule: lark's default keeps the Tree
                stack.append(transformer.__default__(x.data, args, x.meta))
                continue
            if entry is None:  # pragma: no cover
                stack.append(transformer._call_userfunc(x, args))
                continue
            func, wants_meta = entry
            try:
                res = func(transformer, x.meta, args) if wants_meta else func(transformer, args)
            except GrammarError:
                raise
            except Exception as e:  # noqa: BLE001 - exactly what lark's Transformer does
                raise VisitError(x.data, x, e)
            if res is not Discard:
                stack.append(res)
        else:  # tokens: `_ToAst` has no token callbacks, so lark's default returns them unchanged
            stack.append(x)
    result, = stack
    return result


def _check_size(text: str) -> None:
    if len(text) > limits.MAX_INPUT_CHARS:
        raise SegqlError("E0111", f"input of {len(text):,} characters is over the limit of "
                         f"{limits.MAX_INPUT_CHARS:,}", Span(1, 1, 1, 2))
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise SegqlError("E0101", "the input contains a NUL character (U+0000)", Span(line, 1, line, 2))
    if len(text) > limits.MAX_TOKENS:  # cheap: fewer characters than tokens is fewer tokens
        tokens = sum(1 for _ in _TOKEN.finditer(text))
        if tokens > limits.MAX_TOKENS:
            raise SegqlError("E0111", f"input of {tokens:,} words and symbols is over the limit of "
                             f"{limits.MAX_TOKENS:,}", Span(1, 1, 1, 2),
                             ["split it into several segments and combine them with `in segment`",
                              "or keep long value lists in a static list (`in list ...`)"])
    bad = _SURROGATE.search(text)  # from undecodable bytes in argv (`-e`), or API callers
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise SegqlError("E0101", "the input contains a lone surrogate (not valid Unicode text)",
                         Span(line, 1, line, 2), ["pass the condition as UTF-8 text"])


@contextlib.contextmanager
def _no_gc():
    """Parsing builds millions of objects that all stay alive, none in a cycle: the cyclic garbage
    collector's passes over them were half of the time of a 45,000-condition parse. The input is
    bounded (MAX_INPUT_CHARS), so pausing it is safe; it runs again right after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _parse(text: str, start: str):
    _check_size(text)
    with _no_gc():
        try:
            tree = _parser().parse(text, start=start)
        except UnexpectedInput as err:
            raise _syntax_error(err, text) from None
        try:
            return _to_ast(tree)  # the depth check, then the transform (see `_to_ast`)
        except VisitError as err:
            if isinstance(err.orig_exc, SegqlError):
                raise err.orig_exc from None
            raise


def parse_document(text: str, path: str | None = None) -> ast.Document:
    """Parse a `.segql` file: one or more segment / list definitions."""
    try:
        defs = _parse(text, "start")
    except SegqlError as err:
        err.path, err.source = err.path or path, err.source or text
        raise
    if not defs:
        raise SegqlError("E0106", "the file defines no segment", Span(1, 1, 1, 2), [
            "start with `segment my_slug on contacts where ...`"], path=path, source=text)
    return ast.Document(tuple(defs), path=path, source=text)


def parse_condition(text: str, path: str | None = None):
    """Parse a bare condition (`segql compile -e EXPR`)."""
    try:
        return _parse(text, "expr_only")
    except SegqlError as err:
        err.path, err.source = err.path or path, err.source or text
        raise


def looks_like_definitions(text: str) -> bool:
    """A file either holds definitions (`segment x on y where ...`) or is one bare condition."""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        word = stripped.split(None, 1)[0].lower()
        return word in ("segment", "list")
    return True
