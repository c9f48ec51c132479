"""The HTTP service (SPEC §6.2) over real HTTP semantics (FastAPI's TestClient): keys and scopes,
tenants on every endpoint, the error shape, seed 003's create with its member count, live counts,
refresh, members paging, static members, history, explain, compile, validate, export/import."""
from __future__ import annotations

import json

import pytest

fastapi = pytest.importorskip("fastapi", reason="the service extra is not installed: pip install 'segql[service]'")
from fastapi.testclient import TestClient  # noqa: E402

import segql  # noqa: E402
from conftest import EXAMPLES  # noqa: E402
from segql.ops.service.app import create_app  # noqa: E402
from segql.ops.store.keys import KeyStore  # noqa: E402

SEED_003 = {"name": "US high-value", "description": "seed 003's example conditions",
            "conditions": {"$and": [{"country": {"$eq": "USA"}}, {"lifetime_value": {"$gte": 100}},
                                    {"last_purchase_date": {"$gte": "2024-01-01"}}]}}


@pytest.fixture
def service(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    segments = segql.open_store(url, schema=str(EXAMPLES / "schema.yml"))
    keys = KeyStore.open(url)
    made = {
        "rw": keys.create("org_acme", ["read:segments", "write:segments"])[0],
        "ro": keys.create("org_acme", ["read:segments"])[0],
        "other": keys.create("org_globex", ["read:segments", "write:segments"])[0],
    }
    revoked_raw, revoked = keys.create("org_acme", ["read:segments"])
    keys.revoke(revoked.id)
    made["revoked"] = revoked_raw
    keys.close()
    client = TestClient(create_app(segments), raise_server_exceptions=False)
    client.keys = made
    yield client
    segments.close()


def auth(client, who="rw"):
    return {"Authorization": f"Bearer {client.keys[who]}"}


def expected_count(schema_doc, **kw):
    schema = segql.load_schema(EXAMPLES / "schema.yml")
    sql = segql.compile(schema_doc, schema=schema, dialect="duckdb", select="count", **kw)
    engine = segql.connect(None, schema=schema)
    from segql.ops.run import attach_sources

    attach_sources(engine, schema)
    try:
        return engine.execute(sql)[0][0]
    finally:
        engine.close()


def assert_error(response, status, code=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "diagnostics"} <= set(body["error"]), body
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]


def test_seed_003_create_returns_201_with_the_member_count(service):
    r = service.post("/v1/segments", json={**SEED_003, "object_type": "contacts"}, headers=auth(service))
    assert r.status_code == 201, r.text
    seg = r.json()
    assert seg["object"] == "segment" and seg["id"].startswith("segment_") and seg["version"] == 1
    want = expected_count({"type": "contacts", "filter": SEED_003["conditions"]})
    assert want > 0 and seg["member_count"] == want
    assert seg["organization"] == "org_acme" and seg["conditions"] == SEED_003["conditions"]
    assert "country" in seg["criteria"] and seg["member_count_at"]


def test_auth_401_403(service):
    assert_error(service.get("/v1/segments"), 401, "E0901")
    assert_error(service.get("/v1/segments", headers={"Authorization": "Bearer sk_nope"}), 401, "E0902")
    assert_error(service.get("/v1/segments", headers=auth(service, "revoked")), 401, "E0902")
    assert_error(service.post("/v1/segments", json={**SEED_003, "object_type": "contacts"},
                              headers=auth(service, "ro")), 403, "E0903")
    assert service.get("/v1/segments", headers=auth(service, "ro")).status_code == 200
    assert service.get("/healthz").json()["status"] == "ok"


def test_invalid_segment_is_422_with_pointer_and_hint_and_nothing_stored(service):
    body = {"name": "typo", "object_type": "contacts", "conditions": {"contry": "USA"}}
    err = assert_error(service.post("/v1/segments", json=body, headers=auth(service)), 422, "E0301")
    [d] = err["diagnostics"]
    assert d["pointer"] == "/conditions/contry" and any("country" in h for h in d["hints"])
    assert service.get("/v1/segments", headers=auth(service)).json()["data"] == []
    err = assert_error(service.post("/v1/segments", json={**SEED_003, "object_type": "contacts", "name": ""},
                                    headers=auth(service)), 422)
    assert service.get("/v1/segments", headers=auth(service)).json()["data"] == []


