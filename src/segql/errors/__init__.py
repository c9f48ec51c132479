"""segql's exceptions and diagnostics.

Every error a user can cause is a `SegqlError` carrying a stable code, a message, a location
(a text span or a JSON pointer) and hints, so the CLI can render `path:line:col: error[CODE]: ...`
with a caret and never a traceback.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """A location in a source: 1-based line/col of start and end (end exclusive), or a JSON pointer."""

    line: int = 0
    col: int = 0
    end_line: int = 0
    end_col: int = 0
    pointer: str | None = None  # for JSON inputs: "/filter/$and/1/country"

    @property
    def known(self) -> bool:
        return self.line > 0 or self.pointer is not None


NO_SPAN = Span()


class SegqlError(Exception):
    """An error in the user's input (segment, schema, JSON document) or a refused request."""

    def __init__(self, code: str, message: str, span: Span = NO_SPAN, hints=(), path: str | None = None,
                 source: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.span = span
        self.hints = list(hints)
        self.path = path
        self.source = source  # the text the span points into, for rendering the caret

    def __str__(self) -> str:  # pragma: no cover - convenience
        where = f" at {self.span.line}:{self.span.col}" if self.span.line else (
            f" at {self.span.pointer}" if self.span.pointer else "")
        return f"error[{self.code}]{where}: {self.message}"


class SchemaError(SegqlError):
    """The schema file is invalid."""


class CheckError(SegqlError):
    """A name, type, reference or limit problem found while checking against the schema."""


class UnsupportedError(SegqlError):
    """A construct the target dialect cannot express faithfully."""

    def __init__(self, construct: str, dialect: str, hint: str | None = None, span: Span = NO_SPAN):
        super().__init__(
            "E0501",
            f"{construct} cannot be expressed faithfully in the {dialect} dialect",
            span,
            [hint] if hint else [],
        )
        self.construct = construct
        self.dialect = dialect


class MultipleErrors(SegqlError):
    """Several independent diagnostics found in one pass (check reports them all)."""

    def __init__(self, errors: list[SegqlError]):
        first = errors[0]
        super().__init__(first.code, first.message, first.span, first.hints, first.path, first.source)
        self.errors = errors


class CheckErrors(MultipleErrors, CheckError):
    """Several independent check errors in one segment (each part of an and/or, both sides of a
    comparison): `check` reports them all, in the order they were written."""


def collected(errors: list[SegqlError]) -> SegqlError:
    """One error for a list of them: the error itself, or all of them (nested lists flattened)."""
    flat = list({id(e): e for err in errors for e in getattr(err, "errors", [err])}.values())  # an error
    # checked once and met again (a field used twice: semantic.paths) is listed once
    return flat[0] if len(flat) == 1 else CheckErrors(flat)
