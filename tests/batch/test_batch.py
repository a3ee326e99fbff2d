"""Streaming batch evaluation: identical results whatever the workers and grouping, bad records
reported by line without stopping the run, the summary, and the input and output formats."""

from __future__ import annotations

import datetime as dt
import json

import batch_data
import pytest

from kaohe.batch import grouping
from kaohe.batch import worker as batch_worker
from kaohe.engine import explain
from kaohe.batch import run_batch
from kaohe.batch.formats import to_parquet
from kaohe.engine.errors import InputFormatError, KaoheError
from kaohe.engine.inputs import read_dataset
from kaohe.engine.records import School
from kaohe.plugins.manager import RegistryLoader

AS_OF = dt.date(2022, 12, 31)
ID_CARD = "110101199003071234"


@pytest.fixture(scope="module")
def data():
    return batch_data.schools()


@pytest.fixture(scope="module")
def school_file(data, tmp_path_factory):
    return batch_data.write_jsonl(tmp_path_factory.mktemp("batch") / "schools.jsonl", data)


@pytest.fixture(scope="module")
def expected(school_file, tmp_path_factory):
    """The reference result: one worker, one school per line."""
    out = tmp_path_factory.mktemp("expected") / "out.jsonl"
    run_batch("guangdong", school_file, out, as_of=AS_OF, workers=1, load_registry=RegistryLoader())
    return out.read_bytes()


def run(inputs, out, **options):
    options.setdefault("as_of", AS_OF)
    options.setdefault("workers", 1)
    options.setdefault("load_registry", RegistryLoader())
    return run_batch("guangdong", inputs, out, **options)


def test_two_workers_write_the_same_bytes_in_input_order(school_file, expected, data, tmp_path, monkeypatch):
    monkeypatch.setattr(grouping, "CHUNK_BYTES", 20_000)  # a chunk per school: the workers interleave
    out = tmp_path / "w2.jsonl"
    summary = run(school_file, out, workers=2)
    assert summary.workers == 2
    assert out.read_bytes() == expected
    assert [line["id"] for line in batch_data.lines(out)] == [s["id"] for s in data]


def test_each_line_is_the_school_dict_of_kaohe_evaluate(school_file, expected, guangdong):
    dataset = read_dataset(school_file)
    wanted = [json.loads(json.dumps(explain.school_dict(guangdong.school(s, AS_OF), "zh", "full"), ensure_ascii=False))
              for s in dataset.schools]
    assert [json.loads(line) for line in expected.splitlines()] == wanted


def test_unsorted_teacher_lines_are_grouped_on_disk_and_equal_the_sorted_input(data, expected, tmp_path):
    sorted_file = batch_data.write_jsonl(tmp_path / "sorted.jsonl", batch_data.teacher_lines(data))
    mixed_file = batch_data.write_jsonl(tmp_path / "mixed.jsonl", batch_data.interleaved(data))
    streamed = run(sorted_file, tmp_path / "a.jsonl")
    spilled = run(mixed_file, tmp_path / "b.jsonl", workers=2)
    assert (streamed.grouping, spilled.grouping) == ("sorted", "spill")
    assert (tmp_path / "a.jsonl").read_bytes() == expected
    assert (tmp_path / "b.jsonl").read_bytes() == expected
    assert spilled.records_read == len(data) + sum(len(s["teachers"]) for s in data)


def test_spill_grouping_of_sorted_input_changes_nothing(school_file, expected, tmp_path):
    summary = run(school_file, tmp_path / "out.jsonl", grouping="spill")
    assert summary.grouping == "spill"
    assert (tmp_path / "out.jsonl").read_bytes() == expected


def test_sorted_grouping_refuses_input_that_is_not_grouped(data, tmp_path):
    mixed_file = batch_data.write_jsonl(tmp_path / "mixed.jsonl", batch_data.interleaved(data))
    with pytest.raises(InputFormatError) as caught:
        run(mixed_file, tmp_path / "out.jsonl", grouping="sorted")
    school = data[0]["id"]
    assert str(caught.value).startswith(f"{mixed_file}:{len(data) + 1}: school {school} appeared before (line 1)")
    assert caught.value.code == "input.not_grouped"
    assert not (tmp_path / "out.jsonl").exists()


