"""A scenario written only with existing steps and data tables runs with no code change.

The feature files are written to a temporary folder and run by the real `test_features.py`, conftest
and steps in a fresh pytest process (pointed at the folder with `-o bdd_features_base_dir=…`), the
same way a new `features/<jurisdiction>/` folder is picked up. A deliberately wrong expectation,
a step that does not exist and a column that does not exist must fail, each saying what is wrong.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BINDING = ROOT / "tests" / "bdd" / "test_features.py"

BACKGROUND = """\
# language: zh-CN
功能: 一位新同事写的场景
  背景:
    假如 采用规则集 "guangdong", 评估日期为 "2022-09-01"
    并且 教师 "黄老师" 属于教研组 "小学数学组"
    并且 教师 "黄老师" 选择的能力点为 "GD:B2、GD:G6、GD:G7"
    并且 教师 "黄老师" 的学时记录如下:
      | 活动类别 | 活动类型 | 学时 | 次数 | 日期       |
      | 校本研修 | 听课评课 | 5    | 3    | 2022-05-06 |
      | 校本研修 | 线下活动 | 9    | 1    | 2022-06-10 |
    并且 教师 "黄老师" 上传的材料如下:
      | 材料类型 | 能力点 | 文件名                | 大小KB |
      | 提升计划 |        | 黄老师提升计划.pdf     | 90     |
      | 提升总结 | GD:B2  | B2总结.docx           | 300    |
      | 提升总结 | GD:G6  | G6总结.docx           | 310    |
      | 提升总结 | GD:G7  | G7总结.pdf            | 2000   |
    并且 教师 "黄老师" 的测评结果如下:
      | 考核类型       | 能力点 | 结果 |
      | 应用能力点测评 | GD:G6  | 优秀 |
"""

RIGHT = """
  场景: 听课评课三次加一次9学时的线下活动, 共24学时, 不通过
    当 评估教师 "黄老师"
    那么 结论为 "不通过"
    并且 "记录的校本研修学时" 为 "24学时"
    并且 未通过的规则为 "校本研修累计25学时"
    并且 规则 "校本研修累计25学时" 的整改提示为:
      \"\"\"
      还差 1学时: 请联系教研组长参加教学研讨(每次2学时)、研修作业(每次5学时)、听课评课(每次5学时)或线下活动(每次最多10学时)。
      \"\"\"
"""

WRONG = """
  场景: 写错了的期望
    当 评估教师 "黄老师"
    那么 结论为 "通过"
"""

UNKNOWN_STEP = """
  场景: 用了不存在的步骤
    当 评估教师 "黄老师"
    那么 教师 "黄老师" 获得证书
"""

UNKNOWN_COLUMN = """
  场景: 表格里用了不存在的列
    假如 教师 "黄老师" 的学时记录如下:
      | 活动类别 | 活动名称 | 学时 |
      | 校本研修 | 教学研讨 | 2    |
    当 评估教师 "黄老师"
    那么 结论为 "不通过"
