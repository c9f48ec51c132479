"""The segment library: where `in segment x` finds x — the definitions given, then the `*.segql` /
`*.json` files beside them (SPEC §2.10)."""
from __future__ import annotations

from pathlib import Path

from segql.errors import SegqlError
from segql.files import is_regular_file
from segql.frontends.source import load_file
from segql.syntax import ast


class Library:
    """Where `in segment x` finds x: definitions by slug, and a hook to load more on demand."""

    def __init__(self, definitions=(), loader=None):
        self.definitions: dict[str, tuple[ast.Definition, ast.Document | None]] = {}
        self.loader = loader
        for d, doc in definitions:
            self.definitions.setdefault(d.slug, (d, doc))

    def find(self, slug: str):
        if slug not in self.definitions and self.loader is not None:
            for d, doc in self.loader(slug):
                self.definitions.setdefault(d.slug, (d, doc))
        return self.definitions.get(slug)



def library_for(documents: list[ast.Document], schema=None) -> Library:
    """Definitions from the given documents first; others are loaded from sibling files on demand."""
    defs = [(d, doc) for doc in documents for d in doc.definitions]
    dirs, shown = [], {}
    for doc in documents:
        if doc.path:
            folder = Path(doc.path).resolve().parent
            if folder not in dirs:
                dirs.append(folder)
                shown[folder] = Path(doc.path).parent  # as the user wrote it: messages name files so
    loaded: set[Path] = {Path(doc.path).resolve() for doc in documents if doc.path}

    def loader(slug: str):
        found = []
        for folder in dirs:
            for file in sorted(folder.glob("*.segql")) + sorted(folder.glob("*.json")):
                if file.resolve() in loaded or file.name == "schema.json" or not is_regular_file(file):
                    continue  # a FIFO or device beside the file must not block or flood the search
                loaded.add(file.resolve())
                try:
                    doc = load_file(str(shown[folder] / file.name), schema=schema)
                except SegqlError:
                    continue  # a broken neighbour is reported when it is itself checked
                found.extend((d, doc) for d in doc.definitions)
        return found

    return Library(defs, loader)
