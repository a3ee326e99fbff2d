"""The API's settings: one frozen object, built by whoever starts the app and injected from there.

There is no module-level settings object. `create_app(settings)` receives one; the `get_settings`
dependency hands it to the routes, so a test overrides it like any other dependency.
`Settings()` reads the ``KAOHE_*`` environment variables (pydantic-settings; arguments win over the
environment); `Settings.from_env()` does the same and words a bad variable as a start-up error.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from kaohe.engine.errors import ConfigError

from .keys import load_key_file_with_scopes, parse_hash

MIB = 1024 * 1024


def _env(name: str, *other: str) -> AliasChoices:
    """The field by its own name (arguments, the workers' JSON) or by its environment variable."""
    return AliasChoices(name, *other)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="forbid", populate_by_name=True, env_prefix="KAOHE_API_")

    # what the registry is built from (the same sources as the CLI's --rulesets/--plugin)
    ruleset_paths: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), validation_alias=_env("ruleset_paths", "KAOHE_RULESETS"))  # os.pathsep-separated
    plugin_modules: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), validation_alias=_env("plugin_modules", "KAOHE_PLUGINS"))  # comma-separated
    entry_points: bool = True

    # API keys: sha256 hashes only ("sha256:<64 hex>"), each optionally named; KAOHE_API_KEY_HASHES is
    # comma-separated, KAOHE_API_KEYS_FILE names a keys file (keys.py), whose keys are added at once
    api_key_hashes: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), validation_alias=_env("api_key_hashes", "KAOHE_API_KEY_HASHES"))
    api_key_names: tuple[str, ...] = ()
    api_key_scopes: tuple[str, ...] = ()  # per key, comma-separated (keys.py); none given: evaluate only
    keys_file: str | None = Field(default=None, validation_alias=_env("keys_file", "KAOHE_API_KEYS_FILE"))
    # with no keys configured, requests are refused unless this is set (`kaohe serve --no-auth`,
    # loopback only)
    allow_anonymous: bool = Field(default=False, validation_alias=_env("allow_anonymous", "KAOHE_API_NO_AUTH"))
    metrics_public: bool = True

    # request limits (bytes); 0 means no limit
    max_body_bytes: int = Field(default=10 * MIB, ge=0)
    max_stream_bytes: int = Field(default=0, ge=0)
    max_stream_line_bytes: int = Field(default=16 * MIB, ge=1, validation_alias=_env("max_stream_line_bytes",
                                                                                     "KAOHE_API_MAX_LINE_BYTES"))
    max_stream_school_teachers: int = Field(default=20_000, ge=1)
    max_ruleset_bytes: int = Field(default=1 * MIB, ge=1)
    max_simulation_bytes: int = Field(default=10 * MIB, ge=0)

    # connections (passed to uvicorn by `kaohe serve`; see protocol.py): the request line and headers
    # must arrive within header_timeout seconds, and a body may pause at most body_idle_timeout
    # seconds between two pieces; a JSON body must be whole within body_timeout seconds; beyond
    # limit_concurrency open connections a worker answers 503 at once
    header_timeout_seconds: float = Field(default=10.0, gt=0)
    body_idle_timeout_seconds: float = Field(default=30.0, gt=0)
    body_timeout_seconds: float = Field(default=60.0, gt=0)
    limit_concurrency: int = Field(default=1000, ge=1)
    keep_alive_seconds: int = Field(default=5, ge=1)

    # ruleset checks and simulations compile rulesets, which registers rules with durable_rules for
    # the life of the process; they run one at a time in a child process (compile_worker.py) that is
    # replaced once it has compiled `worker_recycle_after` revisions
    lint_timeout_seconds: float = Field(default=20.0, gt=0)
    simulate_timeout_seconds: float = Field(default=60.0, gt=0)
    worker_recycle_after: int = Field(default=100, ge=1)
    worker_queue_limit: int = Field(default=32, ge=1)

    # `as_of` defaults to today in this time zone (the policies are China's)
    timezone: str = "Asia/Shanghai"
    # answer POST /v1/evaluations/teacher below the framework (see fastpath.py); off = FastAPI route
    fast_path: bool = True
    docs: bool = True
    # set by serve() when several worker processes share one /metrics view
    multiprocess_metrics_dir: str | None = Field(default=None, validation_alias=_env("multiprocess_metrics_dir",
                                                                                     "KAOHE_API_METRICS_DIR"))

    @field_validator("ruleset_paths", mode="before")
    @classmethod
    def _paths(cls, value: Any) -> Any:
        return tuple(p for p in value.split(os.pathsep) if p) if isinstance(value, str) else value

    @field_validator("plugin_modules", mode="before")
    @classmethod
    def _modules(cls, value: Any) -> Any:
        return tuple(m.strip() for m in value.split(",") if m.strip()) if isinstance(value, str) else value

    @model_validator(mode="before")
    @classmethod
    def _hashes(cls, data: Any) -> Any:
        """KAOHE_API_KEY_HASHES: comma-separated hashes, named env-1, env-2, …; a key that is not a hash
        is refused, so a plain key is never configured."""
        if isinstance(data, dict) and isinstance(data.get("api_key_hashes"), str):
            hashes, names = [], []
            for n, item in enumerate(data["api_key_hashes"].split(","), 1):
                if not item.strip():
                    continue
                digest = parse_hash(item)
                if digest is None:
                    raise ConfigError(f"KAOHE_API_KEY_HASHES item {n} is not a sha256 hash",
                                      hint="store hashes only: python -m kaohe.api.keys hash")
                hashes.append(digest)
                names.append(f"env-{n}")
            data = {**data, "api_key_hashes": tuple(hashes), "api_key_names": tuple(names)}
        return data

    @model_validator(mode="after")
    def _keys_file(self) -> "Settings":
        """The keys file's hashes join the others (once: the workers rebuild these settings from JSON)."""
        if self.keys_file:
            hashes, names, scopes = load_key_file_with_scopes(self.keys_file)
            known = dict(zip(self.api_key_hashes, self.api_key_names + ("",) * len(self.api_key_hashes)))
            granted = dict(zip(self.api_key_hashes, tuple(self.api_key_scopes) + ("",) * len(self.api_key_hashes)))
            for digest, name, scope in zip(hashes, names, scopes):
                known.setdefault(digest, name)
                granted.setdefault(digest, scope)
            object.__setattr__(self, "api_key_hashes", tuple(known))
            object.__setattr__(self, "api_key_names", tuple(n or f"key-{i + 1}" for i, n in enumerate(known.values())))
            object.__setattr__(self, "api_key_scopes", tuple(granted[digest] for digest in known))
        return self

    # decision records (kaohe.store): kept when `record` is on and there is a database_url; `kaohe
    # serve` uses the SQLite file kaohe-decisions.db in its working folder when no URL is given
    database_url: str | None = Field(default=None, validation_alias=_env("database_url", "KAOHE_DATABASE_URL"))
    record: bool = Field(default=True, validation_alias=_env("record", "KAOHE_RECORD"))
    record_queue_size: int = Field(default=10_000, ge=1)

    @property
    def auth_enabled(self) -> bool:
        return bool(self.api_key_hashes) or not self.allow_anonymous

    def with_keys_file(self, path: str | Path) -> "Settings":
        return type(self).model_validate({**self.model_dump(), "keys_file": str(path)})

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Settings from the ``KAOHE_*`` variables, arguments winning; a bad variable is a ConfigError naming it."""
        try:
            return cls(**overrides)
        except ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[0]
            name = str(first["loc"][0]) if first["loc"] else ""
            field = cls.model_fields.get(name)
            variable = _variable(name, field)
            raise ConfigError(f"{variable}: {first['msg']}") from None


def _variable(name: str, field) -> str:
    alias = getattr(field, "validation_alias", None) if field is not None else None
    if isinstance(alias, AliasChoices):
        for choice in alias.choices:
            if isinstance(choice, str) and choice.startswith("KAOHE_"):
                return choice
    return f"KAOHE_API_{name.upper()}" if name else "KAOHE_API_*"


def is_loopback(host: str) -> bool:
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
