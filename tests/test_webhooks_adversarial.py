"""Webhook delivery under attack (SPEC §8, docs/webhooks.md): a real receiver on 127.0.0.1 that answers
2xx/3xx/4xx/5xx, answers late, drips its answer a byte at a time, closes or resets the connection, or
answers 200 and dies before the body; several delivery passes at once (threads, and processes on the same
SQLite and PostgreSQL store). Every signature is checked with docs/webhooks.md's own `verify` snippet.

What must hold: every event arrives (at least once, with one idempotency key and one body across
retries), no two sends of one event overlap, a quick 2xx is never followed by another send, attempts
follow the documented back-off and give up as documented, a worker that dies after the POST loses nothing,
a deleted webhook stops receiving, and neither another organization nor an unsubscribed segment leaks in.

By default the randomized concurrent delivery runs one small round on SQLite, and the PostgreSQL store
only where a bug was PostgreSQL's; SEGQL_WEBHOOK_STRESS=N runs N full rounds on both stores (and the
killed worker process on both)."""
from __future__ import annotations

import collections
import itertools
import json
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from test_store import SCHEMA, make_data, write_csv

import segql
from segql.ops.service.dispatcher import Dispatcher
from segql.ops.store import webhooks as wh
from segql.ops.store.db import StoreDb
from segql.ops.store.webhooks import Retry, Webhooks, deliver_due, sign

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = int(os.environ.get("SEGQL_WEBHOOK_STRESS", "0"))  # 0: short


def docs_verify():
    """The `verify` function exactly as docs/webhooks.md prints it."""
    text = (ROOT / "docs" / "webhooks.md").read_text()
    (code,) = [c for c in re.findall(r"```python\n(.*?)```", text, re.DOTALL) if "def verify" in c]
    scope: dict = {}
    exec(code, scope)  # noqa: S102 - the documentation's own snippet, the point of the test
    return scope["verify"]


VERIFY = docs_verify()
OK = {"200": 200, "201": 201, "202": 202, "204": 204, "299": 299}


