"""Built-in plugin: the jilin-baishan ruleset."""

from kaohe.plugins.hookspecs import hookimpl
from kaohe.plugins.jurisdictions import shipped


@hookimpl
def kaohe_register_rulesets(register):
    register(shipped("jilin-baishan.yaml"))
