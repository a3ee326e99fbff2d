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

from .logmask import MaskIdCards  # noqa: F401  (named in the log configuration)
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
    from .protocol import configure

    raw = os.environ.get(SETTINGS_ENV)
    settings = Settings.model_validate_json(raw) if raw else Settings.from_env()
    configure(settings)
    return _server_app(settings)


def log_config(level: str = "info") -> dict:
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["kaohe"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    config.setdefault("filters", {})["mask_id_cards"] = {"()": "kaohe.api.logmask.MaskIdCards"}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("mask_id_cards")
    return config


def resolve_settings(host: str, ruleset_paths: Sequence[str] = (), plugin_modules: Sequence[str] = (),
                     keys_file: str | None = None, no_auth: bool | None = None,
                     settings: Settings | None = None) -> Settings:
    """Settings from the environment plus the arguments; fails closed on keys: a server needs API keys,
    or an explicit `--no-auth` (KAOHE_API_NO_AUTH=1), which only a loopback address may have."""
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
    if no_auth is not None:
        settings = settings.model_copy(update={"allow_anonymous": bool(no_auth)})
    if settings.allow_anonymous:
        if settings.api_key_hashes:
            raise ConfigError("--no-auth and API keys were both given", hint="drop one of them")
        if not is_loopback(host):
            raise ConfigError(f"--no-auth serves everyone without a key; it is refused on {host}",
                              hint="listen on 127.0.0.1 or ::1, or give --keys-file")
    elif not settings.api_key_hashes:
        raise ConfigError(f"no API keys are configured for the server on {host}",
                          hint="give --keys-file (or KAOHE_API_KEYS_FILE), or --no-auth to serve without keys on loopback")
    if settings.record and not settings.database_url:  # a server keeps its decisions unless told not to
        from kaohe.store.database import DEFAULT_URL

        settings = settings.model_copy(update={"database_url": DEFAULT_URL})
    return settings


TLS_OPTIONS = ("ssl_certfile", "ssl_keyfile", "ssl_keyfile_password", "ssl_ca_certs")


def uvicorn_options(settings: Settings, **tls: str | None) -> dict:
    """What `kaohe serve` passes to uvicorn besides host and port: connection limits, the protocol
    that bounds header and body read time (protocol.py), and TLS when a certificate is given."""
    from .protocol import bounded_http_protocol

    options = dict(limit_concurrency=settings.limit_concurrency, timeout_keep_alive=settings.keep_alive_seconds,
                   http=bounded_http_protocol(), server_header=False, timeout_graceful_shutdown=10)
    for name in TLS_OPTIONS:
        if tls.get(name):
            options[name] = tls[name]
    if bool(options.get("ssl_certfile")) != bool(options.get("ssl_keyfile")):
        raise ConfigError("TLS needs both --ssl-certfile and --ssl-keyfile")
    return options


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1, ruleset_paths: Sequence[str] = (),
          plugin_modules: Sequence[str] = (), keys_file: str | None = None, *, no_auth: bool | None = None,
          access_log: bool = False, log_level: str = "info", settings: Settings | None = None,
          ssl_certfile: str | None = None, ssl_keyfile: str | None = None, ssl_keyfile_password: str | None = None,
          ssl_ca_certs: str | None = None) -> None:
    import uvicorn

    settings = resolve_settings(host, ruleset_paths, plugin_modules, keys_file, no_auth, settings)
    common = dict(host=host, port=port, log_level=log_level, access_log=access_log, log_config=log_config(log_level),
                  **uvicorn_options(settings, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile,
                                    ssl_keyfile_password=ssl_keyfile_password, ssl_ca_certs=ssl_ca_certs))
    from .protocol import configure

    configure(settings)
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


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of serving that `kaohe serve` and `python -m kaohe.api.server` share."""
    parser.add_argument("--no-auth", action="store_true", default=None,
                        help="serve without API keys (loopback addresses only; env KAOHE_API_NO_AUTH=1)")
    parser.add_argument("--ssl-certfile", default=os.environ.get("KAOHE_API_SSL_CERTFILE"),
                        help="serve HTTPS with this certificate (PEM; env KAOHE_API_SSL_CERTFILE)")
    parser.add_argument("--ssl-keyfile", default=os.environ.get("KAOHE_API_SSL_KEYFILE"),
                        help="the certificate's private key (PEM; env KAOHE_API_SSL_KEYFILE)")
    parser.add_argument("--ssl-keyfile-password", default=os.environ.get("KAOHE_API_SSL_KEYFILE_PASSWORD"))
    parser.add_argument("--ssl-ca-certs", default=os.environ.get("KAOHE_API_SSL_CA_CERTS"),
                        help="CA bundle to verify client certificates against")


def serve_keywords(args) -> dict:
    return dict(no_auth=args.no_auth, ssl_certfile=args.ssl_certfile, ssl_keyfile=args.ssl_keyfile,
                ssl_keyfile_password=args.ssl_keyfile_password, ssl_ca_certs=args.ssl_ca_certs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kaohe.api.server", description="serve the kaohe HTTP API")
    parser.add_argument("--host", default=os.environ.get("KAOHE_API_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("KAOHE_API_PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("KAOHE_API_WORKERS", "1")))
    parser.add_argument("--rulesets", action="append", default=[], metavar="PATH")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE")
    parser.add_argument("--keys-file", default=None, help="file of API key hashes (env KAOHE_API_KEYS_FILE)")
    add_serve_arguments(parser)
    parser.add_argument("--access-log", action="store_true")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    try:
        serve(args.host, args.port, args.workers, args.rulesets, args.plugin, args.keys_file,
              access_log=args.access_log, log_level=args.log_level, **serve_keywords(args))
    except ConfigError as exc:
        print(f"kaohe: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
