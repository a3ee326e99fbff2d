"""Lint and load messages in the user's language.

A check that finds a problem writes its message in English and, where it can, in Chinese
(`Diagnostic.message_zh`). The older English-only messages are translated here by pattern, so
`kaohe lint` speaks Chinese by default without every check carrying two strings. A message no
pattern knows is shown in English rather than not at all.
"""

from __future__ import annotations

import re

# (English pattern, Chinese template); named groups carry names and values across unchanged
_PATTERNS: list[tuple[str, str]] = [
    (r"unknown name '(?P<n>[^']+)'", "未知名称 '{n}'"),
    (r"unknown field '(?P<n>[^']+)' in parameter '(?P<p>[^']+)'", "参数 '{p}' 中有未知字段 '{n}'"),
    (r"unknown field '(?P<n>[^']+)' in rule '(?P<r>[^']+)'", "规则 '{r}' 中有未知字段 '{n}'"),
    (r"unknown field '(?P<n>[^']+)' in effective", "effective 中有未知字段 '{n}'"),
    (r"unknown field '(?P<n>[^']+)'", "未知字段 '{n}'"),
    (r"unknown language '(?P<n>[^']+)' \(use zh and en\)", "未知语言 '{n}'（请用 zh 和 en）"),
    (r"missing text in Chinese \(zh\) and English \(en\)", "缺少中文 (zh) 和英文 (en) 文字"),
    (r"text must be given as zh: … and en: …", "文字须写成 zh: … 和 en: …"),
    (r"missing the Chinese text \(zh\)", "缺少中文文字 (zh)"),
    (r"missing the English text \(en\)", "缺少英文文字 (en)"),
    (r"missing citation: cite: \{source: …, clause: …\}", "缺少依据: cite: {{source: …, clause: …}}"),
    (r"a citation needs a source \(an id under 'sources'\) and a clause",
     "依据须写明来源 (sources 下的编号) 和条款"),
    (r"parameter '(?P<p>[^']+)' is not used", "参数 '{p}' 没有被任何规则使用"),
    (r"measure '(?P<m>[^']+)' is not used by any rule", "度量 '{m}' 没有被任何规则使用"),
    (r"'extends: (?P<p>[^']+)': no such ruleset is loaded", "'extends: {p}': 没有加载这个规则集"),
    (r"'extends' forms a cycle: (?P<c>.+)", "'extends' 形成循环: {c}"),
    (r"'(?P<v>[^']*)' is not a date \(YYYY-MM-DD\)", "'{v}' 不是日期 (应为 YYYY-MM-DD)"),
    (r"parameter '(?P<p>[^']+)': '(?P<v>[^']*)' is not a date \(YYYY-MM-DD\)", "参数 '{p}': '{v}' 不是日期 (应为 YYYY-MM-DD)"),
    (r"parameter '(?P<p>[^']+)' is declared (?P<d>\w+) but its value is (?P<k>\w+)",
     "参数 '{p}' 声明为 {d}, 但取值是 {k}"),
    (r"parameter '(?P<p>[^']+)' needs a 'value'", "参数 '{p}' 缺少 'value'"),
    (r"cannot compare (?P<a>\w+) with (?P<b>\w+)", "不能比较 {a} 与 {b}"),
    (r"rule '(?P<r>[^']+)' require must be a yes/no condition, not a (?P<k>\w+)", "规则 '{r}' 的 require 须是是/否条件, 不能是 {k}"),
    (r"rule id '(?P<r>[^']+)' is used twice \(first at (?P<w>[^)]+)\)", "规则编号 '{r}' 用了两次 (第一次在 {w})"),
    (r"ruleset id '(?P<r>[^']+)' is also defined in (?P<f>.+)", "规则集编号 '{r}' 也在 {f} 中定义"),
    (r"cannot remove rule '(?P<r>[^']+)': the parent has no such rule", "不能删除规则 '{r}': 上级规则集中没有这条规则"),
    (r"cannot set unknown parameter '(?P<p>[^']+)'", "不能设置未知参数 '{p}'"),
    (r"every rule needs an 'id'", "每条规则都需要 'id'"),
    (r"missing 'kaohe: 1' \(the ruleset language version\)", "缺少 'kaohe: 1' (规则语言版本)"),
    (r"missing '(?P<k>[^']+)' \(the period this ruleset is in force\)", "缺少 '{k}' (本规则集的生效期)"),
    (r"missing '(?P<k>[^']+)'", "缺少 '{k}'"),
    (r"a ruleset file must be a YAML mapping", "规则集文件须是 YAML 映射 (键: 值)"),
    (r"no such file or folder", "没有这个文件或文件夹"),
    (r"cannot read ruleset: (?P<e>.+)", "无法读取规则集: {e}"),
    (r"this comparison does not depend on any measure", "这个比较不依赖任何度量, 结果恒定"),
    (r"'(?P<o>[^']+)' needs numbers", "'{o}' 两边须是数字"),
    (r"cannot parse expression: (?P<e>.+)", "无法解析表达式: {e}"),
    (r"(?P<w>rule '[^']+' \w+\.\w+): unknown placeholder '(?P<n>[^']+)'", "{w}: 未知占位符 '{n}'"),
    (r"measure '(?P<m>[^']+)': (?P<rest>.+)", "度量 '{m}': {rest}"),
    # YAML as written (pyyaml's words for the usual slips)
    (r"YAML syntax error: (?P<rest>.+)", "YAML 语法错误: {rest}"),
    (r"YAML error: (?P<rest>.+)", "YAML 错误: {rest}"),
    (r"mapping values are not allowed here", "此处不能写 '键: 值' (文字中含冒号时请加引号, 或检查缩进)"),
    (r"found character '\\t' that cannot start any token", "不能用 Tab 缩进, 请改用空格"),
    (r"expected <block end>, but found '(?P<t>[^']*)'", "缩进不一致: 同一层的键须左对齐"),
    (r"could not find expected ':'", "找不到应有的冒号: 每个键后须写 ': '"),
    (r"found unexpected end of stream", "文件意外结束: 引号或括号可能没有闭合"),
    (r"expected ',' or '\]', but got '(?P<t>[^']*)'", "列表 [...] 没有闭合, 或缺少逗号"),
    (r"expected ',' or '\}', but got '(?P<t>[^']*)'", "映射 {{...}} 没有闭合, 或缺少逗号"),
    (r"key '(?P<k>[^']+)' appears twice", "键 '{k}' 出现了两次"),
    (r"mapping keys must be plain text", "键须是普通文字"),
    # the command line's errors
    (r"no ruleset '(?P<r>[^']+)' is loaded", "没有加载规则集 '{r}'"),
    (r"loaded: (?P<l>.+)", "已加载: {l}"),
    (r"ruleset '(?P<r>[^']+)' did not load: (?P<rest>.+)", "规则集 '{r}' 加载失败: {rest}"),
    (r"no revision of '(?P<r>[^']+)' is in force on (?P<d>[\d-]+)", "'{r}' 在 {d} 没有生效的修订版本"),
    (r"revisions cover: (?P<p>.+); pass another as-of date", "各修订版本的生效期: {p}; 请换一个 --as-of 日期"),
    (r"(?P<f>.+): no such file or folder", "{f}: 没有这个文件或文件夹"),
    (r"(?P<f>.+): no such file", "{f}: 没有这个文件"),
    (r"(?P<f>.+):(?P<n>\d+):(?P<c>\d+): not valid JSON: (?P<e>.+)", "{f}:{n}:{c}: 不是有效的 JSON: {e}"),
    (r"(?P<f>.+):(?P<n>\d+): not valid JSON: (?P<e>.+)", "{f}:{n}: 不是有效的 JSON: {e}"),
    (r"(?P<f>.+): unknown input format '(?P<s>[^']*)'", "{f}: 不认识的输入格式 '{s}'"),
    (r"use \.json, \.jsonl or \.csv", "请用 .json、.jsonl 或 .csv"),
    (r"(?P<f>.+): unknown column\(s\) (?P<c>.+)", "{f}: 未知列 {c}"),
    (r"teacher columns are: (?P<c>.+)", "教师记录的列: {c}"),
    (r"expected a dataset object, a list of schools or a list of teachers", "应为数据集对象、学校列表或教师列表"),
    (r"--format xlsx writes a workbook: give -o PATH.xlsx", "--format xlsx 生成工作簿: 请用 -o 指定 文件名.xlsx"),
    (r"--dask writes part files: give -o FOLDER", "--dask 输出分片文件: 请用 -o 指定文件夹"),
    (r"nothing to simulate: give --set NAME=VALUE and/or --with CHANGED.yaml",
     "没有可模拟的改动: 请给出 --set 参数名=取值 和/或 --with 改动后的规则集.yaml"),
    (r"no importer '(?P<i>[^']+)'", "没有导入器 '{i}'"),
    (r"available: (?P<l>.+)", "可用: {l}"),
    (r"(?P<f>.+): an export must be \.csv or \.xlsx, not '(?P<s>[^']*)'", "{f}: 导出文件须为 .csv 或 .xlsx, 不能是 '{s}'"),
    (r"(?P<f>.+): no header row with the columns (?P<c>.+)", "{f}: 找不到包含这些列的表头行: {c}"),
    (r"check that this is the right export for this importer", "请确认这是该导入器对应的导出文件"),
    (r"measure '(?P<m>[^']+)' refers to unknown (?P<l>\w+) rule '(?P<r>[^']+)'", "度量 '{m}' 引用了不存在的 {l} 级规则 '{r}'"),
    (r"rule '(?P<r>[^']+)' (?P<k>[a-z_.]+): (?P<rest>.+)", "规则 '{r}' 的 {k}: {rest}"),
]
_COMPILED = [(re.compile(rf"^{pattern}$", re.S), template) for pattern, template in _PATTERNS]
_HINTS = [
    (re.compile(r"^did you mean '(?P<n>[^']+)'\?$"), "是否想写 '{n}'？"),
    (re.compile(r"^did you mean '(?P<n>[^']+)'\? (?P<rest>.+)$"), "是否想写 '{n}'？{rest}"),
    (re.compile(r"^it needs a newer kaohe$"), "需要更新的 kaohe 版本"),
]


