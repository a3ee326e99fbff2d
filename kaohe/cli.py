"""The `kaohe` command. Every user error ends in a message and exit code 2, never a traceback.

Some 600 lines: one short click command per verb, sharing the plugin, language and error handling
defined here; the decision store's commands live with the store (`kaohe.store.cli`)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import click
from click.core import ParameterSource

from kaohe.engine import explain
from kaohe.engine import KaoheError, RecordError, RulesetError


def _load(args, quiet_problems: bool = False):
    from kaohe.plugins.manager import build_registry

    paths, modules = _plugin_options(args)
    loaded = build_registry(paths, extra_modules=modules)
    if quiet_problems:
        return loaded
    given = [Path(p).resolve() for p in paths]
    mine = [p for p in loaded.problems if _under(p.plugin, given)]
    if mine:  # a ruleset the user named does not load: show why, as lint would
        raise _lint_errors(sorted({p.plugin for p in mine}), loaded, [p.reason for p in mine])
    warning = "警告" if _CHOSEN["lang"] == "zh" else "warning"
    for problem in loaded.problems:
        print(f"kaohe: {warning}: plugin {problem.plugin} not loaded: {problem.reason}", file=sys.stderr)
    return loaded


def _under(origin: str, given: list[Path]) -> bool:
    try:
        where = Path(origin).resolve()
    except (OSError, ValueError):
        return False
    return any(where == g or g in where.parents for g in given)


def _lint_errors(files: list[str], loaded, reasons: list[str]) -> RulesetError:
    from kaohe.engine import Diagnostic, lint_paths

    known = {rid: loaded.registry.revisions(rid)[0].resolved.documents[0] for rid in loaded.registry.ids()}
    found = [d for d in lint_paths(files, known, loaded.registry.extensions) if d.severity == "error"]
    return RulesetError(found or [Diagnostic("ruleset.invalid", reason) for reason in reasons])


SEVERITY_WORDS = {"zh": {"error": "错误", "warning": "警告"}, "en": {"error": "error", "warning": "warning"}}
BATCH_SUFFIXES = (".jsonl", ".ndjson", ".parquet")


def _batch_mode(args) -> bool:
    """Streaming batch evaluation: asked for by its own flags, or by a JSON Lines/Parquet output."""
    output = str(args.output or "")
    return bool(args.workers or args.dask or args.errors or args.summary or args.group != "auto"
                or output.endswith(BATCH_SUFFIXES) or str(args.file).endswith(".parquet"))


def _plugin_options(args) -> tuple[tuple, tuple]:
    """Ruleset paths and plugin modules: the flags, then KAOHE_RULESETS and KAOHE_PLUGINS (click reads both)."""
    return tuple(args.rulesets), tuple(args.plugin)


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

        recorder = _batch_recorder(args) if args.record else None
        summary = run_batch(args.ruleset, args.file, args.output or "-", workers=args.workers, grouping=args.group,
                            input_format=args.input_format, progress=args.progress, record=recorder, **common)
        if recorder is not None:
            recorder.finish()
            print(f"kaohe: {recorder.recorded} decisions recorded, batch run {recorder.batch_id}", file=sys.stderr)
    for warning in summary.warnings:
        print(f"kaohe: warning: {warning}", file=sys.stderr)
    print(f"kaohe: {summary.teachers} teachers in {summary.schools} schools "
          f"({summary.teachers_passing} pass), {summary.records_invalid} bad records, "
          f"{summary.seconds:.1f} s, {summary.workers} worker(s)", file=sys.stderr)
    return summary.exit_code


def _batch_recorder(args):
    from kaohe.store import DecisionStore, open_database
    from kaohe.store.batch import BatchRecorder

    if args.dask:
        raise KaoheError("--record keeps decisions of local runs; a Dask run does not record them yet", code="cli.unsupported")
    store = DecisionStore(open_database(args.database))
    return BatchRecorder(store, args.ruleset, str(args.file), args.as_of or dt.date.today())


def _record_dataset(args, evaluation, dataset) -> None:
    """`kaohe evaluate FILE --record` outside batch mode: the whole file is one decision."""
    import uuid

    from kaohe.store import DecisionStore, open_database
    from kaohe.store.recording import dataset_row

    store = DecisionStore(open_database(args.database))
    decision_id = str(uuid.uuid4())
    store.record([dataset_row(decision_id, evaluation, dataset.model_dump_json(exclude_defaults=True).encode("utf-8"),
                              None)])
    print(f"kaohe: decision {decision_id} recorded", file=sys.stderr)


def cmd_evaluate(args) -> int:
    from kaohe.engine import read_dataset

    if _batch_mode(args):
        return cmd_batch(args)
    loaded = _load(args)
    as_of = args.as_of or dt.date.today()
    evaluator = loaded.registry.evaluator(args.ruleset, as_of)
    lang = explain.language(args.lang)
    dataset = read_dataset(args.file, lang=lang)
    evaluation = evaluator.dataset(dataset, as_of)
    if args.record:
        _record_dataset(args, evaluation, dataset)
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
    impact = simulate.run(loaded.registry, args.ruleset, read_dataset(args.file, lang=explain.language(args.lang)),
                          as_of, args.set, args.changed)
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
    from kaohe.engine import lint_paths, messages

    loaded = _load(args, quiet_problems=True)
    known = {}
    for rid in loaded.registry.ids():
        for compiled in loaded.registry.revisions(rid):
            known[rid] = compiled.resolved.documents[0]
    lang = explain.language(args.lang)
    diagnostics = lint_paths(args.paths, known, loaded.registry.extensions)
    errors = [d for d in diagnostics if d.severity == "error"]
    for diagnostic in diagnostics:
        print(f"{SEVERITY_WORDS[lang][diagnostic.severity]}: {diagnostic.render(lang)}")
    checked = ", ".join(str(p) for p in args.paths)
    print(messages.summary_line(len(errors), len(diagnostics) - len(errors), checked, lang))
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
    from kaohe.tools.policydoc import default_feature_paths, render_markdown, scenarios_by_rule

    loaded = _load(args)
    compiled = loaded.registry.get(args.ruleset, args.as_of)
    missing = [p for p in args.features if not Path(p).exists()]
    if missing:
        raise KaoheError(f"{missing[0]}: no such file or folder", code="doc.features_not_found")
    paths = [Path(p) for p in args.features] or default_feature_paths(compiled)
    lang = explain.language(args.lang)
    text = render_markdown(compiled, paths, lang=lang)
    _write(args.output, text)
    if not any(scenarios_by_rule(compiled, paths)[0].values()):
        print("kaohe: 注意: 没有找到这个规则集的示例场景 (可用 --features 指定特性文件)" if lang == "zh" else
              "kaohe: note: no example scenarios of this ruleset were found (give feature files with --features)", file=sys.stderr)
    if args.output:
        print(f"kaohe: wrote {args.output}", file=sys.stderr)
    return 0


def cmd_serve(args) -> int:
    from kaohe.api.server import serve, serve_keywords

    if args.database:  # read with the other settings, by this process and by worker processes alike
        os.environ["KAOHE_DATABASE_URL"] = args.database
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


class _IsoDate(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"'{value}' is not a date (YYYY-MM-DD)", param, ctx)


ISO_DATE = _IsoDate()


class _Paths(click.ParamType):
    """Ruleset paths: KAOHE_RULESETS holds several, separated like PATH."""

    name = "PATH"
    envvar_list_splitter = os.pathsep

    def split_envvar_value(self, rv: str):
        return tuple(p for p in rv.split(self.envvar_list_splitter) if p)


class _Modules(click.ParamType):
    """Plugin modules: KAOHE_PLUGINS holds several, comma-separated."""

    name = "MODULE"

    def split_envvar_value(self, rv: str):
        return tuple(p.strip() for p in rv.split(",") if p.strip())


def _also_from_environment(ctx: click.Context, param: click.Parameter, value: tuple) -> tuple:
    """--rulesets/--plugin add to KAOHE_RULESETS/KAOHE_PLUGINS rather than replace them."""
    if ctx.get_parameter_source(param.name) == ParameterSource.COMMANDLINE and param.envvar:
        from_env = os.environ.get(param.envvar, "")
        value = tuple(value) + tuple(param.type.split_envvar_value(from_env)) if from_env else tuple(value)
    return tuple(value)


def _loading_options(command):
    command = click.option("--plugin", "plugin", multiple=True, type=_Modules(), envvar="KAOHE_PLUGINS",
                           show_envvar=True, callback=_also_from_environment,
                           help="also enable this plugin module for development (repeatable; comma-separated in the environment)")(command)
    command = click.option("--rulesets", "rulesets", multiple=True, type=_Paths(), envvar="KAOHE_RULESETS",
                           show_envvar=True, callback=_also_from_environment,
                           help="also load rulesets from this YAML file or folder (repeatable; "
                                f"'{os.pathsep}'-separated in the environment)")(command)
    return command


_CHOSEN = {"lang": "zh"}  # the language of this run's messages, errors included


def _args(options: dict) -> SimpleNamespace:
    """A command's options as one namespace; remembers --lang for the error messages."""
    if options.get("lang"):
        _CHOSEN["lang"] = explain.language(options["lang"])
    return SimpleNamespace(**options)


