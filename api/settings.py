"""The API's settings: one frozen object, built by whoever starts the app and injected from there.

There is no module-level settings object. `create_app(settings)` receives one; the `get_settings`
dependency hands it to the routes, so a test overrides it like any other dependency.
`Settings.from_env()` reads the ``KAOHE_*`` variables for `kaohe serve` and for worker processes.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Mapping

from pydantic import BaseModel, ConfigDict, Field

from kaohe.engine.errors import ConfigError

from .keys import load_key_file, parse_hash

MIB = 1024 * 1024


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # what the registry is built from (the same sources as the CLI's --rulesets/--plugin)
    ruleset_paths: tuple[str, ...] = ()
    plugin_modules: tuple[str, ...] = ()
    entry_points: bool = True

    # API keys: sha256 hashes only ("sha256:<64 hex>"), each optionally named
    api_key_hashes: tuple[str, ...] = ()
    api_key_names: tuple[str, ...] = ()
    # with no keys configured, requests are refused unless this is set (serve() sets it for a
    # loopback-only server and says so in the log)
    allow_anonymous: bool = False
    metrics_public: bool = True

    # request limits (bytes); 0 means no limit
    max_body_bytes: int = Field(default=10 * MIB, ge=0)
    max_stream_bytes: int = Field(default=0, ge=0)
    max_stream_line_bytes: int = Field(default=16 * MIB, ge=1)
    max_stream_school_teachers: int = Field(default=20_000, ge=1)
    max_ruleset_bytes: int = Field(default=1 * MIB, ge=1)
    max_simulation_bytes: int = Field(default=10 * MIB, ge=0)

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
    multiprocess_metrics_dir: str | None = None

    @property
    def auth_enabled(self) -> bool:
        return bool(self.api_key_hashes) or not self.allow_anonymous

    def with_keys_file(self, path: str | Path) -> "Settings":
        hashes, names = load_key_file(path)
        return self.model_copy(update={"api_key_hashes": self.api_key_hashes + hashes,
                                       "api_key_names": self.api_key_names + names})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Settings":
        """Settings from ``KAOHE_*`` variables (see api_settings.md in the report); overrides win."""
        env = os.environ if environ is None else environ
        values: dict = {}
        if env.get("KAOHE_RULESETS"):
            values["ruleset_paths"] = tuple(p for p in env["KAOHE_RULESETS"].split(os.pathsep) if p)
        if env.get("KAOHE_PLUGINS"):
            values["plugin_modules"] = tuple(p.strip() for p in env["KAOHE_PLUGINS"].split(",") if p.strip())
        hashes: tuple[str, ...] = ()
        names: tuple[str, ...] = ()
        if env.get("KAOHE_API_KEY_HASHES"):
            for n, item in enumerate(env["KAOHE_API_KEY_HASHES"].split(","), 1):
                item = item.strip()
                if not item:
                    continue
                digest = parse_hash(item)
                if digest is None:
                    raise ConfigError(f"KAOHE_API_KEY_HASHES item {n} is not a sha256 hash",
                                      hint="store hashes only: python -m kaohe.api.keys hash")
                hashes += (digest,)
                names += (f"env-{n}",)
        if env.get("KAOHE_API_KEYS_FILE"):
            file_hashes, file_names = load_key_file(env["KAOHE_API_KEYS_FILE"])
            hashes += file_hashes
            names += file_names
        if hashes:
            values["api_key_hashes"], values["api_key_names"] = hashes, names
        for var, key in (("KAOHE_API_ALLOW_ANONYMOUS", "allow_anonymous"), ("KAOHE_API_METRICS_PUBLIC", "metrics_public"),
                         ("KAOHE_API_DOCS", "docs"), ("KAOHE_API_FAST_PATH", "fast_path")):
            if var in env:
                values[key] = _flag(var, env[var])
        for var, key in (("KAOHE_API_MAX_BODY_BYTES", "max_body_bytes"), ("KAOHE_API_MAX_STREAM_BYTES", "max_stream_bytes"),
                         ("KAOHE_API_MAX_LINE_BYTES", "max_stream_line_bytes"),
                         ("KAOHE_API_MAX_RULESET_BYTES", "max_ruleset_bytes"),
                         ("KAOHE_API_MAX_SIMULATION_BYTES", "max_simulation_bytes")):
            if env.get(var):
                try:
                    values[key] = int(env[var])
                except ValueError:
                    raise ConfigError(f"{var}={env[var]!r} is not a whole number of bytes") from None
        if env.get("KAOHE_API_TIMEZONE"):
            values["timezone"] = env["KAOHE_API_TIMEZONE"]
        if env.get("KAOHE_API_METRICS_DIR"):
            values["multiprocess_metrics_dir"] = env["KAOHE_API_METRICS_DIR"]
        values.update(overrides)
        return cls(**values)


def _flag(var: str, value: str) -> bool:
    words = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
    try:
        return words[value.strip().lower()]
    except KeyError:
        raise ConfigError(f"{var}={value!r}: use 1 or 0") from None


def is_loopback(host: str) -> bool:
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
