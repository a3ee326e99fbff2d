"""A county officer's variant by `extends`, as lint sees it: one error per mistake, at the line the
officer wrote, in Chinese unless English is asked for, with what to write instead."""

import pytest

from kaohe.cli import main

HEAD = """kaohe: 1
id: guangdong-county
version: "2023.1"
extends: guangdong
title: {zh: 某县校本研修考核, en: A county's school-based research assessment}
jurisdiction:
  code: "440801"
  level: county
  name: {zh: 某县, en: A county}
effective:
  from: "2023-01-01"
parameters:
"""


def lint(capsys, tmp_path, parameters: str, *flags):
    path = tmp_path / "county.yaml"
    path.write_text(HEAD + parameters, encoding="utf-8")
    code = main(["lint", *flags, str(path)])
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    return code, [line for line in lines if line.startswith(("错误: ", "error: "))], out, path


def test_a_misspelt_override_is_an_error_with_the_right_name(capsys, tmp_path):
    code, errors, out, path = lint(capsys, tmp_path, "  school_based_hours_requird:\n    value: 20\n")
    assert code == 1 and len(errors) == 1
    assert errors[0].startswith(f"错误: {path.as_posix()}:13:3 parameters.school_based_hours_requird: ")
    assert "上级规则集 'guangdong' 中没有这个参数" in errors[0] and "是否想写 'school_based_hours_required'？" in errors[0]


def test_a_new_parameter_with_a_title_is_not_an_override(capsys, tmp_path):
    code, errors, out, _ = lint(capsys, tmp_path, "  county_extra_hours:\n    value: 5\n"
                                "    title: {zh: 县级附加学时, en: County extra hours}\n"
                                "    cite: {source: SEED-GD, clause: 任务单}\n")
    assert errors == [] and "county_extra_hours" in out  # only the warning that no rule uses it


@pytest.mark.parametrize("written, hint", [('"30"', "去掉引号: value: 30"), ("三十", "用阿拉伯数字书写")])
def test_a_wrong_type_is_reported_once_at_the_childs_line(capsys, tmp_path, written, hint):
    code, errors, out, path = lint(capsys, tmp_path, f"  school_based_hours_required:\n    value: {written}\n")
    assert code == 1 and len(errors) == 1, out
    assert errors[0].startswith(f"错误: {path.as_posix()}:14:12 parameters.school_based_hours_required.value: ")
    assert "应为数字 (上级规则集 'guangdong' 中为 25)" in errors[0] and hint in errors[0]
    assert "guangdong.yaml" not in out and "unknown teacher rule" not in out


def test_a_requirement_above_its_cap_is_an_error_and_inherited_quotes_are_flagged(capsys, tmp_path):
    code, errors, out, path = lint(capsys, tmp_path, "  school_based_hours_required:\n    value: 30\n", "--lang", "en")
    assert code == 1 and len(errors) == 1, out
    assert errors[0].startswith(f"error: {path.as_posix()}:14:12 ")
    assert ("rule 'gd.teacher.school-based-hours' can never pass: it requires school_based_hours >= 30 "
            "(school_based_hours_required), but school_based_hours is capped at 25 (school_based_hours_cap)") in errors[0]
    # the quotes inherited from Guangdong's document still say 25
    assert 'states 25, but this variant sets school_based_hours_required to 30: "确认个人校本研修活动是否累计25学时或以上"' in out
    # raising the cap with it is the fix: no error left
    code, errors, out, _ = lint(capsys, tmp_path, "  school_based_hours_required:\n    value: 30\n"
                                "  school_based_hours_cap:\n    value: 30\n", "--lang", "en")
    assert code == 0 and errors == [], out


def test_a_lowered_requirement_lints_clean_but_for_the_stale_quotes(capsys, tmp_path):
    code, errors, out, _ = lint(capsys, tmp_path, "  school_based_hours_required:\n    value: 20\n")
    assert code == 0 and errors == [] and "ruleset.stale_number" in out and "改成了 20" in out