_RECORD_KINDS = {"teacher": "教师", "school": "学校", "region": "地区", "dataset": "数据集", "line": "第", "record": "记录"}
_ERROR_WORDS = {"zh": {"error": "错误", "records": "记录未通过校验:", "internal": "内部错误",
                       "debug": "请设置 KAOHE_DEBUG=1 重新运行查看详情, 并报告此问题", "aborted": "已中止"},
                "en": {"error": "error", "records": "the records do not validate:", "internal": "internal error",
                       "debug": "rerun with KAOHE_DEBUG=1 for details and report it", "aborted": "aborted"}}


def _record_label(label: str, lang: str) -> str:
    if lang != "zh":
        return label
    head, _, rest = label.partition(" ")
    return f"{_RECORD_KINDS[head]} {rest}".rstrip() if head in _RECORD_KINDS and head != "line" else label


def _print_error(exc: Exception, lang: str) -> None:
    from kaohe.engine import messages

    words = _ERROR_WORDS[lang]
    if isinstance(exc, RecordError):
        print(f"kaohe: {words['error']}: {words['records']}", file=sys.stderr)
        for problem in exc.problems:
            text = problem.get("problem_zh") if lang == "zh" and problem.get("problem_zh") else problem["problem"]
            field = problem["field"] or ("(记录本身)" if lang == "zh" else "(record)")
            print(f"  {_record_label(problem['record'], lang)}: {field}: {text}", file=sys.stderr)
    elif isinstance(exc, RulesetError):
        print(f"kaohe: {words['error']}:", file=sys.stderr)
        for diagnostic in exc.diagnostics:
            print(f"  {diagnostic.render(lang)}", file=sys.stderr)
    else:
        message = messages.translate(exc.message, lang) if isinstance(exc, KaoheError) else str(exc)
        hint = messages.translate(exc.hint, lang) if isinstance(exc, KaoheError) else None
        text = f"{message} ({hint})" if hint and lang == "en" else (f"{message}（{hint}）" if hint else message)
        print(f"kaohe: {words['error']}: {text}", file=sys.stderr)