class Receiver:
    """Records every request; `policy(delivery, n)` (n: how many times this id arrived before) names what
    to do: a status ("200", "302", "404", "500" …), "slow" (answer 200 after `slow` s), "drip" (the status
    line a byte every `drip` s), "close" (no answer), "reset" (TCP RST), "headers" (200 with headers and
    a promised body, then close)."""

    def __init__(self, policy=lambda delivery, n: "200"):
        self.policy = policy
        self.secrets: dict[str, str] = {}
        self.requests: list[dict] = []
        self.in_flight: collections.Counter = collections.Counter()
        self.overlaps: list[str] = []
        self.slow, self.drip, self.timeout = 1.0, 0.2, 0.5  # timeout: the sender's
        self.lock = threading.Lock()
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):  # a followed redirect would come back as a GET: recorded, and wrong
                with receiver.lock:
                    receiver.requests.append({"method": "GET", "delivery": None, "action": None})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                delivery = self.headers.get("X-Segql-Delivery")
                with receiver.lock:
                    n = sum(1 for r in receiver.requests if r["delivery"] == delivery)
                    action = receiver.policy(delivery, n)
                    receiver.in_flight[delivery] += 1
                    if receiver.in_flight[delivery] > 1:
                        receiver.overlaps.append(delivery)
                    payload = json.loads(body)
                    secret = receiver.secrets.get(payload.get("webhook"), "")
                    headers = {k: self.headers[k] for k in ("X-Segql-Event", "X-Segql-Delivery", "X-Segql-Timestamp",
                                                            "X-Segql-Signature")}
                    receiver.requests.append({
                        "method": "POST", "path": self.path, "delivery": delivery, "action": action, "body": body,
                        "payload": payload, "headers": headers, "at": time.monotonic(), "n": n,
                        "valid": VERIFY(secret, headers, body), "pid_header": self.headers.get("X-Test-Pid")})
                receiver.arrived.set()
                self.done = False
                try:
                    self.act(action, delivery)
                except OSError:
                    pass  # the sender gave up on us
                finally:
                    self.release(delivery)

            def release(self, delivery):
                """The sender is no longer waiting for this request (it answered, or the sender timed out)."""
                if not self.done:
                    self.done = True
                    with receiver.lock:
                        receiver.in_flight[delivery] -= 1

            def act(self, action, delivery):
                self.close_connection = True
                if action == "slow":  # about when the sender's `timeout` ends it is no longer in flight
                    # (released a little early: the sender's clock started before this handler's, and
                    # the same worker cannot send again before it gave up)
                    if receiver.slow >= receiver.timeout:
                        time.sleep(max(0.0, receiver.timeout - 0.1))
                        self.release(delivery)
                        time.sleep(receiver.slow - max(0.0, receiver.timeout - 0.1))
                    else:
                        time.sleep(receiver.slow)
                    action = "200"
                if action == "drip":
                    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(receiver.drip)
                    return
                if action == "close":
                    return
                if action == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                if action == "headers":  # 200, then the body never comes (the receiver hangs, then dies)
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{")
                    self.wfile.flush()
                    time.sleep(receiver.slow)
                    return
                self.send_response(int(action))
                if action.startswith("3"):
                    self.send_header("Location", receiver.url)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # four workers at once on a loaded machine: never refused for backlog

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def posts(self, delivery=None):
        return [r for r in self.requests if r["method"] == "POST" and (delivery is None or r["delivery"] == delivery)]


@pytest.fixture
def project(tmp_path):
    contacts, deals = make_data(n=60)
    write_csv(tmp_path, contacts, deals)
    (tmp_path / "schema.yml").write_text(SCHEMA)
    return tmp_path


def store_fixture(params):
    return pytest.fixture(params=params)(_store_url)


def _store_url(request, project):
    if request.param == "sqlite":
        yield f"sqlite:///{project / 'store.db'}"
        return
    from test_operations import drop_postgres_schema, postgres_url_in_schema

    name = f"segql_webhooks_adv_{os.getpid()}"
    yield postgres_url_in_schema(name)  # skips with a reason when SEGQL_TEST_POSTGRES_URL is unset
    drop_postgres_schema(name)


store_url = store_fixture(["sqlite", "postgres"])
long_store_url = store_fixture(["sqlite", "postgres"] if ROUNDS else ["sqlite"])  # the slow tests
LONG = pytest.mark.skipif(not ROUNDS, reason="a long run: SEGQL_WEBHOOK_STRESS=1 or more")
postgres_store_url = store_fixture(["postgres"])  # a PostgreSQL race (SQLite's write lock serializes it)


def open_store(project, url=None):
    return segql.open_store(url or f"sqlite:///{project / 'store.db'}", schema=str(project / "schema.yml"))


def register(store_, receiver, organization="default", **kw):
    hook, secret = Webhooks(store_).create(receiver.url, organization=organization, **kw)
    receiver.secrets[hook.id] = secret
    return hook


def rows(db, where="1 = 1", params=()):
    got = db.execute("SELECT id, webhook_id, organization, segment_id, event, status, attempts, body "
                     f"FROM segql_webhook_outbox WHERE {where}", params)
    return {r[0]: dict(zip(("id", "webhook", "organization", "segment", "event", "status", "attempts", "body"), r))
            for r in got}


def pending(db):
    return db.one("SELECT COUNT(*) FROM segql_webhook_outbox WHERE status = 'pending'")[0]


def drain(db, *, retry, timeout=1.0, deadline=30.0, limit=5, worker=None):
    end = time.monotonic() + deadline
    while pending(db):
        assert time.monotonic() < end, "the outbox did not drain"
        if not deliver_due(db, timeout=timeout, retry=retry, limit=limit, worker=worker)["claimed"]:
            time.sleep(0.01)


# ---- the signature, with the documentation's recipe ---------------------------------------------------
def test_the_documented_verify_accepts_what_is_sent_and_refuses_tampering(project):
    receiver = Receiver()
    try:
        segments = open_store(project)
        s = segments.create(name="Pro", criteria='plan = "pro"', type="contacts")
        hook = register(segments, receiver)
        segments.refresh(s.id)
        drain(segments.db, retry=Retry(base=0.01, attempts=3))
        posts = receiver.posts()
        assert len(posts) == 2 and all(r["valid"] for r in posts)
        secret = receiver.secrets[hook.id]
        for r in posts:
            h, body = r["headers"], r["body"]
            assert h["X-Segql-Delivery"] == r["payload"]["id"] and h["X-Segql-Event"] == r["payload"]["type"]
            assert abs(time.time() - int(h["X-Segql-Timestamp"])) < 60
            assert not VERIFY(secret, h, body + b" ")  # a tampered body
            assert not VERIFY(secret, h, body.replace(b'"default"', b'"org_evil"'))
            assert not VERIFY("whsec_other", h, body)  # another webhook's secret
            old = str(int(h["X-Segql-Timestamp"]) - 301)  # a replay, correctly signed, but old
            assert not VERIFY(secret, {**h, "X-Segql-Timestamp": old, "X-Segql-Signature": sign(secret, old, body)},
                              body)
            assert not VERIFY(secret, {**h, "X-Segql-Timestamp": old}, body)  # an old timestamp, old signature
            assert not VERIFY(secret, {**h, "X-Segql-Signature": "v1=é"}, body)  # refused, not a TypeError
            # the library's verify agrees with the documented one, and refuses rather than crashes
            assert wh.verify(secret, h["X-Segql-Timestamp"], body, h["X-Segql-Signature"])
            for bad_sig in ("", "v1=", "v1=é" + "0" * 60, h["X-Segql-Signature"].upper(), None):
                assert not wh.verify(secret, h["X-Segql-Timestamp"], body, bad_sig)
            for bad_ts in (None, "", "abc", "1e9", "9" * 5000):
                assert not wh.verify(secret, bad_ts, body, h["X-Segql-Signature"])
        segments.close()
    finally:
        receiver.stop()


# ---- every kind of bad answer -------------------------------------------------------------------------
BAD = ["301", "302", "303", "304", "307", "308", "400", "401", "404", "410", "429", "500", "502", "503",
       "close", "reset", "slow", "100"]


def test_every_non_2xx_answer_is_retried_with_the_same_key_and_body(project):
    """Each event is answered badly in its own way first, then with some 2xx: each arrives exactly once
    with a 2xx, after exactly the bad attempts, with one id and one body; redirects are not followed."""
    plans: dict[str, list[str]] = {}
    bad = iter(BAD)
    good = itertools.cycle(OK)

    def policy(delivery, n):
        if delivery not in plans:
            plans[delivery] = [next(bad, "500"), next(good)]
        return plans[delivery][min(n, 1)]

    receiver = Receiver(policy)
    receiver.slow, receiver.timeout = 1.0, 0.3
    try:
        segments = open_store(project)
        s = segments.create(name="Rich", criteria="lifetime_value > 100", type="contacts")
        for _ in range(6):
            register(segments, receiver)
        wh_batch, wh.BATCH = wh.BATCH, 10
        try:
            segments.refresh(s.id)
        finally:
            wh.BATCH = wh_batch
        events = rows(segments.db)
        assert len(events) >= len(BAD)
        retry = Retry(base=0.01, cap=0.02, attempts=3)
        drain(segments.db, retry=retry, timeout=0.3, limit=len(events))
        assert [r for r in receiver.requests if r["method"] != "POST"] == []  # no redirect was followed
        assert receiver.overlaps == []
        for row in rows(segments.db).values():
            reqs = receiver.posts(row["id"])
            assert [r["action"] for r in reqs] == plans[row["id"]], (row, [r["action"] for r in reqs])
            assert row["status"] == "delivered" and row["attempts"] == 2
            assert len({r["body"] for r in reqs}) == 1 and reqs[0]["body"].decode() == row["body"]
            assert all(r["valid"] and r["headers"]["X-Segql-Delivery"] == row["id"] for r in reqs)
        segments.close()
    finally:
        receiver.stop()


def test_a_2xx_whose_body_never_comes_is_delivered(project):
    """The receiver answered 200 and died before its (promised) body: it said 2xx, so the event is
    delivered — resending it would be a duplicate for nothing — and at once: the worker does not wait for
    a body it does not need (the timeout per event would otherwise be spent on every delivery)."""
    receiver = Receiver(lambda delivery, n: "headers")
    receiver.slow = 3.0
    try:
        segments = open_store(project)
        s = segments.create(name="Pro", criteria='plan = "pro"', type="contacts")
        register(segments, receiver, events=["segment.refreshed"])
        segments.refresh(s.id)
        start = time.monotonic()
        done = deliver_due(segments.db, timeout=2.0, retry=Retry(base=0.01, attempts=3))
        assert done == {"claimed": 1, "delivered": 1, "retrying": 0, "failed": 0}
        assert time.monotonic() - start < 1.0
        segments.close()
    finally:
        receiver.stop()


def test_no_answer_within_the_timeout_is_a_timeout_even_when_it_drips(project):
    """docs: "no answer within 5 s" schedules a retry. A receiver that sends its status line a byte at a
    time (each byte within the socket timeout) must not hold the worker past the timeout: the worker's
    lease assumes every send ends within it, or another worker re-sends the row meanwhile."""
    receiver = Receiver(lambda delivery, n: "drip" if n == 0 else "200")
    receiver.drip = 0.1  # the whole answer takes ~4 s; each byte comes well within the timeout
    try:
        segments = open_store(project)
        s = segments.create(name="Pro", criteria='plan = "pro"', type="contacts")
        register(segments, receiver, events=["segment.refreshed"])
        segments.refresh(s.id)
        start = time.monotonic()
        done = deliver_due(segments.db, timeout=0.3, retry=Retry(base=0.01, attempts=3))
        took = time.monotonic() - start
        assert took < 1.0 and done["retrying"] == 1, (took, done)
        (row,) = rows(segments.db).values()
        err = segments.db.one("SELECT last_error FROM segql_webhook_outbox")[0]
        assert row["attempts"] == 1 and "imeout" in err, err
        time.sleep(0.05)
        assert deliver_due(segments.db, timeout=0.5)["delivered"] == 1
        segments.close()
    finally:
        receiver.stop()


def test_back_off_follows_the_documented_schedule_and_gives_up():
    """1 s, 2 s, 4 s … capped at an hour, plus at most 25% jitter; 15 attempts span about 3 to 4 hours."""
    retry = wh.DEFAULT_RETRY
    assert retry.attempts == 15
    random.seed(7)
    for attempt in range(1, 40):
        base = min(3600.0, 2.0 ** (attempt - 1))
        for _ in range(20):
            assert base <= retry.delay(attempt) <= base * 1.25
    assert 3600 <= Retry(attempts=10 ** 6).delay(5000) <= 4500  # "retry for ever" stays capped, no OverflowError
    low = sum(min(3600.0, 2.0 ** (n - 1)) for n in range(1, 15))  # 14 waits between 15 attempts
    assert 3 * 3600 <= low and low * 1.25 <= 4 * 3600


def test_a_receiver_that_always_fails_gets_exactly_n_attempts_then_never_again(project):
    receiver = Receiver(lambda delivery, n: random.choice(["500", "close", "404", "302"]))
    try:
        segments = open_store(project)
        s = segments.create(name="Pro", criteria='plan = "pro"', type="contacts")
        hook = register(segments, receiver)
        segments.refresh(s.id)
        retry = Retry(base=0.02, cap=0.08, attempts=4, jitter=0.25)
        drain(segments.db, retry=retry, timeout=0.5)
        for row in rows(segments.db).values():
            reqs = receiver.posts(row["id"])
            assert len(reqs) == 4 and row["status"] == "failed" and row["attempts"] == 4
            gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(reqs)]
            for n, gap in enumerate(gaps, start=1):
                assert gap >= min(0.08, 0.02 * 2 ** (n - 1)) * 0.95, gaps
        assert {d["status"] for d in Webhooks(segments).deliveries(hook.id)} == {"failed"}
        before = len(receiver.requests)
        assert deliver_due(segments.db, retry=retry)["claimed"] == 0
        assert len(receiver.requests) == before
        segments.close()
    finally:
        receiver.stop()