def translate(text: str | None, lang: str, table=None) -> str | None:
    """`text` in `lang` ("zh" or "en"); English when no pattern knows it."""
    if text is None or lang != "zh":
        return text
    for pattern, template in (table or _COMPILED):
        found = pattern.match(text)
        if found:
            groups = {k: (translate(v, lang) if k == "rest" else v) for k, v in found.groupdict().items()}
            return template.format(**groups)
    return text


def localized(diagnostic, lang: str) -> tuple[str, str | None]:
    """A diagnostic's message and hint in `lang`."""
    if lang != "zh":
        return diagnostic.message, diagnostic.hint
    message = diagnostic.message_zh or translate(diagnostic.message, lang)
    hint = diagnostic.hint_zh or translate(diagnostic.hint, lang, _HINTS)
    return message, hint


def diagnostic_in(entry: dict, lang: str) -> dict:
    """A diagnostic dict made with `to_dict("both")`, worded in `lang` only."""
    out = {k: v for k, v in entry.items() if k not in ("message_zh", "hint_zh")}
    if lang == "zh":
        if entry.get("message_zh"):
            out["message"] = entry["message_zh"]
        if entry.get("hint_zh"):
            out["hint"] = entry["hint_zh"]
    return out


def summary_line(errors: int, warnings: int, checked: str, lang: str) -> str:
    if lang == "zh":
        return f"{errors} 个错误, {warnings} 个警告: {checked}"
    return f"{errors} error(s), {warnings} warning(s) in {checked}"


