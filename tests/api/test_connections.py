"""Connections and processes: trickling clients are cut off, a killed server leaves no compiling child."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest

from kaohe.api.settings import ConfigError, Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def bounded_server(app_factory):
    """A real uvicorn on 127.0.0.1 with kaohe's protocol and read limits of half a second."""
    import uvicorn

    from kaohe.api import protocol
    from kaohe.api.server import uvicorn_options

    settings = Settings(allow_anonymous=True, header_timeout_seconds=0.5, body_idle_timeout_seconds=0.5,
                        body_timeout_seconds=1.0)
    saved = dict(protocol.LIMITS)
    protocol.configure(settings)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    options = uvicorn_options(settings)
    assert options["http"] is protocol.BoundedHttpToolsProtocol
    server = uvicorn.Server(uvicorn.Config(app_factory(header_timeout_seconds=0.5, body_idle_timeout_seconds=0.5,
                                                       body_timeout_seconds=1.0),
                                           log_level="warning", lifespan="on", **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield sock.getsockname()
    server.should_exit = True
    thread.join(10)
    sock.close()
    protocol.LIMITS.update(saved)


def _closed_within(conn: socket.socket, seconds: float, trickle: bytes = b"") -> bool:
    """Whether the server closes `conn` within `seconds`, while we send `trickle` a byte every 0.1 s."""
    conn.settimeout(0.1)
    deadline = time.time() + seconds
    sent = 0
    while time.time() < deadline:
        try:
            if conn.recv(65536) == b"":
                return True
        except socket.timeout:
            pass
        except (ConnectionResetError, BrokenPipeError):
            return True
        if sent < len(trickle):
            try:
                conn.send(trickle[sent:sent + 1])
            except (ConnectionResetError, BrokenPipeError):
                return True
            sent += 1
    return False


def test_trickling_headers_and_bodies_are_cut_off(bounded_server):
    headers = b"POST /v1/evaluations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + b"X-Slow: a\r\n" * 200
    body_start = (b"POST /v1/evaluations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100000\r\n\r\n{\"ruleset\": ")
    slow_headers = [socket.create_connection(bounded_server) for _ in range(20)]
    stalled_bodies = [socket.create_connection(bounded_server) for _ in range(20)]
    for conn in stalled_bodies:
        conn.sendall(body_start)
    silent = socket.create_connection(bounded_server)  # connects and sends nothing at all
    try:
        assert all(_closed_within(c, 5, trickle=headers) for c in slow_headers)
        assert all(_closed_within(c, 5) for c in stalled_bodies)
        assert _closed_within(silent, 5)
        # and the server still answers whoever sends a request at a normal pace
        response = httpx.get(f"http://{bounded_server[0]}:{bounded_server[1]}/healthz", timeout=5)
        assert response.status_code == 200
    finally:
        for conn in slow_headers + stalled_bodies + [silent]:
            conn.close()


def test_a_body_trickled_byte_by_byte_must_be_whole_in_time(bounded_server):
    """Each byte comes in time for the idle limit, but the JSON body never ends: 408 after body_timeout."""
    conn = socket.create_connection(bounded_server)
    conn.sendall(b"POST /v1/evaluations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100000\r\n\r\n")
    conn.settimeout(0.2)
    answer = b""
    deadline = time.time() + 6
    while time.time() < deadline and b"\r\n\r\n" not in answer:
        try:
            conn.send(b" ")
            answer += conn.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            break
    conn.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]


def test_serve_passes_connection_limits_and_tls_to_uvicorn():
    from kaohe.api.server import uvicorn_options

    options = uvicorn_options(Settings(limit_concurrency=7, keep_alive_seconds=3), ssl_certfile="cert.pem",
                              ssl_keyfile="key.pem")
    assert (options["limit_concurrency"], options["timeout_keep_alive"]) == (7, 3)
    assert (options["ssl_certfile"], options["ssl_keyfile"]) == ("cert.pem", "key.pem")
    with pytest.raises(ConfigError, match="both"):
        uvicorn_options(Settings(), ssl_certfile="cert.pem")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_killing_the_server_kills_its_compiling_child(free_port):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "kaohe.api.server", "--host", "127.0.0.1", "--port", str(port),
                               "--no-auth", "--log-level", "warning"], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={k: v for k, v in os.environ.items() if not k.startswith("KAOHE_API")})
    try:
        deadline = time.time() + 90
        children: list[psutil.Process] = []
        while time.time() < deadline:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                ready = False
            children = [c for c in psutil.Process(server.pid).children()
                        if "spawn_main" in " ".join(c.cmdline()) and "resource_tracker" not in " ".join(c.cmdline())]
            if ready and children:
                break
            assert server.poll() is None, "the server exited"
            time.sleep(0.3)
        assert children, "the compiling child did not start"
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        gone, alive = psutil.wait_procs(children, timeout=10)
        assert not alive, f"left running: {[p.pid for p in alive]}"
    finally:
        if server.poll() is None:
            server.kill()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a certificate")
def test_serve_speaks_tls_with_the_certificate_it_is_given(app_factory, tmp_path):
    import uvicorn

    from kaohe.api.server import uvicorn_options

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    options = uvicorn_options(Settings(allow_anonymous=True), ssl_certfile=str(cert), ssl_keyfile=str(key))
    server = uvicorn.Server(uvicorn.Config(app_factory(), log_level="warning", lifespan="on", **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.02)
        port = sock.getsockname()[1]
        trusted = ssl.create_default_context(cafile=str(cert))
        assert httpx.get(f"https://127.0.0.1:{port}/healthz", verify=trusted, timeout=10).json() == {"status": "ok"}
        with pytest.raises(httpx.HTTPError):  # plain HTTP is not answered
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