# ---- workers that die ---------------------------------------------------------------------------------
def expire_leases(db):
    """What time does to a dead worker's claim (the lease is minutes long; the test does not wait)."""
    db.execute("UPDATE segql_webhook_outbox SET claimed_until = ? WHERE claimed_until IS NOT NULL",
               ("2000-01-01T00:00:00.000Z",))


def test_a_worker_that_dies_after_the_post_loses_nothing(project):
    receiver = Receiver()
    try:
        segments = open_store(project)
        s = segments.create(name="Rich", criteria="lifetime_value > 100", type="contacts")
        register(segments, receiver)
        segments.refresh(s.id)
        ids = set(rows(segments.db))
        sent = []

        def dies_after_the_second_post(url, secret, event, delivery, body, timeout):
            answer = wh.post(url, secret, event, delivery, body, timeout)
            sent.append(delivery)
            if len(sent) == 2:
                raise KeyboardInterrupt("killed after the POST, before recording it")
            return answer

        with pytest.raises(KeyboardInterrupt):
            deliver_due(segments.db, limit=10, send=dies_after_the_second_post)
        assert len(sent) == 2 and len(receiver.posts()) == 2
        assert deliver_due(segments.db, limit=10)["claimed"] == 0  # still leased to the dead worker
        expire_leases(segments.db)
        drain(segments.db, retry=Retry(base=0.01, attempts=3), limit=10)
        assert {r["delivery"] for r in receiver.posts()} == ids  # nothing lost …
        counts = collections.Counter(r["delivery"] for r in receiver.posts())
        assert {d for d, n in counts.items() if n > 1} <= set(sent)  # … and only what was in flight twice
        assert {r["status"] for r in rows(segments.db).values()} == {"delivered"}
        segments.close()
    finally:
        receiver.stop()


