"""POST /v1/evaluations/stream: JSON Lines in and out, school by school, bad lines reported in place."""

from __future__ import annotations

import copy
import datetime as dt
import json
import socket
import time

import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.api.examples import EXAMPLE_SCHOOL
from kaohe.api.streaming import LineSplitter
from kaohe.engine import explain
from kaohe.engine.inputs import dataset_from_data

AS_OF = "2022-12-31"
URL = f"/v1/evaluations/stream?ruleset=guangdong&as_of={AS_OF}"


def jsonl(records) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n" for r in records)


def lines_of(response) -> list[dict]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


def engine_school(registry, school: dict, detail: str) -> dict:
    day = dt.date.fromisoformat(AS_OF)
    record = dataset_from_data({"schools": [school]}).schools[0]
    result = registry.evaluator("guangdong", day).school(record, day)
    return json.loads(orjson.dumps(explain.school_dict(result, "zh", detail)))


def teacher_lines(schools):
    """A platform export: a header line per school, then its teachers one a line."""
    for school in schools:
        yield {k: v for k, v in school.items() if k != "teachers"}
        yield from school["teachers"]


@pytest.mark.parametrize("detail", ["compact", "full"])
def test_teacher_lines_grouped_by_school_give_the_engines_school_verdicts(client, api_registry, gd_dataset, detail):
    out = lines_of(client.post(URL + f"&detail={detail}", content=jsonl(teacher_lines(gd_dataset["schools"]))))
    schools = [line for line in out if line["type"] == "school"]
    assert [s["school"]["id"] for s in schools] == [s["id"] for s in gd_dataset["schools"]]
    for line, school in zip(schools, gd_dataset["schools"]):
        assert line["school"] == engine_school(api_registry, school, detail)
    end = out[-1]
    assert end["type"] == "end" and end["complete"] is True
    assert end["summary"]["teachers"] == sum(len(s["teachers"]) for s in gd_dataset["schools"])
    assert end["summary"]["errors"] == 0
    assert len({line["decision_id"] for line in out}) == 1


def test_one_school_a_line_and_bare_teacher_runs_mix(client, api_registry, gd_dataset):
    first, second, third = gd_dataset["schools"]
    records = [first] + second["teachers"] + [third]
    out = lines_of(client.post(URL, content=jsonl(records)))
    got = {line["school"]["id"]: line for line in out if line["type"] == "school"}
    assert got[first["id"]]["lines"] == [1, 1]
    assert got[second["id"]]["lines"] == [2, 1 + len(second["teachers"])]
    bare = {"id": second["id"], "teachers": second["teachers"]}  # only the id is known from teacher lines
    assert got[second["id"]]["school"] == engine_school(api_registry, bare, "compact")
    assert got[third["id"]]["school"] == engine_school(api_registry, third, "compact")


def test_a_bad_line_yields_an_error_line_and_the_stream_goes_on(client, gd_dataset):
    first, second, third = (copy.deepcopy(s) for s in gd_dataset["schools"])
    body = jsonl([first]) + b"{this is not json\n" + jsonl(teacher_lines([second, third]))
    lines = body.split(b"\n")
    bad_index = 2 + 1 + 3  # 1-based: school 1, junk, header of 2, then the third teacher of school 2
    record = json.loads(lines[bad_index - 1])
    record["hours"] = "lots"
    lines[bad_index - 1] = json.dumps(record, ensure_ascii=False).encode()
    out = lines_of(client.post(URL, content=b"\n".join(lines)))
    errors = [line for line in out if line["type"] == "error"]
    junk = next(e for e in errors if e["line"] == 2)
    assert junk["problem"]["code"] == "request.malformed_json" and "line 2" in junk["problem"]["detail"]
    invalid = next(e for e in errors if e["line"] == bad_index)
    assert invalid["problem"]["code"] == "record.invalid_field"
    (problem,) = invalid["problem"]["errors"]
    assert (problem["record_type"], problem["record_id"], problem["field"]) == ("teacher", record["id"], "hours")
    withheld = [e for e in errors if e["problem"]["code"] == "stream.school_withheld"]
    # the junk line came while school 1 was open (it might have been its teacher): 1 is withheld too
    assert {e["problem"]["school_id"] for e in withheld} == {first["id"], second["id"]}
    assert [line["school"]["id"] for line in out if line["type"] == "school"] == [third["id"]]
    assert out[-1]["type"] == "end" and out[-1]["summary"]["errors"] == len(errors)


def test_teachers_of_a_school_that_already_ended_are_reported_not_merged(client, gd_dataset):
    first, second = gd_dataset["schools"][:2]
    records = first["teachers"][:2] + second["teachers"][:2] + first["teachers"][2:3]
    out = lines_of(client.post(URL, content=jsonl(records)))
    late = [line for line in out if line["type"] == "error"]
    assert [(e["line"], e["problem"]["code"]) for e in late] == [(5, "stream.not_grouped")]
    assert [len(line["school"]["teachers"]) for line in out if line["type"] == "school"] == [2, 2]


