"""Per-dialect SQL primitives: one module per dialect, `base.py` for the portable implementation.

A dialect module is imported only when its dialect is asked for (`get_ops`), by name; `DIALECTS` and
`VERIFIED` (computed on first use) import them all and read the registry `Ops.__init_subclass__` fills.
Adding a dialect: docs/adding-a-dialect.md.
"""
from __future__ import annotations

import functools
import importlib
import pkgutil

from segql.errors import SegqlError
from segql.lower.dialects.base import (
    ALIASES,
    NAME_META,
    PARAM_META,
    REGISTRY,
    VALUE_META,
    Ops,
)
from segql.text import simple_lower

__all__ = ["DIALECTS", "VERIFIED", "NAME_META", "PARAM_META", "VALUE_META", "Ops", "get_ops", "simple_lower", "dialect_modules"]


@functools.lru_cache(maxsize=None)
def dialect_modules() -> tuple[str, ...]:
    """Names of the dialect modules in this package (every module but base)."""
    return tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name != "base" and not m.ispkg))


def _import(module: str) -> None:
    importlib.import_module(f"{__name__}.{module}")


@functools.lru_cache(maxsize=None)
def _all() -> tuple[tuple[str, ...], tuple[str, ...]]:
    for module in dialect_modules():
        _import(module)
    names = tuple(sorted(REGISTRY, key=lambda n: (REGISTRY[n].order, n)))
    return names, tuple(n for n in names if REGISTRY[n].verified)


def __getattr__(attr: str):
    """`DIALECTS` (every registered dialect, most used first) and `VERIFIED`, computed on first use."""
    if attr == "DIALECTS":
        return _all()[0]
    if attr == "VERIFIED":
        return _all()[1]
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")


@functools.lru_cache(maxsize=None)
def get_ops(dialect: str) -> Ops:
    """The (cached) primitives for a dialect name or alias (`postgresql` is postgres)."""
    name = str(dialect).lower()
    if name not in REGISTRY and name in dialect_modules():
        _import(name)  # the module named like the dialect defines it
    if name not in REGISTRY and name not in ALIASES:
        _all()  # an alias is declared in its dialect's module
    name = ALIASES.get(name, name)
    if name not in REGISTRY:
        dialects = _all()[0]
        raise SegqlError("E0500", f"unknown dialect {dialect!r}; expected one of: {', '.join(dialects)}",
                         hints=[f"dialects: {', '.join(dialects)}"])
    return _instance(name)


@functools.lru_cache(maxsize=None)
def _instance(name: str) -> Ops:
    """One instance per dialect, whichever name or alias asked for it."""
    return REGISTRY[name]()
