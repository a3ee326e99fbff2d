"""The small expression language of rule requirements and derived measures.

``school_based_hours >= school_based_hours_required``, ``3 <= team_size <= 5 and team_led_by_principal``,
``len(points_without_summary) == 0``. Text is parsed with Python's own ``ast`` and only a whitelist of
node types is accepted; nothing is ever executed. A parsed expression is type-checked once at load
and then compiled two ways: into a durable_rules condition (the requirement the inference engine
matches) and into a closure for derived values (gaps, shares, arithmetic operands).

Both compilations live in this one module (some 530 lines) on purpose: they must give every
condition one meaning, absent values included, and `tests/engine/test_absent_values.py` checks
them against each other.
"""

from __future__ import annotations

import ast
import datetime as dt
import difflib
import operator
from dataclasses import dataclass, field
from typing import Any, Callable

NUMBER, BOOL, STRING, DATE, LIST = "number", "bool", "string", "date", "list"
TYPES = (NUMBER, BOOL, STRING, DATE, LIST)

_COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_PY_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
               "==": operator.eq, "!=": operator.ne}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_DURABLE_OP = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}
def _word(value: Any) -> Any:
    """A ruleset's text read as records' words are (`records.normal_text`), lists of text item by item."""
    from .records import normal_text

    if isinstance(value, str):
        return normal_text(value)
    if isinstance(value, (tuple, list)) and any(isinstance(v, str) for v in value):
        return tuple(normal_text(v) for v in value)
    return value


SYMBOL = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}
FUNCTIONS = {"len": (LIST, NUMBER)}


class ExpressionError(Exception):
    def __init__(self, message: str, offset: int = 0, hint: str | None = None, code: str = "expression.invalid"):
        super().__init__(message)
        self.message, self.offset, self.hint, self.code = message, offset, hint, code


# ---- the syntax tree kaohe keeps (small, typed, independent of Python's ast) ----

@dataclass(frozen=True)
class Const:
    value: Any
    type: str
    offset: int = 0


@dataclass(frozen=True)
class Name:
    name: str
    offset: int = 0


@dataclass(frozen=True)
class Compare:
    op: str
    left: Any
    right: Any
    offset: int = 0


@dataclass(frozen=True)
class Logic:
    op: str  # and | or
    items: tuple
    offset: int = 0


@dataclass(frozen=True)
class Not:
    item: Any
    offset: int = 0


@dataclass(frozen=True)
class Arith:
    op: str
    left: Any
    right: Any
    offset: int = 0


@dataclass(frozen=True)
class Call:
    func: str
    arg: Any
    offset: int = 0


@dataclass(frozen=True)
class Member:
    item: Any
    options: Any  # a Name of a list parameter, or a Const list
    negated: bool = False
    offset: int = 0