WORKER = """
import os, sys, time
from segql.ops.store.db import StoreDb
from segql.ops.store.webhooks import Retry, deliver_due
db = StoreDb(sys.argv[1])
retry = Retry(base=float(sys.argv[3]), cap=float(sys.argv[3]) * 4, attempts=int(sys.argv[4]))
end = time.monotonic() + float(sys.argv[2])
print("ready", flush=True)
while time.monotonic() < end:
    if not db.one("SELECT COUNT(*) FROM segql_webhook_outbox WHERE status = 'pending'")[0]:
        break
    if not deliver_due(db, limit=int(sys.argv[5]), timeout=float(sys.argv[6]), retry=retry,
                       worker="p%d" % os.getpid())["claimed"]:
        time.sleep(0.01)
db.close()
"""


def worker_process(url, *, seconds=30.0, base=0.01, attempts=50, limit=3, timeout=1.0):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-c", WORKER, url, str(seconds), str(base), str(attempts), str(limit),
                             str(timeout)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc


@LONG
def test_a_killed_worker_process_loses_nothing(project, long_store_url):
    store_url = long_store_url
    """SIGKILL the worker process while the receiver holds its request: after the lease, another worker
    sends the event again with the same idempotency key and body."""
    procs = []

    def policy(delivery, n):
        if n == 0 and procs and procs[0].poll() is None and not killed:
            killed.append(delivery)
            os.kill(procs[0].pid, signal.SIGKILL)
            procs[0].wait()
            return "200"  # the answer goes nowhere
        return "200"

    killed: list[str] = []
    receiver = Receiver(policy)
    try:
        segments = open_store(project, store_url)
        s = segments.create(name="Pro", criteria='plan = "pro"', type="contacts")
        register(segments, receiver)
        segments.refresh(s.id)
        ids = set(rows(segments.db))
        procs.append(worker_process(store_url))
        procs[0].wait(30)
        assert killed and procs[0].returncode == -signal.SIGKILL
        assert len(receiver.posts()) == 1
        expire_leases(segments.db)
        drain(segments.db, retry=Retry(base=0.01, attempts=3))
        counts = collections.Counter(r["delivery"] for r in receiver.posts())
        assert set(counts) == ids and counts[killed[0]] == 2 and sum(counts.values()) == len(ids) + 1
        (a, b) = receiver.posts(killed[0])
        assert a["body"] == b["body"] and a["valid"] and b["valid"]
        segments.close()
    finally:
        receiver.stop()


