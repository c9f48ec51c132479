"""Loading segments: find the schema, read every input form, check every definition — the one
load-and-check loop that `check`, `compile`, the operations and the store share.

    schema = find_schema(None, ["segments/a.segql"])
    loaded = load_segments(["segments/a.segql"], schema)      # [Loaded]; raises all errors together
    result = check_files(["a.segql", "b.json"], schema)        # errors and lint warnings, never raises
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from segql import ir
from segql.errors import MultipleErrors, SegqlError
from segql.frontends.source import load_file, parse_source
from segql.schema import Schema
from segql.semantic.checker import Checker
from segql.semantic.library import library_for
from segql.semantic.policy import check_policy
from segql.semantic.schemas import load_schema
from segql.syntax import ast


@dataclass
class Loaded:
    """One checked definition: what the user wrote, where, and what it means."""

    definition: ast.Definition
    document: ast.Document
    segment: ir.Segment

    @property
    def slug(self) -> str:
        return self.segment.slug


@dataclass
class Checked:
    """The outcome of checking documents: what passed, every error, every lint warning."""

    loaded: list[Loaded] = field(default_factory=list)
    errors: list[SegqlError] = field(default_factory=list)
    warnings: list[SegqlError] = field(default_factory=list)

    @property
    def checked(self) -> int:
        return len(self.loaded)

    def raise_errors(self) -> None:
        if self.errors:
            raise self.errors[0] if len(self.errors) == 1 else MultipleErrors(self.errors)


def find_schema(explicit: str | None, files: list[str]) -> Schema:
    """`--schema`, else `schema.yml` beside the first file or in a folder above it, else in the current
    directory (a project keeps segments in a subfolder)."""
    if explicit:
        return load_schema(explicit)
    candidates = []
    if files:
        folder = Path(files[0]).resolve().parent
        candidates.extend(p / "schema.yml" for p in (folder, *folder.parents))
    candidates.append(Path.cwd() / "schema.yml")
    for c in candidates:
        if c.exists():
            return load_schema(str(c))
    raise SegqlError("E0200", "no schema.yml found beside the file or in the current directory",
                     hints=["pass --schema PATH"])


def as_schema(schema) -> Schema:
    """A Schema, or a path to one."""
    if isinstance(schema, Schema):
        return schema
    if schema is None:
        raise SegqlError("E0200", "a schema is required", hints=["segql.load_schema('schema.yml')"])
    return load_schema(schema)


def read_document(source, schema, *, on: str | None = None) -> ast.Document:
    """A file path (`Path`, or a one-line string ending in .segql/.json), segql text, JSON text or a dict."""
    if isinstance(source, ast.Document):
        return source
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source
                                    and source.endswith((".segql", ".json"))):
        return load_file(str(source), on=on, schema=schema)
    return parse_source(source, on=on, schema=schema)


def _with_location(err: SegqlError, doc: ast.Document) -> SegqlError:
    if err.path is None:
        err.path, err.source = doc.path, doc.source
    return err


def _same_place(a: SegqlError, b: SegqlError) -> bool:
    return (a.code, a.message, a.path, a.span) == (b.code, b.message, b.path, b.span)


def check_documents(docs: list[ast.Document], schema: Schema, *, lint: bool = False,
                    library=None) -> Checked:
    """Check every definition of `docs` (references resolve among them and their sibling files);
    collect every error — a slug defined twice is E0700 — and, with `lint`, the warnings."""
    result = Checked()
    library = library or library_for(docs, schema)
    checker = Checker(schema, library)
    seen: dict[str, tuple[ast.Definition, ast.Document]] = {}
    for doc in docs:
        for d in doc.definitions:
            if d.slug in seen:
                first, where = seen[d.slug]
                if first.kind == d.kind == "list" and first.entity == d.entity:
                    continue  # the same static list declared in two files: one list table slug
                result.errors.append(SegqlError(
                    "E0700", f"segment {d.slug!r} is defined twice (also in {where.path or 'an earlier input'})",
                    d.span, ["give each segment its own slug"], path=doc.path, source=doc.source))
                continue
            seen[d.slug] = (d, doc)
            try:
                check_policy(d, schema, library)
                segment = checker.check_definition(d)
            except SegqlError as failed:
                for err in getattr(failed, "errors", [failed]):  # every error of the segment, in order
                    err = _with_location(err, doc)
                    if not any(_same_place(err, e) for e in result.errors):  # a referenced segment's
                        result.errors.append(err)  # error once, where the first user reached it
                continue
            result.loaded.append(Loaded(d, doc, segment))
            if lint:
                from segql.ops.lint import lint_segment  # lazy: only `check` lints

                result.warnings.extend(_with_location(w, doc) for w in lint_segment(d, segment, schema))
    return result


def read_documents(sources, schema, errors: list) -> list[ast.Document]:
    docs = []
    for src in ([sources] if isinstance(sources, (str, Path, ast.Document, dict)) else sources):
        try:
            docs.append(read_document(src, schema))
        except SegqlError as err:
            errors.append(err)
    return docs


def check_files(sources, schema, *, lint: bool = True) -> Checked:
    """`segql check`: every error and warning of every input; never raises for bad input."""
    read_errors: list[SegqlError] = []
    docs = read_documents(sources, schema, read_errors)
    result = check_documents(docs, schema, lint=lint)
    result.errors[:0] = read_errors
    return result


def load_segments(sources, schema) -> list[Loaded]:
    """Parse and check every definition in `sources` (file paths, `ast.Document`s, segql text or JSON
    dicts). All errors are raised together (`MultipleErrors`); a slug defined twice is E0700."""
    result = check_files(sources, schema, lint=False)
    result.raise_errors()
    return result.loaded


def by_entity(loaded: list[Loaded]) -> dict[str, list[Loaded]]:
    groups: dict[str, list[Loaded]] = {}
    for item in loaded:
        groups.setdefault(item.segment.entity, []).append(item)
    return groups


def select_definition(doc: ast.Document, segment: str | None) -> ast.Definition:
    """The definition `--segment` names, or the only one (E0003 otherwise: a usage error)."""
    defs = doc.definitions
    if segment is None:
        if len(defs) == 1:
            return defs[0]
        raise SegqlError("E0003", f"{doc.path or 'the input'} defines {len(defs)} segments; choose one",
                         hints=[f"pass --segment with one of: {', '.join(d.slug for d in defs)}"], path=doc.path)
    for d in defs:
        if d.slug == segment:
            return d
    folded = [d for d in defs if d.slug.casefold() == segment.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise SegqlError("E0003", f"no segment {segment!r} in {doc.path or 'the input'}",
                     hints=[f"segments: {', '.join(d.slug for d in defs)}"], path=doc.path)


def load_one(path: str, schema, segment: str | None) -> Loaded:
    """The segment `--segment` names in one file (or its only one), checked with the whole file and its
    neighbours (`segql explain`, `segql why`)."""
    loaded = load_segments([Path(path)], schema)  # a FILE argument is a file, whatever its name
    definition = select_definition(loaded[0].document, segment)
    return next(i for i in loaded if i.definition is definition)
