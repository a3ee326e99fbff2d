"""Guangdong records that vary as real ones do, for the benchmarks.

The bundled generator (examples/generate_guangdong.py) draws teachers from a dozen profiles, so
100,000 of them hold about 40 distinct rule outcomes: a benchmark on it measures a memo, not an
engine. Here every teacher is drawn field by field:

- an hour ledger of 1–14 entries: teaching discussions, homework and lesson reviews (credited a
  fixed amount whatever was reported), offline activities of 1–12 whole hours (``fractional``:
  0.5–12 h in tenths), now and then hours the platform already credited, and entries of other
  categories (online courses) that Guangdong does not count;
- 1–6 ability points drawn from the full catalogues in ``rulesets/catalogues`` (verified and
  unverified Guangdong points, the 28-point catalogue's codes no source has confirmed yet,
  national codes, 1.0 course topics), so some teachers need review and some choose codes that are
  not Guangdong points;
- one summary per point, with some missing, some in a format or of a size that is not allowed,
  some with neither format nor size reported; a personal plan for most;
- 0–4 point assessments with every result the platforms record; a research group for most.

Seeded: the same arguments always give the same records. Schools (with county and city) are
made the same way, for the batch and API benchmarks.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Iterator

import yaml

CATALOGUES = Path(__file__).resolve().parent.parent / "rulesets" / "catalogues"
START = dt.date(2022, 4, 15)
FIXED_KINDS = ("教学研讨", "研修作业", "听课评课")
RESULTS = ("合格",) * 10 + ("优秀",) * 6 + ("不合格", "待考核")
FORMATS = ("pdf", "pdf", "docx", "docx", "doc", "ppt", "txt", "jpg")
SUBJECTS = ("语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "音乐", "美术", "体育", "信息技术")


def point_pool() -> tuple[list[str], list[float]]:
    """Codes a teacher may choose, with weights: mostly Guangdong's own, a few that are not."""
    codes, weights = [], []
    for path in sorted(CATALOGUES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        namespace = data["catalogue"]
        for entry in data.get("entries") or []:
            codes.append(f"{namespace}:{entry['code']}")
            weights.append(30.0 if namespace == "GD" else 0.4)
    listed = set(codes)
    # the 28-point catalogue (5 dimensions, 2 modes) whose letters no source has confirmed: unlisted
    for letter, count in (("A", 6), ("B", 8), ("G", 8), ("C", 6)):
        for n in range(1, count + 1):
            code = f"GD:{letter}{n}"
            if code not in listed:
                codes.append(code)
                weights.append(0.25)
    for code in ("A1", "B6", "GD:T3", "GD:T12", "T5", "B1"):  # no prefix, or a 1.0 course topic
        codes.append(code)
        weights.append(0.08)
    return codes, weights


class Workload:
    def __init__(self, seed: int = 7, fractional: bool = False):
        self.rng = random.Random(seed)
        self.fractional = fractional
        self.codes, self.weights = point_pool()

    def hours(self) -> float:
        rng = self.rng
        return rng.randint(5, 120) / 10 if self.fractional else rng.randint(1, 12)

    def ledger(self) -> list[dict]:
        rng = self.rng
        day = START
        entries = []
        for _ in range(rng.choice((1, 2, 3, 4, 5, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 14, 15, 16))):
            day += dt.timedelta(days=rng.randint(0, 9))
            roll = rng.random()
            if roll < 0.50:
                kind, hours, category = rng.choice(FIXED_KINDS), rng.randint(1, 6), "校本研修"
            elif roll < 0.85:
                kind, hours, category = "线下活动", self.hours(), "校本研修"
            elif roll < 0.90:
                kind, hours, category = "平台认定学时", self.hours(), "校本研修"
            else:
                kind, hours, category = "课程学习", self.hours(), "网络研修"
            entries.append({"category": category, "kind": kind, "hours": hours, "date": day.isoformat()})
        return entries

    def teacher(self, school_id: str, index: int) -> dict:
        rng = self.rng
        wanted = rng.choice((1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 5, 6))
        points: list[str] = []
        while len(points) < wanted:  # distinct codes, as a platform's point picker gives them
            code = rng.choices(self.codes, self.weights)[0]
            if code not in points:
                points.append(code)
        artefacts = []
        if rng.random() < 0.96:
            artefacts.append({"kind": "提升计划", "format": "docx", "size_kb": rng.randint(20, 600)})
        for point in points:
            if rng.random() < 0.03:
                continue  # this point's summary is missing
            summary = {"kind": "提升总结", "point": point}
            if rng.random() < 0.95:
                summary["format"] = rng.choice(FORMATS) if rng.random() < 0.04 else rng.choice(FORMATS[:5])
                summary["size_kb"] = rng.randint(10, 2300) if rng.random() < 0.03 else rng.randint(10, 2048)
            artefacts.append(summary)
        assessments = [{"kind": "应用能力点测评", "point": rng.choice(points), "result": rng.choice(RESULTS)}
                       for _ in range(rng.choice((0, 1, 1, 1, 1, 1, 1, 2, 2, 3)))]
        record = {
            "id": f"{school_id}-T{index:04d}", "school_id": school_id, "full_time": rng.random() < 0.95,
            "ability_points": points, "hours": self.ledger(), "artefacts": artefacts, "assessments": assessments,
        }
        if rng.random() < 0.96:
            record["research_group"] = rng.choice(SUBJECTS) + "组"
        return record

    def school(self, index: int, teachers: int) -> dict:
        rng = self.rng
        sid = f"GDR-S{index:05d}"
        county = f"44{rng.randint(1, 21):02d}{rng.randint(1, 9):02d}"
        groups = [{"name": s + "组", "leader": None if rng.random() < 0.03 else "组长",
                   "materials": ["研修计划", "教学设计", "教学视频"] + ([] if rng.random() < 0.05 else ["教学反思"])}
                  for s in rng.sample(SUBJECTS, rng.randint(1, 5))]
        from generate_guangdong import EVIDENCE  # the 15 items of the checklist

        return {
            "id": sid, "name": f"第{index}学校", "county_id": county, "city_id": county[:4] + "00", "province_id": "440000",
            "is_pilot": rng.random() < 0.3,
            "management_team": [{"name": "校长", "role": "校长", "is_principal": True, "is_leader": True}],
            "documents": [{"kind": "校本研修计划与考核方案", "filed_on": "2022-05-10"}]
            + ([] if rng.random() < 0.1 else [{"kind": "校本主题", "filed_on": "2022-05-12"}]),
            "research_groups": groups,
            "evidence": [e for e in EVIDENCE if rng.random() < 0.99],
            "self_score": None if rng.random() < 0.1 else rng.randint(60, 100),
            "teachers": [self.teacher(sid, i + 1) for i in range(teachers)],
        }


def teachers(n: int, seed: int = 7, fractional: bool = False) -> list[dict]:
    work = Workload(seed, fractional)
    return [work.teacher(f"GDR-S{i // 50 + 1:05d}", i % 50 + 1) for i in range(n)]


def iter_schools(n: int, per_school: int = 50, seed: int = 7, fractional: bool = False) -> Iterator[dict]:
    """Schools (with their teachers) until `n` teachers have been made."""
    work = Workload(seed, fractional)
    size_rng = random.Random(seed + 1)
    made = index = 0
    while made < n:
        index += 1
        size = min(n - made, max(5, int(size_rng.gauss(per_school, per_school / 4))))
        yield work.school(index, size)
        made += size
