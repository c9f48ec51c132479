"""Membership changes as signed webhooks (SPEC §8): registration, the outbox, delivery.

    register   `Webhooks(store).create(url, events=…, segments=…, organization=…)` → (webhook, secret)
    outbox     `enqueue(db, …)`: called by `Segments.refresh` INSIDE its transaction, so an event row
               exists exactly when the membership change committed (a rolled-back refresh leaves none)
    delivery   `deliver_due(db, …)`: claims due rows (PostgreSQL `FOR UPDATE SKIP LOCKED`, SQLite's write
               lock, and on both a `claimed_until` lease), POSTs each signed, and marks it delivered or
               schedules a retry with exponential back-off and jitter; after `attempts` tries it is failed.

Delivery is at least once: a row stays in the store until a 2xx answers it, so a restarted service (or
`segql webhooks deliver`) sends what the last one did not. Each row's id is the event's idempotency key
(`X-Segql-Delivery`, and `id` in the body): a retry resends the same id, so a receiver drops duplicates.
Secrets are stored as given out (they sign, so they cannot be hashed); see docs/webhooks.md.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import hmac
import http.client
import json
import random
import secrets
import socket
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlparse

from segql.errors import SegqlError, Span
from segql.ops.store.db import StoreDb
from segql.ops.store.migrations import OnStore

EVENTS = ("segment.refreshed", "segment.member_entered", "segment.member_left")
BATCH = 500  # member keys per delivery of segment.member_entered / segment.member_left
URL_MAX = 2000
SEGMENTS_MAX = 100
COLUMNS = "id, organization, url, events, segments, created_at"
DELIVERY_COLUMNS = ("id, event, status, attempts, created_at, next_attempt_at, delivered_at, last_status, "
                    "last_error, segment_id")


def stamp(moment: float | None = None) -> str:
    """UTC ISO text with milliseconds (the store's time format: it sorts as time)."""
    at = dt.datetime.fromtimestamp(time.time() if moment is None else moment, dt.UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


@dataclasses.dataclass(frozen=True)
class Webhook:
    id: str
    organization: str
    url: str
    events: tuple[str, ...]
    segments: tuple[str, ...] | None  # segment ids; None: every segment of the organization
    created_at: str

    def to_dict(self) -> dict:
        return {"object": "webhook", "id": self.id, "organization": self.organization, "url": self.url,
                "events": list(self.events), "segments": None if self.segments is None else list(self.segments),
                "created_at": self.created_at}


def _error(code: str, message: str, field: str, hints=()) -> SegqlError:
    return SegqlError(code, message, Span(pointer=f"/{field}"), list(hints))


def check_url(url) -> str:
    """Only absolute http(s) URLs with a host (E0814)."""
    if not isinstance(url, str) or not url.strip():
        raise _error("E0814", "a webhook needs a url", "url", ["e.g. https://example.com/segql-hook"])
    url = url.strip()
    try:
        parsed = urlparse(url)
        host, _ = parsed.hostname, parsed.port
    except ValueError:  # e.g. "http://[" (a broken IPv6 literal), a port over 65535
        parsed, host = None, None
    if parsed is None or parsed.scheme.lower() not in ("http", "https") or not host:
        raise _error("E0814", f"a webhook url must be http:// or https:// with a host, not {url[:80]!r}", "url",
                     ["e.g. https://example.com/segql-hook"])
    if len(url) > URL_MAX or not url.isprintable() or any(c.isspace() for c in url):
        raise _error("E0814", f"a webhook url is at most {URL_MAX} printable characters without spaces", "url")
    return url


def check_events(events) -> tuple[str, ...]:
    """The event names asked for (E0815 for one segql does not send); None or empty: all of them."""
    if events is None:
        return EVENTS
    if isinstance(events, str) or not isinstance(events, (list, tuple)):
        raise _error("E0815", "events must be a list of event names", "events", [f"events: {', '.join(EVENTS)}"])
    out = []
    for i, name in enumerate(events):
        if name not in EVENTS:
            raise _error("E0815", f"unknown webhook event {str(name)[:80]!r}", f"events/{i}",
                         [f"events: {', '.join(EVENTS)}"])
        out.append(name)
    return tuple(dict.fromkeys(out)) or EVENTS


class Webhooks(OnStore):
    """An organization's webhooks in the store, and their deliveries."""

    def _webhook(self, row) -> Webhook:
        segs = json.loads(row[4]) if row[4] is not None else None
        return Webhook(row[0], row[1], row[2], tuple(json.loads(row[3])),
                       None if segs is None else tuple(segs), row[5])

    def create(self, url, *, events=None, segments=None, organization: str = "default") -> tuple[Webhook, str]:
        """Register a webhook: (its record, its signing secret — shown once; the service prints it at 201)."""
        url, events = check_url(url), check_events(events)
        ids = None
        if segments is not None:
            if isinstance(segments, str) or not isinstance(segments, (list, tuple)) or len(segments) > SEGMENTS_MAX:
                raise _error("E0152", f"segments must be a list of at most {SEGMENTS_MAX} segment ids or slugs",
                             "segments")
            if not segments:  # a webhook that could never fire (`events: []` means every event)
                raise _error("E0152", "segments is empty: such a webhook would never receive anything", "segments",
                             ["list at least one segment, or leave segments out for every segment"])
            ids = []
            for i, ref in enumerate(segments):
                row = None
                if isinstance(ref, str):
                    row = (self.db.one("SELECT id FROM segql_segments WHERE organization = ? AND id = ?",
                                       (organization, ref))
                           or self.db.one("SELECT id FROM segql_segments WHERE organization = ? AND slug = ?",
                                          (organization, ref)))
                if row is None:
                    raise _error("E0801", f"no segment {str(ref)[:80]!r}", f"segments/{i}")
                ids.append(row[0])
            ids = list(dict.fromkeys(ids))
        secret = "whsec_" + secrets.token_urlsafe(32)
        hook = Webhook("wh_" + secrets.token_hex(8), organization, url, events,
                       None if ids is None else tuple(ids), stamp())
        with self.db.transaction():
            self.db.execute("INSERT INTO segql_webhooks (id, organization, url, events, segments, secret, created_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (hook.id, organization, url, json.dumps(list(events)),
                             None if ids is None else json.dumps(ids), secret, hook.created_at))
        return hook, secret

    def list(self, *, organization: str = "default") -> list[Webhook]:
        rows = self.db.execute(f"SELECT {COLUMNS} FROM segql_webhooks WHERE organization = ? "
                               "ORDER BY created_at, id", (organization,))
        return [self._webhook(r) for r in rows]

    def get(self, webhook_id, *, organization: str = "default") -> Webhook:
        """One webhook; another organization's answers E0801 as if absent."""
        row = None
        if isinstance(webhook_id, str):
            row = self.db.one(f"SELECT {COLUMNS} FROM segql_webhooks WHERE organization = ? AND id = ?",
                              (organization, webhook_id))
        if row is None:
            raise SegqlError("E0801", f"no webhook {str(webhook_id)[:80]!r}",
                             hints=["GET /v1/webhooks lists the organization's webhooks"])
        return self._webhook(row)

    def delete(self, webhook_id, *, organization: str = "default") -> Webhook:
        """Remove the webhook and its outbox rows (undelivered events are dropped with it)."""
        with self.db.transaction():
            hook = self.get(webhook_id, organization=organization)
            # the webhook's row first: on PostgreSQL this waits for a refresh that is writing its events
            # (enqueue holds the row FOR SHARE), so the next statement sees and deletes them too
            self.db.execute("DELETE FROM segql_webhooks WHERE id = ?", (hook.id,))
            self.db.execute("DELETE FROM segql_webhook_outbox WHERE webhook_id = ?", (hook.id,))
        return hook

    def status_counts(self, webhook_id, *, organization: str = "default") -> dict[str, int]:
        """How many of the webhook's events are pending, delivered and failed."""
        hook = self.get(webhook_id, organization=organization)
        rows = self.db.execute("SELECT status, COUNT(*) FROM segql_webhook_outbox WHERE webhook_id = ? "
                               "GROUP BY status", (hook.id,))
        return {"pending": 0, "delivered": 0, "failed": 0, **{r[0]: int(r[1]) for r in rows}}

    def deliveries(self, webhook_id, *, limit: int = 100, status: str | None = None,
                   organization: str = "default") -> list[dict]:
        """The webhook's events, newest first: status (pending, delivered, failed), attempts, last answer."""
        hook = self.get(webhook_id, organization=organization)
        sql, params = f"SELECT {DELIVERY_COLUMNS} FROM segql_webhook_outbox WHERE webhook_id = ?", [hook.id]
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        rows = self.db.execute(sql + " ORDER BY created_at DESC, seq DESC LIMIT ?", [*params, int(limit)])
        return [{"id": r[0], "event": r[1], "status": r[2], "attempts": int(r[3]), "created_at": r[4],
                 "next_attempt_at": r[5] if r[2] == "pending" else None, "delivered_at": r[6],
                 "last_status": None if r[7] is None else int(r[7]), "last_error": r[8], "segment_id": r[9]}
                for r in rows]


# ---- the outbox ---------------------------------------------------------------------------------------
def enqueue(db: StoreDb, segment, change, member_keys, *, batch: int | None = None) -> int:
    """Write the refresh's events for every matching webhook, in the caller's (the refresh's) transaction.

    `member_keys()` → (entered keys, left keys), all of them; called only when some webhook wants member
    events. Returns the number of outbox rows written."""
    batch = batch or BATCH
    # FOR SHARE on PostgreSQL: a webhook deleted meanwhile waits for this transaction (and then deletes
    # the events written here), or, deleted first, is not seen — never events of a deleted webhook
    share = " FOR SHARE" if db.kind == "postgres" else ""
    listed = db.execute(f"SELECT {COLUMNS} FROM segql_webhooks WHERE organization = ? ORDER BY created_at, id{share}",
                        (segment.organization,))
    hooks = [h for h in map(Webhooks(db)._webhook, listed) if h.segments is None or segment.id in h.segments]
    if not hooks:
        return 0
    wanted = {e for h in hooks for e in h.events}
    entered, left = (member_keys() if wanted & {"segment.member_entered", "segment.member_left"}
                     and (change.entered or change.left) else ([], []))
    now = stamp()
    events = []  # (event, data) in the order receivers should see them
    if "segment.refreshed" in wanted:
        events.append(("segment.refreshed", {
            "id": segment.id, "slug": segment.slug, "member_count": change.member_count,
            "entered": change.entered, "left": change.left, "refreshed_at": change.refreshed_at}))
    for event, keys in (("segment.member_entered", entered), ("segment.member_left", left)):
        if event not in wanted or not keys:
            continue
        batches = (len(keys) + batch - 1) // batch
        for n in range(batches):
            events.append((event, {"id": segment.id, "slug": segment.slug, "refreshed_at": change.refreshed_at,
                                   "keys": list(keys[n * batch:(n + 1) * batch]), "batch": n + 1,
                                   "batches": batches}))
    rows = []
    for hook in hooks:
        for seq, (event, data) in enumerate(events):
            if event not in hook.events:
                continue
            key = "evt_" + secrets.token_hex(16)  # the idempotency key: fixed in the row, so stable across retries
            body = json.dumps({"id": key, "type": event, "created_at": now, "organization": segment.organization,
                               "webhook": hook.id, "data": data}, ensure_ascii=False, separators=(",", ":"))
            rows.append((key, hook.id, segment.organization, segment.id, event, body, "pending", 0, now, now, seq))
    db.executemany("INSERT INTO segql_webhook_outbox (id, webhook_id, organization, segment_id, event, body, status, "
                   "attempts, created_at, next_attempt_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


# ---- delivery -----------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Retry:
    """Back-off after failed attempt n: min(cap, base · 2^(n-1)) seconds, plus up to `jitter` of it at
    random (so receivers that failed together are not retried together); failed after `attempts`."""

    base: float = 1.0
    cap: float = 3600.0
    attempts: int = 15
    jitter: float = 0.25

    def delay(self, attempt: int) -> float:
        wait = min(self.cap, self.base * 2.0 ** min(max(0, attempt - 1), 1000))  # no OverflowError at attempt 1100
        return wait * (1 + random.uniform(0, self.jitter))


DEFAULT_RETRY = Retry()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`v1=` + hex HMAC-SHA256 of "{timestamp}.{body}" with the webhook's secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: float | None = 300) -> bool:
    """What a receiver does (docs/webhooks.md): a constant-time comparison, and a fresh timestamp."""
    if not isinstance(timestamp, str) or not isinstance(signature, str) or not signature.isascii():
        return False  # a missing or non-ASCII header is a bad signature (compare_digest would raise on it)
    if tolerance is not None:
        try:
            if abs(time.time() - int(timestamp)) > tolerance:
                return False
        except ValueError:
            return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a redirect is an answer that is not 2xx: retry later
        return None


class _Deadline:
    """The whole attempt's time limit. A socket timeout bounds each read, not the answer: a receiver that
    drips its answer a byte at a time would hold the worker (and outlive its lease, so another worker
    re-sends the row meanwhile). At the deadline the attempt's sockets are shut down, which ends any read."""

    def __init__(self, seconds: float):
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        self.expired = False
        self.timer = threading.Timer(seconds, self.expire)
        self.timer.daemon = True

    def watch(self, sock):
        with self.lock:
            self.sockets.append(sock)
            if self.expired:
                self._shut(sock)
        return sock

    def expire(self):
        with self.lock:
            self.expired = True
            for sock in self.sockets:
                self._shut(sock)

    @staticmethod
    def _shut(sock):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _handlers(deadline: _Deadline):
    """urllib's HTTP(S) handlers (proxies from the environment still apply) with connections whose sockets
    the deadline watches."""

    def connection(base):
        class Connection(base):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                create = self._create_connection
                self._create_connection = lambda *a, **k: deadline.watch(create(*a, **k))
        return Connection

    http_conn, https_conn = connection(http.client.HTTPConnection), connection(http.client.HTTPSConnection)

    class HTTP(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(http_conn, req)

    class HTTPS(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(https_conn, req, context=self._context)

    return HTTP(), HTTPS()


def post(url: str, secret: str, event: str, delivery: str, body: str, timeout: float) -> tuple[int | None, str | None]:
    """POST one signed event: (HTTP status or None, error text or None). The attempt ends after `timeout`
    seconds whatever the receiver does; a 2xx counts once its status line arrived (the body is not read:
    a receiver that dies after answering 2xx has the event)."""
    data = body.encode("utf-8")
    timestamp = str(int(time.time()))
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "segql-webhooks/1",
        "X-Segql-Event": event, "X-Segql-Delivery": delivery, "X-Segql-Timestamp": timestamp,
        "X-Segql-Signature": sign(secret, timestamp, data)})
    deadline = _Deadline(timeout)
    deadline.timer.start()
    status = None
    try:
        with urllib.request.build_opener(_NoRedirect, *_handlers(deadline)).open(request, timeout=timeout) as response:
            status = response.status  # the answer; its body is not read (a receiver holding it back, or
            return status, None       # keeping the connection open, would cost the timeout every event)
    except urllib.error.HTTPError as err:
        with contextlib.suppress(Exception):
            err.close()
        return err.code, f"HTTP {err.code}"
    except Exception as err:  # noqa: BLE001 - refused, timed out, DNS, TLS: all mean "try again later"
        if status is not None:  # the 2xx arrived; closing the connection failed
            return status, None
        if deadline.expired:
            return None, f"TimeoutError: no answer within {timeout:g}s"
        reason = getattr(err, "reason", None) or err
        return None, f"{type(reason).__name__}: {reason}"[:300]
    finally:
        deadline.timer.cancel()


def claim(db: StoreDb, *, limit: int, lease: float, worker: str) -> list[tuple]:
    """Take up to `limit` due rows for this worker: no other worker takes them until the lease ends.
    PostgreSQL skips rows another worker is claiming (`FOR UPDATE SKIP LOCKED`); SQLite claims under its
    write lock. Returns (id, event, body, url, secret) rows."""
    now = stamp()
    due = ("o.status = 'pending' AND o.next_attempt_at <= ? AND (o.claimed_until IS NULL OR o.claimed_until < ?)"
           " AND EXISTS (SELECT 1 FROM segql_webhooks w WHERE w.id = o.webhook_id)")  # no orphan takes a slot
    if db.one(f"SELECT o.id FROM segql_webhook_outbox o WHERE {due} LIMIT 1", (now, now)) is None:
        return []  # the common case, without taking the write lock
    with db.transaction():
        lock = " FOR UPDATE SKIP LOCKED" if db.kind == "postgres" else ""
        ids = [r[0] for r in db.execute(f"SELECT o.id FROM segql_webhook_outbox o WHERE {due} "
                                        f"ORDER BY o.next_attempt_at, o.created_at, o.seq LIMIT ?{lock}",
                                        (now, now, limit))]
        if not ids:
            return []
        until = stamp(time.time() + lease)
        db.executemany("UPDATE segql_webhook_outbox SET claimed_until = ?, claimed_by = ? WHERE id = ?",
                       [(until, worker, i) for i in ids])
    marks = ", ".join("?" for _ in ids)
    rows = db.execute("SELECT o.id, o.event, o.body, w.url, w.secret, o.attempts FROM segql_webhook_outbox o "
                      f"JOIN segql_webhooks w ON w.id = o.webhook_id WHERE o.id IN ({marks}) AND o.claimed_by = ?",
                      (*ids, worker))
    order = {i: n for n, i in enumerate(ids)}
    return sorted(rows, key=lambda r: order[r[0]])


def deliver_due(db: StoreDb, *, limit: int = 50, timeout: float = 5.0, retry: Retry = DEFAULT_RETRY,
                worker: str | None = None, send=post) -> dict:
    """Deliver the rows due now, once each (one pass): `{"claimed", "delivered", "retrying", "failed"}`.
    A 2xx marks a row delivered; any other answer, a timeout or a refused connection schedules the next
    attempt (or marks it failed after `retry.attempts`)."""
    worker = worker or "worker_" + secrets.token_hex(6)
    lease = (timeout + 5.0) * max(1, limit) + 30.0  # longer than sending every claimed row can take
    rows = claim(db, limit=limit, lease=lease, worker=worker)
    out = {"claimed": len(rows), "delivered": 0, "retrying": 0, "failed": 0}
    updates = []  # written together after the batch: one store commit, not one per event
    for row_id, event, body, url, secret, attempts in rows:
        # still ours and still wanted? (the webhook may have been deleted since the claim — it stops
        # receiving — or, after a stall past the lease, another worker has taken the row)
        if db.one("SELECT o.id FROM segql_webhook_outbox o JOIN segql_webhooks w ON w.id = o.webhook_id "
                  "WHERE o.id = ? AND o.claimed_by = ? AND o.status = 'pending'", (row_id, worker)) is None:
            continue
        status, error = send(url, secret, event, row_id, body, timeout)
        attempts = int(attempts) + 1
        if status is not None and 200 <= status < 300:
            updates.append(("UPDATE segql_webhook_outbox SET status = 'delivered', attempts = ?, delivered_at = ?, "
                            "last_status = ?, last_error = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ?",
                            (attempts, stamp(), status, row_id, worker)))
            out["delivered"] += 1
        elif attempts >= retry.attempts:
            updates.append(("UPDATE segql_webhook_outbox SET status = 'failed', attempts = ?, last_status = ?, "
                            "last_error = ?, claimed_until = NULL WHERE id = ? AND claimed_by = ?",
                            (attempts, status, error, row_id, worker)))
            out["failed"] += 1
        else:
            updates.append(("UPDATE segql_webhook_outbox SET attempts = ?, next_attempt_at = ?, last_status = ?, "
                            "last_error = ?, claimed_until = NULL WHERE id = ? AND claimed_by = ?",
                            (attempts, stamp(time.time() + retry.delay(attempts)), status, error, row_id, worker)))
            out["retrying"] += 1
    if updates:  # a crash before this line re-sends the batch when its lease ends: a duplicate, never a loss
        with db.transaction():
            for sql, params in updates:
                db.execute(sql, params)
    return out
