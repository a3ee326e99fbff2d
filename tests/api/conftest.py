"""Fixtures of the API tests: one registry for the session, apps built on it, a real uvicorn server
on a loopback port in a background thread."""

from __future__ import annotations

import datetime as dt
import json
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples"))
AS_OF = dt.date(2022, 12, 31)
DATASET = ROOT / "examples" / "guangdong" / "dataset.json"


@pytest.fixture(scope="session")
def api_loaded(loaded):
    """The session's registry (tests/conftest.py), as the API serves it."""
    return loaded


@pytest.fixture(scope="session")
def api_registry(registry):
    return registry


@pytest.fixture(scope="session")
def gd_dataset() -> dict:
    return json.loads(DATASET.read_text(encoding="utf-8"))


def make_app(loaded, **settings):
    from kaohe.api.app import create_app
    from kaohe.api.settings import Settings

    settings.setdefault("allow_anonymous", True)
    return create_app(Settings(**settings), loaded=loaded)


@pytest.fixture(scope="session")
def app_factory(api_loaded):
    """make(**settings) → an app on the session's registry (anonymous access unless told otherwise)."""
    return lambda **settings: make_app(api_loaded, **settings)


@pytest.fixture(scope="session")
def live_server_factory():
    return LiveServer


@pytest.fixture()
def app(api_loaded):
    return make_app(api_loaded)


@pytest.fixture()
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


class LiveServer:
    """uvicorn serving `app` on 127.0.0.1 (a port the OS picks), in a daemon thread."""

    def __init__(self, app):
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(15)
        self.sock.close()


@pytest.fixture(scope="module")
def live_server(api_loaded):
    with LiveServer(make_app(api_loaded)) as server:
        yield server


@pytest.fixture(scope="session")
def free_port():
    def pick() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    return pick