"""


def run_features(tmp_path: Path, text: str, *args: str, **env: str) -> tuple[subprocess.CompletedProcess, dict[str, str | None]]:
    """Run the real binding on one new feature file; (the process, test name → failure message or None)."""
    features = tmp_path / "features" / "new"
    features.mkdir(parents=True)
    (features / "new.feature").write_text(text, encoding="utf-8")
    report = tmp_path / "report.xml"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KAOHE_RULE_COVERAGE")}
    environment.update({"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "KAOHE_RULE_COVERAGE_JSON": str(tmp_path / "coverage.json")})
    environment.update(env)
    process = subprocess.run(
        [sys.executable, "-m", "pytest", str(BINDING), "-p", "pytest_bdd.plugin", "-p", "no:cacheprovider",
         "-o", f"bdd_features_base_dir={tmp_path / 'features'}", f"--junitxml={report}", "-q", *args],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
    outcomes: dict[str, str | None] = {}
    if report.exists():
        for case in ET.parse(report).getroot().iter("testcase"):
            failure = case.find("failure")
            if failure is None:
                failure = case.find("error")
            outcomes[case.get("name")] = None if failure is None else (failure.get("message", "") + "\n" + (failure.text or ""))
    return process, outcomes


def test_new_scenarios_run_and_wrong_ones_fail_saying_why(tmp_path):
    process, outcomes = run_features(tmp_path, BACKGROUND + RIGHT + WRONG + UNKNOWN_STEP + UNKNOWN_COLUMN,
                                     KAOHE_RULE_COVERAGE="off")
    assert len(outcomes) == 4, process.stdout + process.stderr
    by_scenario = {name.removeprefix("test_"): message for name, message in outcomes.items()}

    assert by_scenario["听课评课三次加一次9学时的线下活动_共24学时_不通过"] is None

    wrong = by_scenario["写错了的期望"]
    assert wrong is not None
    assert "教师 '黄老师' 的结论为 '不通过', 而场景期望 '通过'" in wrong
    assert "校本研修累计25学时 (gd.teacher.school-based-hours)" in wrong

    unknown_step = by_scenario["用了不存在的步骤"]
    assert unknown_step is not None
    assert "没有与这一步相符的步骤" in unknown_step and '教师 "黄老师" 获得证书' in unknown_step
    assert "可用的 '那么' 步骤" in unknown_step and '[主体的]结论为 "{verdict}"' in unknown_step

    unknown_column = by_scenario["表格里用了不存在的列"]
    assert unknown_column is not None
    assert "学时记录表格中有未知的列: 活动名称" in unknown_column and "活动类型*" in unknown_column

    assert process.returncode == 1
    assert "FAIL kaohe rule coverage" not in process.stdout  # threshold off: reported only
    report = json.loads((tmp_path / "coverage.json").read_text(encoding="utf-8"))
    assert report["enforced"] is False
    assert "gd.teacher.school-based-hours" not in report["rulesets"]["guangdong"]["never_failing"]


def test_a_passing_run_fails_when_required_rules_are_not_seen_both_ways(tmp_path):
    process, outcomes = run_features(tmp_path, BACKGROUND + RIGHT)

    assert list(outcomes.values()) == [None], process.stdout + process.stderr  # the scenario itself passes
    assert process.returncode == 1, process.stdout
    assert "FAIL kaohe rule coverage" in process.stdout
    assert "gd.teacher.improvement-plan (never failing)" in process.stdout
    assert "gd.region.acceptance-plan (never passing)" in process.stdout
    report = json.loads((tmp_path / "coverage.json").read_text(encoding="utf-8"))
    guangdong = report["rulesets"]["guangdong"]
    assert report["enforced"] is True and report["threshold"] == 100
    assert guangdong["percent"] < 100
    assert "nat.teacher.practice-share" in guangdong["never_applicable"]


def test_the_same_run_passes_below_a_lower_threshold(tmp_path):
    process, outcomes = run_features(tmp_path, BACKGROUND + RIGHT, KAOHE_RULE_COVERAGE="10",
                                     KAOHE_RULE_COVERAGE_RULESETS="used")

    assert list(outcomes.values()) == [None]
    assert process.returncode == 0, process.stdout + process.stderr
    assert "FAIL kaohe rule coverage" not in process.stdout



def test_a_built_in_ruleset_that_no_scenario_evaluates_fails_the_run(tmp_path):
    """Only guangdong has features here: the other built-in rulesets are 0% covered, whatever the threshold."""
    process, outcomes = run_features(tmp_path, BACKGROUND + RIGHT, KAOHE_RULE_COVERAGE="10")

    assert list(outcomes.values()) == [None], process.stdout + process.stderr
    assert process.returncode == 1, process.stdout
    assert "FAIL kaohe rule coverage" in process.stdout
    for ruleset in ("national", "hunan-yueyang", "liaoning-wafangdian", "jilin-baishan"):
        assert f"{ruleset}: no scenario evaluates this built-in ruleset" in process.stdout
        assert f"write features/{ruleset}/*.feature" in process.stdout
    assert "guangdong: no scenario" not in process.stdout  # guangdong is above 10%
    report = json.loads((tmp_path / "coverage.json").read_text(encoding="utf-8"))
    assert report["rulesets_checked"] == "built-in"
    national = report["rulesets"]["national"]
    assert national["built_in"] is True and national["evaluations"] == 0 and national["percent"] == 0
    assert "nat.school.plans-filed" in national["never_failing"] and "nat.school.plans-filed" in national["never_passing"]
    assert report["rulesets"]["guangdong"]["built_in"] is True


def test_a_partial_run_only_reports_the_built_in_rulesets_it_did_not_reach(tmp_path):
    process, outcomes = run_features(tmp_path, BACKGROUND + RIGHT + WRONG, "-k", "24学时")

    assert list(outcomes.values()) == [None], process.stdout + process.stderr
    assert process.returncode == 0, process.stdout
    assert "national: no scenario evaluates this ruleset" in process.stdout
    assert "not enforced, partial run" in process.stdout and "FAIL kaohe rule coverage" not in process.stdout
    report = json.loads((tmp_path / "coverage.json").read_text(encoding="utf-8"))
    assert report["enforced"] is False and report["rulesets"]["national"]["evaluations"] == 0
