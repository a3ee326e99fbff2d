"""`kaohe evaluate` on a workbook of teachers: XLSX where CSV is accepted, and the new states in the report."""

from __future__ import annotations

import json

from kaohe.cli import main

HOURS = json.dumps([{"category": "网络研修", "kind": "课程学习", "hours": 25, "date": "2023-09-20"},
                    {"category": "校本实践", "kind": "研修活动", "hours": 25, "date": "2024-01-05"}], ensure_ascii=False)


def test_a_workbook_of_teachers_is_read_like_a_csv_and_the_report_says_who_is_out_of_scope(tmp_path, capsys):
    from openpyxl import Workbook

    book = Workbook()
    for row in (["id", "school_id", "name", "status", "hours"],
                ["W1", "WFD-1", "王老师", "在岗", HOURS],
                ["W2", "WFD-1", "赵老师", "离岗", ""]):
        book.active.append(row)
    path = tmp_path / "teachers.xlsx"
    book.save(path)
    code = main(["evaluate", "--ruleset", "liaoning-wafangdian", "--as-of", "2023-12-10", str(path)])
    out, err = capsys.readouterr()
    assert code != 2, err
    assert "教师 赵老师 [W2]: 不在本轮培训范围" in out
    assert "(未计入: 日期晚于评估日期 2023-12-10 的 1 条学时记录未计入)" in out  # the January hours
    assert "只完成了 25学时" in out