@pytest.mark.parametrize("raw, ctype", [
    (b"{not json", "application/json"), (b'{"name": "\xff"}', "application/json"),
    (b'{"name": 5, "conditions": []}', "application/json"), (b"[]", "application/json"),
    (b'{"name": "x", "unknown_field": 1}', "application/json"),
])
def test_malformed_requests_are_400(service, raw, ctype):
    assert_error(service.post("/v1/segments", content=raw, headers={**auth(service), "Content-Type": ctype}), 400)


def test_body_limit_is_413(service):
    big = json.dumps({"name": "x", "criteria": "country = \"" + "a" * 2_000_000 + "\""})
    assert_error(service.post("/v1/segments", content=big, headers={**auth(service),
                                                                      "Content-Type": "application/json"}), 413)


def create(service, body, who="rw"):
    r = service.post("/v1/segments", json=body, headers=auth(service, who))
    assert r.status_code == 201, r.text
    return r.json()


def test_list_search_sort_and_cursor(service):
    made = [create(service, {"name": f"Country {c}", "criteria": f'country = "{c}"', "type": "Contact"})
            for c in ("USA", "Germany", "Canada", "France")]
    r = service.get("/v1/segments?sort=-member_count&limit=2", headers=auth(service)).json()
    counts = [s["member_count"] for s in r["data"]]
    assert counts == sorted(counts, reverse=True) and r["next_cursor"]
    rest = service.get(f"/v1/segments?sort=-member_count&limit=2&cursor={r['next_cursor']}",
                       headers=auth(service)).json()
    assert {s["id"] for s in r["data"] + rest["data"]} == {s["id"] for s in made}
    found = service.get("/v1/segments?q=germ", headers=auth(service)).json()["data"]
    assert [s["name"] for s in found] == ["Country Germany"]
    assert service.get("/v1/segments?is_dynamic=false", headers=auth(service)).json()["data"] == []
    by_slug = service.get("/v1/segments/country-canada", headers=auth(service)).json()
    assert by_slug["name"] == "Country Canada"


