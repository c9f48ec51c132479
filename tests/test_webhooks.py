"""Membership changes as signed webhooks (SPEC §8, docs/webhooks.md) against a real receiver on 127.0.0.1
(http.server in a thread) that verifies every signature and can fail (500), time out, and be stopped and
restarted: every event arrives at least once, retries share the idempotency key, a refresh that rolls
back writes no event, the outbox survives a restart, two dispatchers never send one row at the same time."""
from __future__ import annotations

import itertools
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from test_store import SCHEMA, expected, make_data, write_csv

import segql
from segql.engines import connect
from segql.errors import SegqlError
from segql.ops.store import webhooks as wh
from segql.ops.store.db import StoreDb
from segql.ops.store.webhooks import Retry, Webhooks, deliver_due, sign, verify

FAST = Retry(base=0.05, cap=0.4, attempts=6)  # back-off 0.05 s, 0.1 s, 0.2 s … in tests


class Receiver:
    """A webhook receiver: records every request (verified with the webhook's secret); `plan` is a list of
    what to do with the next requests ("500", "sleep", "ok"), then 200; `delay` slows every request."""

    def __init__(self, port: int = 0):
        self.secrets: dict[str, str] = {}
        self.requests: list[dict] = []
        self.plan: list[str] = []
        self.delay = 0.0
        self.sleep = 1.0
        self.in_flight: dict[str, int] = {}
        self.overlaps: list[str] = []
        self.lock = threading.Lock()
        self.port = port
        self.start()

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                delivery = self.headers["X-Segql-Delivery"]
                with receiver.lock:
                    action = receiver.plan.pop(0) if receiver.plan else "ok"
                    receiver.in_flight[delivery] = receiver.in_flight.get(delivery, 0) + 1
                    if receiver.in_flight[delivery] > 1:
                        receiver.overlaps.append(delivery)
                payload = json.loads(body)
                secret = receiver.secrets.get(payload.get("webhook"), "")
                status = {"500": 500, "sleep": "timeout"}.get(action, 200)
                record = {"event": self.headers["X-Segql-Event"], "delivery": delivery, "payload": payload,
                          "timestamp": self.headers["X-Segql-Timestamp"], "body": body,
                          "signature": self.headers["X-Segql-Signature"], "at": time.monotonic(),
                          "valid": verify(secret, self.headers["X-Segql-Timestamp"], body,
                                          self.headers["X-Segql-Signature"]), "status": status}
                with receiver.lock:
                    receiver.requests.append(record)
                try:
                    time.sleep(receiver.delay)
                    if action == "sleep":
                        time.sleep(receiver.sleep)
                    self.send_response(500 if action == "500" else 200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                except OSError:
                    pass  # the dispatcher gave up waiting (timeout)
                finally:
                    with receiver.lock:
                        receiver.in_flight[delivery] -= 1

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"

    def delivered(self):
        """Each delivery id answered 200 → its payload."""
        return {r["delivery"]: r["payload"] for r in self.requests if r["status"] == 200}


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def project(tmp_path):
    contacts, deals = make_data()
    write_csv(tmp_path, contacts, deals)
    (tmp_path / "schema.yml").write_text(SCHEMA)
    return tmp_path


def store(project, url=None):
    return segql.open_store(url or f"sqlite:///{project / 'store.db'}", schema=str(project / "schema.yml"))


def register(store_, receiver, **kw):
    hook, secret = Webhooks(store_).create(receiver.url, **kw)
    receiver.secrets[hook.id] = secret
    return hook


def drain(db, *, timeout=2.0, retry=FAST, deadline=20.0):
    """Deliver until nothing is pending (waiting out back-offs), as the dispatcher's loop does."""
    end = time.monotonic() + deadline
    while db.one("SELECT COUNT(*) FROM segql_webhook_outbox WHERE status = 'pending'")[0]:
        assert time.monotonic() < end, "the outbox did not drain"
        if not deliver_due(db, timeout=timeout, retry=retry)["claimed"]:
            time.sleep(0.02)


def outbox(db):
    return db.execute("SELECT event, status, attempts FROM segql_webhook_outbox ORDER BY created_at, seq")


# ---- events ------------------------------------------------------------------------------------------
def test_every_event_arrives_signed_with_all_keys_in_batches(project, receiver, monkeypatch):
    monkeypatch.setattr(wh, "BATCH", 7)
    segments = store(project)
    s = segments.create(name="Rich", criteria="lifetime_value > 250", type="contacts")
    other = segments.create(name="Pro", criteria='plan = "pro"', type="contacts")
    hook = register(segments, receiver)
    only_refreshed = register(segments, receiver, events=["segment.refreshed"], segments=["pro"])
    old = expected(project, "lifetime_value > 250")
    first = segments.refresh(s.id, now="2026-11-15T12:00:00Z")
    contacts, deals = make_data(seed=2)
    write_csv(project, contacts, deals)
    new = expected(project, "lifetime_value > 250")
    second = segments.refresh(s.id, now="2026-11-16T12:00:00Z")
    segments.refresh(other.id, now="2026-11-16T12:00:00Z")
    drain(segments.db)
    got = list(receiver.delivered().values())
    assert receiver.requests and all(r["valid"] for r in receiver.requests)
    mine = [p for p in got if p["webhook"] == hook.id]
    refreshed = [p["data"] for p in mine if p["type"] == "segment.refreshed"]
    assert sorted((d["slug"], d["refreshed_at"], d["member_count"], d["entered"], d["left"]) for d in refreshed) == [
        ("pro", "2026-11-16T12:00:00.000Z", len(expected(project, 'plan = "pro"')),
         len(expected(project, 'plan = "pro"')), 0),
        ("rich", "2026-11-15T12:00:00.000Z", len(old), first.entered, 0),
        ("rich", "2026-11-16T12:00:00.000Z", len(new), second.entered, second.left)]

    def keys(event, at):
        batches = [p["data"] for p in mine if p["type"] == event and p["data"]["refreshed_at"] == at
                   and p["data"]["slug"] == "rich"]
        assert sorted(b["batch"] for b in batches) == list(range(1, len(batches) + 1))
        assert all(len(b["keys"]) <= 7 and b["batches"] == len(batches) for b in batches)
        return [k for b in sorted(batches, key=lambda b: b["batch"]) for k in b["keys"]]

    assert keys("segment.member_entered", "2026-11-15T12:00:00.000Z") == old
    assert keys("segment.member_entered", "2026-11-16T12:00:00.000Z") == sorted(set(new) - set(old))
    assert keys("segment.member_left", "2026-11-16T12:00:00.000Z") == sorted(set(old) - set(new))
    assert set(old) != set(new) and len(old) > 7  # the data made both kinds of event, in several batches
    theirs = [p for p in got if p["webhook"] == only_refreshed.id]
    assert [(p["type"], p["data"]["slug"]) for p in theirs] == [("segment.refreshed", "pro")]
    assert {r["event"] for r in receiver.requests} == set(wh.EVENTS)
    assert all(r["event"] == r["payload"]["type"] and r["delivery"] == r["payload"]["id"] for r in receiver.requests)
    segments.close()


def test_a_bad_signature_is_detected(project, receiver):
    segments = store(project)
    s = segments.create(name="Pro", criteria='plan = "pro"', type="contacts")
    hook = register(segments, receiver, events=["segment.refreshed"])
    segments.refresh(s.id)
    drain(segments.db)
    (r,) = receiver.requests
    secret = receiver.secrets[hook.id]
    assert r["valid"] and r["signature"] == sign(secret, r["timestamp"], r["body"])
    assert not verify(secret, r["timestamp"], r["body"].replace(b'"pro"', b'"pr0"'), r["signature"])
    assert not verify("whsec_wrong", r["timestamp"], r["body"], r["signature"])
    assert not verify(secret, str(int(r["timestamp"]) + 1), r["body"], r["signature"])
    assert not verify(secret, str(int(r["timestamp"]) - 3600), r["body"],  # a replay an hour later
                      sign(secret, str(int(r["timestamp"]) - 3600), r["body"]))
    segments.close()


# ---- failures and retries ------------------------------------------------------------------------------
def test_500_and_timeouts_are_retried_with_the_same_idempotency_key(project, receiver):
    segments = store(project)
    s = segments.create(name="Pro", criteria='plan = "pro"', type="contacts")
    register(segments, receiver)
    receiver.plan = ["500", "sleep", "500"]  # the first three requests fail: two 500s and a timeout
    receiver.sleep = 1.0
    segments.refresh(s.id)
    rows = segments.db.execute("SELECT id FROM segql_webhook_outbox")
    drain(segments.db, timeout=0.3)
    delivered = receiver.delivered()
    assert set(delivered) == {r[0] for r in rows} and len(rows) == 2  # refreshed + one batch of entered
    by_id: dict[str, list] = {}
    for r in receiver.requests:
        by_id.setdefault(r["delivery"], []).append(r)
    retried = [reqs for reqs in by_id.values() if len(reqs) > 1]
    assert retried, "some event was retried"
    for reqs in retried:  # a retry is the same event: same key, same body (only the timestamp is new)
        assert len({r["payload"]["id"] for r in reqs}) == 1 and len({r["body"] for r in reqs}) == 1
        assert [r["status"] for r in reqs][-1] == 200
    assert [r["status"] for r in receiver.requests].count(200) == 2 and len(receiver.requests) == 5
    assert "timeout" in [r["status"] for r in receiver.requests]
    assert sorted((row[1], row[2]) for row in outbox(segments.db)) == [("delivered", 2), ("delivered", 3)]
    segments.close()


def test_back_off_grows_and_gives_up_after_n_attempts(project, receiver):
    segments = store(project)
    s = segments.create(name="Pro", criteria='plan = "pro"', type="contacts")
    hook = register(segments, receiver, events=["segment.refreshed"])
    receiver.plan = ["500"] * 100
    segments.refresh(s.id)
    retry = Retry(base=0.05, cap=10, attempts=5, jitter=0.25)
    drain(segments.db, retry=retry)
    times = [r["at"] for r in receiver.requests]
    assert len(times) == 5 and all(r["status"] == 500 for r in receiver.requests)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    for n, gap in enumerate(gaps, start=1):  # 0.05, 0.1, 0.2, 0.4 s (+ up to 25% jitter)
        assert gap >= 0.05 * 2 ** (n - 1), gaps
    assert gaps[-1] > gaps[0] * 3
    (d,) = Webhooks(segments).deliveries(hook.id)
    assert d["status"] == "failed" and d["attempts"] == 5 and d["last_status"] == 500 and d["last_error"]
    assert deliver_due(segments.db, retry=retry)["claimed"] == 0  # a failed row is never sent again
    segments.close()


def test_the_outbox_survives_a_restart(project, receiver):
    segments = store(project)
    s = segments.create(name="Pro", criteria='plan = "pro"', type="contacts")
    register(segments, receiver)
    receiver.stop()  # the receiver is down: connections are refused
    segments.refresh(s.id)
    done = deliver_due(segments.db, timeout=0.5, retry=FAST)
    assert done["claimed"] == 2 and done["retrying"] == 2 and done["delivered"] == 0
    errors = [r[0] for r in segments.db.execute("SELECT last_error FROM segql_webhook_outbox")]
    assert all("Refused" in e or "refused" in e for e in errors), errors
    ids = {r[0] for r in segments.db.execute("SELECT id FROM segql_webhook_outbox")}
    segments.close()  # the service stops
    receiver.start()  # the receiver comes back on the same port
    again = store(project)  # a new service over the same store file
    drain(again.db)
    assert set(receiver.delivered()) == ids and all(r["valid"] for r in receiver.requests)
    assert [row[1] for row in outbox(again.db)] == ["delivered", "delivered"]
    again.close()


def test_a_rolled_back_refresh_writes_no_event(project, receiver, monkeypatch):
    segments = store(project)
    s = segments.create(name="Pro", criteria='plan = "pro"', type="contacts")
    register(segments, receiver)
    calls = []
    real_enqueue = wh.enqueue
    monkeypatch.setattr("segql.ops.store.sdk.enqueue_webhooks",
                        lambda *a, **k: calls.append(real_enqueue(*a, **k)) or calls[-1])
    real = StoreDb.execute

    def failing(self, sql, params=()):
        if sql.startswith("UPDATE segql_segments SET member_count"):  # after the outbox rows were written
            raise SegqlError("E0809", "store error (test): the disk is full")
        return real(self, sql, params)

    monkeypatch.setattr(StoreDb, "execute", failing)
    with pytest.raises(SegqlError):
        segments.refresh(s.id)
    monkeypatch.setattr(StoreDb, "execute", real)
    assert calls == [2]  # the events were written inside the transaction …
    assert outbox(segments.db) == [] and segments.history(s.id) == []  # … and rolled back with it
    assert deliver_due(segments.db)["claimed"] == 0 and receiver.requests == []
    segments.refresh(s.id)
    assert len(outbox(segments.db)) == 2
    segments.close()


# ---- concurrency -------------------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request, project):
    if request.param == "sqlite":
        yield f"sqlite:///{project / 'store.db'}"
        return
    from test_operations import drop_postgres_schema, postgres_url_in_schema

    name = f"segql_webhooks_{os.getpid()}"
    yield postgres_url_in_schema(name)  # skips with a reason when SEGQL_TEST_POSTGRES_URL is unset
    drop_postgres_schema(name)


def test_two_dispatchers_never_send_one_row_at_once(project, receiver, store_url, monkeypatch):
    monkeypatch.setattr(wh, "BATCH", 2)
    segments = store(project, store_url)
    s = segments.create(name="Rich", criteria="lifetime_value > 250", type="contacts")
    for _ in range(3):
        register(segments, receiver)
    segments.refresh(s.id)
    ids = {r[0] for r in segments.db.execute("SELECT id FROM segql_webhook_outbox")}
    assert len(ids) > 30
    receiver.delay = 0.01
    claimed = {}

    def work(name):
        db = StoreDb(store_url)
        n = 0
        try:
            while True:
                done = deliver_due(db, limit=4, timeout=5, retry=FAST, worker=name)
                n += done["claimed"]
                if not done["claimed"]:
                    break
        finally:
            db.close()
        claimed[name] = n

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert receiver.overlaps == []
    sent = [r["delivery"] for r in receiver.requests]
    assert sorted(sent) == sorted(ids)  # each row exactly once (the receiver never failed)
    assert claimed["w0"] + claimed["w1"] == len(ids) and min(claimed.values()) > 0, claimed
    assert {r[1] for r in outbox(segments.db)} == {"delivered"}
    segments.close()


# ---- the warehouse, the CLI and the service ------------------------------------------------------------
def test_warehouse_membership_sends_every_key(project, receiver, tmp_path, monkeypatch):
    monkeypatch.setattr(wh, "BATCH", 5)
    contacts, deals = make_data()
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    eng = connect(url)
    eng.create_table("contacts", {"id": "integer", "plan": "string", "status": "string", "country": "string",
                                  "lifetime_value": "number"}, contacts)
    eng.create_table("deals", {"id": "integer", "contact_id": "integer", "value": "number", "stage": "string"},
                     deals)
    eng.close()
    segments = segql.open_store(f"sqlite:///{tmp_path / 's.db'}", schema=str(project / "schema.yml"), db=url)
    s = segments.create(name="Pro", criteria='plan = "pro"', type="contacts")
    register(segments, receiver, events=["segment.member_entered", "segment.member_left"])
    segments.refresh(s.id)
    eng = connect(url)
    eng.execute("UPDATE contacts SET plan = 'free' WHERE id IN (SELECT id FROM contacts WHERE plan = 'pro' "
                "ORDER BY id LIMIT 3)")
    eng.close()
    segments.refresh(s.id)
    drain(segments.db)
    want = expected(project, 'plan = "pro"')
    batches = sorted(receiver.delivered().values(), key=lambda p: (p["data"]["refreshed_at"], p["data"]["batch"]))
    entered = [k for p in batches if p["type"] == "segment.member_entered" for k in p["data"]["keys"]]
    left = [k for p in batches if p["type"] == "segment.member_left" for k in p["data"]["keys"]]
    assert entered == want and left == want[:3]
    segments.close()


def test_cli_delivers_the_outbox(project, receiver):
    from conftest import run_cli

    segments = store(project)
    s = segments.create(name="Pro", criteria='plan = "pro"', type="contacts")
    register(segments, receiver)
    segments.refresh(s.id)
    segments.close()
    code, out, err = run_cli("webhooks", "list", "--store", f"sqlite:///{project / 'store.db'}", "--format", "json")
    assert code == 0 and (json.loads(out)[0]["pending"], json.loads(out)[0]["failed"]) == (2, 0)
    code, out, err = run_cli("webhooks", "deliver", "--store", f"sqlite:///{project / 'store.db'}",
                             "--format", "json")
    assert code == 0, err
    assert json.loads(out) == {"claimed": 2, "delivered": 2, "retrying": 0, "failed": 0}
    assert len(receiver.delivered()) == 2 and all(r["valid"] for r in receiver.requests)
    code, out, err = run_cli("webhooks", "list", "--store", f"sqlite:///{project / 'store.db'}", "--format", "json")
    assert code == 0 and (json.loads(out)[0]["pending"], json.loads(out)[0]["failed"]) == (0, 0)
    code, out, err = run_cli("webhooks", "deliver", "--store", "ftp://nowhere")
    assert code == 1 and "E0808" in err and "Traceback" not in err


fastapi = pytest.importorskip("fastapi", reason="the service extra is not installed: pip install 'segql[service]'")


def test_the_service_registers_isolates_and_delivers(project, receiver):
    from fastapi.testclient import TestClient

    from segql.ops.service.app import create_app
    from segql.ops.store.keys import KeyStore

    url = f"sqlite:///{project / 'store.db'}"
    segments = store(project)
    keys = KeyStore.open(url)
    acme = {"Authorization": "Bearer " + keys.create("org_acme", ["read:segments", "write:segments",
                                                                  "write:webhooks"])[0]}
    reader = {"Authorization": "Bearer " + keys.create("org_acme", ["read:segments", "read:webhooks"])[0]}
    globex = {"Authorization": "Bearer " + keys.create("org_globex", ["read:segments", "write:segments",
                                                                      "write:webhooks"])[0]}
    keys.close()
    app = create_app(segments, webhook_timeout=2, webhook_retry=FAST, webhook_poll=0.05)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post("/v1/segments", json={"name": "Pro", "criteria": 'plan = "pro"', "object_type": "contacts"},
                        headers=acme)
        assert r.status_code == 201, r.text
        r = client.post("/v1/webhooks", json={"url": receiver.url, "segments": ["pro"]}, headers=acme)
        assert r.status_code == 201, r.text
        hook = r.json()
        assert hook["secret"].startswith("whsec_") and hook["events"] == list(wh.EVENTS)
        receiver.secrets[hook["id"]] = hook["secret"]
        listed = client.get("/v1/webhooks", headers=reader).json()["data"]
        assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
        assert client.post("/v1/webhooks", json={"url": receiver.url}, headers=reader).status_code == 403
        for bad, code in (({"url": "ftp://127.0.0.1/x"}, "E0814"), ({"url": "javascript:alert(1)"}, "E0814"),
                          ({"url": receiver.url, "events": ["segment.deleted"]}, "E0815"),
                          ({"url": receiver.url, "segments": ["nope"]}, "E0801"),
                          ({"url": receiver.url, "segments": []}, "E0152")):  # would never fire
            r = client.post("/v1/webhooks", json=bad, headers=acme)
            assert r.status_code in (404, 422) and r.json()["error"]["code"] == code, r.text
        assert client.post("/v1/webhooks", json={"url": 5}, headers=acme).status_code == 400
        # another organization sees nothing, and cannot delete it
        assert client.get("/v1/webhooks", headers=globex).json()["data"] == []
        assert client.get(f"/v1/webhooks/{hook['id']}", headers=globex).status_code == 404
        assert client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=globex).status_code == 404
        assert client.delete(f"/v1/webhooks/{hook['id']}", headers=globex).status_code == 404
        # its own segment of the same slug triggers nothing for acme's webhook
        client.post("/v1/segments", json={"name": "Pro", "criteria": 'plan = "pro"', "object_type": "contacts"},
                    headers=globex)
        assert client.post("/v1/segments/pro/refresh", headers=globex).status_code == 200
        receiver.plan = ["500"]
        assert client.post("/v1/segments/pro/refresh", headers=acme).status_code == 200
        end = time.monotonic() + 10  # the dispatcher thread delivers, woken by the refresh
        while not receiver.delivered() and time.monotonic() < end:
            time.sleep(0.02)
        (got,) = receiver.delivered().values()  # created with its count, so nobody entered: one event
        assert got["type"] == "segment.refreshed" and got["organization"] == "org_acme"
        assert got["data"]["slug"] == "pro" and all(r["valid"] for r in receiver.requests)
        assert [r["status"] for r in receiver.requests] == [500, 200]
        (d,) = client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=reader).json()["data"]
        assert d["status"] == "delivered" and d["attempts"] == 2 and d["id"] == got["id"]
        assert client.delete(f"/v1/webhooks/{hook['id']}", headers=acme).status_code == 204
        assert client.get(f"/v1/webhooks/{hook['id']}", headers=acme).status_code == 404
        assert segments.db.one("SELECT COUNT(*) FROM segql_webhook_outbox")[0] == 0
    segments.close()
