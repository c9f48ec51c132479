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
from pathlib import Path as _FsPath
from typing import TYPE_CHECKING

from segql import limits
from segql.clock import parse_iso
from segql.errors import SegqlError, Span
from segql.syntax import ast

if TYPE_CHECKING:  # lark is imported only to build the tables or to take the exact path (start-up time)
    from lark import Lark, Token, Tree

_UNITS = ("second", "minute", "hour", "day", "week", "month", "quarter", "year")


def _grammar_text() -> str:
    """The grammar ships inside the wheel (segql/grammar/); in a source checkout it is at grammar/."""
    beside = _FsPath(__file__).resolve().parent.parent / "grammar" / "segql.lark"
    if beside.is_file():  # an installed package or a checkout: no importlib.resources (start-up time)
        return beside.read_text("utf-8")
    from importlib import resources

    try:
        return resources.files("segql").joinpath("grammar/segql.lark").read_text("utf-8")
    except (FileNotFoundError, OSError):
        here = _FsPath(__file__).resolve().parents[3] / "grammar" / "segql.lark"
        return here.read_text("utf-8")


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    from lark import Lark

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


def _spanned(func):
    """Marks a `_ToAst` rule method that takes the span of the text it came from (lark's `meta`)."""
    func.wants_span = True
    return func


def _tok_span(tok: Token) -> Span:
    return Span(tok.line, tok.column, tok.end_line, tok.end_column)


def _meta_span(meta) -> Span:
    if getattr(meta, "empty", True):
        return Span()
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