def test_regions_blank_lines_bom_and_crlf(client, gd_dataset):
    school = gd_dataset["schools"][0]
    body = b"\xef\xbb\xbf" + jsonl([school]).replace(b"\n", b"\r\n") + b"\n   \n" + jsonl([gd_dataset["regions"][0]])
    out = lines_of(client.post(URL, content=body))
    assert [line["type"] for line in out] == ["school", "error", "end"]
    assert out[1]["line"] == 4 and out[1]["problem"]["code"] == "stream.unsupported_record"  # blank lines count


def test_a_line_over_the_limit_is_skipped_with_an_error(app_factory, gd_dataset):
    with TestClient(app_factory(max_stream_line_bytes=4096)) as client:
        big, small = gd_dataset["schools"][0], {"id": "S-small", "teachers": gd_dataset["schools"][0]["teachers"][:1]}
        out = lines_of(client.post(URL, content=jsonl([big, small])))
    assert [(line["type"], line.get("line")) for line in out] == [("error", 1), ("school", 2), ("end", None)]
    assert out[0]["problem"]["code"] == "stream.line_too_long"


def test_a_stream_over_the_limit_stops_and_says_it_is_incomplete(app_factory, gd_dataset):
    with TestClient(app_factory(max_stream_bytes=10_000)) as client:
        body = jsonl(teacher_lines(gd_dataset["schools"]))

        def chunks():
            for i in range(0, len(body), 3000):
                yield body[i:i + 3000]
        out = lines_of(client.post(URL, content=chunks(), headers={"content-type": "application/x-ndjson"}))
        declared = client.post(URL, content=body)
    assert out[-1]["type"] == "end" and out[-1]["complete"] is False and out[-1]["reason"] == "too_large"
    assert any(line["type"] == "error" and line["problem"]["code"] == "stream.too_large" for line in out)
    assert declared.status_code == 413 and declared.json()["code"] == "request.too_large"


def test_unknown_ruleset_is_a_problem_before_any_line(client):
    response = client.post("/v1/evaluations/stream?ruleset=atlantis", content=jsonl([EXAMPLE_SCHOOL]))
    assert response.status_code == 404 and response.json()["code"] == "ruleset.not_found"
    response = client.post("/v1/evaluations/stream?ruleset=guangdong&as_of=2001-01-01", content=jsonl([EXAMPLE_SCHOOL]))
    assert response.status_code == 422 and response.json()["code"] == "ruleset.not_in_force"
    response = client.post("/v1/evaluations/stream", content=jsonl([EXAMPLE_SCHOOL]))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "ruleset"


@settings(max_examples=200, deadline=None)
@given(text=st.lists(st.text(alphabet="ab\n", max_size=12), max_size=8).map("".join),
       cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=10))
def test_line_splitter_gives_the_same_lines_however_the_bytes_are_chunked(text, cuts):
    data = text.encode()
    bounds = sorted({0, len(data), *[c for c in cuts if c <= len(data)]})
    splitter = LineSplitter(max_line=5)
    got = []
    for start, end in zip(bounds, bounds[1:]):
        got += splitter.feed(data[start:end])
    got += splitter.finish()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    assert got == [(n, line if len(line) <= 5 else None) for n, line in enumerate(lines, 1)]


def test_results_stream_back_before_the_upload_ends(live_server, gd_dataset):
    """Over a real socket: the first school's verdict arrives while the rest is still unsent."""
    first, second = gd_dataset["schools"][:2]
    head = jsonl(teacher_lines([first])) + jsonl([{"id": second["id"]}])  # school 2 opening closes school 1
    rest = jsonl(second["teachers"])
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as sock:
        sock.sendall((f"POST {URL} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n").encode())
        sock.sendall(b"%x\r\n%s\r\n" % (len(head), head))
        received = b""
        deadline = time.time() + 10
        while b'"type":"school"' not in received and time.time() < deadline:
            received += sock.recv(65536)
        assert b'"type":"school"' in received and first["id"].encode() in received
        assert b'"type":"end"' not in received  # the upload is not finished, so neither is the answer
        sock.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(rest), rest))
        while b'"type":"end"' not in received and time.time() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    assert b'"type":"end"' in received and second["id"].encode() in received.split(b'"type":"school"', 2)[-1]


def test_answers_come_in_input_order_even_when_a_later_line_fails_inside_an_open_school(client, gd_dataset):
    first, second = gd_dataset["schools"][0], gd_dataset["schools"][1]
    lines = [json.dumps(r, ensure_ascii=False).encode("utf-8") for r in teacher_lines([first])]
    lines.insert(3, b"{not json")  # inside the first school: withholds it
    bad_teacher = dict(second["teachers"][0], hours="三十")
    lines += [json.dumps(r, ensure_ascii=False).encode("utf-8") for r in teacher_lines([second])][:2]
    lines.append(json.dumps(bad_teacher, ensure_ascii=False).encode("utf-8"))
    out = lines_of(client.post(URL, content=b"\n".join(lines) + b"\n"))
    numbered = [line["line"] for line in out if line["type"] != "end"]
    assert numbered == sorted(numbered), numbered
    assert [line["problem"]["code"] for line in out if line["type"] == "error"][:2] == ["stream.school_withheld",
                                                                                        "request.malformed_json"]
