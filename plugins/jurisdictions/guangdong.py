"""Built-in plugin: the guangdong ruleset, the GD ability-point catalogue, the review-list importer."""

from kaohe.plugins.hookspecs import hookimpl
from kaohe.plugins.jurisdictions import shipped


@hookimpl
def kaohe_register_rulesets(register):
    register(shipped("guangdong.yaml"))


@hookimpl
def kaohe_register_catalogues(register):
    register(shipped("catalogues", "guangdong.yaml"))


@hookimpl
def kaohe_register_importers(register):
    from kaohe.plugins.jurisdictions.guangdong_import import GuangdongReviewList

    register(GuangdongReviewList())
