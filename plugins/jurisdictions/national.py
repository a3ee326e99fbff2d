"""Built-in plugin: the national ruleset and the NAT ability-point catalogue."""

from kaohe.plugins.hookspecs import hookimpl
from kaohe.plugins.jurisdictions import shipped


@hookimpl
def kaohe_register_rulesets(register):
    register(shipped("national.yaml"))


@hookimpl
def kaohe_register_catalogues(register):
    register(shipped("catalogues", "national.yaml"))
