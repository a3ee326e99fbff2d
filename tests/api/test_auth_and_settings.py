"""API keys (hashes only, compared in constant time), open health endpoints, settings from the environment."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kaohe.api.examples import EXAMPLE_TEACHER
from kaohe.api.keys import KeyChecker, hash_key, load_key_file, main as keys_main, new_key, parse_hash
from kaohe.api.server import resolve_settings
from kaohe.api.settings import ConfigError, Settings

KEY = new_key()
OTHER = new_key()
BODY = {"ruleset": "guangdong", "as_of": "2022-12-31", "detail": "compact", "teacher": EXAMPLE_TEACHER}


@pytest.fixture()
def keyed(app_factory):
    with TestClient(app_factory(allow_anonymous=False, api_key_hashes=(hash_key(KEY),), api_key_names=("county",))) as client:
        yield client


def test_without_a_key_v1_is_refused_with_a_challenge(keyed):
    response = keyed.post("/v1/evaluations/teacher", json=BODY)
    assert response.status_code == 401 and response.json()["code"] == "auth.required"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert keyed.get("/v1/rulesets").status_code == 401


def test_a_wrong_key_is_refused_and_counted(keyed):
    response = keyed.post("/v1/evaluations/teacher", json=BODY, headers={"Authorization": f"Bearer {OTHER}"})
    assert response.status_code == 401 and response.json()["code"] == "auth.invalid"
    assert "kaohe_auth_failures_total 1.0" in keyed.get("/metrics").text


@pytest.mark.parametrize("headers", [{"Authorization": f"Bearer {KEY}"}, {"X-API-Key": KEY}, {"authorization": f"bearer {KEY}"}])
def test_a_known_key_is_accepted_either_way(keyed, headers):
    assert keyed.post("/v1/evaluations/teacher", json=BODY, headers=headers).status_code == 200


def test_health_readiness_docs_and_metrics_are_open(keyed):
    assert keyed.get("/healthz").json() == {"status": "ok"}
    ready = keyed.get("/readyz").json()
    assert ready["status"] == "ready" and "guangdong" in ready["rulesets"]
    assert keyed.get("/metrics").status_code == 200
    assert keyed.get("/docs").status_code == 200 and keyed.get("/openapi.json").status_code == 200


def test_metrics_can_require_a_key(app_factory):
    settings = dict(allow_anonymous=False, api_key_hashes=(hash_key(KEY),), metrics_public=False)
    with TestClient(app_factory(**settings)) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"X-API-Key": KEY}).status_code == 200


def test_no_keys_and_no_anonymous_access_refuses_everything(app_factory):
    with TestClient(app_factory(allow_anonymous=False)) as client:
        assert client.post("/v1/evaluations/teacher", json=BODY).status_code == 401
        assert client.post("/v1/evaluations/teacher", json=BODY, headers={"X-API-Key": "anything"}).status_code == 401
        assert client.get("/healthz").status_code == 200


def test_readiness_is_503_until_the_rulesets_are_loaded(app_factory):
    from kaohe.api.app import create_app

    app = create_app(Settings(allow_anonymous=True))
    client = TestClient(app)  # no `with`: the lifespan (which loads the rulesets) has not run
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["status"] == "not_ready"
    assert client.post("/v1/evaluations/teacher", json=BODY).json()["code"] == "service.not_ready"


def test_key_checker_names_the_key_and_only_the_key():
    checker = KeyChecker((hash_key(KEY), hash_key(OTHER)), ("a", "b"))
    assert checker.identify(KEY) == "a" and checker.identify(OTHER) == "b"
    assert checker.identify(KEY[:-1]) is None and checker.identify("") is None and checker.identify(None) is None
    assert not KeyChecker(())


def test_keys_file_holds_hashes_only(tmp_path):
    good = tmp_path / "keys"
    good.write_text(f"# kaohe keys\n{hash_key(KEY)}  county 440802\n\n{hash_key(OTHER)[7:].upper()}\n", encoding="utf-8")
    hashes, names = load_key_file(good)
    assert hashes == (hash_key(KEY), hash_key(OTHER)) and names == ("county 440802", "keys:4")
    plain = tmp_path / "plain"
    plain.write_text(f"{KEY}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="plain:1: not a sha256 hash"):
        load_key_file(plain)
    assert parse_hash("sha256:" + "0" * 63) is None


def test_keys_tool_prints_a_hash_line_and_no_key_on_stdout(capsys):
    assert keys_main(["new", "county"]) == 0
    out, err = capsys.readouterr()
    key = err.split(": ")[-1].strip()
    assert out.strip() == f"{hash_key(key)}  county" and key not in out


def test_settings_from_the_environment(tmp_path, monkeypatch):
    keys = tmp_path / "keys"
    keys.write_text(hash_key(KEY) + "\n", encoding="utf-8")
    env = {"KAOHE_API_KEYS_FILE": str(keys), "KAOHE_API_KEY_HASHES": hash_key(OTHER), "KAOHE_RULESETS": "/a:/b",
           "KAOHE_PLUGINS": "x.y, z", "KAOHE_API_MAX_BODY_BYTES": "1234", "KAOHE_API_NO_AUTH": "0",
           "KAOHE_API_TIMEZONE": "UTC", "KAOHE_API_HEADER_TIMEOUT_SECONDS": "2.5"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    assert set(settings.api_key_hashes) == {hash_key(KEY), hash_key(OTHER)}
    assert settings.ruleset_paths == ("/a", "/b") and settings.plugin_modules == ("x.y", "z")
    assert (settings.max_body_bytes, settings.allow_anonymous, settings.timezone) == (1234, False, "UTC")
    assert settings.header_timeout_seconds == 2.5
    assert Settings.from_env(max_body_bytes=99).max_body_bytes == 99  # arguments win over the environment
    # the workers rebuild the settings from JSON: the keys file's keys are not added twice
    assert Settings.model_validate_json(settings.model_dump_json()).api_key_hashes == settings.api_key_hashes
    monkeypatch.setenv("KAOHE_API_KEY_HASHES", KEY)
    with pytest.raises(ConfigError, match="KAOHE_API_KEY_HASHES"):
        Settings.from_env()
    monkeypatch.setenv("KAOHE_API_KEY_HASHES", hash_key(OTHER))
    monkeypatch.setenv("KAOHE_API_MAX_BODY_BYTES", "10MB")
    with pytest.raises(ConfigError, match="KAOHE_API_MAX_BODY_BYTES"):
        Settings.from_env()


def test_a_server_needs_keys_or_an_explicit_no_auth_on_loopback(tmp_path):
    empty = Settings()
    for host in ("127.0.0.1", "::1", "0.0.0.0", "10.1.2.3"):
        with pytest.raises(ConfigError, match="no API keys"):
            resolve_settings(host, settings=empty)
    assert resolve_settings("127.0.0.1", settings=empty, no_auth=True).allow_anonymous is True
    assert resolve_settings("::1", settings=empty, no_auth=True).allow_anonymous is True
    with pytest.raises(ConfigError, match="refused on 0.0.0.0"):
        resolve_settings("0.0.0.0", settings=empty, no_auth=True)
    keys = tmp_path / "keys"
    keys.write_text(hash_key(KEY) + "\n", encoding="utf-8")
    keyed = resolve_settings("0.0.0.0", keys_file=str(keys), settings=empty)
    assert keyed.api_key_hashes == (hash_key(KEY),) and keyed.auth_enabled and not keyed.allow_anonymous


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_an_empty_keys_file_is_a_start_up_error(tmp_path, text):
    keys = tmp_path / "keys"
    keys.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="holds no key"):
        load_key_file(keys)
    with pytest.raises(ConfigError, match="holds no key"):
        resolve_settings("127.0.0.1", keys_file=str(keys), settings=Settings())


def test_readiness_is_503_while_a_configured_ruleset_failed_to_load(app_factory, tmp_path, api_loaded):
    from kaohe.api.app import create_app
    from kaohe.plugins.manager import build_registry

    broken = tmp_path / "broken.yaml"
    broken.write_text("kaohe: 1\nid: broken\nversion: '1'\nparameters: [\n", encoding="utf-8")
    app = create_app(Settings(allow_anonymous=True), loaded=build_registry((str(broken),)))
    with TestClient(app) as client:
        response = client.get("/readyz")
        assert response.status_code == 503, response.text
        assert response.json()["status"] == "not_ready" and response.json()["problems"]
        assert str(tmp_path) not in response.text and "broken.yaml" in response.text  # no server paths
    with TestClient(app_factory()) as client:
        assert client.get("/readyz").status_code == 200
