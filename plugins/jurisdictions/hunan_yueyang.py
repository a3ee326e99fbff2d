"""Built-in plugin: the hunan-yueyang ruleset."""

from kaohe.plugins.hookspecs import hookimpl
from kaohe.plugins.jurisdictions import shipped


@hookimpl
def kaohe_register_rulesets(register):
    register(shipped("hunan-yueyang.yaml"))