def test_live_counts_refresh_members_history_explain(service):
    usa = create(service, {"name": "USA", "criteria": 'country = "USA"', "object_type": "contacts"})
    vip = create(service, {"name": "VIP", "conditions": {"is_vip": True}, "object_type": "contacts"})
    live = service.post("/v1/segments/counts", json={"ids": [usa["id"], vip["slug"]]},
                        headers=auth(service)).json()["data"]
    assert [c["member_count"] for c in live] == [usa["member_count"], vip["member_count"]]
    r = service.post(f"/v1/segments/{usa['id']}/refresh", headers=auth(service)).json()
    assert r["member_count"] == usa["member_count"] and r["entered"] == 0 and r["left"] == 0
    keys, cursor = [], None
    while True:
        page = service.get(f"/v1/segments/{usa['id']}/members?limit=3&columns=email,country"
                           + (f"&cursor={cursor}" if cursor else ""), headers=auth(service)).json()
        keys += [m["id"] for m in page["data"]]
        assert all(m["country"] == "USA" for m in page["data"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(keys) == usa["member_count"] == len(set(keys)) and keys == sorted(keys)
    hist = service.get(f"/v1/segments/{usa['id']}/history", headers=auth(service)).json()["data"]
    assert len(hist) >= 1 and hist[-1]["member_count"] == usa["member_count"]
    funnel = service.get(f"/v1/segments/{usa['id']}/explain", headers=auth(service)).json()
    assert funnel["members"] == usa["member_count"]


def test_update_with_if_match_and_delete(service):
    s = create(service, {"name": "USA", "criteria": 'country = "USA"', "object_type": "contacts"})
    r = service.patch(f"/v1/segments/{s['id']}", json={"criteria": 'country = "Germany"'},
                      headers={**auth(service), "If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and "Germany" in r.json()["criteria"]
    assert_error(service.patch(f"/v1/segments/{s['id']}", json={"description": "x"},
                               headers={**auth(service), "If-Match": "1"}), 412)
    assert_error(service.patch(f"/v1/segments/{s['id']}", json={"criteria": "contry = 1"},
                               headers=auth(service)), 422)
    user = create(service, {"name": "uses it", "criteria": f'in segment "{s["slug"]}"', "object_type": "contacts"})
    assert_error(service.delete(f"/v1/segments/{s['id']}", headers=auth(service)), 409)
    assert service.delete(f"/v1/segments/{user['id']}", headers=auth(service)).status_code == 204
    assert service.delete(f"/v1/segments/{s['id']}", headers=auth(service)).status_code == 204
    assert_error(service.get(f"/v1/segments/{s['id']}", headers=auth(service)), 404)


def test_static_segment_members_by_hand(service):
    s = create(service, {"name": "Beta testers", "is_dynamic": False, "object_type": "contacts"})
    r = service.post(f"/v1/segments/{s['id']}/members", json={"keys": [3, 1, 2]}, headers=auth(service))
    assert r.json() == {"member_count": 3}
    r = service.request("DELETE", f"/v1/segments/{s['id']}/members", json={"keys": [2, 99]}, headers=auth(service))
    assert r.json() == {"member_count": 2}
    page = service.get(f"/v1/segments/{s['id']}/members", headers=auth(service)).json()
    assert [m["id"] for m in page["data"]] == [1, 3]
    refreshed = service.post(f"/v1/segments/{s['id']}/refresh", headers=auth(service)).json()
    assert refreshed["skipped"] is True
    dyn = create(service, {"name": "dyn", "criteria": "is_vip", "object_type": "contacts"})
    assert_error(service.post(f"/v1/segments/{dyn['id']}/members", json={"keys": [1]}, headers=auth(service)), 409)


def test_compile_and_validate(service):
    r = service.post("/v1/compile", json={"conditions": {"country": "USA"}, "object_type": "Contact",
                                          "dialect": "bigquery", "params": "named"}, headers=auth(service, "ro"))
    assert r.status_code == 200, r.text
    assert "@p1" in r.json()["sql"] and r.json()["params"] == {"p1": "USA"}
    r = service.post("/v1/compile", json={"criteria": 'lifetime_value = 0.1000000000000000000000001 or country = "5"',
                                          "object_type": "contacts", "dialect": "postgres", "params": "qmark"},
                     headers=auth(service, "ro"))  # a decimal keeps its digits (it was a float: 0.1); a string stays one
    assert json.loads(r.text, parse_float=str)["params"] == ["0.1000000000000000000000001", "5"]
    assert '"params": [0.1000000000000000000000001, "5"]' in r.text
    assert_error(service.post("/v1/compile", json={"criteria": "x = 1", "object_type": "contacts", "dialect": "nope"},
                              headers=auth(service)), 422)
    v = service.post("/v1/validate", json={"criteria": "last_purchse < 30 days ago", "object_type": "contacts"},
                     headers=auth(service, "ro")).json()
    assert v["valid"] is False and v["diagnostics"][0]["code"] == "E0301"
    assert (v["diagnostics"][0]["line"], v["diagnostics"][0]["column"]) == (1, 1)
    ok = service.post("/v1/validate", json={"conditions": {"country": "USA"}, "type": "Contact"},
                      headers=auth(service, "ro")).json()
    assert ok["valid"] is True and ok["criteria"] == 'country = "USA"'
    assert service.get("/v1/segments", headers=auth(service)).json()["data"] == []


def test_export_import_round_trip(service, tmp_path):
    a = create(service, {"name": "USA", "criteria": 'country = "USA"', "object_type": "contacts"})
    b = create(service, {"name": "VIP and USA", "criteria": f'is_vip and in segment "{a["slug"]}"',
                         "object_type": "contacts"})
    seeds = service.get("/v1/export", headers=auth(service)).json()
    assert [s["object_type"] for s in seeds] == ["segments", "segments"]
    other = service.post("/v1/import", json=seeds, headers=auth(service, "other"))
    assert other.status_code == 200, other.text
    copies = {s["slug"]: s for s in other.json()["data"]}
    assert copies[a["slug"]]["member_count"] == a["member_count"]
    assert copies[b["slug"]]["member_count"] == b["member_count"]
    broken = seeds + [{"object_type": "segments", "data": {"title": "bad", "slug": "bad", "object_type": "contacts",
                                                           "criteria": "contry = 1"}}]
    assert_error(service.post("/v1/import", json=broken, headers=auth(service, "other")), 422)
    assert len(service.get("/v1/segments", headers=auth(service, "other")).json()["data"]) == 2  # all or nothing


ENDPOINTS = [
    ("GET", "/v1/segments/{id}", None), ("PATCH", "/v1/segments/{id}", {"description": "x"}),
    ("DELETE", "/v1/segments/{id}", None), ("POST", "/v1/segments/{id}/refresh", None),
    ("GET", "/v1/segments/{id}/members", None), ("POST", "/v1/segments/{id}/members", {"keys": [1]}),
    ("DELETE", "/v1/segments/{id}/members", {"keys": [1]}), ("GET", "/v1/segments/{id}/history", None),
    ("GET", "/v1/segments/{id}/explain", None), ("POST", "/v1/segments/counts", {"ids": ["{id}"]}),
    ("GET", "/v1/segments/{id}/why?key=1", None),
]


@pytest.mark.parametrize("method, path, body", ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
@pytest.mark.parametrize("by", ["id", "slug"])
def test_a_key_never_reaches_another_organization(service, method, path, body, by):
    mine = create(service, {"name": "Acme only", "is_dynamic": False, "object_type": "contacts"})
    ref = mine[by]
    payload = json.loads(json.dumps(body).replace("{id}", ref)) if body else None
    r = service.request(method, path.replace("{id}", ref), json=payload, headers=auth(service, "other"))
    assert_error(r, 404, "E0801")
    assert service.get(f"/v1/segments/{mine['id']}", headers=auth(service)).status_code == 200


def test_other_organizations_are_invisible_in_list_export_and_references(service):
    mine = create(service, {"name": "Acme only", "criteria": "is_vip", "object_type": "contacts"})
    assert service.get("/v1/segments", headers=auth(service, "other")).json()["data"] == []
    assert service.get("/v1/export", headers=auth(service, "other")).json() == []
    err = assert_error(service.post("/v1/segments", json={"name": "steal", "object_type": "contacts",
                                                          "criteria": f'in segment "{mine["slug"]}"'},
                                    headers=auth(service, "other")), 422)
    assert mine["slug"] in err["message"]
    same_slug = create(service, {"name": "Acme only", "criteria": "is_vip", "object_type": "contacts"}, who="other")
    assert same_slug["slug"] == mine["slug"] and same_slug["id"] != mine["id"]


def test_openapi_documents_every_endpoint(service):
    spec = service.get("/openapi.json").json()
    paths = spec["paths"]
    for method, path in [("post", "/v1/segments"), ("get", "/v1/segments"), ("get", "/v1/segments/{segment_id}"),
                         ("patch", "/v1/segments/{segment_id}"), ("delete", "/v1/segments/{segment_id}"),
                         ("post", "/v1/segments/{segment_id}/refresh"), ("post", "/v1/segments/counts"),
                         ("get", "/v1/segments/{segment_id}/members"), ("post", "/v1/segments/{segment_id}/members"),
                         ("delete", "/v1/segments/{segment_id}/members"),
                         ("get", "/v1/segments/{segment_id}/history"), ("get", "/v1/segments/{segment_id}/explain"),
                         ("get", "/v1/segments/{segment_id}/why"), ("post", "/v1/why"), ("post", "/v1/compile"), ("post", "/v1/validate"), ("get", "/v1/export"),
                         ("post", "/v1/import"), ("get", "/healthz")]:
        assert method in paths[path], (method, path)
    assert service.get("/docs").status_code == 200


def test_scheduler_refreshes_what_is_due_and_only_that(tmp_path):
    from segql.ops.service.scheduler import Scheduler, parse_period

    assert parse_period("15m") == 900 and parse_period("2h") == 7200 and parse_period("30") == 30
    for bad in ("", "0s", "fast", "-5m"):
        with pytest.raises(segql.SegqlError):
            parse_period(bad)
    segments = segql.open_store(f"sqlite:///{tmp_path / 'store.db'}", schema=str(EXAMPLES / "schema.yml"))
    a = segments.create(name="A", criteria="is_vip", object_type="contacts", organization="o1")
    b = segments.create(name="B", criteria="opens > 3", object_type="contacts", organization="o2")
    segments.create(name="S", is_dynamic=False, object_type="contacts", organization="o1")
    tick = Scheduler(segments, every=3600).tick
    assert tick() == 2  # both dynamic segments, of both organizations, never refreshed: due
    assert segments.get(a.id, organization="o1").member_count is not None
    assert segments.get(b.id, organization="o2").member_count is not None
    assert tick() == 0  # refreshed a moment ago: not due within the hour
    assert len(segments.history(a.id, organization="o1")) == 1
    segments.close()


def test_segql_playground_serves_the_page_with_a_key_made_for_it(tmp_path):
    import socket
    import subprocess
    import sys
    import time

    import httpx

    from conftest import ROOT

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "segql", "playground", "--no-open", "--port", str(port),
                             "--schema", str(EXAMPLES / "schema.yml"), "--store", f"sqlite:///{tmp_path / 's.db'}"],
                            cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        key = None
        for _ in range(50):
            line = proc.stderr.readline()
            if "API key" in line:
                key = line.split(":", 1)[1].strip()
                break
        assert key and key.startswith("sk_")
        for _ in range(100):
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert page.status_code == 200 and "segql playground" in page.text
        me = httpx.get(f"http://127.0.0.1:{port}/v1/whoami", headers={"Authorization": f"Bearer {key}"}).json()
        assert me == {"organization": "playground", "scopes": ["read:segments", "write:segments"]}
        assert httpx.get(f"http://127.0.0.1:{port}/static/vendor/codemirror/codemirror.js").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_reference_to_a_static_segment_is_422_not_500(service):
    """It was a 500 (the refresh after create crashed lowering `in segment` of a static segment) and the
    segment stayed stored; found by tests/test_store_stateful.py."""
    r = service.post("/v1/segments", json={"name": "Beta", "is_dynamic": False, "object_type": "contacts"},
                     headers=auth(service))
    assert r.status_code == 201, r.text
    r = service.post("/v1/segments", json={"name": "Uses beta", "object_type": "contacts",
                                           "criteria": 'in segment "beta"'}, headers=auth(service))
    assert_error(r, 422, "E0313")
    assert [s["slug"] for s in service.get("/v1/segments", headers=auth(service)).json()["data"]] == ["beta"]


def test_a_cursor_of_another_sort_or_a_forged_one_is_400_not_500(service):
    """A cursor from sort=-member_count reused with sort=name compared text with a number: a 500 TypeError.
    Now any cursor that is not the one given for this sort is 400 E0906."""
    import base64

    for n in "abc":
        body = {"name": n, "criteria": 'country = "USA"', "object_type": "contacts"}
        assert service.post("/v1/segments", json=body, headers=auth(service)).status_code == 201
    first = service.get("/v1/segments", params={"sort": "-member_count", "limit": 1}, headers=auth(service)).json()
    assert first["next_cursor"]
    for sort in ("name", "-updated_at", "slug"):
        r = service.get("/v1/segments", params={"sort": sort, "limit": 1, "cursor": first["next_cursor"]},
                        headers=auth(service))
        assert_error(r, 400, "E0906")
    for forged in ([1.5, "x", "y"], ["a", 1, 2], ["a", "b"], [True, "x", "y"]):
        cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
        for sort in ("name", "member_count"):
            r = service.get("/v1/segments", params={"sort": sort, "cursor": cursor}, headers=auth(service))
            assert_error(r, 400, "E0906")
    # the cursor given for a sort still pages it, whole
    seen, params = [], {"sort": "name", "limit": 1}
    while True:
        page = service.get("/v1/segments", params=params, headers=auth(service)).json()
        seen += [s["name"] for s in page["data"]]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == ["a", "b", "c"]


def test_number_columns_are_json_numbers_whatever_the_warehouse_type(tmp_path):
    """A `number` property read from a NUMERIC column is a JSON number with its digits, as a DOUBLE's is a
    number (pydantic wrote the Decimal as a string); a double NaN is null, a uuid its text."""
    import duckdb

    from segql.ops.service.app import create_app
    from segql.ops.store import open_store
    from segql.ops.store.keys import KeyStore

    (tmp_path / "schema.yml").write_text("entities:\n  things:\n    table: things\n    key: id\n"
                                         "    properties: {id: integer, amount: number, ratio: number, ext: string}\n")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE TABLE things (id INTEGER, amount DECIMAL(38, 20), ratio DOUBLE, ext UUID)")
    con.execute("INSERT INTO things VALUES (1, 12345678901234567.89, 'nan', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')")
    con.close()
    store = open_store(f"sqlite:///{tmp_path / 's.db'}", schema=str(tmp_path / "schema.yml"),
                       db=f"duckdb:///{tmp_path / 'w.duckdb'}")
    raw, _ = KeyStore(store).create("t", ["read:segments", "write:segments"])
    client = TestClient(create_app(store))
    h = {"Authorization": f"Bearer {raw}"}
    r = client.post("/v1/preview", headers=h, json={"criteria": "amount > 0", "object_type": "things",
                                                   "columns": ["amount", "ratio", "ext"]})
    assert r.status_code == 200, r.text
    seg = client.post("/v1/segments", headers=h, json={"name": "a", "criteria": "amount > 0",
                                                        "object_type": "things"}).json()
    assert client.post(f"/v1/segments/{seg['id']}/refresh", headers=h).status_code == 200
    m = client.get(f"/v1/segments/{seg['id']}/members?columns=amount,ratio,ext", headers=h)
    for answer in (r, m):
        [row] = json.loads(answer.text, parse_float=str)["data"]
        assert row == {"id": 1, "amount": "12345678901234567.89000000000000000000", "ratio": None,
                       "ext": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}, answer.text  # parse_float=str: the digits
        assert '"amount": 12345678901234567.89000000000000000000' in answer.text  # a number, not a string
