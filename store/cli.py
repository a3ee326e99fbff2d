"""`kaohe decisions show|list|replay|export|purge` and `kaohe db upgrade|status`, as click groups the
root command adds. Every user error ends in a message and exit code 2, never a traceback."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys

import click
import orjson

from kaohe.engine import KaoheError

# SQLAlchemy and Alembic are imported by the commands that use them, not by every `kaohe` run

_DATABASE = click.option("--database", "database", metavar="URL", envvar="KAOHE_DATABASE_URL",
                         help="sqlite:///file.db or postgresql://user@host/db (env KAOHE_DATABASE_URL; "
                              "default: kaohe-decisions.db here)")


class UserError(click.ClickException):
    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"kaohe: error: {self.message}", err=True)


def _store(url: str | None):
    from .database import open_database
    from .decisions import DecisionStore

    try:
        return DecisionStore(open_database(url))
    except KaoheError as exc:
        raise UserError(str(exc)) from None


def _print_json(obj) -> None:
    sys.stdout.buffer.write(orjson.dumps(obj, option=orjson.OPT_INDENT_2) + b"\n")


def _filters(f):
    for option in reversed([
        click.option("--teacher-id", help="decisions that judged this teacher"),
        click.option("--school-id", help="decisions that judged this school or its teachers"),
        click.option("--ruleset", help="ruleset id"),
        click.option("--verdict", type=click.Choice(["pass", "fail", "needs_review", "not_applicable"])),
        click.option("--since", type=click.DateTime(), help="made at or after (UTC), e.g. 2026-01-31 or 2026-01-31T08:00:00"),
        click.option("--until", type=click.DateTime(), help="made before (UTC)"),
        click.option("--batch-id", help="one batch run's decisions"),
    ]):
        f = option(f)
    return f


def _where(kwargs):
    from .decisions import DecisionFilter

    return DecisionFilter(teacher_id=kwargs.get("teacher_id"), school_id=kwargs.get("school_id"),
                          ruleset=kwargs.get("ruleset"), verdict=kwargs.get("verdict"), since=kwargs.get("since"),
                          until=kwargs.get("until"), batch_id=kwargs.get("batch_id"))


def _registry():
    from kaohe.plugins.manager import build_registry

    return build_registry().registry


@click.group("decisions", help="decision records: look up, list, replay, export for an appeal file, purge")
def decisions() -> None:
    pass


@decisions.command("show", help="one decision: input, revision, verdicts and every rule (JSON)")
@click.argument("decision_id")
@click.option("--explain", is_flag=True, help="also render the full explanation again from the stored input and policy")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
@_DATABASE
def show(decision_id: str, explain: bool, lang: str, database: str | None) -> None:
    from .database import database_url as resolve_url, redact

    store = _store(database)
    found = store.get(decision_id)
    if found is None:
        raise UserError(f"no decision {decision_id} in {redact(resolve_url(database))}")
    if explain:
        from .replay import Replayer

        found["explanation"] = _guard(lambda: Replayer(store, _registry).explanation(found, lang))
    _print_json(found)


@decisions.command("list", help="decisions, newest first (--cursor continues a page)")
@_filters
@click.option("--limit", type=click.IntRange(1, 10_000), default=50)
@click.option("--cursor", help="the cursor printed after the previous page")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
@_DATABASE
def list_decisions(limit: int, cursor: str | None, output_format: str, database: str | None, **kwargs) -> None:
    store = _store(database)
    page = _guard(lambda: store.list(_where(kwargs), cursor, limit))
    if output_format == "json":
        _print_json({"items": page.items, "next_cursor": page.next_cursor})
        return
    for item in page.items:
        click.echo(f"{item['id']}  {item['decided_at']}  {item['kind']:<7}  {item['ruleset']['id']}@"
                   f"{item['ruleset']['revision']}  as of {item['as_of']}  {item['verdict']:<12}  {item['caller'] or '-'}")
    if page.next_cursor:
        click.echo(f"more: --cursor {page.next_cursor}", err=True)


@decisions.command("replay", help="re-run a decision under its own revision (must match) and under today's")
@click.argument("decision_id")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="the day whose revision is 'today's' (default: today)")
@_DATABASE
def replay(decision_id: str, today, database: str | None) -> None:
    from .replay import Replayer

    store = _store(database)
    day = today.date() if today else dt.date.today()
    outcome = _guard(lambda: Replayer(store, _registry).replay(decision_id, day))
    _print_json(outcome)
    if not outcome["under_stored_revision"]["reproduced"]:
        click.echo(f"kaohe: REPLAY MISMATCH: decision {decision_id} does not reproduce under its stored revision", err=True)
        click.get_current_context().exit(3)


EXPORT_COLUMNS = ("decision_id", "decided_at", "caller", "ruleset", "revision", "as_of", "kaohe_version", "batch_id",
                  "level", "subject_id", "school_id", "subject_verdict", "rule", "status", "actual", "expected_zh",
                  "expected_en")


def export_rows(decision: dict):
    """One row per rule outcome of each subject: a table an appeal file can hold."""
    for subject in decision["result"]["subjects"]:
        for rule in subject["rules"]:
            actual = rule["actual"]
            yield (decision["id"], decision["decided_at"], decision["caller"] or "", decision["ruleset"]["id"],
                   decision["ruleset"]["revision"], decision["as_of"], decision["kaohe_version"],
                   decision["batch_id"] or "", subject["level"], subject["id"], subject.get("school_id") or "",
                   subject["verdict"], rule["id"], rule["status"],
                   "" if actual is None else actual if isinstance(actual, (int, float, str)) else orjson.dumps(actual).decode(),
                   rule["expected"].get("zh", ""), rule["expected"].get("en", ""))


@decisions.command("export", help="decisions for an appeal file: JSON Lines (whole decisions), CSV or XLSX (a row per rule)")
@_filters
@click.option("--format", "output_format", type=click.Choice(["jsonl", "csv", "xlsx"]), default=None,
              help="default: from the output file name")
@click.option("-o", "--output", required=True, help="file to write (- for standard output, not for xlsx)")
@_DATABASE
def export(output_format: str | None, output: str, database: str | None, **kwargs) -> None:
    output_format = output_format or {"csv": "csv", "xlsx": "xlsx"}.get(output.rsplit(".", 1)[-1].lower(), "jsonl")
    if output_format == "xlsx" and output == "-":
        raise UserError("an XLSX workbook needs a file: -o appeal.xlsx")
    store = _store(database)
    decisions_found = _guard(lambda: list(store.iterate(_where(kwargs))))
    if output_format == "jsonl":
        data = b"".join(orjson.dumps(d) + b"\n" for d in decisions_found)
        _write_bytes(output, data)
    elif output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_COLUMNS)
        for decision in decisions_found:
            writer.writerows(export_rows(decision))
        _write_bytes(output, ("\ufeff" + buffer.getvalue()).encode("utf-8"))  # BOM: Excel reads it as UTF-8
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("decisions")
        sheet.append(EXPORT_COLUMNS)
        for decision in decisions_found:
            for row in export_rows(decision):
                sheet.append(list(row))
        book.save(output)
    click.echo(f"{len(decisions_found)} decision(s) exported to {output}", err=True)


def _write_bytes(output: str, data: bytes) -> None:
    if output == "-":
        sys.stdout.buffer.write(data)
    else:
        with open(output, "wb") as handle:
            handle.write(data)


_AGE = re.compile(r"^(\d+)\s*([dwy])$")


def parse_age(text: str) -> dt.datetime:
    """'90d', '12w', '2y' → that long before now (UTC); a date → its start."""
    from .decisions import utc_now

    found = _AGE.match(text.strip().lower())
    if found:
        days = int(found.group(1)) * {"d": 1, "w": 7, "y": 365}[found.group(2)]
        return utc_now() - dt.timedelta(days=days)
    try:
        return dt.datetime.combine(dt.date.fromisoformat(text.strip()), dt.time())
    except ValueError:
        raise UserError(f"--older-than {text!r}: give an age (90d, 12w, 2y) or a date (2025-01-01)") from None


@decisions.command("purge", help="delete decisions older than an age (retention); counts what goes")
@click.option("--older-than", envvar="KAOHE_RETENTION", required=True,
              help="90d, 12w, 2y or a date (env KAOHE_RETENTION)")
@click.option("--dry-run", is_flag=True, help="only count")
@_DATABASE
def purge(older_than: str, dry_run: bool, database: str | None) -> None:
    cutoff = parse_age(older_than)
    store = _store(database)
    counts = _guard(lambda: store.purge(cutoff, dry_run=dry_run))
    verb = "would delete" if dry_run else "deleted"
    click.echo(f"{verb} {counts.decisions} decision(s) made before {cutoff.isoformat(timespec='seconds')}Z "
               f"({counts.subjects} subject rows, {counts.batch_runs} batch runs, {counts.policies} policies "
               f"no longer used, {counts.texts} policy texts)")


def _guard(work):
    try:
        return work()
    except KaoheError as exc:
        raise UserError(str(exc)) from None


@click.group("db", help="the decision database")
def db() -> None:
    pass


@db.command("upgrade", help="create or migrate the decision database to the newest schema")
@_DATABASE
def upgrade(database: str | None) -> None:
    from .database import StoreError, database_url as resolve_url, open_database, redact

    try:
        opened = open_database(database, migrate=False)
        revision = opened.upgrade()
    except (KaoheError, StoreError) as exc:
        raise UserError(str(exc)) from None
    click.echo(f"{redact(resolve_url(database))}: schema {revision} (newest)")


@db.command("status", help="where decisions are kept and how many")
@_DATABASE
def status(database: str | None) -> None:
    from .database import database_url as resolve_url, redact

    store = _store(database)
    click.echo(f"{redact(resolve_url(database))}: schema {store.database.schema_revision()}, "
               f"{store.count()} decision(s)")


COMMANDS = (decisions, db)
