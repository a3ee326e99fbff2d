"""The `kaohe` command. Every user error ends in a message and exit code 2, never a traceback."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

from kaohe.engine import explain
from kaohe.engine import KaoheError, RecordError, RulesetError


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date (YYYY-MM-DD)") from None


def _loading_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rulesets", action="append", default=[], metavar="PATH",
                        help="also load rulesets from this YAML file or folder (repeatable; env KAOHE_RULESETS, ':'-separated)")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                        help="also enable this plugin module for development (repeatable; env KAOHE_PLUGINS)")


def _load(args, quiet_problems: bool = False):
    from kaohe.plugins.manager import build_registry

    paths, modules = _plugin_options(args)
    loaded = build_registry(paths, extra_modules=modules)
    if not quiet_problems:
        for problem in loaded.problems:
            print(f"kaohe: warning: plugin {problem.plugin} not loaded: {problem.reason}", file=sys.stderr)
    return loaded


BATCH_SUFFIXES = (".jsonl", ".ndjson", ".parquet")


def _batch_mode(args) -> bool:
    """Streaming batch evaluation: asked for by its own flags, or by a JSON Lines/Parquet output."""
    output = str(args.output or "")
    return bool(args.workers or args.dask or args.errors or args.summary or args.group != "auto"
                or output.endswith(BATCH_SUFFIXES) or str(args.file).endswith(".parquet"))


def _plugin_options(args) -> tuple[tuple, tuple]:
    """Ruleset paths and plugin modules: the flags, then KAOHE_RULESETS and KAOHE_PLUGINS."""
    paths = list(args.rulesets) + [p for p in os.environ.get("KAOHE_RULESETS", "").split(os.pathsep) if p]
    modules = list(args.plugin) + [p for p in os.environ.get("KAOHE_PLUGINS", "").split(",") if p]
    return tuple(paths), tuple(modules)


def cmd_batch(args) -> int:
    """Any size of input, memory bounded by the largest school, N worker processes or a Dask cluster."""
    from kaohe.plugins.manager import RegistryLoader

    paths, modules = _plugin_options(args)
    common = dict(as_of=args.as_of, lang=explain.language(args.lang), detail=args.detail, errors_path=args.errors,
                  summary_path=args.summary, load_registry=RegistryLoader(paths, modules))
    if args.dask:
        try:
            from kaohe.batch.distributed import run_dask
        except ImportError:
            raise KaoheError("running on Dask needs its packages: pip install 'kaohe[dask]'", code="cli.missing_extra") from None
        if not args.output:
            raise KaoheError("--dask writes part files: give -o FOLDER", code="cli.missing_output")
        summary = run_dask(args.ruleset, args.file, args.output, scheduler=None if args.dask == "local" else args.dask,
                           n_workers=args.workers, **common)
    else:
        from kaohe.batch import run_batch

        summary = run_batch(args.ruleset, args.file, args.output or "-", workers=args.workers, grouping=args.group,
                            input_format=args.input_format, progress=args.progress, **common)
    for warning in summary.warnings:
        print(f"kaohe: warning: {warning}", file=sys.stderr)
    print(f"kaohe: {summary.teachers} teachers in {summary.schools} schools "
          f"({summary.teachers_passing} pass), {summary.records_invalid} bad records, "
          f"{summary.seconds:.1f} s, {summary.workers} worker(s)", file=sys.stderr)
    return summary.exit_code


def cmd_evaluate(args) -> int:
    from kaohe.engine import read_dataset

    if _batch_mode(args):
        return cmd_batch(args)
    loaded = _load(args)
    as_of = args.as_of or dt.date.today()
    evaluator = loaded.registry.evaluator(args.ruleset, as_of)
    dataset = read_dataset(args.file)
    evaluation = evaluator.dataset(dataset, as_of)
    lang = explain.language(args.lang)
    if args.format in ("xlsx", "csv"):
        from kaohe.tools import reports

        if args.format == "xlsx" and not args.output:
            raise KaoheError("--format xlsx writes a workbook: give -o PATH.xlsx", code="cli.missing_output")
        if args.format == "xlsx":
            reports.write_xlsx(evaluation, args.output, lang)
        else:
            reports.write_csv(evaluation, args.output or sys.stdout, lang)
        if args.output:
            print(f"kaohe: wrote {args.output}", file=sys.stderr)
    elif args.format == "json":
        _write(args.output, json.dumps(explain.evaluation_dict(evaluation, lang, args.detail), ensure_ascii=False, indent=2) + "\n")
    else:
        _write(args.output, explain.text_report(evaluation, lang))
    if args.chart:
        import warnings

        from kaohe.tools import reports

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            reports.write_chart(evaluation, args.chart, lang, by=args.chart_by)
        for warning in caught:
            print(f"kaohe: warning: {warning.message}", file=sys.stderr)
        print(f"kaohe: wrote {args.chart}", file=sys.stderr)
    return 0


def _write(path: str | None, text: str) -> None:
    if path:
        Path(path).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _emit(args, result, text_fn) -> int:
    """JSON or the readable text of a simulation, diff or register."""
    if args.format == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(text_fn(explain.language(args.lang)))
    return 0


def cmd_simulate(args) -> int:
    from kaohe.tools import simulate
    from kaohe.engine import read_dataset

    if not args.set and not args.changed:
        raise KaoheError("nothing to simulate: give --set NAME=VALUE and/or --with CHANGED.yaml", code="simulate.nothing_changed")
    loaded = _load(args)
    as_of = args.as_of or dt.date.today()
    impact = simulate.run(loaded.registry, args.ruleset, read_dataset(args.file), as_of, args.set, args.changed)
    return _emit(args, impact, impact.text)


def cmd_diff(args) -> int:
    from kaohe.tools import diff

    loaded = _load(args)
    changes = diff.diff(diff.load_revision(args.a, loaded.registry, args.as_of),
                        diff.load_revision(args.b, loaded.registry, args.as_of))
    _emit(args, changes, changes.text)
    return 1 if args.exit_code and not changes.empty else 0


def cmd_questions(args) -> int:
    from kaohe.tools import questions

    loaded = _load(args)
    found = questions.register(loaded.registry, args.ruleset)
    return _emit(args, found, found.text)


def cmd_import(args) -> int:
    from kaohe.engine import InputFormatError
    from kaohe.plugins.tabular import read_table

    loaded = _load(args)
    importer = loaded.importers.get(args.importer)
    if importer is None:
        raise KaoheError(f"no importer '{args.importer}'", code="import.unknown_importer",
                         hint=f"available: {', '.join(sorted(loaded.importers)) or 'none'}")
    table = read_table(args.file, list(importer.columns))
    options = {"school_id": args.school_id, "date": args.date.isoformat() if args.date else None,
               "secret": os.environ.get("KAOHE_ID_SECRET", "")}
    try:
        result = importer.read(table.rows, options)
    except ValueError as exc:
        raise InputFormatError(f"{table.file}: {exc}") from None
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    try:
        for record in result.records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    for warning in result.warnings:
        print(f"kaohe: note: {warning}", file=sys.stderr)
    print(f"kaohe: {len(result.records)} records from {len(table.rows)} rows of {table.file}", file=sys.stderr)
    return 0


def cmd_lint(args) -> int:
    from kaohe.engine import lint_paths

    loaded = _load(args, quiet_problems=True)
    known = {}
    for rid in loaded.registry.ids():
        for compiled in loaded.registry.revisions(rid):
            known[rid] = compiled.resolved.documents[0]
    diagnostics = lint_paths(args.paths, known, loaded.registry.extensions)
    errors = [d for d in diagnostics if d.severity == "error"]
    for diagnostic in diagnostics:
        print(f"{diagnostic.severity}: {diagnostic}")
    checked = ", ".join(str(p) for p in args.paths)
    print(f"{len(errors)} error(s), {len(diagnostics) - len(errors)} warning(s) in {checked}")
    return 1 if errors or (args.strict and diagnostics) else 0


def cmd_rulesets(args) -> int:
    loaded = _load(args)
    rows = []
    for rid in loaded.registry.ids():
        for compiled in loaded.registry.revisions(rid):
            r = compiled.resolved
            rows.append({"id": r.id, "version": r.version, "revision": r.revision,
                         "effective_from": str(r.effective_from or ""), "effective_until": str(r.effective_until or ""),
                         "extends": r.lineage[1] if len(r.lineage) > 1 else None,
                         "title": r.title[explain.language(args.lang)],
                         "rules": len(compiled.all_rules())})
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        period = f"{row['effective_from'] or '…'} – {row['effective_until'] or '…'}"
        parent = f" extends {row['extends']}" if row["extends"] else ""
        print(f"{row['id']:<24} {row['version']:<10} {row['revision']}  {period:<25} {row['rules']:>3} rules{parent}  {row['title']}")
    return 0


def cmd_doc(args) -> int:
    from kaohe.tools.policydoc import render_markdown

    loaded = _load(args)
    compiled = loaded.registry.get(args.ruleset, args.as_of)
    text = render_markdown(compiled, [Path(p) for p in (args.features or ["features"])], lang=explain.language(args.lang))
    _write(args.output, text)
    if args.output:
        print(f"kaohe: wrote {args.output}", file=sys.stderr)
    return 0


def cmd_serve(args) -> int:
    from kaohe.api.server import serve, serve_keywords

    serve(args.host, args.port, args.workers, args.rulesets, args.plugin, args.keys_file,
          access_log=args.access_log, log_level=args.log_level, **serve_keywords(args))
    return 0


def cmd_schema(args) -> int:
    from kaohe.engine import json_schema

    print(json.dumps(json_schema(), ensure_ascii=False, indent=2))
    return 0


def cmd_plugins(args) -> int:
    loaded = _load(args, quiet_problems=True)
    for name, plugin in reversed(loaded.manager.list_name_plugin()):
        hooks = sorted(h.name for h in loaded.manager.get_hookcallers(plugin) or [])
        print(f"{name}: {', '.join(hooks) or 'no hooks'} ({loaded.origins.get(name, '?')})")
    for problem in loaded.problems:
        print(f"{problem.plugin}: NOT LOADED: {problem.reason}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kaohe", description="考核: policy-as-code for the teacher IT-ability programme 2.0")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("evaluate", help="evaluate records (JSON, JSON Lines, CSV; Parquet in batch mode) against a ruleset")
    p.add_argument("file", help="records file: .json, .jsonl or .csv")
    p.add_argument("--ruleset", required=True, help="ruleset id, e.g. guangdong")
    p.add_argument("--as-of", type=_date, help="evaluate as of this date (default: today); picks the revision in force")
    p.add_argument("--lang", default="zh", help="zh (default) or en")
    p.add_argument("--format", choices=("text", "json", "xlsx", "csv"), default="text",
                   help="text report (default), JSON, an Excel workbook (summary + one sheet per school) or CSV")
    p.add_argument("-o", "--output", help="write here instead of standard output (required for xlsx)")
    p.add_argument("--detail", choices=("full", "compact"), default="full", help="JSON detail: full explanation or verdict + failed rules")
    p.add_argument("--chart", metavar="PNG", help="also draw the qualified share against its threshold as a PNG")
    p.add_argument("--chart-by", choices=("school", "county"), default="school")
    batch = p.add_argument_group("batch (any size; chosen by these flags or a .jsonl/.parquet output)")
    batch.add_argument("--workers", type=int, help="worker processes (default: the CPU count)")
    batch.add_argument("--errors", metavar="PATH", help="bad records as JSON Lines (line, record, reason)")
    batch.add_argument("--summary", metavar="PATH", help="the summary (per school, county, city) as JSON")
    batch.add_argument("--group", choices=("auto", "sorted", "spill"), default="auto",
                       help="records grouped by school: sorted input streams; otherwise grouped on disk (auto: find out)")
    batch.add_argument("--input-format", choices=("jsonl", "csv", "parquet"), help="default: from the file name")
    batch.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                       help="a progress bar (default: only on a terminal)")
    batch.add_argument("--dask", metavar="SCHEDULER", help="run on Dask: 'local' or tcp://host:8786 (input: a Parquet folder)")
    _loading_options(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("simulate", help="impact of a change before it is made: who changes verdict, by rule, county, school")
    p.add_argument("file", help="records file: .json, .jsonl or .csv")
    p.add_argument("--ruleset", required=True, help="the baseline ruleset id")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a parameter value to try (repeatable)")
    p.add_argument("--with", dest="changed", metavar="CHANGED.yaml", help="a changed revision of the ruleset to compare with")
    p.add_argument("--as-of", type=_date)
    p.add_argument("--lang", default="zh")
    p.add_argument("--format", choices=("text", "json"), default="text")
    _loading_options(p)
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("diff", help="what changed between two revisions or rulesets, in policy terms")
    p.add_argument("a", help="a ruleset id or a YAML file")
    p.add_argument("b", help="a ruleset id or a YAML file")
    p.add_argument("--as-of", type=_date, help="which revision an id means (default: today)")
    p.add_argument("--lang", default="zh")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when there are differences")
    _loading_options(p)
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("questions", help="the open-questions register: every ambiguous reading, the choice made, who decides")
    p.add_argument("--ruleset", help="only this ruleset (default: all loaded)")
    p.add_argument("--lang", default="zh")
    p.add_argument("--format", choices=("text", "json"), default="text")
    _loading_options(p)
    p.set_defaults(func=cmd_questions)

    p = sub.add_parser("lint", help="check ruleset files: names, types, citations, translations, extends")
    p.add_argument("paths", nargs="+", help="YAML files or folders")
    p.add_argument("--strict", action="store_true", help="warnings fail too")
    _loading_options(p)
    p.set_defaults(func=cmd_lint)

    p = sub.add_parser("import", help="turn a platform export (CSV/XLSX, Chinese headers) into records (JSON Lines)")
    p.add_argument("file", help=".csv or .xlsx export")
    p.add_argument("--importer", required=True, help="importer name, e.g. guangdong-review-list, yueyang-roster")
    p.add_argument("--school-id", help="the school, where the export does not name it")
    p.add_argument("--date", type=_date, help="date to record imported hour totals on (default: the importer's)")
    p.add_argument("-o", "--output", help="write records here (.jsonl) instead of standard output")
    _loading_options(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("rulesets", help="list the loaded rulesets with revisions and effective periods")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--lang", default="zh")
    _loading_options(p)
    p.set_defaults(func=cmd_rulesets)

    p = sub.add_parser("doc", help="render a ruleset and the scenarios that illustrate it as a Markdown policy document")
    p.add_argument("--ruleset", required=True)
    p.add_argument("--features", action="append", metavar="PATH", help="feature files or folders (default: features)")
    p.add_argument("--as-of", type=_date)
    p.add_argument("--lang", default="zh")
    p.add_argument("-o", "--output", help="write here instead of standard output")
    _loading_options(p)
    p.set_defaults(func=cmd_doc)

    p = sub.add_parser("serve", help="run the evaluation API (FastAPI on uvicorn); docs at /docs")
    p.add_argument("--host", default=os.environ.get("KAOHE_API_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("KAOHE_API_PORT", "8000")))
    p.add_argument("--workers", type=int, default=int(os.environ.get("KAOHE_API_WORKERS", "1")),
                   help="worker processes (durable_rules is single-threaded per process)")
    p.add_argument("--keys-file", help="file of API key hashes (env KAOHE_API_KEYS_FILE); "
                   "make one with: python -m kaohe.api.keys new NAME")
    from kaohe.api.server import add_serve_arguments

    add_serve_arguments(p)  # --no-auth, TLS
    p.add_argument("--access-log", action="store_true")
    p.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    p.add_argument("--rulesets", action="append", default=[], metavar="PATH",
                   help="also load rulesets from this YAML file or folder (env KAOHE_RULESETS)")
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                   help="also enable this plugin module or file (env KAOHE_PLUGINS)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("schema", help="print the JSON Schema of the record format")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("plugins", help="list the loaded plugins and any that failed to load")
    _loading_options(p)
    p.set_defaults(func=cmd_plugins)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except RecordError as exc:
        print("kaohe: error: the records do not validate:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem['record']}: {problem['field'] or '(record)'}: {problem['problem']}", file=sys.stderr)
        return 2
    except RulesetError as exc:
        print(f"kaohe: error: {exc}", file=sys.stderr)
        return 2
    except KaoheError as exc:
        print(f"kaohe: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug in kaohe, not in the input: say so without a stack trace
        if os.environ.get("KAOHE_DEBUG"):
            raise
        print(f"kaohe: internal error ({type(exc).__name__}: {exc}); rerun with KAOHE_DEBUG=1 for details "
              "and report it", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
