"""Importer: Yueyang's 附件3 参培教师信息表 (001_672f569689167dd6.txt), into kaohe records.

The roster names who is trained, where and what they teach; it carries no hours. 身份证号码 and
联系电话 are personal data kaohe does not need: the ID number is never stored (with a secret it
feeds a pseudonymous key), the phone number is not imported, and the import says so.
"""

from __future__ import annotations

from kaohe.plugins.tabular import ImportResult, pseudonym

STAGES = {"学前", "幼儿园", "小学", "初中", "高中", "中职"}


class YueyangRoster:
    name = "yueyang-roster"
    title = {"zh": "岳阳市 参培教师信息表 (附件3)", "en": "Yueyang trainee roster (annex 3)"}
    columns = ["姓名", "县(市区)", "工作单位", "任教学段", "任教学科"]
    optional = ["序号", "性别", "身份证号码", "联系电话", "备注"]

    def read(self, rows, options) -> ImportResult:
        secret = options.get("secret", "")
        records, warnings = [], []
        unknown = sorted({h for row in rows for h in row if h != "_line"} - set(self.columns) - set(self.optional))
        if unknown:
            raise ValueError(f"unknown column(s) {', '.join(unknown)}; this importer reads {', '.join(self.columns + self.optional)}")
        notes = 0
        for row in rows:
            line = row["_line"]
            stage = row["任教学段"]
            if stage and stage not in STAGES:
                raise ValueError(f"line {line}: 任教学段 is '{stage}', expected one of {'、'.join(sorted(STAGES))}")
            school = row["工作单位"]
            if not school:
                raise ValueError(f"line {line}: 工作单位 is empty")
            card = row.get("身份证号码", "")
            key = pseudonym("YY", card, secret=secret) if secret and card else f"{school}-{row.get('序号') or line}"
            if row.get("备注"):
                notes += 1
            records.append({"id": key, "school_id": school, "name": row["姓名"] or None,
                            "stage": "学前" if stage == "幼儿园" else (stage or None), "subject": row["任教学科"] or None})
        schools = {}
        for row in rows:
            schools.setdefault(row["工作单位"], row["县(市区)"])
        out = [{"id": name, "name": name, "county_id": county or None} for name, county in schools.items()] + records
        if any(row.get("联系电话") for row in rows):
            warnings.append("联系电话 未导入 (考核不需要个人联系方式)。 Phone numbers were not imported: assessment does not need them.")
        if any(row.get("性别") for row in rows):
            warnings.append("性别 未导入 (记录格式无此字段)。 Gender was not imported: the record format has no such field.")
        if notes:
            warnings.append(f"{notes} 条备注未导入。 {notes} remarks (备注) were not imported.")
        if not secret:
            warnings.append("未提供密钥: 教师编号为 工作单位-序号。 No secret given: teacher keys are school + row number.")
        return ImportResult(out, warnings)
