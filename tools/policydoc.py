"""A compiled ruleset as a policy document a policy officer reads: every rule with what it requires,
the parameters it uses (with the open questions and the readings chosen), where it comes from, and
the scenarios from the feature files that show it passing and failing.

    render_markdown(compiled, [Path("features")], lang="zh") -> str

Scenarios are tied to rules by tags: `@rule:<rule id>` on a scenario, on its `规则:` / `Rule:` block
or on the feature. A `规则:` block whose title is a rule's title counts too, so an untagged block
still lands under its rule. Only scenarios that adopt this ruleset (`采用规则集 "<id>"` in their
steps or background; else a `@ruleset:<id>` tag; else a feature folder named after the id) are
shown, so a parent's rules inherited by a child show the child's own examples.

The feature files are read here with a small line reader for the Gherkin this project writes
(zh-CN and English keywords, tags, backgrounds, rules, outlines, tables, doc strings), so the
document needs no test-only package (that reader is why the module runs to some 520 lines).
Nothing here imports the API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from kaohe.engine import CompiledRuleset, Rule, citation_fields, citation_text, format_value, source_document

KEYWORDS = {
    "feature": ("功能", "Feature", "Business Need", "Ability"),
    "rule": ("规则", "Rule"),
    "background": ("背景", "Background"),
    "outline": ("场景大纲", "剧本大纲", "Scenario Outline", "Scenario Template"),
    "scenario": ("场景", "剧本", "Scenario", "Example"),
    "examples": ("例子", "Examples", "Scenarios"),
}
_KEYWORD_LINE = [(kind, re.compile(rf"^({'|'.join(re.escape(w) for w in words)})\s*:\s*(.*)$"))
                 for kind, words in KEYWORDS.items()]
_RULESET_STEP = re.compile(r'(?:规则集|[Rr]uleset)\s*"([^"]+)"')
RULE_TAG, RULESET_TAG = "rule:", "ruleset:"

WORDS = {
    "zh": {
        "ruleset": "规则集", "version": "版本", "revision": "修订", "effective": "施行", "from": "起", "until": "至",
        "jurisdiction": "适用地区", "extends": "继承", "sources": "依据文件", "labels": "结论用语", "level": "对象",
        "pass": "通过", "fail": "不通过", "contents": "目录",
        "levels": {"teacher": "教师", "school": "学校", "region": "区域 (市、区县教育局)"},
        "severity": "性质", "required": "必备 (不满足即不通过)", "advisory": "建议项 (只作提示, 不影响结论)",
        "requires": "要求", "condition": "判定条件", "applies_when": "适用条件", "parameters": "所用参数",
        "parameter": "参数", "value": "取值", "unit": "单位", "question": "待确认的问题", "reading": "采用的读法",
        "data": "依据的数据", "citation": "依据", "quote": "原文", "clause": "条款", "seed": "文本",
        "explain_fail": "不通过时的说明", "remedy": "整改提示", "scenarios": "示例场景",
        "no_scenarios": "(尚无示例场景)",
        "no_examples": "此规则集还没有示例场景 (没有找到写明规则集 {id} 的特性文件场景); 下列规则的要求与依据照常列出。", "outline": "场景大纲", "scenario": "场景", "background": "背景",
        "unmatched": "未对应到本规则集规则的场景标签", "generated": "本文件由规则集与特性文件生成, 请勿手工修改。",
        "placeholder_note": "〈〉中为评估时填入的数值。", "none": "无", "yes": "是", "no": "否",
        "actual": "实际值", "expected": "要求值", "gap": "差额", "feature": "功能",
        "backgrounds": "示例场景的背景", "backgrounds_note": "各特性文件的场景都从本文件的背景开始, 场景只写与背景不同之处。",
    },
    "en": {
        "ruleset": "Ruleset", "version": "version", "revision": "revision", "effective": "In force", "from": "from",
        "until": "until", "jurisdiction": "Jurisdiction", "extends": "Extends", "sources": "Sources",
        "labels": "Verdict words", "level": "Level", "pass": "pass", "fail": "fail", "contents": "Contents",
        "levels": {"teacher": "Teachers", "school": "Schools", "region": "Regions (city and county bureaus)"},
        "severity": "Severity", "required": "required (failing it fails the verdict)",
        "advisory": "advisory (a reminder; the verdict does not depend on it)",
        "requires": "Requirement", "condition": "Condition", "applies_when": "Applies when", "parameters": "Parameters",
        "parameter": "Parameter", "value": "Value", "unit": "Unit", "question": "Open question", "reading": "Reading chosen",
        "data": "Data it reads", "citation": "Source", "quote": "Quote", "clause": "clause", "seed": "text",
        "explain_fail": "Explanation when it fails", "remedy": "What to do", "scenarios": "Example scenarios",
        "no_scenarios": "(no example scenario yet)",
        "no_examples": "This ruleset has no example scenarios yet (no feature scenario names ruleset {id}); its rules, requirements and sources follow.", "outline": "Scenario outline", "scenario": "Scenario",
        "background": "Background", "unmatched": "Scenario tags that name no rule of this ruleset",
        "generated": "Generated from the ruleset and the feature files; do not edit by hand.",
        "placeholder_note": "Values in 〈〉 are filled in when a record is evaluated.", "none": "none", "yes": "yes", "no": "no",
        "actual": "actual", "expected": "expected", "gap": "gap", "feature": "feature",
        "backgrounds": "Backgrounds of the example scenarios",
        "backgrounds_note": "Every scenario of a feature file starts from its background and states only what differs.",
    },
}


# ---- reading feature files ---------------------------------------------------------------------


@dataclass
class SpecScenario:
    """One scenario (or outline) of a feature file, with what it needs to be placed under a rule."""

    path: Path
    line: int
    keyword: str
    name: str
    feature: str
    rule_block: str | None  # the title of the 规则: block it sits in
    tags: tuple[str, ...]  # its own tags, its rule block's and its feature's
    text: str  # its source, from the keyword line to the last line of its examples
    background: str  # the feature's (and rule block's) background steps
    language: str = "en"

    @property
    def rule_ids(self) -> list[str]:
        return [t[len(RULE_TAG):] for t in self.tags if t.startswith(RULE_TAG)]

    def ruleset_ids(self) -> set[str]:
        """The ruleset(s) the scenario adopts: named in its steps, else by tag, else its folder."""
        named = set(_RULESET_STEP.findall(self.background + "\n" + self.text))
        if named:
            return named
        tagged = {t[len(RULESET_TAG):] for t in self.tags if t.startswith(RULESET_TAG)}
        return tagged or {self.path.parent.name}


@dataclass
class _Block:
    kind: str
    keyword: str
    name: str
    line: int
    tags: tuple[str, ...]
    lines: list[str] = field(default_factory=list)


def _keyword(line: str) -> tuple[str, str, str] | None:
    for kind, pattern in _KEYWORD_LINE:
        match = pattern.match(line)
        if match:
            return kind, match.group(1), match.group(2).strip()
    return None


def read_feature(path: Path) -> list[SpecScenario]:
    """The scenarios of one feature file (tolerant: anything it does not know belongs to the block above)."""
    raw = path.read_text(encoding="utf-8").splitlines()
    language = "en"
    for line in raw[:3]:
        match = re.match(r"^\s*#\s*language\s*:\s*(\S+)", line)
        if match:
            language = match.group(1)
    feature_name, feature_tags = "", ()
    rule_name, rule_tags = None, ()
    feature_background, rule_background = "", ""
    pending: list[str] = []
    blocks: list[tuple[_Block, str | None, tuple, str]] = []  # scenario block, rule name, rule tags, background
    current: _Block | None = None
    in_doc = None

    def close():
        nonlocal current, feature_background, rule_background
        if current is None:
            return
        if current.kind == "background":
            text = _dedent("\n".join(current.lines))
            if rule_name is None:
                feature_background = text
            else:
                rule_background = text
        current = None

    for number, line in enumerate(raw, start=1):
        stripped = line.strip()
        if in_doc is not None:
            if current is not None:
                current.lines.append(line)
            if stripped.startswith(in_doc):
                in_doc = None
            continue
        if stripped.startswith('"""') or stripped.startswith("```"):
            in_doc = stripped[:3]
            if current is not None:
                current.lines.append(line)
            continue
        if stripped.startswith("@"):
            pending.extend(t.lstrip("@") for t in stripped.split() if t.startswith("@"))
            continue
        if stripped.startswith("#"):
            if current is not None and not re.match(r"^#\s*language\s*:", stripped):
                current.lines.append(line)  # a comment inside a block explains it: keep it
            continue
        found = _keyword(stripped)
        if found is None or found[0] == "examples":
            if current is not None:
                current.lines.append(line)
            continue
        kind, keyword, name = found
        tags, pending = tuple(pending), []
        if kind in ("scenario", "outline", "background"):
            close()
            current = _Block(kind, keyword, name, number, tags, [line])
            if kind != "background":
                blocks.append((current, rule_name, rule_tags, feature_background + "\n" + rule_background))
        elif kind == "rule":
            close()
            rule_name, rule_tags, rule_background = name, tags, ""
        elif kind == "feature":
            close()
            feature_name, feature_tags = name, tags
    close()
    out = []
    for block, in_rule, tags_of_rule, background in blocks:
        text = "\n".join(block.lines).rstrip()
        out.append(SpecScenario(path=path, line=block.line, keyword=block.keyword, name=block.name,
                                feature=feature_name, rule_block=in_rule,
                                tags=tuple(dict.fromkeys(block.tags + tags_of_rule + feature_tags)),
                                text=_dedent(text), background=background.strip(), language=language))
    return out


