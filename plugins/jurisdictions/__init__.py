"""kaohe's built-in jurisdictions, one plugin each, in the same form as a third party's plugin."""

from importlib import resources


def shipped(*parts: str):
    """A file shipped in the `kaohe.rulesets` package, as an importlib.resources traversable."""
    target = resources.files("kaohe.rulesets")
    for part in parts:
        target = target / part
    return target
