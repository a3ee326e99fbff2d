"""The evaluation API (FastAPI).

- `kaohe.api.app.create_app(settings)`: the application (registry built once, in the lifespan).
- `kaohe.api.server.serve(host, port, workers, ruleset_paths, plugin_modules, keys_file)`: run it
  with uvicorn (what `kaohe serve` calls); `python -m kaohe.api.server --help` meanwhile.
- `kaohe.api.settings.Settings`: every setting, `Settings.from_env()` for the ``KAOHE_*`` variables.
- `python -m kaohe.api.keys new NAME`: a new API key and the hash line for the keys file.

The engine never imports this package.
"""
