"""A POST /v1/simulations body → the impact of the change, as `kaohe simulate` computes it.

Runs in the compiling child process (compile_worker.py), never in the server: the changed
revision is compiled, and compiling registers rules with durable_rules for the life of the
process. No HTTP here; problems are raised as `Problem`, which crosses back to the server.

The change is handed to `kaohe.tools.simulate.run`, the function the CLI calls, so the API and
`kaohe simulate` cannot differ: each `set` value is first checked against the parameter's type
(JSON has types, so 20 is a number and "20" is not), then written as the `name=value` text that
`run` reads back to the same value; `changed_ruleset` is checked as `kaohe lint` checks it, then
written to a file of a temporary folder that `run` reads.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from kaohe.tools import simulate
from kaohe.tools.diff import resolve_path
from kaohe.engine import messages
from kaohe.engine.errors import KaoheError, RulesetError
from kaohe.engine.expressions import suggest
from kaohe.engine.language import Resolved
from kaohe.engine.records import Dataset

from .evaluate import parse_request
from kaohe.engine.jsonio import dumps, mask_id_cards
from .problems import Problem, problem_for, public_diagnostic
from .schemas import SimulationRequest

CHANGED_FILE = "changed_ruleset.yaml"  # the name diagnostics give the text sent as changed_ruleset
DIAGNOSTIC_KEYS = ("code", "severity", "message", "file", "line", "column", "path", "hint")


@dataclass(frozen=True)
class Answer:
    body: bytes
    media_type: str
    ruleset_id: str
    baseline_revision: str
    changed_revision: str
    compiled: int = 1  # revisions compiled for it (the text sent, and the text with values set)
    headers: dict = field(default_factory=dict)


def clean_diagnostic(diagnostic: dict, file: str | None = None, written_as: str | None = None, lang: str = "en") -> dict:
    out = {k: v for k, v in messages.diagnostic_in(diagnostic, lang).items() if k in DIAGNOSTIC_KEYS}
    if written_as is not None and out.get("file") == written_as:
        out["file"] = file
    return public_diagnostic(out, file or CHANGED_FILE)


def assignment(name: str, value: Any) -> str:
    """A checked value as the `name=value` text `simulate.parse_assignments` reads back to it."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:  # numbers, quoted text, lists and objects: JSON, which parse_value reads as JSON
        text = json.dumps(value, ensure_ascii=False)
    return f"{name}={text}"


def assignments(resolved: Resolved, values: Mapping[str, Any]) -> list[str]:
    """`set` checked against the parameters of `resolved`; a problem naming the first that does not fit."""
    out = []
    for name, value in values.items():
        try:
            checked = simulate.check_value(resolved, name, value)
        except KaoheError as exc:  # UnknownParameter, InvalidValue
            hint = suggest(name, resolved.parameters) if exc.code == "simulate.unknown_parameter" else None
            raise Problem(exc.code, exc.message, hint=hint or exc.hint, parameter=name,
                          pointer="/set/" + name.replace("~", "~0").replace("/", "~1")) from None
        out.append(assignment(name, checked))
    return out


def _invalid_ruleset(diagnostics: list[dict], warnings: list[dict]) -> Problem:
    first = diagnostics[0]
    where = ":".join(str(x) for x in (first.get("file"), first.get("line"), first.get("column")) if x is not None)
    path = f" {first['path']}" if first.get("path") else ""
    more = f" (and {len(diagnostics) - 1} more)" if len(diagnostics) > 1 else ""
    return Problem("simulate.invalid_ruleset", f"{where}{path}: {first.get('message')}{more}",
                   hint=first.get("hint"), diagnostics=diagnostics, warnings=warnings)


def simulate_body(body: bytes, registry, today: dt.date, lang: str, decision_id: str, text_format: bool,
                  max_ruleset_bytes: int, *, lint: Callable[[str, str], list[dict]]) -> Answer:
    """The answer to one simulation request. `lint(text, file)` checks ruleset text (diagnostic dicts)."""
    request: SimulationRequest = parse_request(SimulationRequest, body)
    if not request.set_values and request.changed_ruleset is None:
        raise Problem("simulate.nothing_changed", "nothing to compare: send `set` with at least one parameter, "
                      "a `changed_ruleset`, or both")
    as_of = request.as_of or today
    dataset = Dataset.model_construct(records_version=request.records_version, schools=request.schools,
                                      regions=request.regions)
    warnings: list[dict] = []
    try:
        baseline = registry.get(request.ruleset, as_of)
        with tempfile.TemporaryDirectory(prefix="kaohe-simulation-") as folder:
            changed_path = None
            written_as = (Path(folder) / CHANGED_FILE).as_posix()
            if request.changed_ruleset is not None:
                text = request.changed_ruleset
                size = len(text.encode("utf-8", "surrogatepass"))
                if size > max_ruleset_bytes:
                    raise Problem("request.too_large", f"changed_ruleset is {size} bytes; this server accepts rulesets "
                                  f"of at most {max_ruleset_bytes}", max_bytes=max_ruleset_bytes)
                found = [clean_diagnostic(d, lang=lang) for d in lint(text, CHANGED_FILE)]
                errors = [d for d in found if d.get("severity") == "error"]
                warnings = [d for d in found if d.get("severity") != "error"]
                if errors:
                    raise _invalid_ruleset(errors, warnings)
                changed_path = Path(written_as)
                changed_path.write_text(text, encoding="utf-8")
            try:
                changed = resolve_path(changed_path, registry, as_of) if changed_path is not None else baseline.resolved
                texts = assignments(changed, request.set_values)
                impact = simulate.run(registry, request.ruleset, dataset, as_of, texts, changed_path)
            except RulesetError as exc:  # passed the check, but not against the parent in force on as_of
                found = [clean_diagnostic(d.to_dict("both"), CHANGED_FILE, written_as, lang) for d in exc.all]
                raise _invalid_ruleset([d for d in found if d.get("severity") == "error"] or found, warnings) from None
    except KaoheError as exc:
        raise problem_for(exc) from None
    compiled = 1 + (request.changed_ruleset is not None and bool(request.set_values))
    baseline_revision, changed_revision = impact.baseline["revision"], impact.changed["revision"]
    headers = {"Kaohe-Changed-Revision": changed_revision}
    if text_format:
        return Answer(mask_id_cards(impact.text(lang)).encode("utf-8"), "text/plain; charset=utf-8", request.ruleset,
                      baseline_revision, changed_revision, compiled, headers)
    out = {"decision_id": decision_id, "ruleset": request.ruleset, "as_of": as_of.isoformat(),
           "baseline_revision": baseline_revision, "changed_revision": changed_revision, "language": lang,
           "warnings": warnings, "impact": impact.to_dict(request.detail)}
    return Answer(dumps(out), "application/json", request.ruleset, baseline_revision, changed_revision, compiled, headers)
