"""What a county policy officer did, step by step: a variant of Guangdong by `extends`, a misspelt
parameter, a wrong type (text "30", then 三十), a requirement its cap makes impossible, then the
fix, evaluated. Each mistake is ONE error, at the line the officer wrote, in Chinese, with what to
write instead."""

import json
from pathlib import Path

from kaohe.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "guangdong" / "dataset.json"
VARIANT = """# 某县校本研修考核: 在广东省规则基础上, 校本研修学时提高到30学时
kaohe: 1
id: guangdong-county
version: "2023.1"
extends: guangdong
title: {zh: 某县校本研修考核, en: A county's school-based research assessment}
jurisdiction: {code: "440801", level: county, name: {zh: 某县, en: A county}}
effective: {from: "2022-04-14"}
parameters:
"""


def step(capsys, tmp_path, parameters: str) -> tuple[int, list[str], str]:
    path = tmp_path / "county.yaml"
    path.write_text(VARIANT + parameters, encoding="utf-8")
    code = main(["lint", str(path)])
    out = capsys.readouterr().out
    return code, [line for line in out.splitlines() if line.startswith("错误: ")], path.as_posix()


def test_the_county_officers_afternoon(capsys, tmp_path):
    # 0. the YAML broken on purpose: a tab for indentation, then a colon in unquoted text
    code, errors, path = step(capsys, tmp_path, "\tschool_based_hours_required:\n    value: 30\n")
    assert code == 1 and errors == [f"错误: {path}:10:1: YAML 语法错误: 不能用 Tab 缩进, 请改用空格 [ruleset.yaml_syntax]"]
    code, errors, path = step(capsys, tmp_path, "  school_based_hours_required:\n    value: 30\n    note: 依据: 县文件\n")
    assert code == 1 and len(errors) == 1 and errors[0].startswith(f"错误: {path}:12:13: YAML 语法错误: ")
    assert "文字中含冒号时请加引号" in errors[0]

    # 1. a misspelt name: the province's value would silently stay
    code, errors, path = step(capsys, tmp_path, "  school_based_hours_requird:\n    value: 30\n")
    assert code == 1 and len(errors) == 1
    assert errors[0].startswith(f"错误: {path}:10:3 ") and "没有覆盖任何参数" in errors[0]
    assert "是否想写 'school_based_hours_required'？" in errors[0]

    # 2. the name right, the number quoted: text where a number belongs
    code, errors, path = step(capsys, tmp_path, "  school_based_hours_required:\n    value: \"30\"\n")
    assert code == 1 and len(errors) == 1
    assert errors[0].startswith(f"错误: {path}:11:12 ") and "应为数字" in errors[0] and "去掉引号: value: 30" in errors[0]

    # 3. the number in Chinese characters
    code, errors, path = step(capsys, tmp_path, "  school_based_hours_required:\n    value: 三十\n")
    assert code == 1 and len(errors) == 1
    assert errors[0].startswith(f"错误: {path}:11:12 ") and "应为数字" in errors[0] and "用阿拉伯数字书写" in errors[0]

    # 4. 30 required while the platform records at most 25: nobody could pass
    code, errors, path = step(capsys, tmp_path, "  school_based_hours_required:\n    value: 30\n")
    assert code == 1 and len(errors) == 1
    assert errors[0].startswith(f"错误: {path}:11:12 ") and "永远无法通过" in errors[0]
    assert "最多只记 25 (school_based_hours_cap)" in errors[0] and "同时提高上限" in errors[0]

    # 5. the fix: the cap raised with it; the inherited quotes that still say 25 are pointed out
    code, errors, path = step(capsys, tmp_path, "  school_based_hours_required:\n    value: 30\n"
                              "  school_based_hours_cap:\n    value: 30\n")
    assert code == 0 and errors == []
    code = main(["lint", path])
    assert "写的是 25, 但本规则集把 school_based_hours_required 改成了 30" in capsys.readouterr().out

    # 6. and the variant evaluates: the example's teachers with 25 h no longer pass the hours rule
    code = main(["evaluate", "--ruleset", "guangdong-county", "--rulesets", path, "--as-of", "2022-12-31",
                 "--format", "json", str(EXAMPLE)])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["ruleset"]["id"] == "guangdong-county"
    hours = [r for s in result["schools"] for t in s["teachers"] for r in t["rules"] if r["id"] == "gd.teacher.school-based-hours"]
    recorded_25 = [r for r in hours if r["actual"] == 25]
    assert recorded_25 and all(r["status"] == "fail" for r in recorded_25)