def parse(text: str) -> Any:
    """Text → kaohe tree, or ExpressionError with the character offset of the problem."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("expression is empty")
    source = text.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse expression: {exc.msg}", max((exc.offset or 1) - 1, 0)) from None
    return _convert(tree.body, source)


def _offset(node: ast.AST, source: str) -> int:
    return getattr(node, "col_offset", 0)


def _convert(node: ast.AST, source: str) -> Any:
    at = _offset(node, source)
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            return Const(value, BOOL, at)
        if isinstance(value, (int, float)):
            return Const(value, NUMBER, at)
        if isinstance(value, str):
            return Const(value, STRING, at)
        raise ExpressionError(f"unsupported constant {value!r}", at)
    if isinstance(node, ast.Name):
        if node.id in ("true", "True"):
            return Const(True, BOOL, at)
        if node.id in ("false", "False"):
            return Const(False, BOOL, at)
        return Name(node.id, at)
    if isinstance(node, ast.BoolOp):
        op = "and" if isinstance(node.op, ast.And) else "or"
        return Logic(op, tuple(_convert(v, source) for v in node.values), at)
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            return Not(_convert(node.operand, source), at)
        if isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
                and isinstance(node.operand.value, (int, float)) and not isinstance(node.operand.value, bool):
            return Const(-node.operand.value, NUMBER, at)
        raise ExpressionError("only 'not' and a minus sign before a number are allowed here", at)
    if isinstance(node, ast.BinOp):
        op = _ARITH.get(type(node.op))
        if op is None:
            raise ExpressionError("only + - * / are allowed", at)
        return Arith(op, _convert(node.left, source), _convert(node.right, source), at)
    if isinstance(node, ast.Compare):
        parts = []
        left = _convert(node.left, source)
        for op_node, right_node in zip(node.ops, node.comparators):
            right = _convert(right_node, source)
            if isinstance(op_node, (ast.In, ast.NotIn)):
                options = right
                if isinstance(right_node, (ast.List, ast.Tuple)):
                    options = Const(tuple(_literal(e, source) for e in right_node.elts), LIST, _offset(right_node, source))
                parts.append(Member(left, options, isinstance(op_node, ast.NotIn), at))
            else:
                op = _COMPARE.get(type(op_node))
                if op is None:
                    raise ExpressionError("unsupported comparison (use < <= > >= == != in, not in)", at)
                parts.append(Compare(op, left, right, at))
            left = right
        return parts[0] if len(parts) == 1 else Logic("and", tuple(parts), at)
    if isinstance(node, (ast.List, ast.Tuple)):
        return Const(tuple(_literal(e, source) for e in node.elts), LIST, at)
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise ExpressionError(f"unknown function; available: {', '.join(FUNCTIONS)}", at)
        if len(node.args) != 1 or node.keywords:
            raise ExpressionError(f"{node.func.id}() takes exactly one argument", at)
        return Call(node.func.id, _convert(node.args[0], source), at)
    raise ExpressionError(f"'{ast.unparse(node)}' is not allowed in a policy expression", at,
                          hint="use names, numbers, quoted text, comparisons, and/or/not, + - * /, in [..], len(..)")


def _literal(node: ast.AST, source: str) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool)):
        return node.value
    raise ExpressionError("a list may hold only numbers and quoted text", _offset(node, source))


def names(node: Any) -> set[str]:
    """Every name an expression mentions."""
    if isinstance(node, Name):
        return {node.name}
    out: set[str] = set()
    for child in _children(node):
        out |= names(child)
    return out


def _children(node: Any) -> tuple:
    if isinstance(node, (Compare, Arith)):
        return (node.left, node.right)
    if isinstance(node, Logic):
        return node.items
    if isinstance(node, Not):
        return (node.item,)
    if isinstance(node, Call):
        return (node.arg,)
    if isinstance(node, Member):
        return (node.item, node.options)
    return ()


# ---- type checking -------------------------------------------------------------------

def suggest(name: str, known) -> str | None:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def check(node: Any, types: dict[str, str]) -> str:
    """The type of an expression, given the type of every known name; ExpressionError if ill-typed."""
    if isinstance(node, Const):
        return node.type
    if isinstance(node, Name):
        if node.name not in types:
            raise ExpressionError(f"unknown name '{node.name}'", node.offset, suggest(node.name, types),
                                  code="ruleset.unknown_name")
        return types[node.name]
    if isinstance(node, Logic):
        for item in node.items:
            if check(item, types) != BOOL:
                raise ExpressionError(f"'{node.op}' needs yes/no (bool) values on both sides", _at(item),
                                      code="ruleset.type_error")
        return BOOL
    if isinstance(node, Not):
        if check(node.item, types) != BOOL:
            raise ExpressionError("'not' needs a yes/no (bool) value", node.offset, code="ruleset.type_error")
        return BOOL
    if isinstance(node, Arith):
        for side in (node.left, node.right):
            if check(side, types) != NUMBER:
                raise ExpressionError(f"'{node.op}' needs numbers", _at(side), code="ruleset.type_error")
        return NUMBER
    if isinstance(node, Call):
        wanted, result = FUNCTIONS[node.func]
        if check(node.arg, types) != wanted:
            raise ExpressionError(f"{node.func}() needs a {wanted}", node.offset, code="ruleset.type_error")
        return result
    if isinstance(node, Member):
        item_type = check(node.item, types)
        if check(node.options, types) != LIST:
            raise ExpressionError("'in' needs a list on its right", node.offset, code="ruleset.type_error")
        if item_type not in (STRING, NUMBER):
            raise ExpressionError("'in' compares text or numbers", node.offset, code="ruleset.type_error")
        return BOOL
    if isinstance(node, Compare):
        left, right = check(node.left, types), check(node.right, types)
        if left != right:
            raise ExpressionError(f"cannot compare {left} with {right}", node.offset, code="ruleset.type_error")
        if left in (BOOL, STRING, LIST) and node.op not in ("==", "!="):
            raise ExpressionError(f"'{node.op}' does not apply to {left} values; use == or !=", node.offset,
                                  code="ruleset.type_error")
        if left == LIST:
            raise ExpressionError("lists cannot be compared; use len(..)", node.offset, code="ruleset.type_error")
        return BOOL
    raise ExpressionError("unsupported expression", 0)


def _at(node: Any) -> int:
    return getattr(node, "offset", 0)


# ---- compilation to Python closures (derived values) --------------------------------------

Getter = Callable[[dict], Any]


def to_closure(node: Any, constants: dict[str, Any]) -> Getter:
    """A function of the measure values (a dict) that computes the expression.

    Parameters are folded in as constants. Absent values (None) read as the durable_rules
    conditions read them (docs/language.md, "Absent values"): arithmetic and len() on an absent
    value are absent, a comparison or membership test with an absent side does not hold, and
    `not` is pushed down to the comparisons (`not (x >= 25)` is `x < 25`), so it does not turn
    "unknown" into "true".
    """
    if isinstance(node, Const):
        value = _word(node.value)
        return lambda values: value
    if isinstance(node, Name):
        if node.name in constants:
            value = _word(constants[node.name])
            return lambda values: value
        key = node.name
        return lambda values: values.get(key)
    if isinstance(node, Logic):
        items = [to_closure(i, constants) for i in node.items]
        if len(items) == 2:  # the usual case, unrolled: it runs for every record
            first, second = items
            if node.op == "and":
                return lambda values: bool(first(values)) and bool(second(values))
            return lambda values: bool(first(values)) or bool(second(values))
        if node.op == "and":
            return lambda values: all(bool(f(values)) for f in items)
        return lambda values: any(bool(f(values)) for f in items)
    if isinstance(node, Not):
        return to_closure(negate(node.item), constants)
    if isinstance(node, Call):
        inner = to_closure(node.arg, constants)

        def length(values):
            value = inner(values)
            return None if value is None else len(value)
        return length
    if isinstance(node, Member):
        item, options, negated = to_closure(node.item, constants), to_closure(node.options, constants), node.negated

        def member(values):
            value, allowed = item(values), options(values)
            if value is None or allowed is None:
                return False
            return (value in allowed) != negated
        return member
    if isinstance(node, Arith):
        left, right, op = to_closure(node.left, constants), to_closure(node.right, constants), node.op

        def arith(values):
            a, b = left(values), right(values)
            if a is None or b is None:
                return None
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            return None if b == 0 else a / b
        return arith
    if isinstance(node, Compare):
        left, right, compare = to_closure(node.left, constants), to_closure(node.right, constants), _PY_COMPARE[node.op]

        def comparison(values):
            a, b = left(values), right(values)
            if a is None or b is None:
                return False
            return compare(a, b)
        return comparison
    raise ExpressionError("unsupported expression", 0)


def negate(node: Any) -> Any:
    """`not node` with the `not` pushed down to the comparisons (De Morgan): the one reading of
    negation both compilations share. A yes/no name or constant `b` negates to `b != true`."""
    if isinstance(node, Not):
        return node.item
    if isinstance(node, Logic):
        return Logic("or" if node.op == "and" else "and", tuple(negate(i) for i in node.items), node.offset)
    if isinstance(node, Compare):
        return Compare(_NEGATE[node.op], node.left, node.right, node.offset)
    if isinstance(node, Member):
        return Member(node.item, node.options, not node.negated, node.offset)
    if isinstance(node, Const) and node.type == BOOL:
        return Const(not node.value, BOOL, node.offset)
    if isinstance(node, (Name, Const)):
        return Compare("!=", node, Const(True, BOOL), node.offset)
    raise ExpressionError("'not' needs a yes/no (bool) value", getattr(node, "offset", 0), code="ruleset.type_error")


# ---- compilation to durable_rules conditions -------------------------------------------------

@dataclass
class DurablePlan:
    """A durable_rules condition plus the fact properties it reads.

    ``properties`` maps each fact property to a closure over the measure values: plain measures
    are copied, arithmetic operands (which durable_rules cannot compute on the left side) are
    computed by kaohe and passed in as properties of their own.
    """

    condition: dict
    properties: dict[str, Getter] = field(default_factory=dict)


def to_durable(node: Any, constants: dict[str, Any], properties: dict[str, Getter] | None = None) -> DurablePlan:
    """Callers fold first (`fold`): a condition that is constant has nothing to match."""
    props = {} if properties is None else properties
    return DurablePlan(_durable(node, constants, props, negate=False), props)


def fold(node: Any, constants: dict[str, Any]) -> Any:
    """Replace every part that reads only parameters by its value.

    A reading chosen by a parameter (`applies_when: point_assessment_counts`) then becomes a
    constant true/false, and `x >= 25 or not per_point_reading` becomes `x >= 25` or `true`.
    """
    if isinstance(node, Logic):
        items = [fold(i, constants) for i in node.items]
        kept = []
        for item in items:
            if isinstance(item, Const) and item.type == BOOL:
                if node.op == "and" and not item.value:
                    return Const(False, BOOL, node.offset)
                if node.op == "or" and item.value:
                    return Const(True, BOOL, node.offset)
                continue
            kept.append(item)
        if not kept:
            return Const(node.op == "and", BOOL, node.offset)
        return kept[0] if len(kept) == 1 else Logic(node.op, tuple(kept), node.offset)
    if isinstance(node, Not):
        inner = fold(node.item, constants)
        if isinstance(inner, Const):
            return Const(not inner.value, BOOL, node.offset)
        return Not(inner, node.offset)
    if names(node) and not (names(node) - set(constants)):
        value = to_closure(node, constants)({})
        kind = BOOL if isinstance(value, bool) else NUMBER if isinstance(value, (int, float)) else STRING
        return Const(value, kind, getattr(node, "offset", 0))
    return node


def _fact_value(value: Any) -> Any:
    return value.toordinal() if isinstance(value, dt.date) else value


def _operand(node: Any, constants: dict, props: dict) -> tuple[str, Any]:
    """('const', value) or ('prop', property name)."""
    if isinstance(node, Const):
        return "const", _fact_value(_word(node.value))
    if isinstance(node, Name):
        if node.name in constants:
            return "const", _fact_value(_word(constants[node.name]))
        prop = "v_" + node.name
        key = node.name
        props.setdefault(prop, lambda values: values.get(key))
        return "prop", prop
    # an arithmetic operand or a len(): kaohe computes it and hands durable_rules the number
    prop = f"e_{len(props)}"
    props[prop] = to_closure(node, constants)
    return "prop", prop


def _durable(node: Any, constants: dict, props: dict, negate: bool) -> dict:
    if isinstance(node, Logic):
        op = node.op if not negate else ("or" if node.op == "and" else "and")
        return {f"${op}": [_durable(i, constants, props, negate) for i in node.items]}
    if isinstance(node, Not):
        return _durable(node.item, constants, props, not negate)
    if isinstance(node, (Name, Const)):
        return _durable(Compare("==", node, Const(True, BOOL)), constants, props, negate)
    if isinstance(node, Member):
        kind, value = _operand(node.item, constants, props)
        options = _word(node.options.value if isinstance(node.options, Const) else constants[node.options.name])
        if kind != "prop":
            raise ExpressionError("the left side of 'in' must be a measure", node.offset)
        excluded = node.negated != negate
        if excluded:
            return {"$and": [{"$neq": {value: o}} for o in options]} if options else _always(value)
        if not options:
            raise ExpressionError("'in' an empty list can never hold", node.offset)
        return {"$or": [{value: o} for o in options]}
    if isinstance(node, Compare):
        op = _NEGATE[node.op] if negate else node.op
        left_kind, left = _operand(node.left, constants, props)
        right_kind, right = _operand(node.right, constants, props)
        if left_kind == "const" and right_kind == "const":
            raise ExpressionError("this comparison does not depend on any measure", node.offset,
                                  code="ruleset.constant_condition")
        if left_kind == "const":
            left, right, op = right, left, _FLIP[op]
            right_kind = "const"
        target = right if right_kind == "const" else {"$m": right}
        condition = {left: target} if op == "==" else {_DURABLE_OP[op]: {left: target}}
        if right_kind != "const":
            # durable_rules compares with an absent `$m` property as if it held something (both == and
            # != match): the comparison holds only when the other side is there
            return {"$and": [_always(right), condition]}
        return condition
    if isinstance(node, (Arith, Call)):
        raise ExpressionError("a requirement must be a yes/no condition, not a number", node.offset,
                              code="ruleset.type_error")
    raise ExpressionError("unsupported expression", 0)


def _always(prop: str) -> dict:
    return {"$ex": {prop: 1}}


def render(node: Any, constants: dict[str, Any], units: dict[str, str] | None = None) -> str:
    """The expression as policy text, parameters replaced by their values: 'school_based_hours ≥ 25'."""
    units = units or {}
    if isinstance(node, Const):
        return format_value(node.value)
    if isinstance(node, Name):
        if node.name in constants:
            return format_value(constants[node.name]) + units.get(node.name, "")
        return node.name
    if isinstance(node, Compare):
        return f"{render(node.left, constants, units)} {SYMBOL[node.op]} {render(node.right, constants, units)}"
    if isinstance(node, Logic):
        joiner = " and " if node.op == "and" else " or "
        return joiner.join(render(i, constants, units) for i in node.items)
    if isinstance(node, Not):
        return f"not ({render(node.item, constants, units)})"
    if isinstance(node, Arith):
        return f"({render(node.left, constants, units)} {node.op} {render(node.right, constants, units)})"
    if isinstance(node, Call):
        return f"{node.func}({render(node.arg, constants, units)})"
    if isinstance(node, Member):
        return f"{render(node.item, constants, units)} {'not in' if node.negated else 'in'} {render(node.options, constants, units)}"
    return "?"


def format_value(value: Any, lang: str = "zh") -> str:
    """How a value reads in an explanation: 25 not 25.0, 94.7 not 94.73684, lists joined."""
    if value is None:
        return "无" if lang == "zh" else "none"
    if isinstance(value, bool):
        if lang == "zh":
            return "是" if value else "否"
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.1f}".rstrip("0").rstrip(".") if abs(value) >= 1 else f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, (list, tuple, frozenset, set)):
        return ("、" if lang == "zh" else ", ").join(format_value(v, lang) for v in value) or ("无" if lang == "zh" else "none")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
