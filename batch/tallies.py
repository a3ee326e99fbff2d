"""The batch summary: counts per school, county, city and in total, mergeable across workers and
Dask partitions, and the summary file written from them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

SUMMARY_VERSION = "1"
TOP_FAILING_RULES = 5  # per school, county and city; the totals list every failing rule


class Tally:
    """Counts for one area (a county, a city, everything): schools, teachers, failing rules."""

    __slots__ = ("schools", "schools_passing", "teachers", "teachers_passing", "teacher_rules", "school_rules")

    def __init__(self):
        self.schools = self.schools_passing = self.teachers = self.teachers_passing = 0
        self.teacher_rules: dict[str, int] = {}
        self.school_rules: dict[str, int] = {}

    def add(self, tally: tuple) -> None:
        _, _, _, verdict, teachers, passing, failed_school, teacher_counts = tally
        self.schools += 1
        self.schools_passing += verdict == "pass"
        self.teachers += teachers
        self.teachers_passing += passing
        for rule in failed_school:
            self.school_rules[rule] = self.school_rules.get(rule, 0) + 1
        for rule, count in teacher_counts:
            self.teacher_rules[rule] = self.teacher_rules.get(rule, 0) + count

    def merge(self, other: "Tally") -> "Tally":
        self.schools += other.schools
        self.schools_passing += other.schools_passing
        self.teachers += other.teachers
        self.teachers_passing += other.teachers_passing
        for mine, theirs in ((self.teacher_rules, other.teacher_rules), (self.school_rules, other.school_rules)):
            for rule, count in theirs.items():
                mine[rule] = mine.get(rule, 0) + count
        return self

    def __getstate__(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state):
        for k, v in state.items():
            setattr(self, k, v)

    def to_dict(self, top: int | None = TOP_FAILING_RULES) -> dict:
        return {
            "schools": self.schools,
            "schools_passing": self.schools_passing,
            "school_qualified_share": _share(self.schools_passing, self.schools),
            "teachers": self.teachers,
            "teachers_passing": self.teachers_passing,
            "qualified_share": _share(self.teachers_passing, self.teachers),
            "failing_rules": failing_rules(self.school_rules, self.teacher_rules, top),
        }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def failing_rules(school_rules: dict, teacher_rules: dict, top: int | None) -> list[dict]:
    """Most frequent first: how many schools fail each school rule, how many teachers each teacher rule."""
    rows = [{"id": r, "level": "school", "count": c} for r, c in school_rules.items()]
    rows += [{"id": r, "level": "teacher", "count": c} for r, c in teacher_rules.items()]
    rows.sort(key=lambda row: (-row["count"], row["level"], row["id"]))
    return rows if top is None else rows[:top]


def school_entry(tally: tuple) -> dict:
    school_id, county, city, verdict, teachers, passing, failed_school, teacher_counts = tally
    return {"id": school_id, "county_id": county, "city_id": city, "verdict": verdict, "teachers": teachers,
            "teachers_passing": passing, "qualified_share": _share(passing, teachers),
            "failing_rules": failing_rules(dict.fromkeys(failed_school, 1), dict(teacher_counts), TOP_FAILING_RULES)}


class Totals:
    """Everything the summary adds up, mergeable (the Dask runner reduces one per partition)."""

    def __init__(self):
        self.total = Tally()
        self.counties: dict = {}
        self.cities: dict = {}
        self.county_city: dict = {}
        self.records_read = self.records_invalid = self.regions_skipped = self.schools_not_evaluated = 0

    def add_school(self, tally: tuple) -> None:
        county, city = tally[1], tally[2]
        self.total.add(tally)
        self.counties.setdefault(county, Tally()).add(tally)
        self.cities.setdefault(city, Tally()).add(tally)
        if county is not None:
            self.county_city.setdefault(county, city)

    def merge(self, other: "Totals") -> "Totals":
        self.total.merge(other.total)
        for mine, theirs in ((self.counties, other.counties), (self.cities, other.cities)):
            for key, tally in theirs.items():
                mine.setdefault(key, Tally()).merge(tally)
        for county, city in other.county_city.items():
            self.county_city.setdefault(county, city)
        self.records_read += other.records_read
        self.records_invalid += other.records_invalid
        self.regions_skipped += other.regions_skipped
        self.schools_not_evaluated += other.schools_not_evaluated
        return self

    def report(self, head: dict) -> dict:
        status = "errors" if self.records_invalid or self.schools_not_evaluated else "ok"
        totals = self.total.to_dict(top=None)
        totals["schools_not_evaluated"] = self.schools_not_evaluated
        return {
            "summary_version": SUMMARY_VERSION, **head, "status": status,
            "records": {"read": self.records_read, "invalid": self.records_invalid, "regions_skipped": self.regions_skipped},
            "totals": totals,
            "cities": [{"id": key, **tally.to_dict()} for key, tally in _ordered(self.cities)],
            "counties": [{"id": key, "city_id": self.county_city.get(key), **tally.to_dict()}
                         for key, tally in _ordered(self.counties)],
        }


def _ordered(areas: dict):
    return sorted(areas.items(), key=lambda item: (item[0] is None, item[0] or ""))


def write_summary(path: str | Path, report: dict, school_lines: Iterable[bytes]) -> None:
    """The summary JSON: the report, then one line per school, streamed from `school_lines`."""
    head = json.dumps(report, ensure_ascii=False, indent=2)
    with open(path, "wb") as out:
        out.write(head[:-2].encode("utf-8") + b',\n  "schools": [')
        separator = b"\n    "
        for line in school_lines:
            out.write(separator + line.rstrip(b"\n"))
            separator = b",\n    "
        out.write(b"\n  ]\n}\n")
