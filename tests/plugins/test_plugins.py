"""The plugin format, proven by use: hooks, broken plugins, the external example."""

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from gd_records import complete_teacher

from kaohe.plugins.manager import DEFAULT_PLUGINS, build_registry

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2022, 12, 31)

MINI_RULESET = textwrap.dedent("""\
    kaohe: 1
    id: {id}
    version: "1"
    title: {{zh: 测试, en: Test}}
    jurisdiction: {{level: county, name: {{zh: 测试县, en: Test county}}}}
    effective: {{from: "2020-01-01"}}
    sources: {{S: {{title: 测试文件}}}}
    measures:
      {measure}
    rules:
      - id: t.rule
        level: teacher
        title: {{zh: 测试规则, en: Test rule}}
        require: {require}
        {extra}
        explain:
          pass: {{zh: 通过, en: pass}}
          fail: {{zh: "未通过 {{value_words}}", en: "failed {{value_words}}"}}
          {explain_extra}
        remedy: {{zh: 补上, en: fix it}}
        cite: {{source: S, clause: 一}}
    """)


def plugin_file(tmp_path, name, body):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return str(path)


def ruleset_text(rid="test-plugin", measure="value_words: {level: teacher, title: {zh: 点数, en: points}, count: {of: ability_points}}",
                 require="value_words >= 1", extra="", explain_extra=""):
    return MINI_RULESET.format(id=rid, measure=measure, require=require, extra=extra, explain_extra=explain_extra)


def test_builtin_jurisdictions_load_as_plugins():
    loaded = build_registry(entry_points=False)
    assert not loaded.problems
    assert sorted(name for name, _ in loaded.manager.list_name_plugin()) == sorted(DEFAULT_PLUGINS)
    assert set(loaded.registry.ids()) >= {"national", "guangdong", "hunan-yueyang", "liaoning-wafangdian", "jilin-baishan"}


def test_a_plugin_that_raises_on_import_is_reported_and_the_rest_load(tmp_path):
    broken = plugin_file(tmp_path, "broken_plugin", "raise RuntimeError('boom at import')\n")
    loaded = build_registry(extra_modules=(broken,), entry_points=False)
    assert [(p.plugin, p.reason) for p in loaded.problems] == [(broken, "RuntimeError: boom at import")]
    assert "guangdong" in loaded.registry.ids()


def test_a_bad_ruleset_and_a_duplicate_id_are_reported_with_the_plugin(tmp_path):
    bad = plugin_file(tmp_path, "bad_rulesets", f'''
        import pluggy
        hookimpl = pluggy.HookimplMarker("kaohe")
        GOOD = {ruleset_text()!r}

        @hookimpl
        def kaohe_register_rulesets(register):
            register(text=GOOD.replace("require: value_words >= 1", "require: value_wrds >= 1"), name="bad.yaml")
            register(text=GOOD.replace("test-plugin", "guangdong").replace("2020-01-01", "2022-04-14"), name="dup.yaml")
    ''')
    loaded = build_registry(extra_modules=(bad,), entry_points=False)
    reasons = {p.reason.split(" [")[0] for p in loaded.problems}
    assert any("bad.yaml:" in r and "unknown name 'value_wrds'" in r for r in reasons), reasons
    assert any("ruleset 'guangdong' effective from 2022-04-14 is already loaded" in r for r in reasons), reasons
    assert all(p.plugin in (bad, "bad.yaml") for p in loaded.problems)
    assert "guangdong" in loaded.registry.ids()


def test_hook_register_rulesets(tmp_path):
    plugin = plugin_file(tmp_path, "rs_plugin", f'''
        import pluggy
        hookimpl = pluggy.HookimplMarker("kaohe")

        @hookimpl
        def kaohe_register_rulesets(register):
            register(text={ruleset_text()!r}, name="mem.yaml")
    ''')
    loaded = build_registry(extra_modules=(plugin,), entry_points=False)
    assert not loaded.problems
    evaluator = loaded.registry.evaluator("test-plugin", AS_OF)
    assert evaluator.teacher(complete_teacher(), AS_OF).verdict == "pass"
    assert evaluator.teacher(complete_teacher(ability_points=[], artefacts=[]), AS_OF).verdict == "fail"