_SURROGATE = "[\ud800-\udfff]"
# what the lexer will make a token of, near enough to bound the parser's work (strings, names, symbols)
_TOKEN = r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`[^`\n]*`|#[^\n]*|[\w.$]+|\S'


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
    if not text.isascii() and re.search(_SURROGATE, text):  # `\uD83D\uDE00` is one character, as in JSON; a lone half is none
        try:
            text = text.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            raise SegqlError("E0104", "a \\u escape names half of a surrogate pair, which is no character",
                             span, ["write the character itself, or both halves: \\uD83D\\uDE00"]) from None
    return text


class _ToAst:
    """lark tree → `ast` nodes; every node gets the span of the text it came from."""

    # ---- definitions
    def start(self, items):
        return list(items)

    def expr_only(self, items):
        return items[0]

    @_spanned
    def segment_def(self, span, items):
        slug, entity, *clauses, condition = items
        return self._definition("segment", span, slug, entity, clauses, condition)

    @_spanned
    def list_def(self, span, items):
        slug, entity, *clauses = items
        return self._definition("list", span, slug, entity, clauses, None)

    def _definition(self, kind, span, slug, entity, clauses, condition):
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
                              span=span, entity_span=entity[1])

    def title_clause(self, items):
        return ("title", items[0].value)

    def description_clause(self, items):
        return ("description", items[0].value)

    @_spanned
    def let_clause(self, span, items):
        name, _eq, expr = items
        return ("let", ast.Let(name[0], expr, span=span))

    # names come out as (text, span) pairs until a node takes them
    def name(self, items):
        tok = items[0]
        text = tok.value[1:-1] if tok.type == "QUOTED_NAME" else tok.value
        return (text, _tok_span(tok))

    @_spanned
    def path(self, span, items):
        return ast.Path(tuple(n for n, _ in items), span=span, part_spans=tuple(s for _, s in items))

    # ---- literals
    @_spanned
    def string(self, span, items):
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

    @_spanned
    def true(self, span, _):
        return ast.Literal("boolean", True, span=span)

    @_spanned
    def false(self, span, _):
        return ast.Literal("boolean", False, span=span)

    @_spanned
    def null(self, span, _):
        return ast.Literal("null", None, span=span)

    @_spanned
    def today(self, span, _):
        return ast.Keyword("today", span=span)

    @_spanned
    def now(self, span, _):
        return ast.Keyword("now", span=span)

    @_spanned
    def ago(self, span, items):
        return ast.Duration(int(items[0].value), unit_name(items[1].value), ago=True, span=span)

    @_spanned
    def duration(self, span, items):
        return ast.Duration(int(items[0].value), unit_name(items[1].value), span=span)

    @_spanned
    def date_literal(self, span, items):
        return ast.Literal("date", parse_date(items[0].value, items[0].span), span=span)

    @_spanned
    def timestamp_literal(self, span, items):
        return ast.Literal("timestamp", parse_timestamp(items[0].value, items[0].span), span=span)

    # ---- arithmetic
    def _binary(op):
        @_spanned
        def build(self, span, items):
            return ast.Binary(op, items[0], items[1], span=span)
        return build

    add, sub, mul, div = _binary("+"), _binary("-"), _binary("*"), _binary("/")

    @_spanned
    def neg(self, span, items):
        operand = items[0]
        # `-5` is a negative number; `-(5)` and `- -5` stay operators, so printing round-trips
        if isinstance(operand, ast.Literal) and operand.kind == "number" and operand.value >= 0 \
                and not operand.money:
            return ast.Literal("number", -operand.value, span=span)
        return ast.Unary("-", operand, span=span)

    @_spanned
    def parens(self, span, items):
        return ast.Parens(items[0], span=span)

    @_spanned
    def call(self, span, items):
        (name, name_span), call_args = items
        args, where = call_args if call_args is not None else ((), None)
        return ast.Call(name.lower(), tuple(args), where, span=span, name_span=name_span)

    def call_args(self, items):
        return tuple(items[:-1]), items[-1]

    # ---- conditions
    @_spanned
    def or_(self, span, items):
        return ast.Or(tuple(items), span=span)

    @_spanned
    def and_(self, span, items):
        return ast.And(tuple(items), span=span)

    @_spanned
    def not_(self, span, items):
        return ast.Not(items[0], span=span)

    @_spanned
    def compare(self, span, items):
        left, op, right = items
        word = op.value.lower()
        word = {"==": "=", "<>": "!="}.get(word, word)
        return ast.Compare(word, left, right, span=span)

    @_spanned
    def in_list(self, span, items, negated=False):
        operand, *rest = items
        return ast.InList(operand, tuple(i for i in rest if i is not None), negated, span=span)

    @_spanned
    def not_in_list(self, span, items):
        operand, *rest = items
        return ast.InList(operand, tuple(i for i in rest if i is not None), True, span=span)

    @_spanned
    def between(self, span, items):
        return ast.Between(*items, span=span)

    @_spanned
    def not_between(self, span, items):
        return ast.Between(*items, negated=True, span=span)

    def _unary_test(cls, negated):
        @_spanned
        def build(self, span, items):
            return cls(items[0], negated, span=span)
        return build

    is_null, is_not_null = _unary_test(ast.IsNull, False), _unary_test(ast.IsNull, True)
    is_empty, is_not_empty = _unary_test(ast.IsEmpty, False), _unary_test(ast.IsEmpty, True)

    def _text(op, negated):
        @_spanned
        def build(self, span, items):
            ignore_case = len(items) > 2 and items[2] is not None
            return ast.TextMatch(op, items[0], items[1], negated, ignore_case, span=span)
        return build

    contains, not_contains = _text("contains", False), _text("contains", True)
    starts_with, not_starts_with = _text("starts", False), _text("starts", True)
    ends_with, not_ends_with = _text("ends", False), _text("ends", True)

    @_spanned
    def matches(self, span, items):
        return ast.TextMatch("matches", items[0], items[1], False, items[2] is not None, span=span)

    @_spanned
    def not_matches(self, span, items):
        return ast.TextMatch("matches", items[0], items[1], True, items[2] is not None, span=span)

    @_spanned
    def rolling(self, span, items):
        return ast.Period("rolling", unit_name(items[-1].value), int(items[-2].value), span=span)

    @_spanned
    def calendar(self, span, items):
        kind = "this" if len(items) == 2 else "last"
        return ast.Period(kind, items[-1].value.lower(), span=span)

    @_spanned
    def window_between(self, span, items):
        a, b, unit = items
        return ast.Period("between", unit_name(unit.value), int(a.value), int(b.value), span=span)

    def window(self, items):
        return items[0]

    @_spanned
    def in_period(self, span, items):
        return ast.InPeriod(items[0], items[1], False, span=span)

    @_spanned
    def not_in_period(self, span, items):
        return ast.InPeriod(items[0], items[1], True, span=span)

    def _ref(kind, negated):
        @_spanned
        def build(self, span, items):
            subject, slug = items
            if subject is not None and not isinstance(subject, ast.Path):
                raise SegqlError("E0103", f"only a relationship can be in a {kind}", subject.span,
                                 [f"write `in {kind} slug` for this record, or `relationship in {kind} slug`"])
            text, slug_span = (slug.value, slug.span) if isinstance(slug, ast.Literal) else slug
            return ast.InSegment(kind, text, subject, negated, span=span, slug_span=slug_span)
        return build

    in_segment, not_in_segment = _ref("segment", False), _ref("segment", True)
    in_list_ref, not_in_list_ref = _ref("list", False), _ref("list", True)

    @_spanned
    def quantified(self, span, items):
        word, path, condition = items if len(items) == 3 else (*items, None)
        return ast.Quantified(word.value.lower(), path, condition, span=span)

    def event_name(self, items):
        return items[0].value

    def _count(op):
        def build(self, items):
            return ast.EventCount(op, int(items[0].value))
        return build

    at_least, at_most, exactly, more_than, fewer_than = (
        _count(">="), _count("<="), _count("="), _count(">"), _count("<"))

    @_spanned
    def performed(self, span, items):
        event, where, count, window = items
        if count is None:
            where, window = _window_after_where(where, window)
        return ast.Performed(event, where, count, window, False, span=span)

    @_spanned
    def not_performed(self, span, items):
        event, where, window = items
        where, window = _window_after_where(where, window)
        return ast.Performed(event, where, None, window, True, span=span)


    @_spanned
    def seq_span(self, span, items):
        return ast.Duration(int(items[0].value), unit_name(items[1].value), span=span)

    @_spanned
    def sequence(self, span, items):
        first, first_where, then, then_where, within, count, window = items
        if within is None and count is None:
            then_where, window = _window_after_where(then_where, window)
        return ast.Sequence(first, then, first_where, then_where, within, count, window, False,
                            span=span)

    @_spanned
    def not_sequence(self, span, items):
        first, first_where, then, then_where, within, window = items
        if within is None:
            then_where, window = _window_after_where(then_where, window)
        return ast.Sequence(first, then, first_where, then_where, within, None, window, True,
                            span=span)


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


def _syntax_error(err, text: str) -> SegqlError:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

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
    """rule name -> (plain function, wants its span) for every `_ToAst` rule method, resolved once."""
    table = {}
    for name, attr in vars(_ToAst).items():
        if not name.startswith("_") and callable(attr):
            table[name] = (attr, getattr(attr, "wants_span", False))
    return table


_DISPATCH: dict | None = None


def _to_ast(tree: Tree):
    """The exact path (see `_FastParser` for the usual one): a nesting check and the `_ToAst` calls over
    lark's tree in one non-recursive walk: the nesting error for the first node found too deep
    (depth-first), then the post-order calls, wrapping errors in `VisitError` as lark's Transformer does."""
    from lark import Token, Tree
    from lark.exceptions import GrammarError, VisitError

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
            entry = table.get(x.data)
            if transformer is None:
                transformer = _ToAst()
            if entry is None:  # no method for this rule: keep the Tree, as lark's Transformer does
                stack.append(Tree(x.data, args, x.meta))
                continue
            func, wants_span = entry
            try:
                res = func(transformer, _meta_span(x.meta), args) if wants_span else func(transformer, args)
            except GrammarError:
                raise
            except Exception as e:  # noqa: BLE001 - exactly what lark's Transformer does
                raise VisitError(x.data, x, e)
            stack.append(res)
        else:  # tokens: `_ToAst` has no token callbacks, so lark's default returns them unchanged
            stack.append(x)
    result, = stack
    return result


class _Fallback(Exception):
    """The fast path met something it leaves to the exact path: any error, or a limit to check."""


class _Tok:
    """A token of the fast path: what `_ToAst` reads of lark's `Token`, at a fraction of its cost."""

    __slots__ = ("column", "end_column", "end_line", "line", "type", "value")

    def __init__(self, type_, value, line, column, end_line, end_column):
        self.type, self.value = type_, value
        self.line, self.column, self.end_line, self.end_column = line, column, end_line, end_column


# a run of more than MAX_NUMBER_DIGITS digits (commas and dots between them allowed): only then can a
# number token be too long, and the exact path decides
_LONG_NUMBER = r"\d(?:[.,]?\d){" + str(limits.MAX_NUMBER_DIGITS) + "}"  # compiled on first long text


@functools.cache
def _long_number_re():
    return re.compile(_LONG_NUMBER)


def _long_number(text: str) -> bool:
    return _long_number_re().search(text) is not None


TABLES_FORMAT = 4  # bump when `_tables` changes what it stores


def _tables(lark) -> dict:
    """What `_FastParser` needs of lark's parser, as plain data (marshal-able): the LALR table (a shift as
    the next state, a reduce as ~rule), per rule its shape, per state its lexer's regexes."""
    from lark.parse_tree_builder import maybe_create_child_filter
    from lark.parsers.lalr_analysis import Shift

    frontend = lark.parser
    table = frontend.parser.parser.parse_table
    rule_index = {rule: i for i, rule in enumerate(lark.rules)}
    rules = []
    for rule in lark.rules:
        name = rule.alias or rule.options.template_source or rule.origin.name
        filt = maybe_create_child_filter(rule.expansion, rule.options.keep_all_tokens, False,
                                         rule.options.empty_indices)
        include, append_none = None, 0
        if filt is not None:  # lark's ChildFilter* partials: (index, splice, Nones before)[, Nones after]
            include = tuple((x[0], x[1], x[2] if len(x) > 2 else 0) for x in filt.args[0])
            append_none = filt.args[1] if len(filt.args) > 1 else 0
        rules.append((len(rule.expansion), rule.origin.name, include, append_none, name.startswith("_"),
                      bool(rule.options.expand1 and not rule.alias), name))
    states = {state: {sym: (arg if action is Shift else ~rule_index[arg]) for sym, (action, arg) in acts.items()}
              for state, acts in table.states.items()}
    lexers, lexer_of = [], {}
    seen: dict = {}
    plain = True  # no lexer rewrites a token's type (lark's UnlessCallback): the root shortcut is exact
    for state, lexer in frontend.lexer.lexers.items():
        if id(lexer) not in seen:
            scanner = lexer.scanner
            seen[id(lexer)] = len(lexers)
            lexers.append((tuple((m.pattern, m.flags) for m in scanner._mres), tuple(sorted(lexer.callback)),
                           tuple(sorted(lexer.ignore_types)), tuple(sorted(lexer.newline_types)),
                           tuple(sorted(scanner.allowed_types))))
            plain = plain and not lexer.callback
        lexer_of[state] = seen[id(lexer)]
    root = frontend.lexer.root_lexer
    root_scanner = root.scanner
    plain = plain and not root.callback
    root_spec = (tuple((m.pattern, m.flags) for m in root_scanner._mres), tuple(sorted(root.ignore_types)),
                 tuple(sorted(root.newline_types))) if plain else None
    # terminals whose match depends on what follows (`within` before a number): words they could start
    # are never memoised by the fast lexer
    lookahead = tuple((t.name, t.pattern.to_regexp(), root.g_regex_flags) for t in root.terminals
                      if "(?=" in t.pattern.to_regexp() or "(?!" in t.pattern.to_regexp())
    # whitespace is lexed directly when exactly one terminal can start with it (checked on samples)
    ws = [t for t in root.terminals if t.name in root.ignore_types and re.fullmatch(t.pattern.to_regexp(), " \t\n")]
    others = [t for t in root.terminals if t not in ws]
    ws_spec = None
    if len(ws) == 1 and not any(re.match(t.pattern.to_regexp(), c + rest, root.g_regex_flags)
                                for t in others for c in " \t\n\r\f" for rest in ("", "a", "1", "(", " ")):
        ws_spec = (ws[0].name, ws[0].pattern.to_regexp(), root.g_regex_flags)
    # a token that cannot start a word never matches a keyword: the root regex without the terminals whose
    # every match starts with a letter (same order) finds the same first match, ≈ 5× faster than the
    # 71 alternatives; only when the root regex is exactly lark's, rebuilt here
    nonword = None
    if root_spec is not None and len(root_scanner._mres) == 1:
        def alternatives(terminals):
            return "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals)

        mre = root_scanner._mres[0]
        if alternatives(root.terminals) == mre.pattern:
            nonword = (alternatives([t for t in root.terminals if not _letter_start(t.pattern.to_regexp(),
                                                                                      mre.flags)]), int(mre.flags))
    import hashlib

    return {"format": TABLES_FORMAT, "grammar": hashlib.sha256(_grammar_text().encode()).hexdigest(),
            "lark": lark_version(), "states": states, "start": dict(table.start_states),
            "end": dict(table.end_states), "rules": rules, "lexers": lexers, "lexer_of": lexer_of, "root": root_spec,
            "lookahead": lookahead, "ws": ws_spec, "nonword": nonword}


def _letter_start(regex: str, flags: int) -> bool:
    """Whether every match of `regex` starts with an ASCII letter (or, ignoring case, a letter that
    folds to one): then it never matches where `[^\\W\\d]` does not. Anything not plainly so is False."""
    try:
        from re import _parser as sre  # Python 3.11+
    except ImportError:  # pragma: no cover
        import sre_parse as sre

    def first(items) -> bool:
        if not items:
            return False
        op, av = items[0]
        if op is sre.LITERAL:
            return chr(av).isascii() and chr(av).isalpha()
        if op is sre.SUBPATTERN:
            return first(list(av[-1]))
        if op is sre.BRANCH:
            return all(first(list(b)) for b in av[1])
        return False

    return first(list(sre.parse(regex, flags)))


def lark_version() -> str:
    """lark's version without importing lark (≈ 15 ms of start-up): read from its __init__.py."""
    import importlib.util

    spec = importlib.util.find_spec("lark")
    try:
        for line in _FsPath(spec.origin).read_text("utf-8").splitlines():
            if line.startswith("__version__"):
                return line.partition("=")[2].split("#")[0].strip().strip("'\"")
        raise ValueError("no __version__")
    except (AttributeError, OSError, TypeError, ValueError):
        import lark

        return lark.__version__


def _tables_key() -> str:
    import hashlib

    grammar = _grammar_text()
    return hashlib.sha256(f"{TABLES_FORMAT}\0{lark_version()}\0{grammar}".encode()).hexdigest()[:20]


def _package_dir() -> _FsPath:
    return _FsPath(__file__).resolve().parent.parent / "grammar"


def _user_cache_dir() -> _FsPath:
    import os

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return _FsPath(base) / "segql"


def tables_name() -> str:
    return f"tables-{_tables_key()}.marshal"


def write_tables(directory: _FsPath) -> _FsPath:
    """Build the tables from lark and write them (atomically) into `directory`."""
    import marshal
    import os

    directory.mkdir(parents=True, exist_ok=True)
    target = directory / tables_name()
    tmp = directory / f"{target.name}.{os.getpid()}.tmp"
    tmp.write_bytes(marshal.dumps(_tables(_parser())))
    tmp.replace(target)
    return target


def load_tables() -> dict:
    """The fast parser's tables, from the file keyed by the grammar's hash, lark's version and the
    format: shipped in the package (`python -m segql.syntax.parser` writes it, at build time), else in
    the user's cache directory, else built from lark (≈ 50 ms) and written there. A changed grammar
    has another key, so a stale file is never read; an unreadable or foreign file is rebuilt."""
    import marshal

    name = tables_name()
    for d in (_package_dir(), _user_cache_dir()):
        try:
            data = marshal.loads((d / name).read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            continue
        if isinstance(data, dict) and data.get("format") == TABLES_FORMAT:
            return data
    data = _tables(_parser())
    try:
        write_tables(_user_cache_dir())
    except OSError:  # a read-only home: build them in every process, still correct
        pass
    return data


class _FastParser:
    """lark's LALR tables and contextual lexer, driven by one loop that builds `ast` nodes as it reduces.

    lark's own path builds a parse tree (each node through PropagatePositions, ChildFilter and Tree
    wrappers, each token a `Token`), which `_to_ast` then walks again: two thirds of the parse time. Here
    each reduction keeps (value, span, height) — the span exactly as `propagate_positions` computes it
    (first and last child, filtered keywords included), the height to enforce MAX_NESTING — and calls the
    same `_ToAst` function. Anything unusual (a lexing or syntax error, an exception in a rule, a number
    or a nesting near a limit) raises `_Fallback`, and the exact path parses again, so every diagnostic is
    the one it always was. The tables come from `load_tables`, so a process that meets no error never
    imports lark's parser or builds it."""

    def __init__(self, tables: dict):
        dispatch = _dispatch_table()
        self.states, self.start_states, self.end_states = tables["states"], tables["start"], tables["end"]
        self.rules = []
        for size, origin, include, append_none, inline, expand1, name in tables["rules"]:
            entry = dispatch.get(name)
            if entry is None and not inline and not expand1:
                entry = (None, False)  # would stay a Tree: the exact path handles it
            # `?rule: other` with one child: the node is the child, span and height included (lark's
            # ExpandSingleChild + PropagatePositions give the same): only the state changes
            unit = expand1 and size == 1 and not append_none and include in (None, ((0, False, 0),))
            self.rules.append((size, origin, include, append_none, inline, expand1, entry, unit))
        self.lexer_specs, self.lexer_of = tables["lexers"], tables["lexer_of"]
        # One regex of every terminal (lark's root lexer) serves every state: its first match is the state
        # lexer's whenever the state accepts that terminal (same order, a subset of the alternatives);
        # otherwise the state's own regex decides. Compiling a regex per state visited cost more than a
        # whole compile. The state regexes are compiled on first need.
        root = tables.get("root")
        self.root = None
        if root is not None:
            patterns, ignored, newline = root
            if len(patterns) == 1:
                self.root = re.compile(*patterns[0]).match
                self.ignored, self.newline = frozenset(ignored), frozenset(newline)
        # words: what the root regex makes of a word depends on the word alone (keywords end in \b, NAME
        # takes the whole word), except where a terminal looks ahead; memoised per word
        self.word = re.compile(r"[^\W\d]\w*").match
        self.no_word = frozenset(c for c in map(chr, range(128)) if not self.word(c))  # ASCII: no regex call
        self.lookahead = tuple((name, re.compile(p, f).match) for name, p, f in tables.get("lookahead", ()))
        self.words: dict = {}
        ws = tables.get("ws")
        self.ws = (ws[0], re.compile(ws[1], ws[2]).match) if ws and self.root is not None else None
        nonword = tables.get("nonword")
        self.nonword = re.compile(*nonword).match if nonword and self.root is not None else self.root
        self.allowed: dict = {}  # lexer index -> terminal names it accepts
        self.allowed_of: dict = {}  # state -> the same, per state
        self.chains: dict = {}  # (state beneath, top state, lookahead) -> top state after unit reductions
        self.compiled: dict = {}  # lexer index -> (regexes, callbacks, ignored, newline types)

    def _state_lexer(self, state):
        i = self.lexer_of[state]
        found = self.compiled.get(i)
        if found is None:
            patterns, callbacks, ignored, newline, _allowed = self.lexer_specs[i]
            found = (tuple(re.compile(p, f) for p, f in patterns), frozenset(callbacks), frozenset(ignored),
                     frozenset(newline))
            self.compiled[i] = found
        return found

    def _unit_run(self, below, top, type_):
        """The top state after every unit reduction `type_` triggers in a row on top of `below`."""
        states, rules = self.states, self.rules
        while True:
            arg = states[top].get(type_)
            if arg is None or arg >= 0 or not rules[~arg][7]:
                return top
            top = states[below][rules[~arg][1]]
            if type_ == "$END" and top in self.end_states.values():
                return top

    def _looks_ahead(self, word: str) -> bool:
        """Whether a terminal that looks ahead could match at this word (then it is never memoised)."""
        return any(m(word + rest) for _, m in self.lookahead for rest in ("", " 1", " x", "1", "("))

    def _allowed(self, state):
        i = self.lexer_of[state]
        found = self.allowed.get(i)
        if found is None:
            found = self.allowed[i] = frozenset(self.lexer_specs[i][4])
        return found

    def parse(self, text: str, start: str):
        if len(text) > limits.MAX_NUMBER_DIGITS and _long_number(text):
            raise _Fallback
        states, rules = self.states, self.rules
        limit = limits.MAX_NESTING
        transformer = _ToAst()
        state_stack = [self.start_states[start]]
        end_state = self.end_states[start]
        values: list = []
        allowed_of = self.allowed_of
        chains = self.chains
        root, word, words, nonword, no_word = self.root, self.word, self.words, self.nonword, self.no_word
        ws_name, ws = self.ws if self.ws is not None else (None, None)
        pos, line, line_start, end = 0, 1, 0, len(text)
        tok = None
        while True:
            # ---- next token (lark's ContextualLexer + BasicLexer.next_token, without Token objects)
            state = state_stack[-1]
            allowed = allowed_of.get(state)
            if allowed is None:
                allowed = allowed_of[state] = self._allowed(state) if root is not None else frozenset()
            while pos < end:
                value = type_ = None
                if root is not None:
                    c = text[pos]
                    if ws is not None and c in " \t\n\r\f":
                        type_ = ws_name
                        value = ws(text, pos).group(0)
                    else:
                        wm = None if c in no_word else word(text, pos)
                        if wm is not None:
                            value = wm.group(0)
                            type_ = words.get(value)
                        if type_ is None:
                            m = root(text, pos) if wm is not None else nonword(text, pos)
                            if m is not None:
                                if wm is not None and len(words) < 4096 and m.group(0) == value \
                                        and not self._looks_ahead(value):
                                    words[value] = m.lastgroup
                                value, type_ = m.group(0), m.lastgroup
                            else:
                                value = None
                if value is not None and type_ in allowed:
                    ignored, newline_types = self.ignored, self.newline
                else:
                    mres, callbacks, ignored, newline_types = self._state_lexer(state)
                    for mre in mres:
                        m = mre.match(text, pos)
                        if m:
                            break
                    else:
                        raise _Fallback
                    if m.lastgroup in callbacks:
                        raise _Fallback  # lark's UnlessCallback & co: not used by this grammar
                    value, type_ = m.group(0), m.lastgroup
                col = pos - line_start + 1
                sline = line
                if type_ in newline_types:
                    n = value.count("\n")
                    if n:
                        line += n
                        line_start = pos + value.rindex("\n") + 1
                pos += len(value)
                if type_ not in ignored:
                    tok = _Tok(type_, value, sline, col, line, pos - line_start + 1)
                    break
            else:
                tok = None
            is_end = tok is None
            type_ = "$END" if is_end else tok.type
            # ---- shift, or reduce as often as needed (lark's ParserState.feed_token)
            while True:
                try:
                    arg = states[state_stack[-1]][type_]
                except KeyError:
                    raise _Fallback from None
                if arg >= 0:  # shift
                    if is_end:
                        raise _Fallback
                    state_stack.append(arg)
                    values.append(tok)
                    break
                size, origin, include, append_none, inline, expand1, entry, unit = rules[~arg]
                if unit:
                    # a run of unit reductions replaces the top state only, each goto taken from the
                    # state beneath, which they do not touch: the run's end is memoised per
                    # (state beneath, top state, lookahead)
                    if type(values[-1]) is _Tok:
                        raise _Fallback
                    key = (state_stack[-2], state_stack[-1], type_)
                    new_state = chains.get(key)
                    if new_state is None:
                        new_state = chains[key] = self._unit_run(*key)
                    state_stack[-1] = new_state
                    if is_end and new_state == end_state:
                        return values[-1][0]
                    continue
                if size:
                    raw = values[-size:]
                    del state_stack[-size:]
                    del values[-size:]
                else:
                    raw = []
                # span: first and last child with a position (a token, or a node that has one)
                sl = sc_ = el = ec = None
                for c in raw:
                    if type(c) is _Tok:
                        sl, sc_ = c.line, c.column
                        break
                    if c[1] is not None:
                        sl, sc_ = c[1], c[2]
                        break
                if sl is not None:
                    for c in reversed(raw):
                        if type(c) is _Tok:
                            el, ec = c.end_line, c.end_column
                            break
                        if c[3] is not None:
                            el, ec = c[3], c[4]
                            break
                # children as lark's ChildFilter leaves them (keywords out, `_rule`s spliced, Nones for [])
                seen, height = 0, 0
                if include is None:
                    kids = raw
                else:
                    kids = []
                    rest = include
                    first = include[0] if include else None
                    if first is not None and first[1] and not first[2] and type(raw[first[0]]) is not _Tok:
                        # a left-recursive list (`a and b and …`) grows its first child's list in place, as
                        # lark's ChildFilterLALR does: copying it on every item made long lists quadratic
                        kids = raw[first[0]][0]
                        seen, height, rest = len(kids), raw[first[0]][5], include[1:]
                    for i, to_expand, add_none in rest:
                        if add_none:
                            kids += [None] * add_none
                        if to_expand:
                            kids += raw[i][0]
                        else:
                            kids.append(raw[i])
                    if append_none:
                        kids += [None] * append_none
                if expand1 and len(kids) == 1:
                    child = kids[0]
                    if type(child) is _Tok or child is None:
                        raise _Fallback
                    node = (child[0], sl, sc_, el, ec, child[5])
                else:
                    for j in range(seen, len(kids)):  # the items already counted kept their height
                        c = kids[j]
                        if c is not None and type(c) is not _Tok and c[5] > height:
                            height = c[5]
                    if inline:
                        node = (kids, sl, sc_, el, ec, height)
                    else:
                        height += 1
                        if height > limit or entry is None:
                            raise _Fallback
                        func, wants_span = entry
                        if func is None:
                            raise _Fallback
                        args = [c if c is None or type(c) is _Tok else c[0] for c in kids]
                        try:
                            res = func(transformer, Span(sl, sc_, el, ec) if sl is not None else Span(), args) \
                                if wants_span else func(transformer, args)
                        except Exception:  # noqa: BLE001 - the exact path reports it
                            raise _Fallback from None
                        node = (res, sl, sc_, el, ec, height)
                new_state = states[state_stack[-1]][origin]
                state_stack.append(new_state)
                values.append(node)
                if is_end and new_state == end_state:
                    return values[-1][0]


_FAST: _FastParser | None = None


def _check_size(text: str) -> None:
    if len(text) > limits.MAX_INPUT_CHARS:
        raise SegqlError("E0111", f"input of {len(text):,} characters is over the limit of "
                         f"{limits.MAX_INPUT_CHARS:,}", Span(1, 1, 1, 2))
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise SegqlError("E0101", "the input contains a NUL character (U+0000)", Span(line, 1, line, 2))
    if len(text) > limits.MAX_TOKENS:  # cheap: fewer characters than tokens is fewer tokens
        tokens = sum(1 for _ in re.finditer(_TOKEN, text))
        if tokens > limits.MAX_TOKENS:
            raise SegqlError("E0111", f"input of {tokens:,} words and symbols is over the limit of "
                             f"{limits.MAX_TOKENS:,}", Span(1, 1, 1, 2),
                             ["split it into several segments and combine them with `in segment`",
                              "or keep long value lists in a static list (`in list ...`)"])
    bad = None if text.isascii() else re.search(_SURROGATE, text)  # from undecodable bytes in argv (`-e`), or API callers
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
    global _FAST
    _check_size(text)
    with _no_gc():
        if _FAST is None:
            _FAST = _FastParser(load_tables())
        try:
            return _FAST.parse(text, start)
        except _Fallback:
            pass
        from lark.exceptions import UnexpectedInput, VisitError

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


if __name__ == "__main__":  # build step: ship the parser tables in the package
    print(write_tables(_package_dir()))