_LANG = click.option("--lang", default="zh", show_default=True, help="zh (Chinese) or en (English)")
_AS_OF = click.option("--as-of", type=ISO_DATE, help="evaluate as of this date (default: today); picks the revision in force")
_TEXT_OR_JSON = click.option("--format", "format", type=click.Choice(("text", "json")), default="text", show_default=True)
_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


@click.group(context_settings=_CONTEXT, help="考核: policy-as-code for the teacher IT-ability programme 2.0")
@click.version_option(package_name="kaohe", prog_name="kaohe", message="%(prog)s %(version)s")
def cli() -> None:
    pass


@cli.command("evaluate", help="evaluate records (JSON, JSON Lines, CSV; Parquet in batch mode) against a ruleset")
@click.argument("file")
@click.option("--ruleset", required=True, help="ruleset id, e.g. guangdong")
@_AS_OF
@_LANG
@click.option("--format", "format", type=click.Choice(("text", "json", "xlsx", "csv")), default="text", show_default=True,
              help="text report, JSON, an Excel workbook (summary + one sheet per school) or CSV")
@click.option("-o", "--output", help="write here instead of standard output (required for xlsx)")
@click.option("--detail", type=click.Choice(("full", "compact")), default="full", show_default=True,
              help="JSON detail: full explanation or verdict + failed rules")