# ---- deleted webhooks ----------------------------------------------------------------------------------
def test_a_webhook_deleted_mid_batch_stops_receiving(project, monkeypatch):
    """DELETE answers 204 while a worker is sending a batch of the webhook's events: what the worker had
    claimed but not yet sent is not sent (at most the one in flight arrives after the delete)."""
    monkeypatch.setattr(wh, "BATCH", 3)
    receiver = Receiver(lambda delivery, n: "slow")
    receiver.slow, receiver.timeout = 0.05, 5.0
    try:
        segments = open_store(project)
        s = segments.create(name="Rich", criteria="lifetime_value > 100", type="contacts")
        hook = register(segments, receiver)
        segments.refresh(s.id)
        assert len(rows(segments.db)) > 10
        worker = threading.Thread(target=lambda: deliver_due(StoreDb(segments.url), limit=50, timeout=5))
        worker.start()
        assert receiver.arrived.wait(10)
        Webhooks(segments).delete(hook.id)
        deleted = time.monotonic()
        worker.join(30)
        late = [r for r in receiver.posts() if r["at"] > deleted]
        assert len(late) <= 1 and len(receiver.posts()) <= 3, (len(late), len(receiver.posts()))
        assert rows(segments.db) == {}
        segments.close()
    finally:
        receiver.stop()


