"""Running the API: `serve(...)` for `kaohe serve`, and `python -m kaohe.api.server` meanwhile.

One worker: the app is built here and handed to uvicorn. Several workers: uvicorn starts them as
new processes, each of which calls `app_from_environment()` with the settings passed in
``KAOHE_API_SETTINGS_JSON``; /metrics then sums all workers (prometheus multiprocess mode).
uvicorn picks uvloop and httptools when they are installed.
"""

from __future__ import annotations

import argparse
import copy
import gc
import logging
import os
import sys
import tempfile
from typing import Sequence

from .settings import ConfigError, Settings, is_loopback

SETTINGS_ENV = "KAOHE_API_SETTINGS_JSON"
log = logging.getLogger("kaohe.api")


# Python's collector runs a young-generation pass every 700 new container objects; one school's
# evaluation makes tens of thousands, so batches spent a third of their time collecting (measured,
# bench/api_load.md). A server process collects less often, and first moves what start-up loaded
# (rulesets, compiled rules) out of the collector's sight for good.
GC_THRESHOLDS = (50_000, 20, 100)


def tune_gc() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _server_app(settings: Settings):
    from .app import create_app

    app = create_app(settings)
    app.state.worker_prestart = True
    app.state.after_load = tune_gc
    app.state.reload_on_sighup = True
    return app


def app_from_environment():
    """uvicorn factory for worker processes."""
    raw = os.environ.get(SETTINGS_ENV)
    return _server_app(Settings.model_validate_json(raw) if raw else Settings.from_env())


def log_config(level: str = "info") -> dict:
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["kaohe"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return config


def resolve_settings(host: str, ruleset_paths: Sequence[str] = (), plugin_modules: Sequence[str] = (),
                     keys_file: str | None = None, allow_anonymous: bool | None = None,
                     settings: Settings | None = None) -> Settings:
    """Settings from the environment plus the arguments; decides what happens with no API keys:
    a loopback-only server serves without keys (and logs a warning); any other address refuses to
    start unless anonymous access is asked for explicitly."""
    settings = settings if settings is not None else Settings.from_env()
    update: dict = {}
    # the environment's paths and modules (KAOHE_RULESETS, KAOHE_PLUGINS) come first; the same one
    # given again as an argument is not loaded twice
    if ruleset_paths:
        update["ruleset_paths"] = tuple(dict.fromkeys(tuple(settings.ruleset_paths) + tuple(str(p) for p in ruleset_paths)))
    if plugin_modules:
        update["plugin_modules"] = tuple(dict.fromkeys(tuple(settings.plugin_modules) + tuple(plugin_modules)))
    if update:
        settings = settings.model_copy(update=update)
    if keys_file:
        settings = settings.with_keys_file(keys_file)
    if allow_anonymous is not None:
        settings = settings.model_copy(update={"allow_anonymous": allow_anonymous})
    if not settings.api_key_hashes and not settings.allow_anonymous:
        if allow_anonymous is None and is_loopback(host):
            settings = settings.model_copy(update={"allow_anonymous": True})
        else:
            raise ConfigError(f"no API keys are configured and the server would listen on {host}",
                              hint="give --keys-file (or KAOHE_API_KEYS_FILE), or --allow-anonymous to serve without keys")
    return settings


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1, ruleset_paths: Sequence[str] = (),
          plugin_modules: Sequence[str] = (), keys_file: str | None = None, *, allow_anonymous: bool | None = None,
          access_log: bool = False, log_level: str = "info", settings: Settings | None = None) -> None:
    import uvicorn

    settings = resolve_settings(host, ruleset_paths, plugin_modules, keys_file, allow_anonymous, settings)
    common = dict(host=host, port=port, log_level=log_level, access_log=access_log, log_config=log_config(log_level),
                  server_header=False, timeout_graceful_shutdown=10)
    if workers > 1:
        metrics_dir = settings.multiprocess_metrics_dir or tempfile.mkdtemp(prefix="kaohe-metrics-")
        for stale in os.listdir(metrics_dir):
            if stale.endswith(".db"):
                os.unlink(os.path.join(metrics_dir, stale))
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        settings = settings.model_copy(update={"multiprocess_metrics_dir": metrics_dir})
        os.environ[SETTINGS_ENV] = settings.model_dump_json()
        uvicorn.run("kaohe.api.server:app_from_environment", factory=True, workers=workers, **common)
        return
    uvicorn.run(_server_app(settings), **common)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kaohe.api.server", description="serve the kaohe HTTP API")
    parser.add_argument("--host", default=os.environ.get("KAOHE_API_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("KAOHE_API_PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("KAOHE_API_WORKERS", "1")))
    parser.add_argument("--rulesets", action="append", default=[], metavar="PATH")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE")
    parser.add_argument("--keys-file", default=None, help="file of API key hashes (env KAOHE_API_KEYS_FILE)")
    parser.add_argument("--allow-anonymous", action="store_true", default=None,
                        help="serve without API keys even on a non-loopback address")
    parser.add_argument("--access-log", action="store_true")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    try:
        serve(args.host, args.port, args.workers, args.rulesets, args.plugin, args.keys_file,
              allow_anonymous=args.allow_anonymous, access_log=args.access_log, log_level=args.log_level)
    except ConfigError as exc:
        print(f"kaohe: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