# ---- record validation (pydantic) ------------------------------------------------------------

# pydantic error type → Chinese wording; {name} fields come from the error's ctx
_PYDANTIC_ZH = {
    "missing": "缺少必填字段",
    "extra_forbidden": "未知字段",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字 (阿拉伯数字, 不加引号)",
    "float_type": "应为数字",
    "finite_number": "应为有限的数字",
    "greater_than_equal": "应不小于 {ge}",
    "greater_than": "应大于 {gt}",
    "less_than_equal": "应不大于 {le}",
    "less_than": "应小于 {lt}",
    "string_type": "应为文字",
    "string_too_short": "至少需要 {min_length} 个字符 (不能为空)",
    "string_too_long": "最多 {max_length} 个字符",
    "list_type": "应为列表 [...]",
    "too_long": "最多 {max_length} 项",
    "dict_type": "应为对象 {{...}}",
    "model_type": "应为对象 {{...}}",
    "model_attributes_type": "应为对象 {{...}}",
    "date_type": "应为日期 (YYYY-MM-DD)",
    "date_parsing": "不是日期 (应为 YYYY-MM-DD)",
    "date_from_datetime_parsing": "不是日期 (应为 YYYY-MM-DD)",
    "date_from_datetime_inexact": "应为日期, 不带时间 (YYYY-MM-DD)",
    "literal_error": "应为以下之一: {expected}",
    "enum": "应为以下之一: {expected}",
    "json_invalid": "不是有效的 JSON",
    "value_error": "取值无效: {error}",
    "assertion_error": "取值无效: {error}",
}


def _field_names(model, loc) -> list[str]:
    """The field names a record model allows at `loc` (the path of an unknown field's parent)."""
    import typing

    from pydantic import BaseModel

    def unwrap(annotation):
        while True:
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if typing.get_origin(annotation) in (list, tuple, set, frozenset, typing.Union) or (
                    args and str(typing.get_origin(annotation)) == "types.UnionType"):
                annotation = args[0] if args else annotation
                if not args:
                    return annotation
                continue
            return annotation

    current = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        current = unwrap(field.annotation)
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def validation_problem(item: dict, model=None, loc=None) -> tuple[str, str]:
    """One pydantic error as (English, Chinese) text; an unknown field gets a did-you-mean
    from the fields the record allows there. `loc` is the error's path inside `model` (default:
    the error's own, from the root)."""
    from .expressions import suggest

    english = item["msg"]
    def shown(value):
        if isinstance(value, (list, tuple)):
            return ", ".join(map(str, value))
        if isinstance(value, float) and value.is_integer():
            return int(value)  # pydantic says "ge 0.0" of a bound written 0
        return value

    ctx = {k: shown(v) for k, v in (item.get("ctx") or {}).items()}
    template = _PYDANTIC_ZH.get(item["type"])
    try:
        chinese = template.format(**ctx) if template else english
    except (KeyError, IndexError):
        chinese = template
    loc = list(item["loc"] if loc is None else loc)
    if item["type"] == "extra_forbidden" and model is not None and loc:
        close = suggest(str(loc[-1]), _field_names(model, loc[:-1]))
        if close:
            name = close.split("'")[1]
            english += f" ({close})"
            chinese += f" (是否想写 '{name}'？)"
    return english, chinese
