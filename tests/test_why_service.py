"""`GET /v1/segments/{id}/why?key=` and `POST /v1/why` (docs/service.md): the answer of `segql why` over
HTTP — the same tree as the function, tenant-isolated (another organization's segment is 404), a key of
the wrong type 422, a key no record has 404, a malformed body 400; static segments answer membership."""
from __future__ import annotations

import pytest

pytest.importorskip("fastapi", reason="the service extra is not installed: pip install 'segql[service]'")

from conftest import DEMO_NOW  # noqa: E402
from test_service import service  # noqa: E402,F401 - a fixture: the service with keys of two organizations

from segql import api  # noqa: E402
from segql.ops.run import list_rows  # noqa: E402
from segql.ops.why import why  # noqa: E402


def _auth(client, who="rw"):
    return {"Authorization": f"Bearer {client.keys[who]}"}


def test_http_why_equals_the_cli_answer(service, schema, demo_engine):
    text = 'any deals (value >= $10,000 and stage = "Negotiation") and organization.industry in ("Software", "Fintech")'
    r = service.post("/v1/segments", json={"name": "Big deals", "object_type": "contacts", "criteria": text},
                     headers=_auth(service))
    assert r.status_code == 201, r.text
    seg = r.json()
    item = api.load_segments([f"segment big_deals on contacts where {text}"], schema)[0]
    members = {r[0] for r in list_rows(item.segment, schema, demo_engine, now=DEMO_NOW)}
    assert members and len(members) < 200
    for key in [min(members), max(members), 1, 2, 3]:
        got = service.get(f"/v1/segments/{seg['id']}/why", params={"key": str(key), "now": DEMO_NOW},
                          headers=_auth(service, "ro"))
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["member"] == (key in members) == body["tree"]["value"]
        want = why(item.segment, item.definition, schema, demo_engine, key, now=DEMO_NOW)
        assert body["tree"]["children"][0]["related"] == want["tree"]["children"][0]["related"]
        assert [c["value"] for c in body["tree"]["children"]] == [c["value"] for c in want["tree"]["children"]]
        by_slug = service.get(f"/v1/segments/{seg['slug']}/why", params={"key": key, "now": DEMO_NOW},
                              headers=_auth(service))
        assert by_slug.json() == body
        unsaved = service.post("/v1/why", json={"criteria": text, "object_type": "contacts", "key": key,
                                                "now": DEMO_NOW}, headers=_auth(service, "ro"))
        assert unsaved.status_code == 200, unsaved.text
        assert unsaved.json()["tree"]["children"] == body["tree"]["children"]


def _error(r, status, code):
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code, r.text
    assert "Traceback" not in r.text


def test_http_why_errors_and_tenants(service):
    r = service.post("/v1/segments", json={"name": "VIP", "object_type": "contacts", "criteria": "is_vip"},
                     headers=_auth(service))
    seg = r.json()
    path = f"/v1/segments/{seg['id']}/why"
    _error(service.get(path, params={"key": "1"}, headers=_auth(service, "other")), 404, "E0801")
    _error(service.get(f"/v1/segments/{seg['slug']}/why", params={"key": "1"}, headers=_auth(service, "other")),
           404, "E0801")
    _error(service.get(path, params={"key": "abc"}, headers=_auth(service)), 422, "E0703")
    _error(service.get(path, params={"key": "424242"}, headers=_auth(service)), 404, "E0710")
    _error(service.get(path, headers=_auth(service)), 400, "E0904")  # no key
    _error(service.get(path, params={"key": "1"}), 401, "E0901")
    body = {"criteria": "is_vip", "object_type": "contacts"}
    _error(service.post("/v1/why", json={**body, "key": "abc"}, headers=_auth(service)), 422, "E0703")
    _error(service.post("/v1/why", json={**body, "key": [1]}, headers=_auth(service)), 400, "E0904")
    _error(service.post("/v1/why", json={"criteria": "contry = 1", "object_type": "contacts", "key": 1},
                        headers=_auth(service)), 422, "E0301")
    ok = service.post("/v1/why", json={**body, "key": 1}, headers=_auth(service, "ro"))
    assert ok.status_code == 200 and ok.json()["tree"]["condition"] == "is_vip"


def test_http_why_static_segment(service):
    seg = service.post("/v1/segments", json={"name": "Hand picked", "object_type": "contacts", "is_dynamic": False},
                       headers=_auth(service)).json()
    service.post(f"/v1/segments/{seg['id']}/members", json={"keys": [3]}, headers=_auth(service))
    one = service.get(f"/v1/segments/{seg['id']}/why", params={"key": "3"}, headers=_auth(service)).json()
    other = service.get(f"/v1/segments/{seg['id']}/why", params={"key": "4"}, headers=_auth(service)).json()
    assert (one["member"], other["member"]) == (True, False) and one["kind"] == "list" and "tree" not in one
