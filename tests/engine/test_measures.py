"""Measure primitives, compiled on their own: values, how they came about, and refusals."""

import pytest

from kaohe.engine import Teacher
from kaohe.engine.measures import Compiler, MeasureError, canonical

PARAMS = {"cap": 25, "offline_cap": 10, "good": ("合格", "优秀"), "formats": ("pdf", "docx"), "plans": ("计划", "总结")}


def measure(spec: dict, params=PARAMS):
    spec = {"level": "teacher", "title": {"zh": "量", "en": "m"}, **spec}
    return Compiler(params, {"m": spec}, {}).compile("m", spec, {})


def teacher(**fields) -> Teacher:
    return Teacher.model_validate({"id": "T", "school_id": "S", **fields})


def hour(kind, hours, category="校本研修"):
    return {"category": category, "kind": kind, "hours": hours, "date": "2022-05-01"}


def test_one_spelling_per_number_and_tenths_add_up_as_a_person_adds_them():
    assert canonical(8.3 + 8.3 + 8.4) == 25 and type(canonical(8.3 + 8.3 + 8.4)) is int
    assert canonical(0.1 + 0.2) == 0.3
    assert canonical(100 * 18 / 19) == 94.736842105
    assert canonical(7) == 7


SUM = {"sum": {"of": "hours", "where": {"category": "校本研修"}, "others": "none", "cap": "cap",
               "credit": {"研讨": {"fixed": 2}, "线下": {"up_to": "offline_cap"}, "平台": {"reported": True}}}}


def test_sum_credits_per_kind_caps_each_entry_and_the_total():
    m = measure(SUM)
    t = teacher(hours=[hour("研讨", 6), hour("线下", 12), hour("线下", 4.5), hour("平台", 3.2), hour("其他", 9),
                       hour("研讨", 5, "网络研修")])
    assert m.value(t) == 2 + 10 + 4.5 + 3.2
    how = m.detail(t, None, m.value(t))
    assert [(e["entry"], e["credited"], e["how"]) for e in how["entries"]] == [
        (0, 2, "fixed"), (1, 10, "capped"), (2, 4.5, "reported"), (3, 3.2, "reported"), (4, 0, "not_credited")]
    assert how["total_before_cap"] == 19.7 and how["cap_applied"] is False
    many = teacher(hours=[hour("线下", 8.3), hour("线下", 8.3), hour("线下", 8.4), hour("线下", 9)])
    assert m.value(many) == 25
    assert m.detail(many, None, 25)["total_before_cap"] == 34 and m.detail(many, None, 25)["cap_applied"] is True


def test_sum_detail_lines_are_the_same_for_the_same_entry_whoever_has_it():
    m = measure(SUM)
    first = m.detail(teacher(hours=[hour("线下", 12)]), None, 10)["entries"][0]
    second = m.detail(teacher(hours=[hour("线下", 12)]), None, 10)["entries"][0]
    assert first == second == {"entry": 0, "kind": "线下", "reported": 12, "credited": 10, "how": "capped"}
    assert m.detail(teacher(hours=[hour("线下", 9)]), None, 9)["entries"][0]["credited"] == 9


def test_count_checks_a_leading_equality_then_the_other_conditions():
    m = measure({"count": {"of": "assessments", "where": {"kind": "测评", "result": {"in": "good"}}}})
    t = teacher(assessments=[{"kind": "测评", "result": "合格"}, {"kind": "测评", "result": "不合格"},
                             {"kind": "初审", "result": "合格"}, {"kind": "测评", "result": "优秀"}])
    assert m.value(t) == 2
    either = measure({"count": {"of": "artefacts", "where": {"kind": "总结"},
                                "where_any": [{"format": {"not_in": "formats"}}, {"size_kb": {"gt": 2048}}]}})
    files = teacher(artefacts=[{"kind": "总结", "format": "ppt"}, {"kind": "总结", "format": "pdf", "size_kb": 4096},
                               {"kind": "总结", "format": "pdf"}, {"kind": "总结"}, {"kind": "计划", "format": "ppt"}])
    assert either.value(files) == 2  # nothing reported is nothing wrong: the file without format or size passes


def test_missing_lists_what_is_not_covered_in_the_order_required():
    m = measure({"missing": {"each": "ability_points", "in": "artefacts", "by": "point", "where": {"kind": "总结"}}})
    t = teacher(ability_points=["GD:B1", "GD:B2", "GD:G4"],
                artefacts=[{"kind": "总结", "point": "GD:G4"}, {"kind": "计划", "point": "GD:B1"}])
    assert m.value(t) == ("GD:B1", "GD:B2")
    listed = measure({"missing": {"each": "plans", "in": "artefacts", "by": "kind"}})
    assert listed.value(teacher(artefacts=[{"kind": "总结"}])) == ("计划",)
    assert listed.detail(teacher(), None, ("计划", "总结")) == {"required": ["计划", "总结"], "present": 0}


def test_distinct_count_and_exists():
    assert measure({"distinct_count": {"of": "ability_points"}}).value(teacher(ability_points=["a", "b", "a"])) == 2
    exists = measure({"exists": {"of": "artefacts", "where": {"kind": "计划"}}})
    assert exists.type == "bool" and exists.value(teacher(artefacts=[{"kind": "计划"}])) is True
    assert exists.value(teacher()) is False


@pytest.mark.parametrize("spec, message", [
    ({"cuont": {"of": "hours"}}, "needs exactly one of"),
    ({"count": {"of": "lessons"}}, "'of' must name one of the teacher's collections"),
    ({"count": {"of": "hours", "where": {"kindd": "x"}}}, "unknown field 'kindd'"),
    ({"sum": {"of": "hours", "cap": "no_such_parameter"}}, "unknown parameter 'no_such_parameter'"),
    ({"count": {"of": "hours", "where": {"hours": {"between": 3}}}}, "unknown condition 'between'"),
])
def test_a_measure_that_cannot_be_compiled_says_why(spec, message):
    with pytest.raises(MeasureError) as caught:
        measure(spec)
    assert message in caught.value.message
