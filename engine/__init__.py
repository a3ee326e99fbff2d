"""The engine: the ruleset language, its compiler, evaluation and explanations.

This module names the engine's public surface: what batch processing (`kaohe.batch`), the policy
staff's tools (`kaohe.tools`), the plugin layer, the API and the CLI may use. They write
``from kaohe.engine import Evaluator``, never ``from kaohe.engine.evaluation import …``;
`tests/test_layers.py` holds them to it. Names are loaded on first use (PEP 562), so importing one
error class does not pull in durable_rules.

The engine itself never imports batch, tools, the API or the plugin layer.
"""

from __future__ import annotations

import importlib

# public name -> the engine module that defines it
_SURFACE = {
    # the ruleset language and its documents
    "LANGS": "language", "LEVELS": "language", "Document": "language", "Resolved": "language",
    "content_hash": "language", "parse_date": "language", "read_document": "language",
    "read_path": "language", "resolve": "language",
    # expressions: values as policy staff read them, did-you-mean
    "format_value": "expressions", "suggest": "expressions",
    # compiling
    "CompiledRuleset": "compiler", "Rule": "compiler", "compile_ruleset": "compiler",
    "render_title": "compiler",
    # extensions a plugin brings
    "Catalogue": "extensions", "Primitive": "extensions", "read_catalogue": "extensions",
    # the registry of compiled revisions
    "Registry": "registry",
    # records and reading them
    "Dataset": "records", "Region": "records", "School": "records", "Teacher": "records",
    "json_schema": "records", "mask_id_card": "records",
    "BOOL_WORDS": "inputs", "LIST_COLUMNS": "inputs", "read_dataset": "inputs",
    "record_problems": "inputs",
    # evaluating
    "Evaluation": "evaluation", "Evaluator": "evaluation", "RegionResult": "evaluation",
    "Result": "evaluation", "SchoolResult": "evaluation", "TeacherResult": "evaluation",
    # errors, with stable codes
    "ConfigError": "errors", "Diagnostic": "errors", "InputFormatError": "errors", "KaoheError": "errors",
    "Location": "errors", "NoRevisionInForce": "errors", "RecordError": "errors",
    "RulesetError": "errors", "UnknownRuleset": "errors",
    # lint
    "lint_paths": "lint", "lint_text": "lint",
    # JSON out
    "dumps": "jsonio",
    # the documents citations point at (rulesets/sources.yaml)
    "citation_fields": "sources", "citation_text": "sources", "source_document": "sources",
}
# modules of the surface used whole: explanations, the expression language's types, and messages in
# the user's language
_MODULES = {"explain", "expressions", "messages"}

__all__ = sorted(set(_SURFACE) | _MODULES)


def __getattr__(name: str):
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    module = _SURFACE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