def test_a_school_result_does_not_depend_on_the_schools_before_it(data):
    from kaohe.plugins.manager import build_registry

    schools = [School.model_validate(s) for s in data]

    def results(order):
        evaluator = build_registry().registry.evaluator("guangdong", AS_OF)  # a fresh process's memory
        return {s.id: batch_worker.dumps(explain.school_dict(evaluator.school(s, AS_OF))) for s in order}

    assert results(schools) == results(schools[::-1])


# ---- bad records -------------------------------------------------------------------------------------

@pytest.fixture
def corrupted(data, tmp_path):
    records = [json.dumps(s, ensure_ascii=False) for s in data[:8]]
    spoilt = json.loads(records[4])
    spoilt["teachers"][1]["id"] = ID_CARD
    spoilt["teachers"][2]["hours"][0]["hours"] = -1
    records[4] = json.dumps(spoilt, ensure_ascii=False)  # line 6 once the bad lines are in: fails validation
    records.insert(2, '{"id": "GD-S99999", "name": ')  # line 3: not JSON
    records.insert(7, "[1, 2, 3]")  # line 8: not an object
    records.append(records[0])  # line 11: the first school again
    return batch_data.write_jsonl(tmp_path / "corrupted.jsonl", records), data[:8]


def test_bad_lines_are_reported_by_number_and_the_rest_is_evaluated(corrupted, tmp_path):
    path, schools = corrupted
    errors = tmp_path / "errors.jsonl"
    summary = run(path, tmp_path / "out.jsonl", errors_path=errors, summary_path=tmp_path / "summary.json")
    reported = batch_data.lines(errors)
    assert [(e["line"], e["code"]) for e in reported] == [
        (3, "input.unreadable"), (4, "record.school_withheld"), (6, "record.invalid_field"), (8, "input.unreadable"),
        (9, "record.school_withheld"), (11, "record.duplicate_school")]
    assert reported[0]["reason"].startswith("not valid JSON: ")
    assert reported[3]["reason"] == "not a record: expected a JSON object"
    assert reported[5]["reason"] == (f"school {schools[0]['id']}: a second record for this school "
                                     "(the first is on line 1); give each school once")
    fields = [(p["record"], p["field"]) for p in reported[2]["problems"]]
    assert ("teacher 110101***********4 (teachers[1])", "id") in fields
    assert (f"teacher {schools[4]['id']}-T0003 (teachers[2])", "hours[0].hours") in fields
    # a line that cannot be read withholds the schools on either side of it: it may have been either's
    assert [(e["school_id"], e["school_evaluated"]) for e in reported[:2]] == [(schools[1]["id"], False),
                                                                              (schools[2]["id"], False)]
    assert "line 3" in reported[1]["reason"]
    assert [e["school_id"] for e in reported[3:5]] == [schools[5]["id"], schools[6]["id"]]
    assert reported[2]["school_evaluated"] is False
    assert ID_CARD not in errors.read_text(encoding="utf-8")
    evaluated = [line["id"] for line in batch_data.lines(tmp_path / "out.jsonl")]
    # the school given twice, the one with a bad teacher, and those next to unreadable lines are not evaluated
    assert evaluated == [schools[3]["id"], schools[7]["id"]]
    assert (summary.status, summary.exit_code) == ("errors", 4)
    assert (summary.records_read, summary.records_invalid, summary.schools_not_evaluated) == (11, 4, 6)
    report = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert report["status"] == "errors"
    assert report["records"] == {"read": 11, "invalid": 4, "regions_skipped": 0}


def test_without_an_error_file_bad_records_are_printed_with_file_and_line(corrupted, tmp_path, capsys):
    path, _ = corrupted
    run(path, tmp_path / "out.jsonl")
    err = capsys.readouterr().err
    assert f"kaohe: bad record: {path}:3: not valid JSON: " in err
    assert f"{path}:8: not a record: expected a JSON object" in err
    assert "Traceback" not in err and ID_CARD not in err


