"""YAML for policy staff: safe, predictable, and every value knows its line and column.

Only the YAML 1.2 core scalars are recognised: ``true``/``false`` are booleans (never ``yes``,
``on`` or ``no``), numbers are plain decimal numbers, and dates stay strings until the ruleset
language says a field is a date. Duplicate keys are errors, not silent overwrites.

What parsing may cost is bounded, for files on disk and texts sent to the API alike: anchors and
aliases are allowed, but the document they expand to may hold at most `MAX_NODES` values (counted
as they are built, so a few hundred bytes of nested aliases cannot grow into gigabytes), at most
`MAX_DEPTH` levels, and whole numbers of at most `MAX_INT_DIGITS` digits. The largest shipped
ruleset has under a thousand values.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from .errors import Diagnostic, Location, RulesetError


class _PolicyLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core implicit types only."""


MAX_NODES = 50_000
MAX_DEPTH = 60
MAX_INT_DIGITS = 30


_PolicyLoader.yaml_implicit_resolvers = {}
_PolicyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_PolicyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_PolicyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."))
_PolicyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])


_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"


class _TooCostly(Exception):
    """The document would cost more to build than a ruleset may."""

    def __init__(self, message: str, node: yaml.Node):
        super().__init__(message)
        self.message, self.node = message, node


class Marks(dict):
    """Maps a path tuple inside the document to its (line, column), both 1-based."""

    def locate(self, file: str, path: tuple, breadcrumb: str = "") -> Location:
        probe = tuple(path)
        while probe and probe not in self:
            probe = probe[:-1]
        line, column = self.get(probe, (None, None))
        return Location(file, line, column, breadcrumb or format_path(path))


def format_path(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load(text: str, file: str) -> tuple[Any, Marks]:
    """Parse policy YAML into plain values plus their positions; raises RulesetError."""
    loader = _PolicyLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        raise RulesetError([Diagnostic("ruleset.yaml_syntax", f"YAML syntax error: {exc.problem}", where)]) from None
    except RecursionError:
        raise RulesetError([Diagnostic("ruleset.yaml_too_costly", f"the document is nested more than {MAX_DEPTH} "
                                       "levels deep", Location(file))]) from None
    finally:
        loader.dispose()
    marks = Marks()
    problems: list[Diagnostic] = []
    if node is None:
        return None, marks

    built = 0

    def build(node: yaml.Node, path: tuple) -> Any:
        nonlocal built
        built += 1
        if built > MAX_NODES:
            raise _TooCostly(f"the document expands to more than {MAX_NODES} values (through anchors and aliases?); "
                             "a ruleset may hold at most that many", node)
        if len(path) > MAX_DEPTH:
            raise _TooCostly(f"the document is nested more than {MAX_DEPTH} levels deep", node)
        marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in (_MAP, _SEQ):
            raise yaml.constructor.ConstructorError(None, None, f"tag {node.tag} is not allowed in a ruleset", node.start_mark)
        if isinstance(node, yaml.MappingNode):
            out: dict = {}
            for key_node, value_node in node.value:
                key = scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
                if not isinstance(key, (str, int)):
                    problems.append(Diagnostic("ruleset.yaml_key", "mapping keys must be plain text",
                                               Location(file, key_node.start_mark.line + 1, key_node.start_mark.column + 1)))
                    continue
                key = str(key)
                if key in out:
                    problems.append(Diagnostic(
                        "ruleset.duplicate_key", f"key '{key}' appears twice",
                        Location(file, key_node.start_mark.line + 1, key_node.start_mark.column + 1, format_path(path + (key,)))))
                    continue
                out[key] = build(value_node, path + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [build(child, path + (i,)) for i, child in enumerate(node.value)]
        return scalar(node)

    def scalar(node: yaml.ScalarNode) -> Any:
        if node.tag == _INT and len(node.value.lstrip("+-")) > MAX_INT_DIGITS:
            raise _TooCostly(f"the number has more than {MAX_INT_DIGITS} digits", node)
        value = loader.construct_object(node, deep=True)
        if node.tag == _FLOAT and value in (float("inf"), float("-inf")):
            raise _TooCostly(f"the number {node.value} is too large", node)
        return value

    try:
        data = build(node, ())
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise RulesetError([Diagnostic("ruleset.yaml_syntax", f"YAML error: {exc.problem}",
                                       Location(file, mark.line + 1, mark.column + 1) if mark else Location(file))]) from None
    except _TooCostly as exc:
        mark = exc.node.start_mark
        raise RulesetError([Diagnostic("ruleset.yaml_too_costly", exc.message,
                                       Location(file, mark.line + 1, mark.column + 1))]) from None
    except ValueError as exc:  # a scalar the constructor cannot read (e.g. an impossible !!timestamp)
        mark = node.start_mark
        raise RulesetError([Diagnostic("ruleset.yaml_syntax", "YAML error: a value cannot be read",
                                       Location(file, mark.line + 1, mark.column + 1))]) from None
    if problems:
        raise RulesetError(problems)
    return data, marks
