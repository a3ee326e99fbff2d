"""Built-in plugin: the guangdong ruleset and the GD ability-point catalogue."""

from kaohe.plugins.hookspecs import hookimpl
from kaohe.plugins.jurisdictions import shipped


@hookimpl
def kaohe_register_rulesets(register):
    register(shipped("guangdong.yaml"))


@hookimpl
def kaohe_register_catalogues(register):
    register(shipped("catalogues", "guangdong.yaml"))
