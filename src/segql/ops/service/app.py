"""The FastAPI application: one route per row of SPEC §6.2's table, each a single call into the SDK
(`segql.ops.store`), which does every check and raises a SegqlError whose code picks the status."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from segql.errors import SegqlError
from segql.jsontext import to_json
from segql.ops.service import errors, models
from segql.ops.service.auth import Principal, authenticate
from segql.ops.store import workbench
from segql.ops.store.keys import KeyStore
from segql.ops.store.webhooks import DEFAULT_RETRY, Retry, Webhooks

class _ExactJSON(JSONResponse):
    """A JSON answer whose decimals are numbers with every digit (pydantic writes a Decimal as a string, so
    a `number` column's JSON type depended on the warehouse column: DOUBLE a number, NUMERIC a string)."""

    def render(self, content) -> bytes:
        return to_json(content, indent=None).encode("utf-8")


READ, WRITE = "read:segments", "write:segments"
WRITE_HOOKS, READ_HOOKS = "write:webhooks", ("read:webhooks", "write:webhooks")
MAX_BODY = 1_000_000  # bytes; a segment document is far smaller (the text limit is in characters)
_bearer = HTTPBearer(auto_error=False, description="an API key from `segql keys create`")
ERRORS = {400: {"model": models.Error}, 401: {"model": models.Error}, 403: {"model": models.Error},
          404: {"model": models.Error}, 409: {"model": models.Error}, 412: {"model": models.Error},
          413: {"model": models.Error}, 422: {"model": models.Error}, 503: {"model": models.Error},
          504: {"model": models.Error}}


def create_app(segments, *, max_body: int = MAX_BODY, refresh_every: float | None = None,
               deliver_webhooks: bool = True, webhook_timeout: float = 5.0, webhook_retry: Retry = DEFAULT_RETRY,
               webhook_poll: float = 1.0) -> FastAPI:
    """The service over `segments` (an SDK object from `segql.open_store`; its keys live in the same store).
    With `deliver_webhooks`, a dispatcher thread delivers the webhooks' outbox while the app runs."""
    from segql import __version__

    app = FastAPI(title="segql", version=__version__, openapi_url="/openapi.json", docs_url="/docs",
                  redoc_url=None, description="Segments as things: create, validate, count, refresh and page "
                  "members of segments over HTTP (SPEC §6.2). Every error has the shape "
                  '`{"error": {"code", "message", "diagnostics"}}`.')
    app.state.segments = segments
    keys = KeyStore(segments)
    hooks = Webhooks(segments)
    _install_errors(app)
    app.add_middleware(_BodyLimit, limit=max_body)

    def scoped(scope: str):
        def check(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
            return authenticate(keys, creds.credentials if creds else None, scope)
        return Depends(check)

    # ---- segments -------------------------------------------------------------------------------
    @app.post("/v1/segments", status_code=201, response_model=models.Segment, responses=ERRORS, tags=["segments"])
    def create_segment(body: models.SegmentIn, p: Principal = scoped(WRITE)):
        """Create a segment from any input form; 201 with its initial member count."""
        return workbench.create_counted(segments, **_fields(body), organization=p.organization).to_dict()

    @app.get("/v1/segments", response_model=models.SegmentList, responses=ERRORS, tags=["segments"])
    def list_segments(p: Principal = scoped(READ), is_dynamic: bool | None = None,
                      object_type: str | None = Query(None, max_length=200),
                      q: str | None = Query(None, max_length=200), sort: str = Query("-updated_at", max_length=40),
                      limit: int = Query(50, ge=1, le=500), cursor: str | None = Query(None, max_length=400)):
        """List and search (seed 000's find): `sort` is a field, `-` first for descending."""
        page, next_cursor = workbench.find_page(segments, is_dynamic=is_dynamic, object_type=object_type, q=q,
                                                sort=sort, limit=limit, cursor=cursor, organization=p.organization)
        return {"data": [s.to_dict() for s in page], "next_cursor": next_cursor}

    @app.post("/v1/segments/counts", response_model=models.CountsOut, responses=ERRORS, tags=["segments"])
    def live_counts(body: models.CountsIn, p: Principal = scoped(READ)):
        """Member counts computed now, in one statement per entity (seed 001)."""
        rows = segments.counts(body.ids, organization=p.organization)
        return {"data": rows, "computed_at": dt.datetime.now(dt.timezone.utc).isoformat()}

    @app.get("/v1/segments/{segment_id}", response_model=models.Segment, responses=ERRORS, tags=["segments"])
    def read_segment(segment_id: str, p: Principal = scoped(READ)):
        """One segment, by id or slug."""
        return segments.get(segment_id, organization=p.organization).to_dict()

    @app.patch("/v1/segments/{segment_id}", response_model=models.Segment, responses=ERRORS, tags=["segments"])
    def update_segment(segment_id: str, body: models.SegmentPatch, p: Principal = scoped(WRITE),
                       if_match: str | None = Header(None, max_length=40)):
        """Update fields (conditions re-validated); `If-Match: <version>` makes a stale write 412."""
        return segments.update(segment_id, **_fields(body, patch=True), expected_version=_version(if_match),
                               organization=p.organization).to_dict()

    @app.delete("/v1/segments/{segment_id}", status_code=204, responses=ERRORS, tags=["segments"])
    def delete_segment(segment_id: str, p: Principal = scoped(WRITE)):
        segments.delete(segment_id, organization=p.organization)
        return Response(status_code=204)

    @app.post("/v1/segments/{segment_id}/refresh", response_model=models.RefreshOut, responses=ERRORS,
              tags=["segments"])
    def refresh_segment(segment_id: str, p: Principal = scoped(WRITE)):
        """Recompute membership now: the count, and how many entered and left (a no-op for static)."""
        return workbench.refresh_result(segments, segment_id, organization=p.organization)

    @app.get("/v1/segments/{segment_id}/members", response_model=models.Members, responses=ERRORS,
             tags=["members"])
    def members(segment_id: str, p: Principal = scoped(READ), limit: int = Query(100, ge=1, le=10000),
                cursor: str | None = Query(None, max_length=400), columns: str | None = Query(None, max_length=2000)):
        """Current members ordered by key, keyset-paged (`next_cursor`), with optional `columns=a,b`.
        A `number` column's value is a JSON number with all its digits, a warehouse NUMERIC's too."""
        return _ExactJSON(segments.members(segment_id, limit=limit, cursor=cursor,
                                           columns=[c.strip() for c in (columns or "").split(",") if c.strip()],
                                           organization=p.organization))

    @app.post("/v1/segments/{segment_id}/members", response_model=models.MembersChanged, responses=ERRORS,
              tags=["members"])
    def add_members(segment_id: str, body: models.KeysIn, p: Principal = scoped(WRITE)):
        """Add members by key (static segments only)."""
        return {"member_count": segments.add_members(segment_id, body.keys, organization=p.organization)}

    @app.delete("/v1/segments/{segment_id}/members", response_model=models.MembersChanged, responses=ERRORS,
                tags=["members"])
    def remove_members(segment_id: str, body: models.KeysIn, p: Principal = scoped(WRITE)):
        """Remove members by key (static segments only)."""
        return {"member_count": segments.remove_members(segment_id, body.keys, organization=p.organization)}

    @app.get("/v1/segments/{segment_id}/history", response_model=models.History, responses=ERRORS,
             tags=["segments"])
    def history(segment_id: str, p: Principal = scoped(READ)):
        """Refreshes, oldest first: time, member count, entered, left."""
        return {"data": segments.history(segment_id, organization=p.organization)}

    @app.get("/v1/segments/{segment_id}/explain", responses=ERRORS, tags=["segments"])
    def explain(segment_id: str, p: Principal = scoped(READ)) -> dict[str, Any]:
        """Records passing each condition (a funnel), computed now."""
        return segments.explain(segment_id, organization=p.organization)

    # ---- webhooks (docs/webhooks.md) -------------------------------------------------------------
    @app.post("/v1/webhooks", status_code=201, response_model=models.WebhookCreated, responses=ERRORS,
              tags=["webhooks"])
    def create_webhook(body: models.WebhookIn, p: Principal = scoped(WRITE_HOOKS)):
        """Register a webhook; 201 with its signing `secret`, shown only in this answer."""
        hook, secret = hooks.create(body.url, events=body.events, segments=body.segments,
                                    organization=p.organization)
        return {**hook.to_dict(), "secret": secret}

    @app.get("/v1/webhooks", response_model=models.WebhookList, responses=ERRORS, tags=["webhooks"])
    def list_webhooks(p: Principal = scoped(READ_HOOKS)):
        """The organization's webhooks (never their secrets)."""
        return {"data": [h.to_dict() for h in hooks.list(organization=p.organization)]}

    @app.get("/v1/webhooks/{webhook_id}", response_model=models.Webhook, responses=ERRORS, tags=["webhooks"])
    def read_webhook(webhook_id: str, p: Principal = scoped(READ_HOOKS)):
        return hooks.get(webhook_id, organization=p.organization).to_dict()

    @app.delete("/v1/webhooks/{webhook_id}", status_code=204, responses=ERRORS, tags=["webhooks"])
    def delete_webhook(webhook_id: str, p: Principal = scoped(WRITE_HOOKS)):
        """Remove the webhook and its undelivered events."""
        hooks.delete(webhook_id, organization=p.organization)
        return Response(status_code=204)

    @app.get("/v1/webhooks/{webhook_id}/deliveries", response_model=models.Deliveries, responses=ERRORS,
             tags=["webhooks"])
    def deliveries(webhook_id: str, p: Principal = scoped(READ_HOOKS), limit: int = Query(100, ge=1, le=1000),
                   status: str | None = Query(None, pattern="^(pending|delivered|failed)$")):
        """The webhook's events, newest first: pending (with the next attempt), delivered or failed."""
        return {"data": hooks.deliveries(webhook_id, limit=limit, status=status, organization=p.organization)}
    @app.get("/v1/segments/{segment_id}/why", response_model=models.WhyOut, response_model_exclude_none=True,
             responses=ERRORS, tags=["segments"])
    def why(segment_id: str, p: Principal = scoped(READ), key: str = Query(..., max_length=200),
            now: str | None = Query(None, max_length=40)):
        """Why (not): one record's condition tree, each node true or false with the values that decided it."""
        return segments.why(segment_id, key, now=now, organization=p.organization)

    # ---- stateless ------------------------------------------------------------------------------
    @app.post("/v1/compile", response_model=models.CompileOut, responses=ERRORS, tags=["segments"])
    def compile_segment(body: models.CompileIn, p: Principal = scoped(READ)):
        """SQL for a dialect (with bind parameters when `params` is given); stores nothing. A decimal
        parameter is a JSON number with all its digits."""
        return _ExactJSON(workbench.compile_source(segments, **_source(body), dialect=body.dialect,
                                                   params=body.params, select=body.select, now=body.now,
                                                   organization=p.organization))

    @app.post("/v1/validate", response_model=models.ValidateOut, responses=ERRORS, tags=["segments"])
    def validate(body: models.SourceIn, p: Principal = scoped(READ)):
        """Every diagnostic of a segment (errors and lint warnings); always 200, never stores."""
        result = workbench.validate(segments, **_source(body), organization=p.organization)
        diagnostics = [errors.diagnostic(e) for e in result["errors"]] + [
            {**errors.diagnostic(w), "severity": "warning"} for w in result["warnings"]]
        return {"valid": result["valid"], "object_type": result["object_type"], "criteria": result["criteria"],
                "diagnostics": diagnostics}

    @app.post("/v1/preview", response_model=models.PreviewOut, responses=ERRORS, tags=["segments"])
    def preview(body: models.PreviewIn, p: Principal = scoped(READ)):
        """Run a segment without saving it: its count, a page of members and (with `explain`) the funnel.
        A `number` column's value is a JSON number with all its digits, a warehouse NUMERIC's too."""
        return _ExactJSON(workbench.preview(segments, **_source(body), columns=body.columns, limit=body.limit,
                                            explain=body.explain, now=body.now, organization=p.organization))

    @app.post("/v1/why", response_model=models.WhyOut, response_model_exclude_none=True, responses=ERRORS,
              tags=["segments"])
    def why_unsaved(body: models.WhyIn, p: Principal = scoped(READ)):
        """Why (not) for a segment that is not saved (the playground): `/v1/preview`'s body plus `key`."""
        return workbench.why(segments, body.key, **_source(body), now=body.now, organization=p.organization)

    @app.post("/v1/segments/overlap", response_model=models.OverlapOut, responses=ERRORS, tags=["segments"])
    def overlap(body: models.CountsIn, p: Principal = scoped(READ)):
        """Sizes and pairwise overlaps of saved segments, one statement per entity."""
        return {"data": workbench.overlap(segments, body.ids, organization=p.organization)}

    @app.get("/v1/schema", responses=ERRORS, tags=["schema"])
    def schema_summary(p: Principal = scoped(READ)) -> dict[str, Any]:
        """Entities with their properties, relationships, calculated fields and event names (for completion),
        and the dialects `/v1/compile` accepts."""
        return workbench.schema_summary(segments)

    @app.get("/v1/whoami", response_model=models.WhoAmI, responses=ERRORS, tags=["auth"])
    def whoami(p: Principal = scoped(READ)):
        """The key's organization and scopes (the playground hides writes from read-only keys)."""
        return {"organization": p.organization, "scopes": sorted(p.scopes)}

    @app.get("/v1/export", responses=ERRORS, tags=["transfer"])
    def export(p: Principal = scoped(READ)) -> list[dict[str, Any]]:
        """Every segment of the organization as seed 001's seeds array."""
        return segments.export(organization=p.organization)

    @app.post("/v1/import", response_model=models.ImportOut, responses=ERRORS, tags=["transfer"])
    def import_(body: list[dict[str, Any]], p: Principal = scoped(WRITE)):
        """Seed 001's seeds array; all-or-nothing."""
        created = workbench.import_counted(segments, body, organization=p.organization)
        return {"imported": len(created), "data": [s.to_dict() for s in created]}

    @app.get("/healthz", response_model=models.Health, responses={503: {"model": models.Health}}, tags=["health"])
    def healthz():
        """Liveness: the store and the warehouse answer."""
        health = workbench.health(segments)
        return JSONResponse(health, status_code=200 if health["status"] == "ok" else 503)

    from segql.ops.service.playground import mount

    mount(app)
    if refresh_every:
        from segql.ops.service.scheduler import Scheduler

        scheduler = Scheduler(segments, refresh_every)
        app.router.on_startup.append(scheduler.start)
        app.router.on_shutdown.append(scheduler.stop)
    if deliver_webhooks:
        from segql.ops.service.dispatcher import Dispatcher

        dispatcher = Dispatcher(segments, timeout=webhook_timeout, retry=webhook_retry, poll=webhook_poll)
        segments.refreshed(lambda segment, change: dispatcher.wake())  # deliver right after a refresh
        app.state.dispatcher = dispatcher
        app.router.on_startup.append(dispatcher.start)
        app.router.on_shutdown.append(dispatcher.stop)
    # last, after the scheduler's refreshes have stopped: close the warehouse engines kept between requests
    app.router.on_shutdown.append(segments.engines.close)
    return app


def _fields(body, *, patch: bool = False) -> dict:
    """The body's fields as the SDK names them (aliases folded: title→name, type→object_type, query→conditions)."""
    data = body.model_dump(exclude_unset=patch, exclude_none=not patch)
    for alias, name in (("title", "name"), ("type", "object_type"), ("query", "conditions")):
        if alias in data:
            value = data.pop(alias)
            if data.get(name) is None:
                data[name] = value
    return data


def _source(body) -> dict:
    data = _fields(body)
    return {k: data.get(k) for k in ("conditions", "criteria", "object_type", "name", "description")}


def _version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise SegqlError("E0906", f"If-Match must be a segment version number, not {if_match!r}")
    return int(text)


# ---- errors ---------------------------------------------------------------------------------------
def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(SegqlError)
    async def segql_error(request: Request, err: SegqlError):
        return JSONResponse(errors.body(err), status_code=errors.status_for(err.code))

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, err: RequestValidationError):
        diags = []
        for e in err.errors():
            loc = [str(x) for x in e.get("loc", ()) if x != "body"]
            where = loc[1:] if loc and loc[0] in ("query", "header", "path") else loc
            message = str(e.get("msg", "invalid"))
            if loc and loc[0] in ("query", "header", "path"):
                message = f"{loc[0]} parameter {'.'.join(where)}: {message}"
            diags.append({"code": "E0904", "message": message, "pointer": "/" + "/".join(where), "hints": []})
        first = diags[0]["message"] if diags else "malformed request"
        return JSONResponse({"error": {"code": "E0904", "message": first, "diagnostics": diags}}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException):
        code = {404: "E0801", 413: "E0905"}.get(err.status_code, "E0904")
        message = "no such endpoint" if err.status_code == 404 else str(err.detail)
        return JSONResponse(errors.plain(code, message), status_code=err.status_code)

    @app.exception_handler(Exception)
    async def bug(request: Request, err: Exception):  # a bug in segql: say so, never a traceback
        errors.log.exception("internal error on %s %s", request.method, request.url.path)
        return JSONResponse(errors.plain("E0999", f"internal error: {type(err).__name__}",
                                         ["this is a bug in segql; the server log has the details"]),
                            status_code=500)


class _BodyLimit:
    """413 for a request body over `limit` bytes, counted as it arrives (a Content-Length can lie)."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            return await _too_large(self.limit, send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(self.limit, send)


class _TooLarge(StarletteHTTPException):
    """Raised while the body is read; FastAPI passes HTTP exceptions through, so it becomes a 413."""

    def __init__(self):
        super().__init__(413, "the request body is too large")


async def _too_large(limit: int, send):
    response = JSONResponse(errors.plain("E0905", f"the request body is over {limit:,} bytes"), status_code=413)
    await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})