def _dedent(text: str) -> str:
    lines = text.splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents) if indents else 0
    return "\n".join(line[cut:] for line in lines)


def feature_files(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        path = Path(path)
        out.extend(sorted(path.rglob("*.feature")) if path.is_dir() else [path])
    return out


def default_feature_paths(compiled: CompiledRuleset) -> list[Path]:
    """Where a ruleset's specs are, from any working directory: the specs shipped with kaohe (next
    to its rulesets, installed or not), and a `features/` folder or `.feature` files beside the
    ruleset's own file (an external ruleset)."""
    from importlib import resources

    found: list[Path] = []
    try:
        shipped = Path(str(resources.files("kaohe.rulesets"))).parent / "features"
        if shipped.is_dir():
            found.append(shipped)
    except (ModuleNotFoundError, TypeError):
        pass
    documents = compiled.resolved.documents
    if documents:
        here = Path(documents[0].file).parent
        if here.is_dir() and not any(here.resolve() == f.resolve().parent for f in found):
            if (here / "features").is_dir():
                found.append(here / "features")
            found.extend(sorted(here.glob("*.feature")))
    return list(dict.fromkeys(p.resolve() for p in found))


def scenarios_by_rule(compiled: CompiledRuleset, paths: Iterable[Path]) -> tuple[dict[str, list[SpecScenario]], list[tuple[SpecScenario, str]]]:
    """Rule id → the scenarios of this ruleset that illustrate it; and (scenario, tag) pairs naming no rule."""
    rules = {r.id: r for r in compiled.all_rules()}
    by_title = {t: r.id for r in rules.values() for t in (r.title.get("zh"), r.title.get("en")) if t}
    found: dict[str, list[SpecScenario]] = {rid: [] for rid in rules}
    unmatched: list[tuple[SpecScenario, str]] = []
    for path in feature_files(paths):
        for scenario in read_feature(path):
            if compiled.id not in scenario.ruleset_ids():
                continue
            ids = list(scenario.rule_ids)
            for rid in ids:
                if rid not in rules:
                    unmatched.append((scenario, rid))
            if scenario.rule_block in by_title:
                ids.append(by_title[scenario.rule_block])
            for rid in dict.fromkeys(i for i in ids if i in rules):
                found[rid].append(scenario)
    return found, unmatched


# ---- rendering ---------------------------------------------------------------------------------


def _value(value, lang: str) -> str:
    if isinstance(value, bool):
        return WORDS[lang]["yes" if value else "no"]
    if isinstance(value, (list, tuple)):
        return ("、" if lang == "zh" else ", ").join(str(v) for v in value) or WORDS[lang]["none"]
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return format_value(value, lang)


def _text(value, lang: str) -> str:
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("zh") or value.get("en") or "")
    return "" if value is None else str(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")  # rule ids (gd.teacher.point-summaries) stay one token
# keys of a measure that name record collections or fields, never another measure
_RECORD_KEYS = {"of", "in", "by", "each", "field", "value"}


def _names_in(value, names: set[str], keys: bool = False) -> list[str]:
    """Names (of parameters or measures) a spec mentions; with `keys`, mapping keys count too
    (a share's `that: {point_assessment_qualified: true}` names a measure by key), and the keys
    that name record collections or fields are passed over."""
    out: list[str] = []

    def walk(v):
        if isinstance(v, str):
            out.extend(t for t in _TOKEN.findall(v) if t in names)
        elif isinstance(v, dict):
            for k, item in v.items():
                if keys and k in _RECORD_KEYS:
                    continue
                if keys and isinstance(k, str) and k in names:
                    out.append(k)
                walk(item)
        elif isinstance(v, (list, tuple)):
            for item in v:
                walk(item)

    walk(value)
    return list(dict.fromkeys(out))


def rule_spec(compiled: CompiledRuleset, rule_id: str) -> dict:
    for spec in compiled.resolved.rules:
        if spec.get("id") == rule_id:
            return spec
    return {}


def rule_inputs(compiled: CompiledRuleset, rule: Rule) -> tuple[list[str], list[str]]:
    """The parameters and the measures a rule reads, directly or through the measures it reads."""
    resolved = compiled.resolved
    params, measures = set(resolved.parameters), set(resolved.measures)
    spec = rule_spec(compiled, rule.id)
    # conditions are expressions; wording is prose, where only {placeholders} name things
    direct = [spec.get(k) for k in ("require", "applies_when", "review_when", "actual", "gap")]
    for key in ("explain", "remedy", "expected", "not_applicable"):
        direct.extend(re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", repr(spec.get(key) or "")))
    seen_measures: list[str] = []
    seen_params: list[str] = _names_in(direct, params) + [n for n in getattr(rule, "constants", {}) if n in params]
    queue = [n for n in list(getattr(rule, "inputs", ())) + _names_in(direct, measures) if n in measures]
    while queue:
        name = queue.pop(0)
        if name in seen_measures:
            continue
        seen_measures.append(name)
        body = {k: v for k, v in resolved.measures[name].items() if k not in ("title", "unit", "level")}
        seen_params.extend(_names_in(body, params))
        queue.extend(n for n in _names_in(body, measures, keys=True) if n not in seen_measures)
    order = list(resolved.parameters)
    ordered_params = sorted(dict.fromkeys(seen_params), key=order.index)
    return ordered_params, seen_measures


def _template(text: str, compiled: CompiledRuleset, lang: str) -> str:
    """A wording template as it will read: parameters filled in, measures and words as 〈title〉."""
    words = WORDS[lang]
    resolved = compiled.resolved

    def fill(match):
        name = match.group(1)
        if name in compiled.parameters:
            return _value(compiled.parameters[name], lang)
        if name in resolved.measures:
            return f"〈{_text(resolved.measures[name].get('title'), lang) or name}〉"
        if name in ("actual", "expected", "gap"):
            return f"〈{words[name]}〉"
        return match.group(0)

    return re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", fill, text)


def _quote(text: str) -> list[str]:
    return ["> " + line if line else ">" for line in text.splitlines()]


def render_markdown(compiled: CompiledRuleset, feature_paths: list[Path], lang: str = "zh") -> str:
    """The ruleset as a Markdown policy document, with the feature scenarios that illustrate each rule."""
    lang = "en" if lang.lower().startswith("en") else "zh"
    w = WORDS[lang]
    resolved = compiled.resolved
    scenarios, unmatched = scenarios_by_rule(compiled, feature_paths)
    lines: list[str] = [f"# {_text(resolved.title, lang)}", ""]
    jurisdiction = resolved.jurisdiction or {}
    period = f"{resolved.effective_from or '…'} {w['from']}"
    if resolved.effective_until:
        period += f", {resolved.effective_until} {w['until']}"
    lines += [f"- {w['ruleset']}: `{resolved.id}` · {w['version']} {resolved.version} · {w['revision']} `{resolved.revision}`",
              f"- {w['jurisdiction']}: {_text(jurisdiction.get('name'), lang)}",
              f"- {w['effective']}: {period}"]
    if len(resolved.lineage) > 1:
        lines.append(f"- {w['extends']}: " + " → ".join(f"`{rid}`" for rid in resolved.lineage[1:]))
    lines += ["", f"*{w['generated']} {w['placeholder_note']}*", ""]
    if not any(scenarios.values()):
        lines += [f"> {w['no_examples'].format(id=resolved.id)}", ""]

    lines += [f"## {w['sources']}", ""]
    for sid, source in resolved.sources.items():
        doc = source_document(source)
        bits = [b for b in (doc["issuer"][lang], doc["number"], doc["date"]) if b]
        seed = f" — {w['seed']} `{doc['seed']}`" if doc["seed"] else ""
        title = f"《{doc['title'][lang]}》" if lang == "zh" else f"“{doc['title'][lang]}”"
        lines.append(f"- **{sid}**: {title}" + (f" ({', '.join(str(b) for b in bits)})" if bits else "") + seed)
    lines += ["", f"## {w['labels']}", "", f"| {w['level']} | {w['pass']} | {w['fail']} |", "|---|---|---|"]
    for level in ("teacher", "school", "region"):
        if compiled.rules.get(level):
            lines.append(f"| {w['levels'][level]} | {compiled.label(level, 'pass', lang)} | {compiled.label(level, 'fail', lang)} |")
    lines.append("")

    lines += [f"## {w['contents']}", ""]
    for level in ("teacher", "school", "region"):
        for rule in compiled.rules.get(level, []):
            lines.append(f"- [{_text(rule.title, lang)}](#{_anchor(rule.id)}) `{rule.id}`")
    lines.append("")

    for level in ("teacher", "school", "region"):
        rules = compiled.rules.get(level, [])
        if not rules:
            continue
        lines += [f"## {w['levels'][level]}", ""]
        for rule in rules:
            lines += _rule_section(compiled, rule, scenarios.get(rule.id, []), lang)

    backgrounds = {}
    for found in scenarios.values():
        for scenario in found:
            if scenario.background and scenario.path not in backgrounds:
                backgrounds[scenario.path] = scenario
    if backgrounds:
        lines += [f"## {w['backgrounds']}", "", w["backgrounds_note"], ""]
        for path, scenario in backgrounds.items():
            lines += [f"### {scenario.feature}", "", f"`{_shown_path(path)}`", "", "```gherkin", scenario.background, "```", ""]

    if unmatched:
        lines += [f"## {w['unmatched']}", ""]
        for scenario, tag in unmatched:
            lines.append(f"- `@rule:{tag}` — {_shown_path(scenario.path)}:{scenario.line} {scenario.name}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _shown_path(path: Path) -> str:
    """A feature file as the document names it: relative to the working directory where possible,
    else from its `features/` folder on (never a path of this machine)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        parts = path.resolve().parts
        if "features" in parts:
            return "/".join(parts[len(parts) - 1 - parts[::-1].index("features"):])
        return path.name


def _anchor(rule_id: str) -> str:
    return "rule-" + re.sub(r"[^a-z0-9-]", "-", rule_id.lower())


def _rule_section(compiled: CompiledRuleset, rule: Rule, scenarios: list[SpecScenario], lang: str) -> list[str]:
    w = WORDS[lang]
    resolved = compiled.resolved
    spec = rule_spec(compiled, rule.id)
    lines = [f'<a id="{_anchor(rule.id)}"></a>', "", f"### {_text(rule.title, lang)}", "", f"`{rule.id}`", ""]
    lines.append(f"- **{w['severity']}**: {w[rule.severity] if rule.severity in w else rule.severity}")
    expected = spec.get("expected")
    if expected:
        requirement = _template(_text(expected, lang), compiled, lang)
    else:
        try:
            requirement = rule.expected_fn({})[lang]
        except Exception:  # a derived requirement that needs values: the condition below says it
            requirement = ""
    if requirement:
        lines.append(f"- **{w['requires']}**: {requirement}")
    lines.append(f"- **{w['condition']}**: `{spec.get('require', '')}`")
    if spec.get("applies_when"):
        lines.append(f"- **{w['applies_when']}**: `{spec['applies_when']}`")
    explain = (spec.get("explain") or {}).get("fail")
    if explain:
        lines.append(f"- **{w['explain_fail']}**: {_template(_text(explain, lang), compiled, lang)}")
    if spec.get("remedy"):
        lines.append(f"- **{w['remedy']}**: {_template(_text(spec['remedy'], lang), compiled, lang)}")
    citation = rule.citation or {}
    if citation:
        where = citation_text(citation, lang)
        if citation.get("seed"):
            where += f" ({w['seed']} `{citation['seed']}`)"
        lines.append(f"- **{w['citation']}**: {where}")
        if citation.get("quote"):
            lines.append(f"  - {w['quote']}: 「{citation['quote']}」")
    params, measures = rule_inputs(compiled, rule)
    if measures:
        lines.append(f"- **{w['data']}**: " + ("、" if lang == "zh" else ", ").join(
            f"{_text(resolved.measures[m].get('title'), lang)} (`{m}`)" for m in measures))
    lines.append("")
    if params:
        lines += [f"**{w['parameters']}**", "", f"| {w['parameter']} | {w['value']} | {w['unit']} | {w['citation']} |",
                  "|---|---|---|---|"]
        notes: list[str] = []
        for name in params:
            pspec = resolved.parameters[name]
            value = compiled.parameters.get(name, pspec.get("value"))
            cite = pspec.get("cite") or {}
            where = citation_text({**citation_fields(resolved.sources.get(cite.get("source"))), **cite}, lang) if cite else ""
            if cite.get("quote"):
                where += f" 「{cite['quote']}」"
            title = _text(pspec.get("title"), lang)
            lines.append(f"| {_cell(title)} (`{name}`) | {_cell(_value(value, lang))} | {_cell(str(pspec.get('unit') or ''))} "
                         f"| {_cell(where)} |")
            if pspec.get("question"):
                notes.append(f"- `{name}` — **{w['question']}**: {_text(pspec['question'], lang)}")
                notes.append(f"  **{w['reading']}**: {_text(pspec.get('reading'), lang)}")
        lines.append("")
        if notes:
            lines += notes + [""]
    lines += [f"**{w['scenarios']}**", ""]
    if not scenarios:
        lines += [w["no_scenarios"], ""]
    for scenario in scenarios:
        lines.append(f"- {scenario.keyword}: {scenario.name} — {w['feature']} \"{scenario.feature}\", "
                     f"`{_shown_path(scenario.path)}:{scenario.line}`")
    if scenarios:
        lines.append("")
    for scenario in scenarios:
        lines += ["```gherkin", scenario.text, "```", ""]
    return lines
