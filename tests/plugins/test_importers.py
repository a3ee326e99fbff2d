"""Importers of the exports the seeds show: Guangdong's review list and Yueyang's roster."""

import json

import pytest

from kaohe.cli import main
from kaohe.engine.inputs import dataset_from_data

GD_HEADER = ["序号", "姓名", "身份证号", "所属教研组", "个人提升计划", "校本研修学时", "个人提升总结", "完成情况", "考核结果", "操作"]
GD_ROWS = [
    ["1", "测试教师", "440402*******", "语文", "未上传", "0/25", "0/3", "未完成", "待考核", "通过 待审核"],
    ["2", "王老师", "440402*******", "数学", "已上传", "25/25", "3/3", "完成", "通过", "通过"],
]
CARD = "43060219800101123X"
YY_ROWS = [
    ["附件3", "", "", "", "", "", "", "", "", ""],
    ["县(市、区):岳阳楼区", "", "学校:示例小学", "", "参培人数: 2", "", "", "", "", ""],
    ["序号", "姓名", "性别", "身份证号码", "县（市区）", "工作单位", "任教学段", "任教学科", "联系电话", "备注"],
    ["1", "李老师", "女", CARD, "岳阳楼区", "示例小学", "小学", "语文", "13800000000", ""],
    ["2", "周老师", "男", "430602198202021234", "岳阳楼区", "示例幼儿园", "幼儿园", "综合", "", "新入职"],
]


def write_csv(path, rows):
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def write_xlsx(path, rows):
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def run_import(capsys, *argv, env_secret=None, monkeypatch=None):
    if env_secret is not None:
        monkeypatch.setenv("KAOHE_ID_SECRET", env_secret)
    code = main(["import", *argv])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.strip()], err


@pytest.mark.parametrize("writer, suffix", [(write_csv, "csv"), (write_xlsx, "xlsx")])
def test_guangdong_review_list(tmp_path, capsys, writer, suffix, guangdong):
    path = writer(tmp_path / f"list.{suffix}", [GD_HEADER] + GD_ROWS)
    code, records, err = run_import(capsys, str(path), "--importer", "guangdong-review-list", "--school-id", "GD-S1")
    assert code == 0 and "2 records from 2 rows" in err
    assert records[1]["hours"][0]["hours"] == 25 and records[1]["ability_points"] == ["GD:?1", "GD:?2", "GD:?3"]
    assert records[0]["artefacts"] == [] and records[0]["assessments"] == [{"kind": "过程性材料初审", "result": "待考核"}]
    dataset = dataset_from_data(records)  # the records are valid kaohe records
    import datetime as dt

    result = guangdong.teacher(dataset.schools[0].teachers[1], dt.date(2022, 12, 31))
    assert result.status_of("gd.teacher.improvement-plan") == "pass"
    assert result.status_of("gd.teacher.point-summaries") == "pass"
    assert result.status_of("gd.teacher.school-based-hours") == "pass"  # 25/25 credited as the platform reported
    # the export does not name the points: the placeholders are for a person to review, not a silent verdict
    assert result.status_of("gd.teacher.catalogue") == "needs_review"


def test_guangdong_bad_cell_names_the_line(tmp_path, capsys):
    rows = [GD_HEADER, GD_ROWS[0][:5] + ["二十/25"] + GD_ROWS[0][6:]]
    code, _, err = run_import(capsys, str(write_csv(tmp_path / "l.csv", rows)), "--importer", "guangdong-review-list",
                              "--school-id", "S")
    assert code == 2 and "line 2: 校本研修学时 is '二十/25', expected a fraction such as 12/25" in err


def test_yueyang_roster_finds_the_header_below_the_title_and_never_keeps_id_numbers(tmp_path, capsys, monkeypatch):
    path = write_xlsx(tmp_path / "附件3.xlsx", YY_ROWS)
    code, records, err = run_import(capsys, str(path), "--importer", "yueyang-roster", env_secret="platform-secret",
                                    monkeypatch=monkeypatch)
    assert code == 0
    everything = json.dumps(records, ensure_ascii=False) + err
    assert CARD not in everything and "430602198202021234" not in everything and "13800000000" not in everything
    teachers = [r for r in records if "school_id" in r]
    assert [t["stage"] for t in teachers] == ["小学", "学前"]
    assert teachers[0]["id"].startswith("YY-") and len(teachers[0]["id"]) == 19
    assert "联系电话 未导入" in err and "1 条备注未导入" in err
    again = run_import(capsys, str(path), "--importer", "yueyang-roster", env_secret="platform-secret", monkeypatch=monkeypatch)[1]
    assert [r["id"] for r in again] == [r["id"] for r in records]  # the same person gets the same key
    dataset = dataset_from_data(records)
    assert {s.id: s.county_id for s in dataset.schools} == {"示例小学": "岳阳楼区", "示例幼儿园": "岳阳楼区"}


def test_unknown_importer_lists_the_available_ones(tmp_path, capsys):
    code, _, err = run_import(capsys, str(write_csv(tmp_path / "x.csv", [GD_HEADER])), "--importer", "nope")
    assert code == 2 and "guangdong-review-list" in err and "yueyang-roster" in err


def test_wrong_export_says_which_columns_are_missing(tmp_path, capsys):
    code, _, err = run_import(capsys, str(write_csv(tmp_path / "x.csv", [["a", "b"], ["1", "2"]])),
                              "--importer", "yueyang-roster", "--lang", "en")
    assert code == 2 and "no header row with the columns 姓名, 县(市区), 工作单位" in err
