"""Importer: the Guangdong platform's 校本研修考核 list (admin view), into kaohe records.

The list shows, per teacher, platform totals rather than the activities themselves:
校本研修学时 "x/25", 个人提升总结 "x/3" (uploaded / chosen points), 个人提升计划 已上传/未上传.
So a teacher becomes: one ledger entry of hours the platform already credited (kind 平台认定学时),
the plan if uploaded, and as many chosen points as the list counts. The export does not name the
points, so they are placeholders (GD:?1, GD:?2, …) that the catalogue rule flags for review, and
the first x of them carry the x uploaded summaries. 身份证号 is never stored: with a secret it
feeds a pseudonymous key, otherwise the key is school + 序号.
"""

from __future__ import annotations

import re

from kaohe.plugins.tabular import ImportResult, pseudonym

_FRACTION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(\d+)\s*$")


class GuangdongReviewList:
    name = "guangdong-review-list"
    title = {"zh": "广东省公服平台 校本研修考核列表", "en": "Guangdong platform: school-based research review list"}
    columns = ["姓名", "所属教研组", "个人提升计划", "校本研修学时", "个人提升总结", "完成情况", "考核结果"]
    optional = ["序号", "身份证号", "操作"]
    # 操作 holds the platform's buttons (通过 / 待审核), not data about the teacher.
    not_data = ["操作"]

    def read(self, rows, options) -> ImportResult:
        school_id = options.get("school_id")
        if not school_id:
            raise ValueError("this export does not name the school: give --school-id")
        as_of = options.get("date") or "2022-06-30"
        secret = options.get("secret", "")
        records, warnings = [], []
        unknown = sorted({h for row in rows for h in row if h != "_line"} - set(self.columns) - set(self.optional))
        if unknown:
            raise ValueError(f"unknown column(s) {', '.join(unknown)}; this importer reads {', '.join(self.columns + self.optional)}")
        for row in rows:
            line = row["_line"]
            hours = _fraction(row["校本研修学时"], "校本研修学时", line)
            summaries = _fraction(row["个人提升总结"], "个人提升总结", line)
            plan = row["个人提升计划"]
            if plan not in ("已上传", "未上传"):
                raise ValueError(f"line {line}: 个人提升计划 is '{plan}', expected 已上传 or 未上传")
            card = row.get("身份证号", "")
            key = pseudonym("GDX", school_id, row["姓名"], card, secret=secret) if secret and card \
                else f"{school_id}-{row.get('序号') or line}"
            chosen = [f"GD:?{i}" for i in range(1, int(summaries[1]) + 1)]
            artefacts = [{"kind": "提升计划"}] if plan == "已上传" else []
            artefacts += [{"kind": "提升总结", "point": point} for point in chosen[: int(summaries[0])]]
            record = {
                "id": key, "school_id": school_id, "name": row["姓名"] or None,
                "research_group": row["所属教研组"] or None,
                "ability_points": chosen,
                "hours": [{"category": "校本研修", "kind": "平台认定学时", "hours": hours[0], "date": as_of,
                           "title": f"平台记录 {row['校本研修学时']}"}] if hours[0] else [],
                "artefacts": artefacts,
                "assessments": [{"kind": "过程性材料初审", "result": row["考核结果"] or "待考核"}],
            }
            records.append(record)
        warnings.append("导出表不含所选能力点代码: 以 GD:?1、GD:?2… 占位, 能力点目录规则将提示人工复核。 "
                        "The export does not name the chosen points: placeholders GD:?1… are flagged for review.")
        warnings.append("导出表只有学时合计: 记为一条\"平台认定学时\"。 The export holds only the hour total: one 平台认定学时 entry.")
        if not secret:
            warnings.append("未提供密钥: 教师编号为 学校编号-序号, 换一份导出可能对不上。 "
                            "No secret given: teacher keys are school id + row number, which may change between exports.")
        return ImportResult(records, warnings)


def _fraction(text: str, column: str, line: int) -> tuple[float, float]:
    match = _FRACTION.match(text or "")
    if not match:
        raise ValueError(f"line {line}: {column} is '{text}', expected a fraction such as 12/25")
    done, total = float(match.group(1)), float(match.group(2))
    return (int(done) if done.is_integer() else done), total