def test_hook_register_catalogues(tmp_path):
    """An unverified or unlisted point needs review: never a silent pass or fail."""
    catalogue = tmp_path / "cat.yaml"
    catalogue.write_text(textwrap.dedent("""\
        catalogue: ZZ
        title: {zh: 测试目录, en: Test catalogue}
        complete: false
        rejected_patterns: ["T[0-9]+"]
        entries:
          - {code: A1, name: 已核实, source: test, verified: true}
          - {code: A2, name: 未核实, source: test, verified: false}
        """), encoding="utf-8")
    measures = ("value_words: {level: teacher, title: {zh: 目录外, en: outside}, catalogue: {each: ability_points, catalogue: ZZ, find: outside}}\n"
                "  review_words: {level: teacher, title: {zh: 待复核, en: review}, catalogue: {each: ability_points, catalogue: ZZ, find: review}}")
    text = ruleset_text(measure=measures, require="len(value_words) == 0", extra="review_when: len(review_words) > 0",
                        explain_extra='review: {zh: "需复核 {review_words}", en: "review {review_words}"}')
    plugin = plugin_file(tmp_path, "cat_plugin", f'''
        import pluggy
        hookimpl = pluggy.HookimplMarker("kaohe")

        @hookimpl
        def kaohe_register_catalogues(register):
            register({str(catalogue)!r})

        @hookimpl
        def kaohe_register_rulesets(register):
            register(text={text!r}, name="cat-rules.yaml")
    ''')
    loaded = build_registry(extra_modules=(plugin,), entry_points=False)
    assert not loaded.problems, loaded.problems
    evaluator = loaded.registry.evaluator("test-plugin", AS_OF)

    def judge(points):
        result = evaluator.teacher(complete_teacher(ability_points=points), AS_OF)
        return result.status_of("t.rule"), result.verdict, result.outcome_of("t.rule").explanation["zh"]

    assert judge(["ZZ:A1"]) == ("pass", "pass", "通过")
    assert judge(["ZZ:A1", "ZZ:A2"]) == ("needs_review", "needs_review", "需复核 ZZ:A2")  # unverified
    assert judge(["ZZ:A9"]) == ("needs_review", "needs_review", "需复核 ZZ:A9")  # unlisted, catalogue incomplete
    assert judge(["NAT:A1"])[:2] == ("fail", "fail")  # another namespace: same letters, another point
    assert judge(["ZZ:T11"])[:2] == ("fail", "fail")  # a 1.0-era topic


def test_hook_register_measure_primitives(tmp_path):
    measure = "value_words: {level: teacher, title: {zh: 最长, en: longest}, max_hours: {of: hours}}"
    plugin = plugin_file(tmp_path, "prim_plugin", f'''
        import pluggy
        hookimpl = pluggy.HookimplMarker("kaohe")

        @hookimpl
        def kaohe_register_measure_primitives(register):
            def build(body, context):
                items = context.items(body["of"])
                return lambda record, members=None: max((e.hours for e in items(record, members)), default=0)
            register("max_hours", "number", build, doc="the longest single activity")

        @hookimpl
        def kaohe_register_rulesets(register):
            register(text={ruleset_text(measure=measure, require="value_words >= 5")!r}, name="prim.yaml")
            register(text={ruleset_text(rid="typed", measure=measure, require="value_words == 'x'")!r}, name="typed.yaml")
    ''')
    loaded = build_registry(extra_modules=(plugin,), entry_points=False)
    # the declared result type lets lint refuse a rule comparing the number with text
    (problem,) = loaded.problems
    assert problem.plugin.endswith("prim_plugin.py")
    assert "typed.yaml" in problem.reason and "cannot compare number with string" in problem.reason
    evaluator = loaded.registry.evaluator("test-plugin", AS_OF)
    assert evaluator.teacher(complete_teacher(), AS_OF).verdict == "pass"  # five hours of 研修作业 each
    short = [{"category": "校本研修", "kind": "教学研讨", "hours": 2, "date": "2022-05-01"}]
    assert evaluator.teacher(complete_teacher(hours=short), AS_OF).verdict == "fail"


def test_hook_register_importers(tmp_path):
    plugin = plugin_file(tmp_path, "imp_plugin", '''
        import pluggy
        hookimpl = pluggy.HookimplMarker("kaohe")

        class Roster:
            name = "test-roster"
            title = {"zh": "名册", "en": "roster"}
            columns = ["工号", "学校"]
            def read(self, rows, options):
                return [{"id": r["工号"], "school_id": r["学校"]} for r in rows]

        class Nameless:
            def read(self, rows, options):
                return []

        @hookimpl
        def kaohe_register_importers(register):
            register(Roster())
            register(Nameless())
    ''')
    loaded = build_registry(extra_modules=(plugin,), entry_points=False)
    assert sorted(loaded.importers) == ["guangdong-review-list", "test-roster", "yueyang-roster"]
    assert [p.reason for p in loaded.problems] == ["an importer needs a name and a read(rows, options) method"]
    assert loaded.importers["test-roster"].read([{"工号": "T1", "学校": "S1"}], {}) == [{"id": "T1", "school_id": "S1"}]


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory):
    """The external example plugin, installed with pip into a folder of its own."""
    target = tmp_path_factory.mktemp("site")
    run = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                          "--target", str(target), str(ROOT / "examples" / "plugin-zhanjiang")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return target


