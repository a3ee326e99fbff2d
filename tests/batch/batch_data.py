"""Small Guangdong datasets for the batch tests, written in the layouts batch runs read."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import generate_guangdong

LIST_COLUMNS = ("hours", "artefacts", "assessments")


def schools(teachers: int = 400, per_school: int = 20, seed: int = 7) -> list[dict]:
    """Seed 7 has teachers whose credited hours are 25 (int) and 25.0 (float): it shows whether a
    school's result depends on which teachers a process saw first."""
    return list(generate_guangdong.iter_schools(teachers, per_school, seed))


def write_jsonl(path: Path, records) -> Path:
    with open(path, "w", encoding="utf-8") as out:
        for record in records:
            out.write((record if isinstance(record, str) else json.dumps(record, ensure_ascii=False)) + "\n")
    return path


def school_only(school: dict) -> dict:
    return {k: v for k, v in school.items() if k != "teachers"}


def teacher_lines(data: list[dict]) -> list[dict]:
    """Each school as a line without teachers, followed by one line per teacher."""
    out = []
    for school in data:
        out.append(school_only(school))
        out.extend(school["teachers"])
    return out


def interleaved(data: list[dict]) -> list[dict]:
    """The same lines, schools taking turns: no school's lines are together, yet each school's
    lines keep their order and the schools keep the order of their first line."""
    queues = [[school_only(s)] + list(s["teachers"]) for s in data]
    out = []
    while any(queues):
        for queue in queues:
            if queue:
                out.append(queue.pop(0))
    return out


def write_csv(path: Path, data: list[dict]) -> Path:
    columns = ["id", "school_id", "name", "stage", "subject", "full_time", "research_group", "ability_points",
               *LIST_COLUMNS]
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for school in data:
            for teacher in school["teachers"]:
                row = []
                for column in columns:
                    value = teacher.get(column)
                    if column in LIST_COLUMNS:
                        value = json.dumps(value, ensure_ascii=False)
                    elif column == "ability_points":
                        value = ";".join(value)
                    elif column == "full_time":
                        value = "true" if value else "false"
                    row.append("" if value is None else value)
                writer.writerow(row)
    return path


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_bytes().splitlines()]
