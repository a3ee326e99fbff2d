"""JSON Lines in, JSON Lines out: a county's export evaluated school by school as it arrives.

Input, one JSON object a line:
- a school (with or without its teachers), or
- a teacher (it has ``school_id``); consecutive teachers with the same school_id form one school,
  and teacher lines right after a school line with that id join that school.

Output, one JSON object a line, in input order:
- ``{"type": "school", "line": 3, "lines": [3, 52], "decision_id": …, "ruleset": {…}, "school": {…}}``
  once a school's lines are all read (the next line belongs elsewhere, or the input ended);
- ``{"type": "error", "line": 7, "decision_id": …, "problem": {problem+json}}`` for a line that
  cannot be read or does not validate, and ``stream.school_withheld`` for a school one of whose
  lines failed: no school verdict is given on an incomplete roster. A line that cannot be read at
  all (not JSON) may have been a teacher of the school being read, so it withholds that school too;
- ``{"type": "end", …, "summary": {…}, "complete": true}`` last, so a cut-off answer is recognisable.

Only the school being read is held in memory; everything else has been answered and dropped.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

import anyio
import orjson
from pydantic import ValidationError
from starlette.requests import ClientDisconnect
from starlette.responses import StreamingResponse

from kaohe.engine import explain
from kaohe.engine.evaluation import Evaluator
from kaohe.engine.records import School, Teacher

from kaohe.engine.jsonio import dumps
from .metrics import ApiMetrics
from .problems import problem_body, summarise, validation_errors

log = logging.getLogger("kaohe.api")
NDJSON = "application/x-ndjson"
_BOM = b"\xef\xbb\xbf"


class LineSplitter:
    """Bytes in any chunking → (line number, bytes) with the newline removed; None for a line
    longer than `max_line` (which is skipped, not buffered)."""

    def __init__(self, max_line: int):
        self.max_line = max_line
        self.number = 0
        self._buffer = bytearray()
        self._skipping = False

    def feed(self, chunk: bytes) -> list[tuple[int, bytes | None]]:
        out: list[tuple[int, bytes | None]] = []
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                if not self._skipping:
                    self._buffer += chunk[start:]
                    if len(self._buffer) > self.max_line:
                        self._skipping = True
                        self._buffer.clear()
                break
            self.number += 1
            if self._skipping:
                out.append((self.number, None))
                self._skipping = False
            else:
                if self._buffer:
                    self._buffer += chunk[start:end]
                    line = bytes(self._buffer)
                    self._buffer.clear()
                else:
                    line = chunk[start:end]
                out.append((self.number, line if len(line) <= self.max_line else None))
            start = end + 1
        return out

    def finish(self) -> list[tuple[int, bytes | None]]:
        if self._skipping:
            self._skipping = False
            self.number += 1
            return [(self.number, None)]
        if self._buffer:
            line = bytes(self._buffer)
            self._buffer.clear()
            self.number += 1
            return [(self.number, line)]
        return []


@dataclass
class _Group:
    """The school being read: its own line (if any) and the teacher lines so far."""

    school_id: str | None
    first: int
    last: int
    school: School | None = None
    teachers: list[Teacher] = field(default_factory=list)
    bad_lines: list[int] = field(default_factory=list)
    good_lines: int = 0
    overflow: bool = False


@dataclass
class StreamLimits:
    max_line_bytes: int
    max_school_teachers: int
    max_stream_bytes: int = 0


class StreamEvaluation:
    """The state of one stream. `feed` and `finish` return output bytes; calls are sequential."""

    def __init__(self, evaluator: Evaluator, as_of: dt.date, lang: str, detail: str, decision_id: str,
                 limits: StreamLimits, metrics: ApiMetrics):
        self.evaluator, self.as_of, self.lang, self.detail = evaluator, as_of, lang, detail
        self.decision_id, self.limits, self.metrics = decision_id, limits, metrics
        self.header = explain.ruleset_header(evaluator.ruleset, lang)
        self.ruleset_id = evaluator.ruleset.id
        self.open: _Group | None = None
        self.ended: dict[str, int] = {}  # school id -> line its school started on
        self.summary = {"lines": 0, "schools": 0, "schools_passing": 0, "teachers": 0, "teachers_passing": 0,
                        "errors": 0, "schools_withheld": 0}
        self._out: list[bytes] = []
        # error lines of lines after the open school's first: they follow that school's own line
        self._held: list[tuple[int, bytes]] = []
        self._teacher_results: list = []
        self._school_results: list = []
        self._line_outcomes = {"read": 0, "error": 0}

    # -- output
    def _emit(self, obj: dict) -> None:
        line = obj.get("line")
        if obj["type"] == "error" and self.open is not None and line is not None and line >= self.open.first:
            self._held.append((line, dumps(obj)))  # answered in input order once the school is
            return
        self._out.append(dumps(obj))

    def _release_held(self) -> None:
        self._out.extend(text for _, text in sorted(self._held, key=lambda held: held[0]))
        self._held = []

    def _error(self, line: int | None, code: str, detail: str, **extra: Any) -> None:
        self.summary["errors"] += 1
        self._line_outcomes["error"] += 1
        self.metrics.problem(code)
        problem = problem_body(code, detail, lang=self.lang, decision_id=self.decision_id, **extra)
        self._emit({"type": "error", "line": line, "decision_id": self.decision_id, "problem": problem})

    def _drain(self) -> bytes:
        if self._teacher_results:
            self.metrics.evaluated(self.ruleset_id, self._teacher_results, "teacher")
            self._teacher_results = []
        if self._school_results:
            self.metrics.evaluated(self.ruleset_id, self._school_results, "school")
            self._school_results = []
        self.metrics.stream_line("read", self._line_outcomes["read"])
        self.metrics.stream_line("error", self._line_outcomes["error"])
        self._line_outcomes = {"read": 0, "error": 0}
        if not self._out:
            return b""
        out = b"\n".join(self._out) + b"\n"
        self._out = []
        return out

    # -- input
    def feed(self, lines: list[tuple[int, bytes | None]]) -> bytes:
        for number, line in lines:
            self._line(number, line)
        return self._drain()

    def finish(self, complete: bool = True, reason: str | None = None) -> bytes:
        self._flush()
        end = {"type": "end", "decision_id": self.decision_id, "ruleset": self.header, "as_of": self.as_of.isoformat(),
               "summary": self.summary, "complete": complete}
        if reason:
            end["reason"] = reason
        self._emit(end)
        return self._drain()

    def cut_off(self, line: int, detail: str) -> None:
        """Reading stopped early (size limit): the school being read is incomplete, so withheld."""
        self._error(line, "stream.too_large", detail)
        if self.open is not None:
            self.open.bad_lines.append(line)

    def _line(self, number: int, line: bytes | None) -> None:
        if line is not None:
            if number == 1 and line.startswith(_BOM):
                line = line[len(_BOM):]
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line.strip():
                return
        self.summary["lines"] += 1
        self._line_outcomes["read"] += 1
        if line is None:
            self._taint_open(number)
            self._error(number, "stream.line_too_long", f"line {number} is longer than {self.limits.max_line_bytes} bytes",
                        max_bytes=self.limits.max_line_bytes)
            return
        if b'"teachers"' in line:
            # most likely a school with its teachers: validate straight from the bytes. A valid
            # School has no school_id (unknown fields are refused), so it cannot be a teacher line;
            # anything that does not validate takes the general path below and is classified there.
            try:
                school = School.model_validate_json(line)
            except ValidationError:
                pass
            else:
                self._school(number, school)
                return
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            self._taint_open(number)
            self._error(number, "request.malformed_json", f"line {number} is not valid JSON: {exc}")
            return
        if not isinstance(data, dict):
            self._taint_open(number)
            self._error(number, "record.invalid_field", f"line {number} is not a JSON object (a school or a teacher)")
            return
        if "school_id" in data:
            self._teacher_line(number, line, data)
        elif "level" in data:
            self._flush()  # a region line is no teacher: the school being read is complete
            self._error(number, "stream.unsupported_record",
                        f"line {number} is a region; regions are evaluated by POST /v1/evaluations")
        else:
            self._school_line(number, line, data)

    def _taint_open(self, number: int) -> None:
        if self.open is not None:
            self.open.bad_lines.append(number)
            self.open.last = number

    def _record_error(self, number: int, exc: ValidationError, data: Any, kind: str) -> None:
        errors = validation_errors(exc, data, root_record=(f"line {number}", kind))
        self._error(number, "record.invalid_field", f"line {number}: {summarise(errors)}", errors=errors)

    def _teacher_line(self, number: int, line: bytes, data: dict) -> None:
        school_id = data.get("school_id")
        try:
            teacher = Teacher.model_validate_json(line)
        except ValidationError as exc:
            teacher = None
            self._record_error(number, exc, data, "teacher")
        if not isinstance(school_id, str) or not school_id.strip():
            self._taint_open(number)  # cannot tell which school it belonged to
            return
        school_id = teacher.school_id if teacher is not None else school_id.strip()
        group = self.open
        if group is None or group.school_id != school_id:
            if school_id in self.ended:
                self._error(number, "stream.not_grouped",
                            f"line {number}: school {school_id} ended before this line (it started on line "
                            f"{self.ended[school_id]}); its verdict was given without this teacher")
                return
            self._flush()
            group = self.open = _Group(school_id, number, number)
        group.last = number
        if teacher is None:
            group.bad_lines.append(number)
            return
        group.good_lines += 1
        if len(group.teachers) >= self.limits.max_school_teachers:
            if not group.overflow:
                group.overflow = True
                group.teachers = []  # the verdict is withheld anyway: do not hold them
            group.bad_lines.append(number)
            return
        if not group.overflow:
            group.teachers.append(teacher)

    def _school_line(self, number: int, line: bytes, data: dict) -> None:
        self._flush()
        ident = data.get("id")
        school_id = ident.strip() if isinstance(ident, str) else None
        if school_id is not None and school_id in self.ended:
            self._error(number, "stream.not_grouped",
                        f"line {number}: school {school_id} was already evaluated (it started on line {self.ended[school_id]})")
            return
        try:
            school = School.model_validate_json(line)
        except ValidationError as exc:
            self._record_error(number, exc, data, "school")
            # its teacher lines, if any follow, are withheld with it
            self.open = _Group(school_id, number, number, bad_lines=[number])
            return
        self._school(number, school, flushed=True)

    def _school(self, number: int, school: School, flushed: bool = False) -> None:
        if not flushed:
            self._flush()
            if school.id in self.ended:
                self._error(number, "stream.not_grouped",
                            f"line {number}: school {school.id} was already evaluated (it started on line {self.ended[school.id]})")
                return
        group = self.open = _Group(school.id, number, number, school=school, good_lines=1)
        if len(school.teachers) > self.limits.max_school_teachers:
            group.overflow = True
            group.school = None
            group.bad_lines.append(number)

    def _flush(self) -> None:
        group, self.open = self.open, None
        try:
            self._answer(group)
        finally:
            self._release_held()

    def _answer(self, group: "_Group | None") -> None:
        if group is None:
            return
        if group.school_id is not None:
            self.ended.setdefault(group.school_id, group.first)
        if group.bad_lines:
            if group.good_lines:
                self.summary["schools_withheld"] += 1
                reason = (f"more than {self.limits.max_school_teachers} teachers" if group.overflow
                          else f"line(s) {', '.join(map(str, group.bad_lines[:20]))} of it could not be read or did not validate")
                self._error(group.first, "stream.school_withheld",
                            f"school {group.school_id or '(no id)'} (lines {group.first}–{group.last}): verdict withheld: {reason}",
                            lines=[group.first, group.last], school_id=group.school_id, bad_lines=group.bad_lines[:100])
            return
        school = group.school
        if school is None:
            school = School(id=group.school_id, teachers=group.teachers)
        elif group.teachers:
            school = school.model_copy(update={"teachers": list(school.teachers) + group.teachers})
        try:
            result = self.evaluator.school(school, self.as_of)
            entry = explain.school_dict(result, self.lang, self.detail)
        except Exception:
            log.exception("stream %s: school %s could not be evaluated", self.decision_id, school.id)
            self._error(group.first, "record.not_evaluable",
                        f"school {school.id} (lines {group.first}–{group.last}) could not be evaluated; it has been "
                        "logged under the decision id", lines=[group.first, group.last], school_id=school.id)
            return
        self.summary["schools"] += 1
        self.summary["schools_passing"] += result.verdict == "pass"
        self.summary["teachers"] += len(result.members)
        self.summary["teachers_passing"] += sum(1 for t in result.members if t.verdict == "pass")
        self._school_results.append(result)
        self._teacher_results.extend(result.members)
        self._emit({"type": "school", "line": group.first, "lines": [group.first, group.last],
                    "decision_id": self.decision_id, "ruleset": self.header,
                    "school": entry})


async def evaluate_stream(chunks: AsyncIterator[bytes], state: StreamEvaluation) -> AsyncIterator[bytes]:
    """Read `chunks`, answer as schools complete. Never raises: after the 200 has gone out, any
    failure becomes an error line and the end line says the answer is incomplete."""
    splitter = LineSplitter(state.limits.max_line_bytes)
    received = 0
    complete, reason = True, None
    try:
        async for chunk in chunks:
            received += len(chunk)
            if state.limits.max_stream_bytes and received > state.limits.max_stream_bytes:
                state.cut_off(splitter.number + 1, f"the stream passed {state.limits.max_stream_bytes} bytes; "
                              "reading stopped")
                complete, reason = False, "too_large"
                break
            lines = splitter.feed(chunk)
            if lines:
                out = await anyio.to_thread.run_sync(state.feed, lines)
                if out:
                    yield out
        else:
            lines = splitter.finish()
            if lines:
                out = await anyio.to_thread.run_sync(state.feed, lines)
                if out:
                    yield out
        yield await anyio.to_thread.run_sync(state.finish, complete, reason)
    except ClientDisconnect:
        log.info("stream %s: the client went away after %d bytes", state.decision_id, received)
    except Exception as exc:  # the status line is long gone: say so in the stream, log the rest
        log.error("stream %s failed", state.decision_id, exc_info=(type(exc), exc, exc.__traceback__))
        state._error(splitter.number or None, "internal.error", "an internal error occurred; the rest of the stream "
                     "was not evaluated")
        yield state.finish(False, "internal_error")


class JSONLinesResponse(StreamingResponse):
    """Streams without Starlette's disconnect listener: that listener reads `receive()` too, and
    would swallow request-body chunks the generator is still reading."""

    media_type = NDJSON

    async def __call__(self, scope, receive, send) -> None:
        await self.stream_response(send)
