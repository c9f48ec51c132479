"""The service's one error shape (SPEC §6.2) and the HTTP status of every diagnostic code:

    {"error": {"code": "E0301", "message": "...", "diagnostics": [{code, message, pointer | line, column, hints}]}}

422 an invalid segment, 400 a malformed request, 401/403 auth, 404, 409, 412, 413, 503 the warehouse or
the store is unreachable, 504 a warehouse statement stopped by the query timeout. Nothing a client sends yields a 500: an unexpected exception is logged and
answered 500 with the same shape (a bug to fix, caught by the fuzz tests)."""
from __future__ import annotations

import logging

from segql.errors import SegqlError

log = logging.getLogger("segql.service")

STATUS = {
    "E0801": 404,  # not found (also: another organization's segment)
    "E0802": 409,  # slug taken
    "E0803": 412,  # stale version (If-Match)
    "E0804": 409,  # referenced by another segment
    "E0805": 409,  # a refresh of this segment is running
    "E0806": 409,  # now earlier than the last refresh
    "E0807": 409,  # an operation for static segments only (or dynamic only)
    "E0710": 404,  # `why`: no record has this key
    "E0602": 503,  # the warehouse refused the connection
    "E0603": 503,
    "E0606": 504,  # the warehouse statement ran past the query timeout
    "E0901": 401, "E0902": 401, "E0903": 403,  # no key, a bad key, a missing scope
    "E0904": 400, "E0905": 413, "E0906": 400,  # malformed request, too large, bad parameter
}


def status_for(code: str) -> int:
    if code in STATUS:
        return STATUS[code]
    if code.startswith("E06"):  # engine errors other than refusal: the query failed on the warehouse
        return 503 if code in ("E0600", "E0601") else 422
    if code in ("E0001",):
        return 400
    return 422


def diagnostic(err: SegqlError) -> dict:
    span = err.span
    out = {"code": err.code, "message": err.message}
    if span.pointer is not None:
        out["pointer"] = span.pointer or "/"
    if span.line:
        out["line"], out["column"] = span.line, span.col
        if span.end_line:
            out["end_line"], out["end_column"] = span.end_line, span.end_col
    out["hints"] = list(err.hints)
    return out


def body(err: SegqlError) -> dict:
    errors = getattr(err, "errors", None) or [err]
    first = errors[0]
    return {"error": {"code": first.code, "message": first.message if len(errors) == 1 else
                      f"{first.message} (and {len(errors) - 1} more)", "diagnostics": [diagnostic(e) for e in errors]}}


def plain(code: str, message: str, hints=()) -> dict:
    return {"error": {"code": code, "message": message,
                      "diagnostics": [{"code": code, "message": message, "hints": list(hints)}]}}