def test_a_webhook_deleted_during_a_refresh_keeps_no_events(project, postgres_store_url, monkeypatch):
    store_url = postgres_store_url
    """The refresh has written the webhook's events (not committed yet) when the webhook is deleted:
    once both commit, no event of the deleted webhook is left in the outbox, pending for ever."""
    from segql.ops.store import sdk

    enqueued, go = threading.Event(), threading.Event()
    real = sdk.enqueue_webhooks

    def slow_enqueue(*args, **kwargs):
        n = real(*args, **kwargs)
        enqueued.set()
        go.wait(10)
        return n

    receiver = Receiver()
    try:
        segments = open_store(project, store_url)
        s = segments.create(name="Pro", criteria='plan = "pro"', type="contacts")
        hook = register(segments, receiver)
        keep = register(segments, receiver, events=["segment.refreshed"])
        monkeypatch.setattr(sdk, "enqueue_webhooks", slow_enqueue)
        errors = []

        def run(fn):
            try:
                fn()
            except Exception as err:  # noqa: BLE001 - reported by the assertion below
                errors.append(err)
            finally:
                segments.close()  # this thread's connection

        refresh = threading.Thread(target=run, args=(lambda: segments.refresh(s.id),))
        refresh.start()
        assert enqueued.wait(10)
        delete = threading.Thread(target=run, args=(lambda: Webhooks(segments).delete(hook.id),))
        delete.start()
        time.sleep(0.2)  # the delete has run (PostgreSQL before the fix) or waits for the refresh
        go.set()
        refresh.join(30)
        delete.join(30)
        assert errors == []
        left = rows(segments.db)
        assert {r["webhook"] for r in left.values()} == {keep.id}, left
        drain(segments.db, retry=Retry(base=0.01, attempts=3))
        assert {r["payload"]["webhook"] for r in receiver.posts()} == {keep.id}
        segments.close()
    finally:
        receiver.stop()


def test_orphan_events_do_not_end_a_delivery_pass(project):
    """Events left behind by a webhook that no longer exists (an older store, or the race above) are not
    claimed: a pass (`segql webhooks deliver` stops when a pass claims nothing) still sends what is due."""
    receiver = Receiver()
    try:
        segments = open_store(project)
        s = segments.create(name="Pro", criteria='plan = "pro"', type="contacts")
        register(segments, receiver)
        segments.db.executemany(
            "INSERT INTO segql_webhook_outbox (id, webhook_id, organization, segment_id, event, body, status, "
            "attempts, created_at, next_attempt_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(f"evt_orphan{i}", "wh_gone", "default", s.id, "segment.refreshed", "{}", "pending", 0,
              "2000-01-01T00:00:00.000Z", "2000-01-01T00:00:00.000Z", i) for i in range(5)])
        segments.refresh(s.id)
        done = deliver_due(segments.db, limit=5)
        assert done["claimed"] == done["delivered"] == 2 and len(receiver.posts()) == 2, done
        segments.close()
    finally:
        receiver.stop()


# ---- many workers at once, a hostile receiver ------------------------------------------------------------
STRESS_BAD = ["500", "503", "404", "429", "302", "307", "close", "reset", "100"]