@click.option("--chart", metavar="PNG", help="also draw the qualified share against its threshold as a PNG")
@click.option("--chart-by", type=click.Choice(("school", "county")), default="school", show_default=True)
@click.option("--workers", type=int, help="batch: worker processes (default: the CPU count)")
@click.option("--errors", metavar="PATH", help="batch: bad records as JSON Lines (line, record, reason)")
@click.option("--summary", metavar="PATH", help="batch: the summary (per school, county, city) as JSON")
@click.option("--group", type=click.Choice(("auto", "sorted", "spill")), default="auto", show_default=True,
              help="batch: records grouped by school: sorted input streams; otherwise grouped on disk (auto: find out)")
@click.option("--input-format", type=click.Choice(("jsonl", "csv", "parquet")), help="batch: default from the file name")
@click.option("--progress/--no-progress", default=None, help="batch: a progress bar (default: only on a terminal)")
@click.option("--dask", metavar="SCHEDULER", help="batch on Dask: 'local' or tcp://host:8786 (input: a Parquet folder)")
@click.option("--record", is_flag=True, help="keep the decisions in the decision store (batch: one per school, "
              "grouped by a batch run id; the output names each school's decision id)")
@click.option("--database", metavar="URL", envvar="KAOHE_DATABASE_URL", show_envvar=True,
              help="the decision store for --record (default: kaohe-decisions.db here)")
@_loading_options
def _evaluate(**options):
    """Batch mode is chosen by --workers/--errors/--summary/--group/--dask or a .jsonl/.parquet output."""
    return cmd_evaluate(_args(options))


@cli.command("simulate", help="impact of a change before it is made: who changes verdict, by rule, county, school")
@click.argument("file")
@click.option("--ruleset", required=True, help="the baseline ruleset id")
@click.option("--set", "set", multiple=True, metavar="NAME=VALUE", help="a parameter value to try (repeatable)")
@click.option("--with", "changed", metavar="CHANGED.yaml", help="a changed revision of the ruleset to compare with")
@_AS_OF
@_LANG
@_TEXT_OR_JSON
@_loading_options
def _simulate(**options):
    options["set"] = list(options["set"])
    return cmd_simulate(_args(options))


@cli.command("diff", help="what changed between two revisions or rulesets, in policy terms")
@click.argument("a")
@click.argument("b")
@click.option("--as-of", type=ISO_DATE, help="which revision an id means (default: today)")
@_LANG
@_TEXT_OR_JSON
@click.option("--exit-code", is_flag=True, help="exit 1 when there are differences")
@_loading_options
def _diff(**options):
    return cmd_diff(_args(options))


@cli.command("questions", help="the open-questions register: every ambiguous reading, the choice made, who decides")
@click.option("--ruleset", help="only this ruleset (default: all loaded)")
@_LANG
@_TEXT_OR_JSON
@_loading_options
def _questions(**options):
    return cmd_questions(_args(options))


@cli.command("lint", help="check ruleset files: names, types, citations, translations, extends")
@click.argument("paths", nargs=-1, required=True)
@click.option("--strict", is_flag=True, help="warnings fail too")
@_LANG
@_loading_options
def _lint(**options):
    return cmd_lint(_args(options))


@cli.command("import", help="turn a platform export (CSV/XLSX, Chinese headers) into records (JSON Lines)")
@click.argument("file")
@click.option("--importer", required=True, help="importer name, e.g. guangdong-review-list, yueyang-roster")
@click.option("--school-id", help="the school, where the export does not name it")
@click.option("--date", type=ISO_DATE, help="date to record imported hour totals on (default: the importer's)")
@click.option("-o", "--output", help="write records here (.jsonl) instead of standard output")
@_LANG
@_loading_options
def _import(**options):
    """ID-card numbers are pseudonymised with the secret in KAOHE_ID_SECRET (never a flag: it would show in ps)."""
    return cmd_import(_args(options))


@cli.command("rulesets", help="list the loaded rulesets with revisions and effective periods")
@_TEXT_OR_JSON
@_LANG
@_loading_options
def _rulesets(**options):
    return cmd_rulesets(_args(options))


