"""A persistent cache of the code `dataclasses` compiles: start-up time.

`@dataclass` writes the source of `__init__`, `__repr__`, `__eq__`, `__hash__`, `__setattr__`… for each
class and `exec`s it; compiling those ~400 small functions was a quarter of a `segql compile` process
(241 M of 980 M instructions). `install()` gives the `dataclasses` module an `exec` that compiles each
distinct source text of a segql class once per Python version (other libraries' classes are left alone) and keeps the code objects (marshal) in the user's cache
directory. The same text compiles to the same code, so classes and behaviour are exactly those of
`dataclasses`; a missing, unreadable or foreign cache file only means compiling as before.
"""
from __future__ import annotations

import builtins
import os
import sys

_cache: dict | None = None
_new = 0


def _path() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "segql", f"dataclass-code-{sys.implementation.cache_tag}-2.marshal")


def _load() -> dict:
    global _cache
    if _cache is None:
        import marshal

        try:
            with open(_path(), "rb") as f:
                data = marshal.load(f)
            _cache = data if isinstance(data, dict) else {}
        except (OSError, ValueError, EOFError, TypeError):
            _cache = {}
    return _cache


def _exec(source, globals=None, locals=None, /):
    global _new
    if type(source) is str and globals is not None and str(globals.get("__name__", "")).startswith("segql"):
        import marshal

        cache = _load()
        blob = cache.get(source)  # each code object stays marshalled until a class needs it
        if blob is None:
            code = compile(source, "<string>", "exec")
            cache[source] = marshal.dumps(code)
            _new += 1
        else:
            code = marshal.loads(blob)
        source = code
    return builtins.exec(source, globals, locals)  # noqa: S102 - dataclasses' own source, compiled once


def install() -> None:
    """Route `dataclasses`' exec through the cache (for every class defined from now on) and save new
    entries at exit; `SEGQL_NO_CODE_CACHE=1` turns it off."""
    if os.environ.get("SEGQL_NO_CODE_CACHE"):
        return
    import atexit
    import dataclasses

    if getattr(dataclasses, "exec", None) is not _exec:
        dataclasses.exec = _exec
        atexit.register(save)


def save() -> None:
    """Write the cache if this process compiled something new (atomically; errors are ignored: a cache)."""
    global _new
    if not _new or _cache is None:
        return
    import marshal

    path = _path()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            marshal.dump(_cache, f)
        os.replace(tmp, path)
        _new = 0
    except (OSError, ValueError):
        pass
