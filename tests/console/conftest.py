"""Fixtures of the console tests: a real `kaohe serve` on a loopback port with an API key, and
Debian's chromium driven by Playwright, every request it makes recorded and any to another host
refused. Screenshots go to out/console/ (not committed).

The browser is `KAOHE_TEST_BROWSER` if set (it must then exist: .ci/run sets it from `.ci/browser`), else
/usr/bin/chromium; without either, the browser tests are skipped and say why (and fail under CI=true).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kaohe.api.keys import hash_key, new_key
from live_server import running_server

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "out" / "console"
DATASET = ROOT / "examples" / "guangdong" / "dataset.json"
AS_OF = "2022-12-31"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def browser_path() -> str | None:
    chosen = os.environ.get("KAOHE_TEST_BROWSER")
    if chosen:
        if not Path(chosen).exists():
            pytest.fail(f"KAOHE_TEST_BROWSER={chosen} does not exist (run .ci/browser)")
        return chosen
    for candidate in ("/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kaohe_command() -> list[str]:
    """The installed `kaohe` command of this environment (the one the README tells people to run)."""
    script = Path(sys.executable).with_name("kaohe")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from kaohe.cli import main; sys.exit(main())"]


@pytest.fixture(scope="session")
def console_keys() -> dict:
    """Two keys: one that may also read decision records, and one that may only evaluate."""
    return {"reader": new_key(), "evaluator": new_key()}


@pytest.fixture(scope="session")
def served(tmp_path_factory, console_keys):
    """`kaohe serve` with a keys file, on 127.0.0.1: (base URL, the key that may read decisions)."""
    key = console_keys["reader"]
    keys = tmp_path_factory.mktemp("console-keys") / "keys"
    keys.write_text(f"{hash_key(key)}  console-reader scopes=evaluate,decisions:read\n"
                    f"{hash_key(console_keys['evaluator'])}  console-evaluator\n", encoding="utf-8")
    port = free_port()
    env = dict(os.environ)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    # the console's server records decisions (the decisions page reads them), in a database of this session
    env["KAOHE_RECORD"] = "1"
    env["KAOHE_DATABASE_URL"] = f"sqlite:///{tmp_path_factory.mktemp('console-db') / 'decisions.db'}"
    log = tmp_path_factory.mktemp("console-log") / "serve.log"
    argv = kaohe_command() + ["serve", "--host", "127.0.0.1", "--port", str(port), "--keys-file", str(keys),
                              "--log-level", "warning"]
    with open(log, "wb") as out, running_server(argv, port, env=env, stdout=out, stderr=subprocess.STDOUT,
                                                output=lambda p: log.read_text(errors="replace")) as url:
        yield url, key


@pytest.fixture(scope="session")
def browser():
    path = browser_path()
    if path is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("no chromium under CI: eval \"$(.ci/browser)\" exports KAOHE_TEST_BROWSER")
        pytest.skip("no chromium: install Debian's chromium (.ci/browser) or set KAOHE_TEST_BROWSER")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path)
        yield launched
        launched.close()


class Traffic:
    """Every URL the browser asked for; those to another host are refused and kept apart."""

    def __init__(self):
        self.local: list[str] = []
        self.external: list[str] = []

    def route(self, route):
        url = route.request.url
        scheme, host = urlsplit(url).scheme, urlsplit(url).hostname or ""
        if scheme in ("http", "https", "ws", "wss") and host not in LOCAL_HOSTS:
            self.external.append(url)
            route.abort()
            return
        self.local.append(url)
        route.continue_()


@pytest.fixture()
def traffic():
    return Traffic()


@pytest.fixture()
def make_context(browser, traffic):
    """make(**options) → a browser context whose every request goes through `traffic`."""
    made = []

    def make(**options):
        options.setdefault("locale", "zh-CN")
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(**options)
        context.route("**/*", traffic.route)
        context.set_default_timeout(30_000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture()
def signed_in(make_context, served, traffic):
    """A page of a browser that has entered the key once (through the sign-in form)."""
    url, key = served
    context = make_context()
    page = context.new_page()
    page.goto(url + "/console/")
    page.get_by_label("API 密钥").fill(key)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(url + "/console/")
    yield page
    assert traffic.external == [], f"pages asked for non-local URLs: {traffic.external}"


@pytest.fixture(scope="session")
def screenshot():
    """screenshot(page, name): the whole page as out/console/<name>.png, an artefact of the run."""
    def shoot(page, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shoot