@cli.command("doc", help="render a ruleset and the scenarios that illustrate it as a Markdown policy document")
@click.option("--ruleset", required=True)
@click.option("--features", multiple=True, metavar="PATH",
              help="feature files or folders (default: the ruleset's own, wherever kaohe is installed)")
@_AS_OF
@_LANG
@click.option("-o", "--output", help="write here instead of standard output")
@_loading_options
def _doc(**options):
    return cmd_doc(_args(options))


@cli.command("serve", help="run the evaluation API (FastAPI on uvicorn); docs at /docs")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="KAOHE_API_HOST", show_envvar=True)
@click.option("--port", type=int, default=8000, show_default=True, envvar="KAOHE_API_PORT", show_envvar=True)
@click.option("--workers", type=int, default=1, show_default=True, envvar="KAOHE_API_WORKERS", show_envvar=True,
              help="worker processes (durable_rules is single-threaded per process)")
@click.option("--keys-file", help="file of API key hashes (env KAOHE_API_KEYS_FILE, read with the other settings); "
              "make one with: python -m kaohe.api.keys new NAME")
@click.option("--no-auth", is_flag=True, default=None,
              help="serve without API keys (loopback addresses only; env KAOHE_API_NO_AUTH=1)")
@click.option("--ssl-certfile", envvar="KAOHE_API_SSL_CERTFILE", show_envvar=True, help="serve HTTPS with this certificate (PEM)")
@click.option("--ssl-keyfile", envvar="KAOHE_API_SSL_KEYFILE", show_envvar=True, help="the certificate's private key (PEM)")
@click.option("--ssl-keyfile-password", envvar="KAOHE_API_SSL_KEYFILE_PASSWORD", show_envvar=True)
@click.option("--ssl-ca-certs", envvar="KAOHE_API_SSL_CA_CERTS", show_envvar=True,
              help="CA bundle to verify client certificates against")
@click.option("--access-log", is_flag=True)
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(("critical", "error", "warning", "info", "debug")))
# the server reads KAOHE_RULESETS and KAOHE_PLUGINS with its other settings: no envvar here
@click.option("--rulesets", multiple=True, metavar="PATH", help="also load rulesets from this YAML file or folder (env KAOHE_RULESETS)")
@click.option("--plugin", multiple=True, metavar="MODULE", help="also enable this plugin module or file (env KAOHE_PLUGINS)")
@click.option("--database", metavar="URL", help="where decisions are recorded (env KAOHE_DATABASE_URL; default: "
              "kaohe-decisions.db here; KAOHE_RECORD=0: none)")
def _serve(**options):
    return cmd_serve(_args(options))


@cli.command("schema", help="print the JSON Schema of the record format")
def _schema(**options):
    return cmd_schema(_args(options))


@cli.command("plugins", help="list the loaded plugins and any that failed to load")
@_LANG
@_loading_options
def _plugins(**options):
    return cmd_plugins(_args(options))


def _add_store_commands() -> None:
    from kaohe.store.cli import COMMANDS

    for command in COMMANDS:
        cli.add_command(command)


_add_store_commands()


def main(argv: list[str] | None = None) -> int:
    """Run `kaohe`; returns the exit code (2 for a usage or input error, 3 for a bug in kaohe)."""
    _CHOSEN["lang"] = "zh"
    try:
        code = cli.main(args=argv, prog_name="kaohe", standalone_mode=False)
        return code if isinstance(code, int) else 0
    except click.exceptions.ClickException as exc:  # usage errors: bad option, missing argument
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        print(f"kaohe: {_ERROR_WORDS[_CHOSEN['lang']]['aborted']}", file=sys.stderr)
        return 1
    except KaoheError as exc:  # records, rulesets, input: what is wrong and where, in the chosen language
        _print_error(exc, _CHOSEN["lang"])
        return 2
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug in kaohe, not in the input: say so without a stack trace
        if os.environ.get("KAOHE_DEBUG"):
            raise
        words = _ERROR_WORDS[_CHOSEN["lang"]]
        print(f"kaohe: {words['internal']} ({type(exc).__name__}: {exc}); {words['debug']}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
