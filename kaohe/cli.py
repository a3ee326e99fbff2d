"""The `kaohe` command. Every user error ends in a message and exit code 2, never a traceback."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

from kaohe.engine import explain
from kaohe.engine.errors import KaoheError, RecordError, RulesetError


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

    paths = list(args.rulesets) + [p for p in os.environ.get("KAOHE_RULESETS", "").split(os.pathsep) if p]
    modules = list(args.plugin) + [p for p in os.environ.get("KAOHE_PLUGINS", "").split(",") if p]
    loaded = build_registry(tuple(paths), extra_modules=tuple(modules))
    if not quiet_problems:
        for problem in loaded.problems:
            print(f"kaohe: warning: plugin {problem.plugin} not loaded: {problem.reason}", file=sys.stderr)
    return loaded


def cmd_evaluate(args) -> int:
    from kaohe.engine.inputs import read_dataset

    loaded = _load(args)
    as_of = args.as_of or dt.date.today()
    evaluator = loaded.registry.evaluator(args.ruleset, as_of)
    dataset = read_dataset(args.file)
    evaluation = evaluator.dataset(dataset, as_of)
    lang = explain.language(args.lang)
    if args.format == "json":
        json.dump(explain.evaluation_dict(evaluation, lang, args.detail), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(explain.text_report(evaluation, lang))
    return 0


def cmd_import(args) -> int:
    from kaohe.engine.errors import InputFormatError
    from kaohe.engine.tabular import read_table

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
    from kaohe.engine.lint import lint_paths

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


def cmd_schema(args) -> int:
    from kaohe.engine.records import json_schema

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

    p = sub.add_parser("evaluate", help="evaluate records (JSON, JSON Lines or CSV) against a ruleset")
    p.add_argument("file", help="records file: .json, .jsonl or .csv")
    p.add_argument("--ruleset", required=True, help="ruleset id, e.g. guangdong")
    p.add_argument("--as-of", type=_date, help="evaluate as of this date (default: today); picks the revision in force")
    p.add_argument("--lang", default="zh", help="zh (default) or en")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--detail", choices=("full", "compact"), default="full", help="JSON detail: full explanation or verdict + failed rules")
    _loading_options(p)
    p.set_defaults(func=cmd_evaluate)

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
