"""Built-in plugin: the hunan-yueyang ruleset and the trainee-roster importer."""

from kaohe.plugins.hookspecs import hookimpl
from kaohe.plugins.jurisdictions import shipped


@hookimpl
def kaohe_register_rulesets(register):
    register(shipped("hunan-yueyang.yaml"))


@hookimpl
def kaohe_register_importers(register):
    from kaohe.plugins.jurisdictions.hunan_yueyang_import import YueyangRoster

    register(YueyangRoster())