def test_bad_records_give_the_same_errors_with_two_workers(corrupted, tmp_path):
    path, _ = corrupted
    run(path, tmp_path / "a.jsonl", errors_path=tmp_path / "a.err")
    run(path, tmp_path / "b.jsonl", errors_path=tmp_path / "b.err", workers=2)
    assert (tmp_path / "a.err").read_bytes() == (tmp_path / "b.err").read_bytes()
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_regions_are_counted_not_evaluated(data, tmp_path):
    records = [{"id": "440802", "level": "county"}] + data[:3]
    summary = run(batch_data.write_jsonl(tmp_path / "in.jsonl", records), tmp_path / "out.jsonl")
    assert (summary.regions_skipped, summary.schools, summary.status) == (1, 3, "ok")


# ---- the summary -------------------------------------------------------------------------------------

def test_summary_adds_up_schools_by_county_and_city(school_file, tmp_path):
    summary = run(school_file, tmp_path / "out.jsonl", summary_path=tmp_path / "summary.json")
    results = batch_data.lines(tmp_path / "out.jsonl")
    report = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    by_id = {s["id"]: s for s in batch_data.schools()}
    for county in report["counties"]:
        mine = [r for r in results if by_id[r["id"]]["county_id"] == county["id"]]
        assert county["schools"] == len(mine)
        assert county["teachers"] == sum(r["teacher_count"] for r in mine)
        assert county["teachers_passing"] == sum(r["teachers_passing"] for r in mine)
        assert county["qualified_share"] == round(county["teachers_passing"] / county["teachers"], 4)
        assert county["city_id"] == "440800"
    totals = report["totals"]
    assert totals["teachers"] == summary.teachers == sum(r["teacher_count"] for r in results)
    failing = {}
    for result in results:
        for teacher in result["teachers"]:
            for rule in teacher["rules"]:
                failing[rule["id"]] = failing.get(rule["id"], 0) + (rule["status"] == "fail")
    listed = {r["id"]: r["count"] for r in totals["failing_rules"] if r["level"] == "teacher"}
    assert listed == {k: v for k, v in failing.items() if v}
    counts = [r["count"] for r in totals["failing_rules"]]
    assert counts == sorted(counts, reverse=True)
    assert [s["id"] for s in report["schools"]] == [r["id"] for r in results]
    assert [c["id"] for c in report["cities"]] == ["440800"]


# ---- formats -----------------------------------------------------------------------------------------

def test_csv_teacher_rows_equal_the_same_teachers_as_json_lines(data, tmp_path, guangdong):
    csv_file = batch_data.write_csv(tmp_path / "teachers.csv", data)
    teachers_only = [t for s in data for t in s["teachers"]]
    jsonl_file = batch_data.write_jsonl(tmp_path / "teachers.jsonl", teachers_only)
    run(csv_file, tmp_path / "a.jsonl")
    run(jsonl_file, tmp_path / "b.jsonl", workers=2)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    dataset = read_dataset(csv_file)  # what `kaohe evaluate` makes of the same file
    assert batch_data.lines(tmp_path / "a.jsonl") == [
        json.loads(json.dumps(explain.school_dict(guangdong.school(s, AS_OF)), ensure_ascii=False)) for s in dataset.schools]


def test_csv_cell_problems_name_the_line_and_column(data, tmp_path):
    csv_file = batch_data.write_csv(tmp_path / "teachers.csv", data[:2])
    text = csv_file.read_text(encoding="utf-8").splitlines()
    text[3] = text[3].replace(",true,", ",maybe,", 1)
    csv_file.write_text("\n".join(text) + "\n", encoding="utf-8")
    summary = run(csv_file, tmp_path / "out.jsonl", errors_path=tmp_path / "err.jsonl")
    (error,) = batch_data.lines(tmp_path / "err.jsonl")
    assert error["line"] == 4
    assert error["reason"] == f"teacher {data[0]['teachers'][2]['id']}: column full_time: 'maybe' is not true/false"
    assert summary.schools == 1


