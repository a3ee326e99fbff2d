"""Small builders for records that meet every Guangdong teacher rule, to be spoilt one at a time."""

from __future__ import annotations

from kaohe.engine.records import Teacher

POINTS = ["GD:B1", "GD:B2", "GD:B4"]


def complete_teacher(**changes) -> Teacher:
    data = {
        "id": "T-1", "school_id": "S-1", "name": "李老师", "research_group": "语文组",
        "ability_points": list(POINTS),
        "hours": [{"category": "校本研修", "kind": "研修作业", "hours": 5, "date": "2022-05-01"} for _ in range(5)],
        "artefacts": [{"kind": "提升计划", "file_name": "plan.docx", "format": "docx", "size_kb": 100}]
        + [{"kind": "提升总结", "point": p, "file_name": f"{p}.pdf", "format": "pdf", "size_kb": 300} for p in POINTS],
        "assessments": [{"kind": "应用能力点测评", "point": "GD:B1", "result": "合格"}],
    }
    data.update(changes)
    return Teacher.model_validate(data)
