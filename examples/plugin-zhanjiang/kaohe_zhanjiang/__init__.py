"""Example kaohe plugin: contributes one ruleset that extends `guangdong`.

Everything policy-specific is in `zhanjiang.yaml`; this module only tells kaohe where it is.
"""

from importlib import resources

from kaohe import hookimpl


@hookimpl
def kaohe_register_rulesets(register):
    register(resources.files(__package__) / "zhanjiang.yaml")