def test_unknown_csv_column_stops_the_run_naming_the_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,school_id,salary\nT1,S1,3\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=rf"^{path}: unknown column\(s\) salary"):
        run(path, tmp_path / "out.jsonl")


def test_parquet_input_one_file_or_parts_equals_json_lines(school_file, expected, tmp_path):
    pytest.importorskip("pyarrow")
    to_parquet(school_file, tmp_path / "all.parquet")
    parts = to_parquet(school_file, tmp_path / "parts", teachers_per_file=120)
    assert len(parts) > 2
    run(tmp_path / "all.parquet", tmp_path / "a.jsonl")
    run(tmp_path / "parts", tmp_path / "b.jsonl", workers=2)
    assert (tmp_path / "a.jsonl").read_bytes() == expected
    assert (tmp_path / "b.jsonl").read_bytes() == expected


def test_parquet_output_has_each_teachers_verdict(school_file, expected, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    summary = run(school_file, tmp_path / "verdicts.parquet")
    table = pq.read_table(tmp_path / "verdicts.parquet")
    assert table.schema.metadata[b"kaohe.ruleset"] == b"guangdong"
    rows = table.to_pylist()
    assert len(rows) == summary.teachers
    wanted = [(s["id"], s["verdict"], t["id"], t["verdict"]) for s in map(json.loads, expected.splitlines())
              for t in s["teachers"]]
    assert [(r["school_id"], r["school_verdict"], r["teacher_id"], r["verdict"]) for r in rows] == wanted
    failing = [r for r in rows if r["verdict"] == "fail"]
    assert failing and all(r["failed_rules"] for r in failing)


def test_progress_is_silent_when_stderr_is_not_a_terminal(school_file, tmp_path, capsys):
    run(school_file, tmp_path / "out.jsonl")
    assert capsys.readouterr().err == ""


def test_progress_bar_shows_teachers_per_second_when_asked(school_file, tmp_path, capsys):
    run(school_file, tmp_path / "out.jsonl", progress=True)
    err = capsys.readouterr().err
    assert "evaluating" in err and "teachers" in err and "/s" in err


def test_unknown_ruleset_stops_the_run_before_writing(school_file, tmp_path):
    with pytest.raises(KaoheError, match="no ruleset 'nowhere'"):
        run_batch("nowhere", school_file, tmp_path / "out.jsonl", as_of=AS_OF, workers=1, load_registry=RegistryLoader())
    assert list(tmp_path.iterdir()) == []


def test_missing_input_file_is_named(tmp_path):
    with pytest.raises(InputFormatError, match=f"^{tmp_path / 'none.jsonl'}: no such file$"):
        run(tmp_path / "none.jsonl", tmp_path / "out.jsonl")


def test_an_output_folder_that_does_not_exist_is_named_before_reading(school_file, tmp_path):
    with pytest.raises(InputFormatError, match=f"^{tmp_path / 'no' / 'e.jsonl'}: cannot write the error file: folder "):
        run(school_file, tmp_path / "out.jsonl", errors_path=tmp_path / "no" / "e.jsonl")
    assert list(tmp_path.iterdir()) == []


def test_two_workers_can_write_to_stdout(school_file, expected, capfdbinary, monkeypatch):
    monkeypatch.setattr(grouping, "CHUNK_BYTES", 20_000)
    summary = run(school_file, "-", workers=2)
    assert summary.grouping == "sorted"  # decided by a pass over the keys: stdout cannot be taken back
    assert capfdbinary.readouterr().out == expected


def test_a_line_that_is_not_valid_unicode_is_a_bad_record_not_a_crash(tmp_path):
    """A JSON escape can spell a lone surrogate, which UTF-8 cannot hold: that line is reported, the rest evaluated."""
    source = tmp_path / "odd.jsonl"
    source.write_text('{"id": "S\\ud800", "teachers": [{"id": "T", "school_id": "S\\ud800"}]}\n'
                      '{"id": "S2", "teachers": [{"id": "T2", "school_id": "S2"}]}\n', encoding="utf-8")
    summary = run(source, tmp_path / "out.jsonl", errors_path=tmp_path / "errors.jsonl")
    (bad,) = [json.loads(line) for line in (tmp_path / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert (bad["line"], bad["code"]) == (1, "input.unreadable")
    assert summary.schools == 1 and summary.exit_code == 4


# ---- one rule for bad lines (issue 13) ------------------------------------------------------------------

def _teacher_lines(school_id: str, count: int) -> list[dict]:
    return [{"id": f"{school_id}-T{i}", "school_id": school_id, "name": f"教师{i}"} for i in range(count)]


@pytest.mark.parametrize("grouping_mode", ["sorted", "unsorted"])
def test_a_truncated_teacher_line_withholds_its_school_when_its_school_id_can_be_read(tmp_path, grouping_mode):
    """A teacher line that parses but does not validate withholds its school; a truncated one must too,
    not let the school be judged as if that teacher did not exist."""
    lines = [json.dumps(t, ensure_ascii=False) for t in _teacher_lines("S-A", 3) + _teacher_lines("S-B", 2)]
    lines[1] = lines[1][:-12]  # cut off inside the record, after its school_id
    if grouping_mode == "unsorted":
        lines = [lines[3], lines[0], lines[4], lines[1], lines[2]]
    source = batch_data.write_jsonl(tmp_path / "teachers.jsonl", lines)
    summary = run(source, tmp_path / "out.jsonl", errors_path=tmp_path / "errors.jsonl")
    evaluated = [line["id"] for line in batch_data.lines(tmp_path / "out.jsonl")]
    reported = batch_data.lines(tmp_path / "errors.jsonl")
    assert evaluated == ["S-B"]
    assert [(e["code"], e["school_id"], e["school_evaluated"]) for e in reported] == [("input.unreadable", "S-A", False)]
    assert summary.schools_not_evaluated == 1 and summary.records_invalid == 1 and summary.exit_code == 4


def test_a_line_whose_school_cannot_be_read_withholds_the_schools_beside_it(tmp_path):
    lines = [json.dumps(t, ensure_ascii=False) for t in _teacher_lines("S-A", 2) + _teacher_lines("S-B", 2)
             + _teacher_lines("S-C", 2)]
    lines.insert(2, '{"id": "S-?-T9", "na')  # between S-A and S-B: no school id to read
    source = batch_data.write_jsonl(tmp_path / "teachers.jsonl", lines)
    summary = run(source, tmp_path / "out.jsonl", errors_path=tmp_path / "errors.jsonl")
    assert [line["id"] for line in batch_data.lines(tmp_path / "out.jsonl")] == ["S-C"]
    reported = batch_data.lines(tmp_path / "errors.jsonl")
    assert [(e["line"], e["code"], e["school_id"]) for e in reported] == [
        (3, "input.unreadable", "S-A"), (4, "record.school_withheld", "S-B")]
    assert summary.records_invalid == 1 and summary.schools_not_evaluated == 2


def test_a_school_that_cannot_be_evaluated_goes_to_the_errors_file_and_the_rest_on(tmp_path, monkeypatch):
    from kaohe.engine.evaluation import Evaluator

    original = Evaluator.school

    def school_or_fail(self, school, as_of, teachers=None):
        if school.id == "S-B":
            raise RuntimeError("error 202 from the rule engine")
        return original(self, school, as_of, teachers)

    monkeypatch.setattr(Evaluator, "school", school_or_fail)
    records = [{"id": sid, "teachers": _teacher_lines(sid, 2)} for sid in ("S-A", "S-B", "S-C")]
    source = batch_data.write_jsonl(tmp_path / "schools.jsonl", records)
    summary = run(source, tmp_path / "out.jsonl", errors_path=tmp_path / "errors.jsonl")
    assert [line["id"] for line in batch_data.lines(tmp_path / "out.jsonl")] == ["S-A", "S-C"]
    [entry] = batch_data.lines(tmp_path / "errors.jsonl")
    assert (entry["line"], entry["code"], entry["school_id"]) == (2, "record.not_evaluable", "S-B")
    assert "202" not in json.dumps(entry)
    assert summary.schools_not_evaluated == 1 and summary.exit_code == 4
