"""The practical limit: Guangdong's teacher rules written by hand as one plain Python function.

This is what a platform hard-codes today, and what kaohe's per-teacher cost is measured against.
It returns the verdict and the failed rules with actual and required values, like kaohe does,
and reads its numbers from the compiled ruleset's parameters so both always judge the same
policy. It lives in bench/ and is never used by kaohe itself.
"""

from __future__ import annotations


def make_reference(params: dict, classify_point):
    """Build the hand-written evaluator over the ruleset's parameter values and the GD catalogue's
    `classify(code)` (known | unverified | unlisted | outside)."""
    fixed = {"教学研讨": params["credit_teaching_discussion"], "研修作业": params["credit_research_homework"],
             "听课评课": params["credit_lesson_observation"]}
    offline_cap = params["offline_activity_cap"]
    hours_cap = params["school_based_hours_cap"]
    hours_required = params["school_based_hours_required"]
    min_points = params["min_ability_points"]
    formats = frozenset(params["allowed_upload_formats"])
    max_kb = params["max_upload_kb"]
    qualified = frozenset(params["qualified_results"])
    pending_results = frozenset(params["pending_results"])
    # the words the ruleset's hour measures know (guangdong.yaml and the national measures it inherits)
    known_categories = frozenset(["校本研修", *params["practice_categories"], *params["other_hour_categories"]])
    known_kinds = frozenset([*fixed, "线下活动", "平台认定学时"])
    unknown_reviewed = params["unrecognised_hours_reviewed"]

    def read(code):  # a bare code (B1) is read in the ruleset's catalogue (GD:B1)
        return code if code is None or ":" in code else "GD:" + code

    def unknown_hours(teacher) -> int:
        return sum(1 for e in teacher.hours if e.category not in known_categories
                   or (e.category == "校本研修" and e.kind not in known_kinds))

    def assessed(teacher) -> tuple[int, int, int]:
        ok = not_ok = pending = 0
        for assessment in teacher.assessments:
            if assessment.kind == "应用能力点测评":
                if assessment.result in qualified:
                    ok += 1
                elif assessment.result in pending_results:
                    pending += 1
                else:
                    not_ok += 1
        return ok, not_ok, pending

    def measures(teacher) -> dict:
        """The values the rules compare, computed by hand (durable_rules-direct gets these)."""
        codes = [read(p) for p in teacher.ability_points]
        hours = 0
        for entry in teacher.hours:
            if entry.category != "校本研修":
                continue
            if entry.kind in fixed:
                hours += fixed[entry.kind]
            elif entry.kind == "线下活动":
                hours += min(entry.hours, offline_cap)
            elif entry.kind == "平台认定学时":
                hours += entry.hours
        plans = summaries = bad_files = 0
        summarised = set()
        for artefact in teacher.artefacts:
            if artefact.kind == "提升计划":
                plans += 1
            elif artefact.kind == "提升总结":
                summaries += 1
                summarised.add(read(artefact.point))
                if (artefact.format is not None and artefact.format not in formats) or \
                        (artefact.size_kb is not None and artefact.size_kb > max_kb):
                    bad_files += 1
        ok, not_ok, pending = assessed(teacher)
        unknown = unknown_hours(teacher) if unknown_reviewed else 0
        kinds = [classify_point(p) for p in codes]
        hours = min(round(hours, 9), hours_cap)
        review = sum(1 for k in kinds if k in ("unverified", "unlisted")) + (pending > 0) \
            + (hours < hours_required and unknown > 0)
        return {
            "hours": hours, "plans": plans, "pending": pending, "unknown": unknown, "points": len(set(codes)),
            "missing": [p for p in codes if p not in summarised], "bad_files": bad_files,
            "qualified": ok, "not_qualified": not_ok, "group": bool(teacher.research_group),
            "outside": [p for p, k in zip(codes, kinds) if k == "outside"],
            "review": review,
        }

    def evaluate(teacher) -> tuple[str, list[tuple[str, object, object]]]:
        codes = [read(p) for p in teacher.ability_points]
        failed = []
        hours = 0
        for entry in teacher.hours:
            if entry.category != "校本研修":
                continue
            if entry.kind in fixed:
                hours += fixed[entry.kind]
            elif entry.kind == "线下活动":
                hours += min(entry.hours, offline_cap)
            elif entry.kind == "平台认定学时":
                hours += entry.hours
        hours = min(round(hours, 9), hours_cap)  # tenths of hours: float sums drift
        unknown = unknown_hours(teacher) if unknown_reviewed else 0
        if hours < hours_required and not unknown:
            failed.append(("gd.teacher.school-based-hours", hours, hours_required))
        plans = summaries = bad_files = 0
        summarised = set()
        for artefact in teacher.artefacts:
            if artefact.kind == "提升计划":
                plans += 1
            elif artefact.kind == "提升总结":
                summaries += 1
                summarised.add(read(artefact.point))
                if (artefact.format is not None and artefact.format not in formats) or \
                        (artefact.size_kb is not None and artefact.size_kb > max_kb):
                    bad_files += 1
        if plans < 1:
            failed.append(("gd.teacher.improvement-plan", plans, 1))
        points = len(set(codes))
        if points < min_points:
            failed.append(("gd.teacher.ability-points", points, min_points))
        missing = [p for p in codes if p not in summarised]
        if missing:
            failed.append(("gd.teacher.point-summaries", missing, "one per point"))
        if bad_files:
            failed.append(("gd.teacher.summary-files", bad_files, 0))
        ok, not_ok, pending = assessed(teacher)
        if not (ok >= 1 and not_ok == 0) and not (pending and not_ok == 0):  # pending is not failed
            failed.append(("gd.teacher.point-assessment", ok, "all qualified"))
        if not teacher.research_group:
            failed.append(("gd.teacher.research-group", None, "a group"))
        kinds = [classify_point(p) for p in codes]
        if "outside" in kinds:
            failed.append(("gd.teacher.catalogue", [p for p, k in zip(codes, kinds) if k == "outside"], "GD points"))
        required_failed = [f for f in failed if f[0] != "gd.teacher.research-group"]
        if required_failed:
            verdict = "fail"
        elif "unverified" in kinds or "unlisted" in kinds or pending or (hours < hours_required and unknown):
            verdict = "needs_review"
        else:
            verdict = "pass"
        return verdict, failed

    evaluate.measures = measures  # durable_rules-direct decides on these
    return evaluate
