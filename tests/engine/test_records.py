"""Bad input gets a clear error naming the record, the field path and the problem."""

import json

import pytest

from kaohe.engine.errors import RecordError
from kaohe.engine.inputs import dataset_from_data, read_dataset
from kaohe.engine.records import json_schema


def school(**teacher_changes):
    teacher = {"id": "T-7", "school_id": "S-1", "hours": [{"category": "校本研修", "kind": "教学研讨", "hours": 2, "date": "2022-05-01"}]}
    teacher.update(teacher_changes)
    return {"schools": [{"id": "S-1", "teachers": [{"id": "T-0", "school_id": "S-1"}, teacher]}]}


def problems(data):
    with pytest.raises(RecordError) as caught:
        dataset_from_data(data)
    return caught.value.problems


def test_negative_hours_name_record_and_path():
    (problem,) = problems(school(hours=[{"category": "校本研修", "kind": "教学研讨", "hours": -2, "date": "2022-05-01"}]))
    assert problem["record"] == "teacher T-7 (schools[0].teachers[1])"
    assert problem["field"] == "hours[0].hours"
    assert "greater than or equal to 0" in problem["problem"]


def test_impossible_date():
    (problem,) = problems(school(hours=[{"category": "校本研修", "kind": "教学研讨", "hours": 2, "date": "2023-02-30"}]))
    assert problem["field"] == "hours[0].date"


def test_unknown_field_is_not_dropped_silently():
    (problem,) = problems(school(nickname="小李"))
    assert problem["field"] == "nickname" and "Extra inputs are not permitted" in problem["problem"]


def test_wrong_type():
    (problem,) = problems(school(full_time="sometimes"))
    assert problem["field"] == "full_time"


def test_every_problem_is_reported_not_only_the_first():
    data = school(nickname="x", full_time="sometimes")
    assert {p["field"] for p in problems(data)} == {"nickname", "full_time"}


def test_an_id_card_number_is_refused_and_never_echoed():
    (problem,) = problems(school(id="44040219900101123X"))
    assert "ID-card" in problem["problem"]
    assert "44040219900101123X" not in str(problem)


def test_loose_teachers_join_their_school():
    dataset = dataset_from_data([{"id": "A", "school_id": "S"}, {"id": "B", "school_id": "S"}, {"id": "S", "name": "一中"}])
    (only,) = dataset.schools
    assert only.name == "一中" and [t.id for t in only.teachers] == ["A", "B"]


def test_csv_reads_teachers_with_json_cells(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('id,school_id,ability_points,hours,full_time\n'
                    'T1,S1,GD:B1;GD:B2,"[{""category"": ""校本研修"", ""kind"": ""研修作业"", ""hours"": 5, ""date"": ""2022-05-01""}]",否\n',
                    encoding="utf-8")
    (teacher,) = read_dataset(path).schools[0].teachers
    assert teacher.ability_points == ["GD:B1", "GD:B2"] and teacher.hours[0].hours == 5 and teacher.full_time is False


def test_csv_unknown_column_lists_the_known_ones(tmp_path):
    from kaohe.engine.errors import InputFormatError

    path = tmp_path / "t.csv"
    path.write_text("id,school_id,hours_total\nT1,S1,25\n", encoding="utf-8")
    with pytest.raises(InputFormatError) as caught:
        read_dataset(path)
    assert "hours_total" in str(caught.value) and "ability_points" in caught.value.hint


def test_jsonl_bad_line_is_named(tmp_path):
    from kaohe.engine.errors import InputFormatError

    path = tmp_path / "t.jsonl"
    path.write_text('{"id": "S1"}\n{"id": \n', encoding="utf-8")
    with pytest.raises(InputFormatError) as caught:
        read_dataset(path)
    assert ":2:" in str(caught.value)


def test_schema_is_versioned_and_strict():
    schema = json_schema()
    assert schema["title"] == "kaohe records v1"
    assert schema["$defs"]["Teacher"]["additionalProperties"] is False


# ---- identity: each school and each teacher once -----------------------------------------------

def test_a_teacher_listed_twice_in_a_school_is_an_error_naming_both_places():
    data = {"schools": [{"id": "S-1", "teachers": [{"id": "T-0", "school_id": "S-1"}, {"id": "T-1", "school_id": "S-1"},
                                                   {"id": "T-0", "school_id": "S-1"}]}]}
    (problem,) = problems(data)
    assert problem["code"] == "record.duplicate_id" and problem["field"] == "id"
    assert problem["first"] == "schools[0].teachers[0]" and problem["second"] == "schools[0].teachers[2]"
    assert "T-0" in problem["problem"] and "schools[0].teachers[0]" in problem["problem"] \
        and "schools[0].teachers[2]" in problem["problem"]


def test_a_school_given_twice_and_a_teacher_in_two_schools_are_errors():
    data = {"schools": [{"id": "S-1", "teachers": [{"id": "T-0", "school_id": "S-1"}]},
                        {"id": "S-2", "teachers": [{"id": "T-0", "school_id": "S-2"}]},
                        {"id": "S-1"}]}
    found = {(p["first"], p["second"]): p["problem"] for p in problems(data)}
    assert set(found) == {("schools[0].teachers[0]", "schools[1].teachers[0]"), ("schools[0]", "schools[2]")}
    assert "两所学校" in found[("schools[0].teachers[0]", "schools[1].teachers[0]")]


def test_identity_problems_speak_english_on_request():
    data = {"schools": [{"id": "S-1", "teachers": [{"id": "T-0", "school_id": "S-1"}, {"id": "T-0", "school_id": "S-1"}]}]}
    with pytest.raises(RecordError) as caught:
        dataset_from_data(data, lang="en")
    assert "listed twice" in caught.value.problems[0]["problem"]


def test_a_teacher_under_a_school_that_names_another_school_is_an_error():
    (problem,) = problems({"schools": [{"id": "S-1", "teachers": [{"id": "T-0", "school_id": "S-9"}]}]})
    assert problem["field"] == "school_id" and "S-9" in problem["problem"]


def test_loose_records_given_twice_are_named_by_line(tmp_path):
    lines = [{"id": "S", "name": "一中"}, {"id": "A", "school_id": "S"}, {"id": "A", "school_id": "S"},
             {"id": "S", "name": "一中"}]
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in lines) + "\n", encoding="utf-8")
    with pytest.raises(RecordError) as caught:
        read_dataset(path)
    found = {(p["first"], p["second"]) for p in caught.value.problems}
    assert found == {("records.jsonl:1", "records.jsonl:4"), ("records.jsonl:2", "records.jsonl:3")}


def test_a_teacher_both_in_the_school_record_and_on_a_line_of_its_own_is_listed_twice():
    data = [{"id": "S", "teachers": [{"id": "A", "school_id": "S"}]}, {"id": "A", "school_id": "S"}]
    with pytest.raises(RecordError) as caught:
        dataset_from_data(data)
    (problem,) = caught.value.problems
    assert (problem["first"], problem["second"]) == ("[0] teachers[0]", "[1]")
