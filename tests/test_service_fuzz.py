"""Nothing a client sends yields a 500 (SPEC §6.2): schemathesis generates requests from /openapi.json for
every endpoint (valid and invalid ones), plus a junk-body fuzz of every endpoint that takes a body.
Examples per endpoint: SEGQL_FUZZ_HTTP_EXAMPLES (default 15 in CI; raise it for a long run)."""
from __future__ import annotations

import os

import pytest

pytest.importorskip("schemathesis", reason="schemathesis is not installed: pip install 'segql[test]'")
pytest.importorskip("fastapi", reason="the service extra is not installed: pip install 'segql[service]'")
import schemathesis  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import segql  # noqa: E402
from conftest import EXAMPLES  # noqa: E402
from segql.ops.service.app import create_app  # noqa: E402
from segql.ops.store.keys import KeyStore  # noqa: E402

EXAMPLES_PER_ENDPOINT = int(os.environ.get("SEGQL_FUZZ_HTTP_EXAMPLES", "15"))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'store.db'}"
    segments = segql.open_store(url, schema=str(EXAMPLES / "schema.yml"))
    keys = KeyStore.open(url)
    raw, _ = keys.create("org_fuzz", ["read:segments", "write:segments"])
    keys.close()
    app = create_app(segments)
    client = TestClient(app, raise_server_exceptions=False)
    headers = {"Authorization": f"Bearer {raw}"}
    for criteria in ('country = "USA"', "is_vip"):  # something to find, count and page
        client.post("/v1/segments", json={"name": criteria, "criteria": criteria, "object_type": "contacts"},
                    headers=headers)
    yield app, client, headers
    segments.close()


def operations(app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_every_endpoint_is_fuzzed(served):
    labels = {f"{op.method.upper()} {op.path}" for op in operations(served[0])}
    assert {"POST /v1/segments", "GET /v1/segments/{segment_id}/members", "POST /v1/import", "GET /healthz"} <= labels
    assert len(labels) >= 20


def test_no_request_yields_a_500(served):
    """For every operation in /openapi.json: generated requests (schemathesis) with a valid key."""
    app, _client, headers = served
    failures = []
    for op in operations(app):
        @settings(max_examples=EXAMPLES_PER_ENDPOINT, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        @given(case=op.as_strategy())
        def check(case):
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.formatted_path, case.body, response.text)
            if response.status_code >= 400:
                body = response.json()
                assert "error" in body and body["error"]["code"].startswith("E"), body

        try:
            check()
        except AssertionError as err:
            failures.append(f"{op.method.upper()} {op.path}: {err}")
    assert failures == []


BODY_ENDPOINTS = [("POST", "/v1/segments"), ("PATCH", "/v1/segments/country-usa"), ("POST", "/v1/segments/counts"),
                  ("POST", "/v1/compile"), ("POST", "/v1/validate"), ("POST", "/v1/import"),
                  ("POST", "/v1/segments/is-vip/members"), ("DELETE", "/v1/segments/is-vip/members")]
JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                           st.sampled_from(["name", "criteria", "conditions", "object_type", "type", "ids", "keys",
                                            "$and", "$or", "country", "dialect", "is_dynamic", "query", "data"])
                           | st.text(max_size=8), inner, max_size=4), max_leaves=12)


@pytest.mark.parametrize("method, path", BODY_ENDPOINTS)
def test_junk_bodies_never_yield_a_500(served, method, path):
    _, client, headers = served

    @settings(max_examples=EXAMPLES_PER_ENDPOINT * 2, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=st.binary(max_size=200) | JSONISH.map(lambda v: __import__("json").dumps(v).encode()))
    def run(body):
        r = client.request(method, path, content=body, headers={**headers, "Content-Type": "application/json"})
        assert r.status_code < 500, (body, r.text)

    run()
