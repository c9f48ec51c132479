"""The service under faults (SPEC §6.2): the warehouse going away mid-session gives 503 with a clear
message and the service recovers when it returns; SIGTERM lets an in-flight request finish."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlparse, urlunparse

import pytest

pytest.importorskip("fastapi", reason="the service extra is not installed: pip install 'segql[service]'")
import httpx  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

import segql  # noqa: E402
from conftest import EXAMPLES, ROOT  # noqa: E402
from conftest_engines import engine_url  # noqa: E402
from segql.ops.service.app import create_app  # noqa: E402
from segql.ops.store.keys import KeyStore  # noqa: E402


class Proxy:
    """A TCP forwarder on 127.0.0.1 that can be cut (every connection closed, new ones refused) and
    restored on the same port: the warehouse going away and coming back."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.server = None

    def start(self):
        self.server = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self.server.settimeout(0.2)
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        server = self.server
        while self.running:
            try:
                client, _ = server.accept()
            except (socket.timeout, OSError):
                continue
            upstream = socket.create_connection(self.target)
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self):
        self.running = False
        self.server.close()
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
                c.close()
            except OSError:
                pass
        self.conns.clear()
        time.sleep(0.3)


def test_warehouse_away_is_503_and_the_service_recovers(tmp_path):
    from test_operations import drop_postgres_schema, load_demo, postgres_url_in_schema

    from segql.engines import connect

    base = postgres_url_in_schema("segql_service_faults")
    engine = connect(base)
    load_demo(engine)
    engine.close()
    parsed = urlparse(base)
    proxy = Proxy(parsed.hostname or "127.0.0.1", parsed.port or 5432)
    proxy.start()
    via_proxy = urlunparse(parsed._replace(netloc=f"{parsed.username or 'postgres'}@127.0.0.1:{proxy.port}"))
    store = f"sqlite:///{tmp_path / 'store.db'}"
    segments = segql.open_store(store, schema=str(EXAMPLES / "schema.yml"), db=via_proxy)
    raw, _ = KeyStore.open(store).create("org", ["read:segments", "write:segments"])
    client = TestClient(create_app(segments), raise_server_exceptions=False)
    headers = {"Authorization": f"Bearer {raw}"}
    try:
        made = client.post("/v1/segments", headers=headers,
                           json={"name": "USA", "criteria": 'country = "USA"', "object_type": "contacts"})
        assert made.status_code == 201, made.text
        live = client.post("/v1/segments/counts", headers=headers, json={"ids": ["usa"]})
        assert live.json()["data"][0]["member_count"] == made.json()["member_count"] > 0

        proxy.cut()
        for method, path, body in [("POST", "/v1/segments/counts", {"ids": ["usa"]}),
                                   ("POST", "/v1/segments/usa/refresh", None),
                                   ("GET", "/v1/segments/usa/explain", None)]:
            r = client.request(method, path, headers=headers, json=body)
            assert r.status_code == 503, (path, r.text)
            err = r.json()["error"]
            assert err["code"] == "E0602" and "connect" in err["message"], err
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["warehouse"] != "ok"
        assert client.get("/v1/segments/usa", headers=headers).status_code == 200  # the store still answers

        proxy.start()
        again = client.post("/v1/segments/counts", headers=headers, json={"ids": ["usa"]})
        assert again.status_code == 200 and again.json()["data"][0]["member_count"] == made.json()["member_count"]
        assert client.get("/healthz").status_code == 200
    finally:
        proxy.cut()
        segments.close()
        drop_postgres_schema("segql_service_faults")


def test_sigterm_finishes_the_request_in_flight(tmp_path):
    store = f"sqlite:///{tmp_path / 'store.db'}"
    raw, _ = KeyStore.open(store).create("org", ["read:segments", "write:segments"])
    headers = {"Authorization": f"Bearer {raw}"}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    server = subprocess.Popen([sys.executable, "-m", "segql", "serve", "--schema", str(EXAMPLES / "schema.yml"),
                               "--store", store, "--port", str(port)], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("segql serve did not start: " + server.stderr.read())
        made = httpx.post(base + "/v1/segments", headers=headers, timeout=30,
                          json={"name": "VIP", "criteria": "is_vip", "object_type": "contacts"})
        assert made.status_code == 201, made.text
        os.kill(server.pid, signal.SIGTERM)  # while nothing is in flight: a clean exit
        assert server.wait(timeout=30) in (0, -signal.SIGTERM)  # uvicorn re-raises SIGTERM after a graceful stop
    finally:
        if server.poll() is None:
            server.kill()

    # now with a refresh in flight (the test hook sleeps inside its transaction)
    env["SEGQL_TEST_SLEEP_IN_REFRESH"] = "2"
    server = subprocess.Popen([sys.executable, "-m", "segql", "serve", "--schema", str(EXAMPLES / "schema.yml"),
                               "--store", store, "--port", str(port)], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(200):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        result = {}

        def refresh():
            result["response"] = httpx.post(base + "/v1/segments/vip/refresh", headers=headers, timeout=60)

        worker = threading.Thread(target=refresh)
        worker.start()
        for _ in range(100):  # wait until the refresh is inside its transaction
            line = server.stderr.readline()
            if "sleeping" in line:
                break
        os.kill(server.pid, signal.SIGTERM)
        worker.join(timeout=60)
        assert result["response"].status_code == 200, result["response"].text
        assert result["response"].json()["member_count"] == made.json()["member_count"]
        assert server.wait(timeout=30) in (0, -signal.SIGTERM)  # uvicorn re-raises SIGTERM after a graceful stop
        with pytest.raises(httpx.TransportError):
            httpx.get(base + "/healthz", timeout=2)
    finally:
        if server.poll() is None:
            server.kill()
