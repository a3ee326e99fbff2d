"""Reloading the rulesets while serving (SIGHUP, POST /v1/rulesets/reload).

The new registry is built and compiled aside, off the event loop; only if every ruleset loads and
compiles (no problem the serving registry did not already have) is it swapped in, by replacing one
reference. A request that already holds the old registry finishes on it; the next one gets the
new. A reload that fails leaves the last good rulesets serving and is reported by /readyz.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from kaohe.plugins.manager import Loaded, build_registry

log = logging.getLogger("kaohe.api")
_LOCK = threading.Lock()  # one reload at a time


def _revisions(loaded: Loaded) -> dict[str, list[str]]:
    registry = loaded.registry
    return {rid: [c.revision for c in registry.revisions(rid)] for rid in registry.ids()}


def reload_rulesets(app) -> dict:
    """Build, check, swap; the outcome (also kept for /readyz as `app.state.reload_status`)."""
    config = app.state.settings
    with _LOCK:
        serving: Loaded | None = app.state.loaded
        at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        try:
            fresh = build_registry(tuple(config.ruleset_paths), config.entry_points, tuple(config.plugin_modules))
            known = {(p.plugin, p.reason) for p in serving.problems} if serving is not None else set()
            new_problems = [{"plugin": p.plugin, "reason": p.reason} for p in fresh.problems
                            if (p.plugin, p.reason) not in known]
            if not fresh.registry.ids():
                new_problems.append({"plugin": "-", "reason": "no ruleset loaded"})
        except Exception as exc:  # noqa: BLE001 - a plugin's code may raise anything; keep serving
            fresh, new_problems = None, [{"plugin": "-", "reason": f"{type(exc).__name__}: {exc}"}]
        before = _revisions(serving) if serving is not None else {}
        if new_problems:
            status = {"status": "failed", "at": at, "problems": new_problems, "serving": before}
            log.error("reload failed; the last good rulesets keep serving: %s",
                      "; ".join(f"{p['plugin']}: {p['reason']}" for p in new_problems))
        else:
            app.state.loaded = fresh  # the swap: one reference
            after = _revisions(fresh)
            changed = sorted(rid for rid in set(before) | set(after) if before.get(rid) != after.get(rid))
            status = {"status": "reloaded", "at": at, "problems": [], "serving": after, "changed": changed}
            log.info("rulesets reloaded; changed: %s", ", ".join(changed) or "none")
        app.state.reload_status = status
        return status


def install_sighup(app, loop) -> bool:
    """SIGHUP reloads (where the platform has it and this is the main thread)."""
    import signal

    if not hasattr(signal, "SIGHUP"):
        return False

    def on_hangup():
        loop.run_in_executor(None, reload_rulesets, app)

    try:
        loop.add_signal_handler(signal.SIGHUP, on_hangup)
    except (NotImplementedError, RuntimeError, ValueError):
        return False
    return True