def kaohe_with(site, *args, stdin=None):
    env = dict(os.environ, PYTHONPATH=str(site))
    return subprocess.run([sys.executable, "-m", "kaohe.cli", *args], capture_output=True, text=True, env=env,
                          input=stdin, timeout=120)


def test_external_plugin_installs_and_is_listed(installed_example):
    run = kaohe_with(installed_example, "plugins")
    assert run.returncode == 0
    assert "kaohe_zhanjiang: kaohe_register_rulesets (entry point 'zhanjiang' of kaohe-zhanjiang-example)" in run.stdout
    listed = kaohe_with(installed_example, "rulesets")
    assert "guangdong-zhanjiang-example" in listed.stdout and "extends guangdong" in listed.stdout


def test_external_plugin_override_changes_a_verdict(installed_example, tmp_path):
    # three offline activities of 10 h: 25 h recorded in Guangdong (cap 10 each), 24 h under the example's cap of 8
    offline = [{"category": "校本研修", "kind": "线下活动", "hours": 10, "date": "2022-05-0" + str(i)} for i in (1, 2, 3)]
    teacher = complete_teacher(hours=offline, ability_points=["GD:G4", "GD:B2", "GD:G6"],
                               artefacts=[{"kind": "提升计划", "file_name": "p.docx", "format": "docx", "size_kb": 10}]
                               + [{"kind": "提升总结", "point": p, "file_name": "s.pdf", "format": "pdf", "size_kb": 10}
                                  for p in ("GD:G4", "GD:B2", "GD:G6")])
    data = tmp_path / "one.json"
    data.write_text(json.dumps([teacher.model_dump(mode="json")], ensure_ascii=False), encoding="utf-8")
    verdicts = {}
    for rid in ("guangdong", "guangdong-zhanjiang-example"):
        run = kaohe_with(installed_example, "evaluate", "--ruleset", rid, "--as-of", "2022-12-31", "--format", "json", str(data))
        assert run.returncode == 0, run.stderr
        (school,) = json.loads(run.stdout)["schools"]
        verdicts[rid] = school["teachers"][0]["verdict"]
        rules = {r["id"]: r for r in school["teachers"][0]["rules"]}
        if rid != "guangdong":
            assert rules["gd.teacher.school-based-hours"]["actual"] == 24
            assert rules["zhanjiang.teacher.school-wide-points"]["status"] == "pass"
    assert verdicts == {"guangdong": "pass", "guangdong-zhanjiang-example": "fail"}


def test_pluggy_calls_the_hooks_marked_functions_only_in_its_order_and_with_wrappers(tmp_path, monkeypatch):
    """Hooks go through pluggy: a same-named function without @hookimpl is never called, tryfirst
    is honoured, and a wrapper wraps each plugin's call."""
    calls = tmp_path / "calls.txt"
    first = plugin_file(tmp_path, "first_plugin", f'''
        from kaohe import hookimpl

        @hookimpl(tryfirst=True)
        def kaohe_register_importers(register):
            open({str(calls)!r}, "a").write("first\\n")
    ''')
    unmarked = plugin_file(tmp_path, "unmarked_plugin", f'''
        def kaohe_register_importers(register):
            open({str(calls)!r}, "a").write("unmarked\\n")
    ''')
    plain = plugin_file(tmp_path, "plain_plugin", f'''
        from kaohe import hookimpl

        @hookimpl
        def kaohe_register_importers(register):
            open({str(calls)!r}, "a").write("plain\\n")
    ''')
    wrapper = plugin_file(tmp_path, "wrapper_plugin", f'''
        from kaohe import hookimpl

        @hookimpl(wrapper=True)
        def kaohe_register_importers(register):
            open({str(calls)!r}, "a").write("before\\n")
            result = yield
            open({str(calls)!r}, "a").write("after\\n")
            return result
    ''')
    # registered last, so plain would be called first were it not for first_plugin's tryfirst
    build_registry(extra_modules=(first, unmarked, wrapper, plain), entry_points=False,
                   defaults=())
    lines = calls.read_text(encoding="utf-8").split()
    assert "unmarked" not in lines
    assert lines == ["before", "first", "after", "before", "plain", "after"]


def test_tracing_shows_every_hook_call(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KAOHE_TRACE_PLUGINS", "1")
    build_registry(entry_points=False, defaults=("kaohe.plugins.jurisdictions.national",))
    err = capsys.readouterr().err
    assert "kaohe_register_rulesets" in err and "kaohe_register_catalogues" in err
