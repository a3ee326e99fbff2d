"""`kaohe doc` from any working directory: built-in rulesets find the shipped specs (installed or
not), an external ruleset finds the specs beside it, and a variant without examples says so."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COUNTY = """kaohe: 1
id: guangdong-county
version: "2023.1"
extends: guangdong
title: {zh: 某县校本研修考核, en: A county's school-based research assessment}
jurisdiction: {code: "440801", level: county, name: {zh: 某县, en: A county}}
effective: {from: "2023-01-01"}
parameters:
  school_based_hours_required: {value: 20}
"""
FEATURE = """# language: zh-CN
@ruleset:guangdong-county
功能: 某县校本研修学时

  @rule:gd.teacher.school-based-hours
  场景: 20学时即可通过
    假如 采用规则集 "guangdong-county", 评估日期为 "2023-06-30"
"""


def kaohe(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "kaohe.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=env or os.environ.copy(), timeout=120)


def test_doc_of_a_builtin_ruleset_outside_the_repository(tmp_path):
    done = kaohe("doc", "--ruleset", "guangdong", "--as-of", "2022-12-31", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (ROOT / "docs" / "policy" / "guangdong.md").read_text(encoding="utf-8")


def test_doc_of_an_external_variant_with_and_without_its_own_examples(tmp_path):
    (tmp_path / "county.yaml").write_text(COUNTY, encoding="utf-8")
    done = kaohe("doc", "--ruleset", "guangdong-county", "--rulesets", "county.yaml", "--as-of", "2023-06-01", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "> 此规则集还没有示例场景" in done.stdout and "没有找到这个规则集的示例场景" in done.stderr
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "county.feature").write_text(FEATURE, encoding="utf-8")
    done = kaohe("doc", "--ruleset", "guangdong-county", "--rulesets", "county.yaml", "--as-of", "2023-06-01", cwd=tmp_path)
    assert done.returncode == 0 and "还没有示例场景" not in done.stdout + done.stderr
    assert "场景: 20学时即可通过" in done.stdout and "`features/county.feature:" in done.stdout


def test_a_features_path_that_does_not_exist_is_an_error_not_a_crash(tmp_path):
    done = kaohe("doc", "--ruleset", "guangdong", "--features", "nowhere", cwd=tmp_path)
    assert done.returncode == 2 and "nowhere: 没有这个文件或文件夹" in done.stderr and "internal error" not in done.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """kaohe installed as a wheel would be (not editable), into a folder of its own."""
    target = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                           "--target", str(target), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return target


def test_doc_of_an_installed_kaohe_finds_its_specs(installed, tmp_path):
    done = kaohe("doc", "--ruleset", "hunan-yueyang", "--as-of", "2022-12-31", cwd=tmp_path,
                 env=dict(os.environ, PYTHONPATH=str(installed)))
    assert done.returncode == 0, done.stderr
    assert "还没有示例场景" not in done.stdout and "`features/hunan-yueyang/" in done.stdout
    assert str(installed) not in done.stdout
