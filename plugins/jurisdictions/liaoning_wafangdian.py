"""Built-in plugin: the liaoning-wafangdian ruleset."""

from kaohe.plugins.hookspecs import hookimpl
from kaohe.plugins.jurisdictions import shipped


@hookimpl
def kaohe_register_rulesets(register):
    register(shipped("liaoning-wafangdian.yaml"))
