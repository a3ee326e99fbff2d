"""Synthetic Guangdong records of any size, for examples, tests and benchmarks.

Teachers are drawn from profiles that exercise every Guangdong rule: complete teachers, short
hours (24 h, a capped offline activity), missing plan, too few points, a missing or oversized or
.ppt summary, a pending or failed point assessment, no research group, an unverified point code.
The same seed always gives the same records.

    python examples/generate_guangdong.py --teachers 100000 --out bench/data/gd-100k.jsonl
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from typing import Iterator

POINTS = ["GD:B1", "GD:B2", "GD:B4", "GD:G4", "GD:G6", "GD:G7"]
SUBJECTS = ["语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "道德与法治", "音乐", "美术", "体育", "信息技术"]
STAGES = ["小学", "初中", "高中"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅鹏飞宇浩然欣怡子轩梓涵雨婷嘉怡俊杰思远"
EVIDENCE = [
    "学校信息化管理团队成员及其责任分工", "学校信息化环境和教师应用现状", "学校信息化发展规划", "混合式校本研修计划",
    "校长动员讲话稿", "教研组活动计划", "教师个人研修计划", "学校信息化管理制度与运作流程", "教师信息化应用选学选测办法",
    "教师信息化应用选学选测问题解决", "教师信息化应用能力测评结果分析", "教师信息化应用能力测评优秀作品",
    "学校信息化资源库建设目录", "校本应用考核自评报告", "校本应用考核评估报告",
]
START = dt.date(2022, 4, 20)

# profile -> relative weight; most teachers complete, every failure kind present
PROFILES = {
    "complete": 70, "hours_24": 4, "offline_capped": 3, "no_plan": 3, "two_points": 3, "summary_missing": 3,
    "summary_ppt": 2, "summary_too_big": 2, "assessment_pending": 4, "assessment_failed": 2, "no_group": 2,
    "unverified_point": 2,
}


def _ledger(rng: random.Random, target: str) -> list[dict]:
    """Hour entries whose credited total is 25+ (or exactly 24 for the short profile)."""
    day = START
    entries = []

    def add(kind, hours):
        nonlocal day
        day += dt.timedelta(days=rng.randint(1, 6))
        entries.append({"category": "校本研修", "kind": kind, "hours": hours, "date": day.isoformat()})

    if target == "hours_24":
        for kind, hours in rng.choice([[("教学研讨", 2)] * 12, [("研修作业", 5), ("听课评课", 5), ("线下活动", 8), ("教学研讨", 2), ("教学研讨", 2), ("教学研讨", 2)]]):
            add(kind, hours)
        return entries
    if target == "offline_capped":
        add("线下活动", 12)  # credited 10
        add("研修作业", 5)
        add("听课评课", 5)
        add("教学研讨", 2)  # 22 credited: fails
        return entries
    credited = 0
    while credited < 25:
        kind = rng.choice(["教学研讨", "研修作业", "听课评课", "线下活动"])
        if kind == "教学研讨":
            add(kind, 2)
            credited += 2
        elif kind == "线下活动":
            hours = rng.choice([4, 6, 8, 10])
            add(kind, hours)
            credited += hours
        else:
            add(kind, 5)
            credited += 5
    if rng.random() < 0.2:
        add("网络研修", 3)  # another category: not counted, shown in the explanation
    return entries


def teacher(rng: random.Random, school_id: str, index: int, profile: str, group: str | None) -> dict:
    points = rng.sample(POINTS, 3 if rng.random() < 0.8 else 4)
    if profile == "two_points":
        points = points[:2]
    if profile == "unverified_point":
        points = points[:2] + ["GD:C9"]
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
    artefacts = []
    if profile != "no_plan":
        artefacts.append({"kind": "提升计划", "file_name": f"{name}教师信息技术应用能力提升计划.docx", "format": "docx",
                          "size_kb": rng.randint(30, 400)})
    for n, point in enumerate(points):
        if profile == "summary_missing" and n == len(points) - 1:
            continue
        fmt, size = rng.choice(["pdf", "docx", "doc"]), rng.randint(50, 2048)
        if profile == "summary_ppt" and n == 0:
            fmt = "ppt"
        if profile == "summary_too_big" and n == 0:
            size = 2049
        artefacts.append({"kind": "提升总结", "point": point, "file_name": f"{point[3:]}提升总结.{fmt}", "format": fmt, "size_kb": size})
    result = {"assessment_pending": "待考核", "assessment_failed": "不合格"}.get(profile, rng.choice(["合格"] * 4 + ["优秀"]))
    assessments = [{"kind": "应用能力点测评", "point": points[0], "result": result}]
    record = {
        "id": f"{school_id}-T{index:04d}", "school_id": school_id, "name": name,
        "stage": rng.choice(STAGES), "subject": rng.choice(SUBJECTS), "full_time": rng.random() > 0.05,
        "ability_points": points, "hours": _ledger(rng, profile),
        "artefacts": artefacts, "assessments": assessments,
    }
    if profile != "no_group" and group:
        record["research_group"] = group
    return record


def school(rng: random.Random, index: int, teacher_count: int, county: str, city: str) -> dict:
    sid = f"GD-S{index:05d}"
    groups = rng.sample(SUBJECTS[:8], k=min(4, max(1, teacher_count // 5)))
    incomplete = rng.random() < 0.1
    doc_missing = rng.random() < 0.1
    evidence = list(EVIDENCE) if rng.random() > 0.15 else EVIDENCE[:-2]
    profiles, weights = zip(*PROFILES.items())
    teachers = [teacher(rng, sid, i + 1, rng.choices(profiles, weights)[0], rng.choice(groups) + "组")
                for i in range(teacher_count)]
    return {
        "id": sid, "name": f"示例第{index}学校", "county_id": county, "city_id": city, "province_id": "440000",
        "is_pilot": rng.random() < 0.3, "environment": rng.choice(["智慧教育", "多技术融合"]),
        "management_team": [{"name": "校长" + str(index), "role": "校长", "is_principal": True, "is_leader": True},
                            {"name": "主任" + str(index), "role": "教学主任"}],
        "documents": [{"kind": "校本研修计划与考核方案", "filed_on": "2022-05-10"}]
                     + ([] if doc_missing else [{"kind": "校本主题", "filed_on": "2022-05-12"}]),
        "research_groups": [{"name": g + "组", "leader": "组长" + g,
                             "materials": ["研修计划", "教学设计", "教学视频"] + ([] if incomplete and g == groups[0] else ["教学反思"])}
                            for g in groups],
        "evidence": evidence,
        "self_score": None if rng.random() < 0.1 else rng.randint(60, 100),
        "teachers": teachers,
    }


def iter_schools(teachers: int, per_school: int = 50, seed: int = 2022) -> Iterator[dict]:
    """Schools (with their teachers) until `teachers` teachers have been made."""
    rng = random.Random(seed)
    made, index = 0, 0
    while made < teachers:
        index += 1
        size = min(teachers - made, max(5, int(rng.gauss(per_school, per_school / 4))))
        county = f"4408{(index % 9) + 1:02d}"
        yield school(rng, index, size, county, "440800")
        made += size


def dataset(teachers: int, per_school: int = 50, seed: int = 2022) -> dict:
    schools = list(iter_schools(teachers, per_school, seed))
    counties = sorted({s["county_id"] for s in schools})
    regions = [{"id": c, "level": "county", "name": f"示例县区{c[-2:]}",
                "documents": [{"kind": "验收与考核方案", "filed_on": "2022-09-01"}] if i % 3 else []}
               for i, c in enumerate(counties)]
    return {"records_version": "1", "regions": regions, "schools": schools}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teachers", type=int, default=60)
    parser.add_argument("--per-school", type=int, default=50)
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--out", default="-", help="a .json (one dataset) or .jsonl (one school per line) path, or - for stdout")
    args = parser.parse_args(argv)
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
    try:
        if args.out.endswith(".jsonl"):
            for record in iter_schools(args.teachers, args.per_school, args.seed):
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            json.dump(dataset(args.teachers, args.per_school, args.seed), out, ensure_ascii=False, indent=1)
            out.write("\n")
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