def test_concurrent_workers_deliver_every_event_once_to_the_right_webhook(project, long_store_url, monkeypatch):
    """Two worker processes and two service dispatchers (threads) deliver the outbox of two organizations' refreshes
    while more refreshes commit, to a receiver that fails about half the requests in every way it can
    (and now and then answers too late, or answers 200 and hangs). Then, for every event: it arrived, its
    last request — and only that one — was answered 2xx in time, every request was recorded as an attempt,
    no two sends overlapped, retries kept the key and body and waited out the back-off, and it went to a
    webhook of its organization that subscribed to its segment and type, carrying exactly the refresh's
    changes."""
    store_url = long_store_url
    monkeypatch.setattr(wh, "BATCH", 4 if ROUNDS else 10)
    size = 60 if ROUNDS else 40
    for round_ in range(max(1, ROUNDS)):
        rng = random.Random(round_)
        lock = threading.Lock()

        def policy(delivery, n, lock=lock, rng=rng):
            with lock:
                roll = rng.random()
                if roll < 0.03:
                    return "slow"
                if roll < 0.05:
                    return "headers"
                return rng.choice(list(OK)) if roll < 0.55 else rng.choice(STRESS_BAD)

        receiver = Receiver(policy)
        receiver.slow, receiver.timeout = 1.0, 0.3  # the late 200 comes well after the sender gave up
        try:
            contacts, deals = make_data(n=size, seed=round_)
            write_csv(project, contacts, deals)
            segments = open_store(project, store_url)
            if round_:
                segments.db.execute("DELETE FROM segql_webhook_outbox")
                for table in ("segql_webhooks", "segql_segments"):
                    segments.db.execute(f"DELETE FROM {table}")  # the test's own table names
            orgs = {}
            for org in ("default", "org_b"):
                rich = segments.create(name="Rich", criteria="lifetime_value > 150", type="contacts",
                                       organization=org)
                pro = segments.create(name="Pro", criteria='plan = "pro"', type="contacts", organization=org)
                hooks = [register(segments, receiver, organization=org),
                         register(segments, receiver, organization=org, segments=[pro.id]),
                         register(segments, receiver, organization=org, events=["segment.member_left"]),
                         register(segments, receiver, organization=org, events=["segment.refreshed"],
                                  segments=["rich"])]
                orgs[org] = (rich, pro, hooks)
            changes = []  # (organization, segment id, Change)

            def refresh_all(orgs=orgs, changes=changes, segments=segments):
                for org, (rich, pro, _) in orgs.items():
                    for seg in (rich, pro):
                        changes.append((org, seg.id, segments.refresh(seg.id, organization=org)))

            refresh_all()
            procs = [worker_process(store_url, seconds=60, base=0.01, attempts=60, limit=3, timeout=0.3)
                     for _ in range(2)]
            # and the service's own dispatcher threads (one per service worker), woken by the refreshes
            dispatchers = [Dispatcher(open_store(project, store_url), timeout=0.3, retry=Retry(0.01, 0.04, 60),
                                      poll=0.02, batch=3) for _ in range(2)]
            for d in dispatchers:
                segments.refreshed(lambda segment, change, d=d: d.wake())
                d.start()
            contacts, deals = make_data(n=size, seed=round_ + 100)
            write_csv(project, contacts, deals)
            refresh_all()  # while the workers deliver
            end = time.monotonic() + 60
            while pending(segments.db) and time.monotonic() < end:
                time.sleep(0.05)
            for d in dispatchers:
                d.stop()
            for p in procs:
                _, err = p.communicate(timeout=90)
                assert p.returncode == 0, err
            drain(segments.db, retry=Retry(0.01, 0.04, 60), limit=10, deadline=60, timeout=0.3)

            events = rows(segments.db)
            assert {r["status"] for r in events.values()} == {"delivered"}
            assert receiver.overlaps == [], [[(r["action"], r["at"]) for r in receiver.posts(d)]
                                             for d in receiver.overlaps]
            assert [r for r in receiver.requests if r["method"] != "POST"] == []
            by_id = collections.defaultdict(list)
            for r in receiver.posts():
                by_id[r["delivery"]].append(r)
            assert set(by_id) == set(events)  # none lost, none made up
            for delivery, reqs in by_id.items():
                row = events[delivery]
                assert len(reqs) == row["attempts"], (row, [r["action"] for r in reqs])
                answered = [r["action"] in OK or r["action"] == "headers" for r in reqs]
                assert answered[-1] and answered.count(True) == 1, [r["action"] for r in reqs]
                assert all(r["valid"] for r in reqs) and {r["body"] for r in reqs} == {row["body"].encode()}
                for n, (a, b) in enumerate(itertools.pairwise(reqs), start=1):
                    assert b["at"] - a["at"] >= min(0.04, 0.01 * 2 ** (n - 1)) * 0.9
            hook_of = {h.id: (org, h) for org, (_, _, hooks) in orgs.items() for h in hooks}
            got = collections.defaultdict(list)  # (webhook, segment, refreshed_at, type) → payload data
            for delivery, reqs in by_id.items():
                p = reqs[0]["payload"]
                org, hook = hook_of[p["webhook"]]
                assert p["organization"] == org and events[delivery]["organization"] == org
                assert p["type"] in hook.events and (hook.segments is None or p["data"]["id"] in hook.segments)
                got[(hook.id, p["data"]["id"], p["data"]["refreshed_at"], p["type"])].append(p["data"])
            want = set()
            for org, seg_id, change in changes:
                for hook in orgs[org][2]:
                    if hook.segments is not None and seg_id not in hook.segments:
                        continue
                    for event, n in (("segment.refreshed", 1), ("segment.member_entered", change.entered),
                                     ("segment.member_left", change.left)):
                        if event in hook.events and n:
                            key = (hook.id, seg_id, change.refreshed_at, event)
                            want.add(key)
                            datas = got[key]
                            if event == "segment.refreshed":
                                assert [(d["entered"], d["left"]) for d in datas] == [(change.entered, change.left)]
                            else:
                                keys = [k for d in sorted(datas, key=lambda d: d["batch"]) for k in d["keys"]]
                                assert len(keys) == len(set(keys)) == n, (key, keys)
                                assert sorted(d["batch"] for d in datas) == list(range(1, len(datas) + 1))
            assert set(got) == want
            assert sum(c.left for _, _, c in changes) and sum(c.entered for _, _, c in changes)
            segments.close()
        finally:
            receiver.stop()


