"""The sandbox HTTP server: routing, keep-alive, latency, injected faults, stats, the CLI."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from helpers import scout_popen, shared_world

from sandbox.model import SandboxOptions
from sandbox.server import SandboxServer


def world():
    return shared_world(3, 300)


def a_login():
    return next(a.login for a in world().github.values() if a.type == "User")


def test_routes_each_api_and_counts_requests():
    with SandboxServer(world()) as server, httpx.Client(timeout=10) as client:
        health = client.get(server.base_url + "/_sandbox/health").json()
        assert health["status"] == "ok" and health["sample"]["github_login"]
        user = client.get(f"{server.github_url}/users/{a_login()}")
        assert user.status_code == 200 and user.json()["login"] == a_login()
        se = client.get(server.stackexchange_url + "/users/1", params={"site": "stackoverflow"})
        assert se.headers["content-encoding"] == "gzip" and "items" in se.json()
        assert client.get(server.base_url + "/nowhere").status_code == 404
        stats = client.get(server.base_url + "/_sandbox/stats", params={"reset": "1"}).json()
        assert stats["github.requests"] >= 1 and stats["stackexchange.requests"] >= 1
        assert client.get(server.base_url + "/_sandbox/stats").json() == {}


AUTH = {"Authorization": "token sandbox-token"}


def test_keep_alive_and_concurrent_requests():
    with SandboxServer(world()) as server, httpx.Client(timeout=10, headers=AUTH) as client:
        url = f"{server.github_url}/users/{a_login()}"
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda _: client.get(url).status_code, range(64)))
        assert codes == [200] * 64
        # One client, many requests: HTTP/1.1 keeps connections open (no Connection: close).
        assert client.get(url).headers.get("connection", "").lower() != "close"


def test_latency_knob_delays_api_requests():
    with SandboxServer(world(), SandboxOptions(latency_ms=80)) as server, httpx.Client() as c:
        started = time.perf_counter()
        c.get(f"{server.github_url}/users/{a_login()}")
        assert time.perf_counter() - started >= 0.08


def test_fault_rate_injects_5xx_truncated_and_html_and_counts_them():
    options = SandboxOptions(fault_rate=1.0, fault_seed=5)
    kinds = set()
    with (
        SandboxServer(world(), options) as server,
        httpx.Client(timeout=10, headers=AUTH) as client,
    ):
        for _ in range(40):
            r = client.get(f"{server.github_url}/users/{a_login()}")
            if r.status_code >= 500:
                kinds.add(f"http_{r.status_code}")
            elif r.headers["content-type"].startswith("text/html"):
                kinds.add("html")
            else:
                with pytest.raises(json.JSONDecodeError):
                    json.loads(r.content)
                kinds.add("truncated")
        stats = client.get(server.base_url + "/_sandbox/stats").json()
    assert kinds == {"http_502", "http_503", "truncated", "html"}
    assert stats["faults.total"] == 40
    assert "github.requests" not in stats  # a fault never reaches the API, so costs no quota


def test_serve_command_prints_urls_and_serves(tmp_path):
    proc = scout_popen("sandbox", "serve", "--port", "0", "--people", "200", text=True)
    try:
        line = proc.stdout.readline()
        assert "Serving on http://127.0.0.1:" in line, line + proc.stderr.read()
        base = line.rsplit("Serving on ", 1)[1].strip()
        assert httpx.get(base + "/_sandbox/health", timeout=10).json()["people"] == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_client_that_hangs_up_prints_no_traceback(capfd):
    import socket
    import struct
    from urllib.parse import urlsplit

    with SandboxServer(world()) as server:
        where = urlsplit(server.base_url)
        for _ in range(3):
            sock = socket.create_connection((where.hostname, where.port), timeout=5)
            sock.sendall(b"GET /users/x HTTP/1.1\r\nHost: x\r\n")  # headers never finished
            time.sleep(0.05)
            # Close with a reset (linger 0), as a killed crawler's socket does.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        time.sleep(0.3)
        with httpx.Client(timeout=10) as client:  # still serving
            assert client.get(server.base_url + "/rate_limit").status_code < 500
    assert "Traceback" not in capfd.readouterr().err
