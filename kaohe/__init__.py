"""kaohe (考核): policy-as-code for the teacher IT-ability programme 2.0.

A plugin marks its hook implementations with ``kaohe.hookimpl``::

    from kaohe import hookimpl

    @hookimpl
    def kaohe_register_rulesets(register): ...
"""

from kaohe.plugins.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["hookimpl", "__version__"]
