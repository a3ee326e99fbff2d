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


def summary_line(errors: int, warnings: int, checked: str, lang: str) -> str:
    if lang == "zh":
        return f"{errors} 个错误, {warnings} 个警告: {checked}"
    return f"{errors} error(s), {warnings} warning(s) in {checked}"
