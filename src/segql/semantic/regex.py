"""The portable regular-expression subset of `matches` (SPEC §2.7).

Engines disagree on almost everything beyond the basics: `.` matches newline on PostgreSQL but not on RE2,
`$` also matches before a final newline on Java/PCRE/ICU, `\\d` matches non-ASCII digits under ICU, the `i`
flag is Unicode-aware on some engines and dropped by sqlglot on others. So segql accepts a small subset,
parses it, and re-renders it in a canonical form whose meaning is the same everywhere:

- literals (metacharacters escaped with `\\`; `\\n \\t \\r \\f \\v` for control characters), `.`,
  bracket sets and ranges (also negated `[^...]`), `* + ? {m} {m,} {m,n}` (bounds <= 1000, and nested
  bounds multiply to <= 1000, RE2's limit), `|`, groups `( )` and `(?: )`, `^`, `$`;
- `\\d \\w \\s` (and `\\D \\W \\S` outside brackets) are translated to explicit ASCII sets
  (`[0-9]`, `[0-9A-Za-z_]`, `[ \\t\\n\\r\\f\\v]`);
- rejected (E0311): backreferences, lookarounds, `\\b` and other anchors/escapes, inline flags, named
  groups, lazy/possessive quantifiers, POSIX classes `[[:alpha:]]`, unbalanced parentheses or brackets,
  a quantifier with nothing to repeat, empty patterns, empty alternatives and empty groups.

`portable(p, ignore_case)` renders the canonical form: `.` becomes `[^<newline>]` (a literal newline
character), the `i` flag (ASCII only) rewrites letters into `[aA]` sets (inside sets and ranges too), every
group is a plain `( )`. `to_flavor(portable_pattern, flavor)` then spells `$` for an engine family so that
it matches only at the very end of the text. `python_search` (and `search_portable`, SQLite's `regexp`)
give the same semantics in-process.

In-process matching does not use Python's `re`: it backtracks, so a pattern such as `(a+)+$` takes time
exponential in the length of the text (ReDoS). Patterns are instead compiled to a Thompson NFA and
simulated with state sets (memoized as a lazily built, size-capped DFA), which never backtracks and runs in
time linear in the text: O(len(expanded pattern) x len(text)) at worst.
"""
from __future__ import annotations

import bisect
import functools
import re as _re
import threading

from segql.errors import SegqlError

MAX_BOUND = 1000
MAX_DEPTH = 100
NL = "\n"

_META = set("\\.[](){}*+?|^$")
_SET_META = set("\\]-[^&|~")
_CTRL = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v"}
_CLASSES = {
    "d": [("0", "9")],
    "w": [("0", "9"), ("A", "Z"), ("a", "z"), ("_", "_")],
    "s": [(" ", " "), ("\t", "\t"), ("\n", "\n"), ("\r", "\r"), ("\f", "\f"), ("\v", "\v")],
}

# Flavours: how the end anchor is spelled so it matches only at the very end of the text.
#   portable/re2/posix: `$` (RE2 without m flag; PostgreSQL AREs; POSIX)
#   java/pcre/icu: `\z` (their `$` also matches before a final line terminator)
#   python: `\Z`
_EOL = {"portable": "$", "re2": "$", "posix": "$", "java": "\\z", "pcre": "\\z", "icu": "\\z", "python": "\\Z"}


# AST: ("lit", ch) | ("set", negated, ((lo, hi), ...)) | ("cat", (nodes...)) | ("alt", (nodes...))
#      | ("group", node) | ("rep", node, min, max_or_None) | ("bol",) | ("eol",) | ("any",)

def _err(pattern: str, pos: int, msg: str, hint: str | None = None):
    hints = [hint] if hint else []
    hints.append("supported: literals, ., [sets], * + ? {m,n}, |, ( ), ^, $ and the i flag")
    raise SegqlError("E0311", f"unsupported regular expression at offset {pos}: {msg} (in {pattern!r})",
                     hints=hints)