# ---- what an event carries --------------------------------------------------------------------------------
def test_a_warehouse_refresh_at_the_same_time_sends_only_its_own_changes(project, tmp_path):
    """With --db, two refreshes at the same `now` (allowed: only an earlier one is E0806): the second's
    events carry the second's changes — not again the keys that entered at the first (a change delivered
    twice, under a new idempotency key, and an event for a side that is empty)."""
    from segql.engines import connect

    contacts, deals = make_data(n=40)
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    eng = connect(url)
    eng.create_table("contacts", {"id": "integer", "plan": "string", "status": "string", "country": "string",
                                  "lifetime_value": "number"}, contacts)
    eng.create_table("deals", {"id": "integer", "contact_id": "integer", "value": "number", "stage": "string"},
                     deals)
    eng.close()
    segments = segql.open_store(f"sqlite:///{tmp_path / 's.db'}", schema=str(project / "schema.yml"), db=url)
    s = segments.create(name="Pro", criteria='plan = "pro"', type="contacts")
    Webhooks(segments).create("http://127.0.0.1:9/hook", events=["segment.member_entered", "segment.member_left"])
    first = segments.refresh(s.id, now="2026-11-15T12:00:00Z")
    eng = connect(url)
    eng.execute("UPDATE contacts SET plan = 'free' WHERE id IN (SELECT id FROM contacts WHERE plan = 'pro' "
                "ORDER BY id LIMIT 3)")
    eng.execute("UPDATE contacts SET plan = 'pro' WHERE id IN (SELECT id FROM contacts WHERE plan <> 'pro' "
                "ORDER BY id DESC LIMIT 2)")
    eng.close()
    second = segments.refresh(s.id, now="2026-11-15T12:00:00Z")
    assert (first.entered, first.left, second.entered, second.left) == (first.member_count, 0, 2, 3)
    sent = collections.Counter()
    keys = collections.defaultdict(list)
    for event, body in segments.db.execute("SELECT event, body FROM segql_webhook_outbox ORDER BY created_at, seq"):
        sent[event] += 1
        keys[event] += json.loads(body)["data"]["keys"]
    assert sent == {"segment.member_entered": 2, "segment.member_left": 1}
    assert len(keys["segment.member_entered"]) == first.entered + second.entered
    assert len(set(keys["segment.member_entered"])) == first.entered + second.entered
    assert len(keys["segment.member_left"]) == 3
    segments.close()
