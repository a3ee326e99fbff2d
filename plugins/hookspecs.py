"""The contract between kaohe and its plugins. Every hook a plugin may implement is here.

A jurisdiction plugin is a module (or distribution, registered under the ``kaohe`` entry-point
group) that implements some of these hooks with ``@hookimpl``. kaohe's own jurisdictions are
plugins of exactly this form.
"""

from __future__ import annotations

from typing import Callable

import pluggy

PROJECT = "kaohe"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def kaohe_register_rulesets(register: Callable[..., None]) -> None:
    """Contribute YAML rulesets.

    Called once, when the registry is built. Call ``register(path)`` for each ruleset file or
    folder of files the plugin ships (a ``pathlib.Path`` or an ``importlib.resources`` traversable
    that can be read as text), or ``register(text=..., name=...)`` for a ruleset held in memory.
    Returns nothing; every implementation is called.

    Example::

        @hookimpl
        def kaohe_register_rulesets(register):
            register(importlib.resources.files(__package__) / "rulesets" / "shenzhen.yaml")
    """