class _Parser:
    def __init__(self, pattern: str):
        self.p = pattern
        self.i = 0
        self.depth = 0

    def peek(self, k=0):
        j = self.i + k
        return self.p[j] if j < len(self.p) else None

    def parse(self):
        if not self.p:
            _err(self.p, 0, "the pattern is empty")
        node = self.alt()
        if self.i < len(self.p):  # only a stray ')' stops alt() early
            _err(self.p, self.i, "unbalanced ')'", "escape a literal parenthesis as \\)")
        return node

    def alt(self):
        start = self.i
        branches = [self.cat()]
        while self.peek() == "|":
            self.i += 1
            branches.append(self.cat())
        for b in branches:
            if b == ("cat", ()):
                _err(self.p, start if self.i == start else self.i, "empty alternative",
                     "write an optional part as (x)? instead of (x|)")
        return branches[0] if len(branches) == 1 else ("alt", tuple(branches))

    def cat(self):
        items = []
        while self.i < len(self.p) and self.peek() not in "|)":
            atom_pos = self.i
            atom = self.atom()
            atom = self.quantifiers(atom, atom_pos)
            items.append(atom)
        return items[0] if len(items) == 1 else ("cat", tuple(items))

    def quantifiers(self, atom, atom_pos):
        c = self.peek()
        if c not in ("*", "+", "?", "{"):
            return atom
        qpos = self.i
        if atom[0] in ("bol", "eol"):
            _err(self.p, qpos, "quantifier with nothing to repeat (after an anchor)")
        if c == "{":
            lo, hi = self.bounds()
        else:
            self.i += 1
            lo, hi = {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
        nxt = self.peek()
        if nxt == "?":
            _err(self.p, self.i, "lazy quantifiers are not supported")
        if nxt in ("*", "+", "{"):
            _err(self.p, self.i, "a quantifier cannot follow another quantifier (possessive or doubled)",
                 "group the repeated part: (a+)*")
        return ("rep", atom, lo, hi)

    def bounds(self):
        start = self.i
        m = _re.compile(r"\{(\d+)(,(\d*))?\}").match(self.p, self.i)
        if not m:
            _err(self.p, start, "'{' must start a bound {m}, {m,} or {m,n}", "escape a literal brace as \\{")
        lo = int(m.group(1))
        hi = lo if m.group(2) is None else (int(m.group(3)) if m.group(3) else None)
        if hi is not None and lo > hi:
            _err(self.p, start, f"bound {{{lo},{hi}}} has m > n")
        if lo > MAX_BOUND or (hi or 0) > MAX_BOUND:
            _err(self.p, start, f"bounds above {MAX_BOUND} are not supported")
        self.i = m.end()
        return lo, hi

    def atom(self):
        c = self.p[self.i]
        pos = self.i
        if c == "(":
            self.i += 1
            if self.peek() == "?":
                if self.peek(1) == ":":
                    self.i += 2
                else:
                    kind = self.p[self.i:self.i + 3]
                    what = ("lookarounds" if kind[:2] in ("?=", "?!") or kind in ("?<=", "?<!")
                            else "named groups" if kind[:2] in ("?P", "?<", "?'")
                            else "inline flags and other (? constructs")
                    _err(self.p, pos, f"{what} are not supported",
                         "use the i flag ($options / `matches ... i`) for case-insensitivity"
                         if what.startswith("inline") else None)
            self.depth += 1
            if self.depth > MAX_DEPTH:
                _err(self.p, pos, f"groups nested deeper than {MAX_DEPTH}")
            if self.peek() == ")":
                _err(self.p, pos, "empty group")
            inner = self.alt()
            if self.peek() != ")":
                _err(self.p, pos, "unbalanced '(' (missing ')')")
            self.i += 1
            self.depth -= 1
            return ("group", inner)
        if c in "*+?{":
            if c == "{" and _re.compile(r"\{\d+(,\d*)?\}").match(self.p, self.i):
                _err(self.p, pos, "quantifier with nothing to repeat")
            if c == "{":
                _err(self.p, pos, "'{' must start a bound {m}, {m,} or {m,n}", "escape a literal brace as \\{")
            _err(self.p, pos, "quantifier with nothing to repeat")
        self.i += 1
        if c == ".":
            return ("any",)
        if c == "^":
            return ("bol",)
        if c == "$":
            return ("eol",)
        if c == "[":
            return self.bracket(pos)
        if c == "\\":
            return self.escape(pos, in_set=False)
        return ("lit", c)

    def escape(self, pos, in_set):
        c = self.peek()
        if c is None:
            _err(self.p, pos, "the pattern ends with a lone backslash")
        self.i += 1
        if c in _CTRL:
            return ("lit", _CTRL[c])
        if c in _CLASSES:
            return ("set", False, tuple(_CLASSES[c]))
        if c in ("D", "W", "S"):
            if in_set:
                _err(self.p, pos, f"\\{c} inside a bracket set is not supported")
            return ("set", True, tuple(_CLASSES[c.lower()]))
        if c.isdigit():
            _err(self.p, pos, "backreferences are not supported")
        if c in ("b", "B", "A", "z", "Z", "G"):
            _err(self.p, pos, f"the anchor \\{c} is not supported", "use ^ and $")
        if c.isalnum() or c == "_" or ord(c) > 127:
            _err(self.p, pos, f"the escape \\{c} is not supported", "write the character itself")
        return ("lit", c)

    def bracket(self, pos):
        negated = False
        if self.peek() == "^":
            negated = True
            self.i += 1
        if self.peek() == "]":
            _err(self.p, self.i, "']' right after '[' is ambiguous", "escape it as \\]")
        items = []
        while True:
            c = self.peek()
            if c is None:
                _err(self.p, pos, "unterminated bracket set (missing ']')")
            if c == "]":
                self.i += 1
                break
            ipos = self.i
            lo = self.set_char()
            if isinstance(lo, tuple):  # a class such as \d
                items.extend(lo[2])
                continue
            if self.peek() == "-" and self.peek(1) not in ("]", None):
                self.i += 1
                hi = self.set_char()
                if isinstance(hi, tuple):
                    _err(self.p, ipos, "a range cannot end in a class")
                if lo > hi:
                    _err(self.p, ipos, f"range {lo!r}-{hi!r} is reversed")
                items.append((lo, hi))
            else:
                items.append((lo, lo))
        if not items:
            _err(self.p, pos, "empty bracket set")
        return ("set", negated, tuple(items))

    def set_char(self):
        c = self.p[self.i]
        pos = self.i
        if c == "[":
            _err(self.p, pos, "'[' inside a bracket set (POSIX classes, nested sets) is not supported",
                 "escape it as \\[")
        self.i += 1
        if c == "\\":
            e = self.escape(pos, in_set=True)
            return e[1] if e[0] == "lit" else e
        return c


@functools.lru_cache(maxsize=512)
def parse(pattern: str):
    """The AST of a pattern in the portable subset; raises SegqlError E0311 otherwise."""
    node = _Parser(pattern).parse()
    if _max_product(node) > MAX_BOUND:
        _err(pattern, 0, f"nested repetition bounds multiply to more than {MAX_BOUND}")
    return node


def _max_product(node) -> int:
    kind = node[0]
    if kind == "rep":
        inner = _max_product(node[1])
        bound = node[3] if node[3] is not None else max(node[2], 1)
        return max(inner, inner * bound if bound else inner)
    if kind in ("cat", "alt"):
        return max((_max_product(n) for n in node[1]), default=1)
    if kind == "group":
        return _max_product(node[1])
    return 1


def max_bound(pattern: str) -> int:
    """The largest {m,n} bound used (PostgreSQL caps them at 255)."""
    best = 0

    def walk(n):
        nonlocal best
        if n[0] == "rep":
            if n[2] > 1 or (n[3] or 0) > 1:
                best = max(best, n[2], n[3] or 0)
            walk(n[1])
        elif n[0] in ("cat", "alt"):
            for m in n[1]:
                walk(m)
        elif n[0] == "group":
            walk(n[1])

    walk(parse(pattern))
    return best


def validate(pattern: str) -> None:
    """Raise SegqlError E0311 (with the 0-based offset) when `pattern` is outside the portable subset."""
    parse(pattern)


# ------------------------------------------------------------------------------------------- transforms

def _fold_items(items):
    out = list(items)
    for lo, hi in items:
        for a, z, shift in (("a", "z", -32), ("A", "Z", 32)):
            l2, h2 = max(lo, a), min(hi, z)
            if l2 <= h2:
                out.append((chr(ord(l2) + shift), chr(ord(h2) + shift)))
    seen, uniq = set(), []
    for it in out:
        if it not in seen:
            seen.add(it)
            uniq.append(it)
    return tuple(uniq)


def _transform(node, ignore_case: bool):
    kind = node[0]
    if kind == "any":
        return ("set", True, ((NL, NL),))
    if kind == "lit":
        c = node[1]
        if ignore_case and c.isascii() and c.isalpha():
            return ("set", False, ((c.lower(), c.lower()), (c.upper(), c.upper())))
        return node
    if kind == "set":
        return ("set", node[1], _fold_items(node[2])) if ignore_case else node
    if kind in ("cat", "alt"):
        return (kind, tuple(_transform(n, ignore_case) for n in node[1]))
    if kind == "group":
        return ("group", _transform(node[1], ignore_case))
    if kind == "rep":
        return ("rep", _transform(node[1], ignore_case), node[2], node[3])
    return node


def _set_char(c: str) -> str:
    return "\\" + c if c in _SET_META else c


def _render(node, flavor: str) -> str:
    kind = node[0]
    if kind == "lit":
        return "\\" + node[1] if node[1] in _META else node[1]
    if kind == "set":
        body = "".join(_set_char(lo) if lo == hi else f"{_set_char(lo)}-{_set_char(hi)}" for lo, hi in node[2])
        return "[" + ("^" if node[1] else "") + body + "]"
    if kind == "cat":
        return "".join(_render(n, flavor) for n in node[1])
    if kind == "alt":
        return "|".join(_render(n, flavor) for n in node[1])
    if kind == "group":
        return "(" + _render(node[1], flavor) + ")"
    if kind == "rep":
        inner = _render(node[1], flavor)
        # a quantified non-ASCII literal is grouped: ClickHouse's RE2 front end applies a quantifier
        # after a 4-byte character to its last byte (match('', '🎉*') is 0; measured)
        if node[1][0] in ("cat", "alt", "rep") or (node[1][0] == "lit" and ord(node[1][1]) > 127):
            inner = "(" + inner + ")"
        lo, hi = node[2], node[3]
        q = ("*" if (lo, hi) == (0, None) else "+" if (lo, hi) == (1, None) else "?" if (lo, hi) == (0, 1)
             else f"{{{lo}}}" if lo == hi else f"{{{lo},}}" if hi is None else f"{{{lo},{hi}}}")
        return inner + q
    if kind == "bol":
        return "^"
    if kind == "eol":
        return _EOL[flavor]
    if kind == "any":  # only before _transform
        return "[^" + NL + "]"
    raise AssertionError(kind)


@functools.lru_cache(maxsize=512)
def portable(pattern: str, ignore_case: bool = False) -> str:
    """The canonical, engine-independent form of a valid pattern (see the module docstring)."""
    return _render(_transform(parse(pattern), ignore_case), "portable")


@functools.lru_cache(maxsize=512)
def to_flavor(portable_pattern: str, flavor: str) -> str:
    """Re-spell a `portable(...)` output for an engine family (only the end anchor changes)."""
    if flavor not in _EOL:
        raise ValueError(f"unknown regex flavor {flavor!r}")
    if flavor in ("portable", "re2", "posix"):
        return portable_pattern
    return _render(parse(portable_pattern), flavor)


# ------------------------------------------------------------------------------------------- matching
#
# In-process matching never uses Python's backtracking `re`: the portable AST is compiled to a Thompson NFA
# (bounded repetitions expanded, so its size is bounded by the pattern length times MAX_BOUND) and simulated
# with state sets. Each set of NFA states is a lazily built DFA state whose transitions are memoized per
# character (and, underneath, per character class); the cache is dropped when it outgrows _DFA_BUDGET, so a
# search costs O(len(NFA)) per character at worst and a dictionary lookup per character when the cache hits.

_CHAR, _SPLIT, _BOL, _EOS, _MATCH = range(5)
_DFA_BUDGET = 50_000  # NFA-state entries + transitions kept per automaton before its DFA cache is dropped


class _DState(dict):
    """A DFA state: a set of NFA states (consuming, pending-`$` and match states); as a dict, its memoized
    transitions character -> _DState (a miss computes and stores the transition)."""

    __slots__ = ("at_end", "auto", "by_class", "final", "nfa", "result")

    def __init__(self, auto, nfa):
        super().__init__()
        self.auto = auto
        self.nfa = nfa
        self.by_class = {}
        matched = auto.match in nfa
        self.final = matched or not nfa  # a match was found, or nothing can match any more
        self.result = matched
        self.at_end = None

    def __missing__(self, c):
        return self.auto._step(self, c)


class _Automaton:
    """A Thompson NFA for one portable pattern with a lazily built, size-capped DFA on top of it."""

    def __init__(self, node):
        self.kind, self.arg, self.out = [], [], []
        self.match = self._state(_MATCH)
        self.start = self._compile(node, self.match)
        bounds = set()
        for k, a in zip(self.kind, self.arg):
            if k == _CHAR:
                for lo, hi in a[1]:
                    bounds.update((lo, hi + 1))
        self.bounds = sorted(bounds)  # character class k is [bounds[k-1], bounds[k])
        self.empty = self.match in self._closure([self.start], True, True)
        self.lock = threading.Lock()
        self.states = {}
        self.size = 0
        self.initial = self._intern(self._closure([self.start], True, False))

    # construction: _compile(node, nxt) returns the entry state of `node` followed by state `nxt`

    def _state(self, kind, arg=None, out=-1):
        self.kind.append(kind)
        self.arg.append(arg)
        self.out.append(out)
        return len(self.kind) - 1

    def _compile(self, node, nxt):
        kind = node[0]
        if kind == "lit":
            cp = ord(node[1])
            return self._state(_CHAR, (False, ((cp, cp),)), nxt)
        if kind == "set":
            return self._state(_CHAR, (node[1], tuple((ord(lo), ord(hi)) for lo, hi in node[2])), nxt)
        if kind == "any":  # only in a pattern that did not go through portable()
            return self._state(_CHAR, (True, ((ord(NL), ord(NL)),)), nxt)
        if kind == "cat":
            for n in reversed(node[1]):
                nxt = self._compile(n, nxt)
            return nxt
        if kind == "alt":
            return self._state(_SPLIT, tuple(self._compile(n, nxt) for n in node[1]))
        if kind == "group":
            return self._compile(node[1], nxt)
        if kind == "bol":
            return self._state(_BOL, None, nxt)
        if kind == "eol":
            return self._state(_EOS, None, nxt)
        if kind == "rep":
            inner, lo, hi = node[1], node[2], node[3]
            if hi is None:  # x{lo,} = x^(lo-1) x+  or  x*
                loop = self._state(_SPLIT)
                body = self._compile(inner, loop)
                self.arg[loop] = (body, nxt)
                cur = loop if lo == 0 else body
                lo = max(lo - 1, 0)
            else:  # x{lo,hi} = x^lo (x(x(...)?)?)?
                cur = nxt
                for _ in range(hi - lo):
                    cur = self._state(_SPLIT, (self._compile(inner, cur), nxt))
            for _ in range(lo):
                cur = self._compile(inner, cur)
            return cur
        raise AssertionError(kind)

    # simulation

    def _closure(self, seeds, at_start, at_end):
        """The consuming, match and (unless at_end) pending-`$` states reachable from `seeds` by epsilon
        moves; `^` is passable only at_start, `$` only at_end. Iterative, each NFA state visited once."""
        kind, arg, out = self.kind, self.arg, self.out
        seen, found, stack = set(), [], list(seeds)
        while stack:
            s = stack.pop()
            if s in seen:
                continue
            seen.add(s)
            k = kind[s]
            if k == _SPLIT:
                stack.extend(arg[s])
            elif k == _BOL:
                if at_start:
                    stack.append(out[s])
            elif k == _EOS and at_end:
                stack.append(out[s])
            else:
                found.append(s)
        return frozenset(found)

    def _intern(self, nfa):
        st = self.states.get(nfa)
        if st is None:
            st = self.states[nfa] = _DState(self, nfa)
            self.size += len(nfa) + 1
        return st

    def _step(self, st, c):
        with self.lock:
            if self.size > _DFA_BUDGET:  # drop the DFA cache; states in use keep working (they recompute)
                for old in self.states.values():
                    old.clear()
                    old.by_class.clear()
                self.states.clear()
                self.size = 0
                for keep in (self.initial, st):
                    self.states[keep.nfa] = keep
                    self.size += len(keep.nfa) + 1
            cp = ord(c)
            k = bisect.bisect_right(self.bounds, cp)
            nxt = st.by_class.get(k)
            if nxt is None:
                rep = self.bounds[k - 1] if k else 0
                kind, arg, out = self.kind, self.arg, self.out
                seeds = [self.start]
                for s in st.nfa:
                    if kind[s] == _CHAR:
                        negated, ranges = arg[s]
                        if any(lo <= rep <= hi for lo, hi in ranges) != negated:
                            seeds.append(out[s])
                nxt = st.by_class[k] = self._intern(self._closure(seeds, False, False))
                self.size += 1
            st[c] = nxt
            self.size += 1
            return nxt

    def _accepts_at_end(self, st) -> bool:
        if st.at_end is None:
            seeds = [self.out[s] for s in st.nfa if self.kind[s] == _EOS]
            st.at_end = bool(seeds) and self.match in self._closure(seeds, False, True)
        return st.at_end

    def search(self, s: str) -> bool:
        """Whether the pattern matches somewhere in `s` (`^` only at 0, `$` only at len(s))."""
        if not s:
            return self.empty
        st = self.initial
        if st.final:
            return st.result
        for c in s:
            st = st[c]
            if st.final:
                return st.result
        return self._accepts_at_end(st)


@functools.lru_cache(maxsize=128)
def _automaton(portable_pattern: str) -> _Automaton:
    return _Automaton(parse(portable_pattern))


def search_portable(portable_pattern: str, s: str) -> bool:
    """Search with an already-portable pattern (what SQLite's registered `regexp` function does)."""
    return _automaton(portable_pattern).search(s)


def python_search(pattern: str, ignore_case: bool = False):
    """A callable str -> bool with exactly the SQL semantics of `matches pattern [i]`."""
    return _automaton(portable(pattern, ignore_case)).search
