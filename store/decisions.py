"""The decision store: one small interface over SQLite and PostgreSQL.

    store = DecisionStore(open_database(url))
    store.record([row, ...])            # bulk, one transaction: all of them or none
    store.get(decision_id)              # dict, or None
    store.list(DecisionFilter(...), cursor=None, limit=50) -> Page
    store.policy(sha256) -> PolicyBundle
    store.purge(older_than) -> counts
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import orjson
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .database import Database, StoreError, _reason
from .models import BatchRun, Decision, Policy, PolicyText as PolicyTextRow, Subject
from .policy import PolicyBundle, PolicyText

VERDICTS = ("pass", "fail", "needs_review", "not_applicable")


@dataclass
class DecisionRow:
    """A decision ready to insert: `input` and `result` are compressed JSON already (recording.py)."""

    id: str
    decided_at: dt.datetime
    caller: str | None
    kind: str
    policy: PolicyBundle
    as_of: dt.date
    kaohe_version: str
    verdict: str
    input: bytes
    result: bytes
    subjects: list[tuple[str, str, str | None, str]]  # (level, subject id, school id, verdict)
    batch_id: str | None = None


@dataclass(frozen=True)
class DecisionFilter:
    teacher_id: str | None = None
    school_id: str | None = None
    ruleset: str | None = None
    verdict: str | None = None
    since: dt.datetime | None = None  # inclusive, UTC
    until: dt.datetime | None = None  # exclusive, UTC
    batch_id: str | None = None
    caller: str | None = None


@dataclass
class Page:
    items: list[dict]
    next_cursor: str | None


@dataclass
class PurgeCount:
    decisions: int = 0
    subjects: int = 0
    batch_runs: int = 0
    policies: int = 0
    texts: int = 0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


class BadCursor(StoreError):
    code = "request.invalid"


def encode_cursor(decided_at: dt.datetime, decision_id: str) -> str:
    return base64.urlsafe_b64encode(f"{decided_at.isoformat()}|{decision_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, decision_id = raw.partition("|")
        return dt.datetime.fromisoformat(stamp), decision_id
    except (ValueError, UnicodeDecodeError):
        raise BadCursor("cursor: not a cursor this server gave out", hint="pass next_cursor from the previous page") from None


def utc_now() -> dt.datetime:
    """Naive UTC: both backends store it alike."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class DecisionStore:
    def __init__(self, database: Database):
        self.database = database
        self.engine = database.engine
        self._known_policies: set[str] = set()
        self._lock = threading.Lock()

    # ---- writing ---------------------------------------------------------------------------

    def record(self, rows: Sequence[DecisionRow], batch_id: str | None = None) -> int:
        """Insert decisions and their subjects in one transaction; the policies first if new. With
        `batch_id`, the run's count of decisions kept moves forward in the same transaction."""
        if not rows:
            return 0
        decisions, subjects = [], []
        for row in rows:
            decisions.append({
                "id": row.id, "decided_at": row.decided_at, "caller": row.caller, "kind": row.kind,
                "ruleset_id": row.policy.ruleset_id, "revision": row.policy.revision,
                "policy_sha256": self._policy_key(row.policy), "as_of": row.as_of, "kaohe_version": row.kaohe_version,
                "batch_id": row.batch_id, "verdict": row.verdict,
                "input": row.input, "result": row.result})
            for position, (level, subject_id, school_id, verdict) in enumerate(row.subjects):
                subjects.append({"decision_id": row.id, "position": position, "level": level,
                                 "subject_id": subject_id, "school_id": school_id, "verdict": verdict})
        try:
            with self.engine.begin() as connection:
                if self.database.dialect == "postgresql":
                    _copy_rows(connection, decisions, subjects)
                else:
                    _insert_rows_sqlite(connection, decisions, subjects)
                if batch_id is not None:
                    connection.execute(update(BatchRun).where(BatchRun.id == batch_id).values(
                        decisions=BatchRun.decisions + len(rows)))
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot record {len(rows)} decision(s): {_reason(exc)}") from None
        return len(rows)

    def _policy_key(self, bundle: PolicyBundle) -> str:
        key = bundle.sha256
        if key not in self._known_policies:
            self.save_policy(bundle)
        return key

    def save_policy(self, bundle: PolicyBundle) -> str:
        """Keep a policy (idempotent: content-addressed, so a second save finds it there)."""
        key = bundle.sha256
        with self._lock:
            if key in self._known_policies:
                return key
            try:
                with self.engine.begin() as connection:
                    if connection.execute(select(Policy.sha256).where(Policy.sha256 == key)).first() is None:
                        for text in bundle.texts:
                            _insert_if_missing(connection, PolicyTextRow, PolicyTextRow.sha256, text.sha256,
                                               {"sha256": text.sha256, "kind": text.kind, "name": text.name,
                                                "content": text.content})
                        _insert_if_missing(connection, Policy, Policy.sha256, key, {
                            "sha256": key, "ruleset_id": bundle.ruleset_id, "revision": bundle.revision,
                            "manifest": bundle.manifest.decode("utf-8"), "first_seen": utc_now()})
            except SQLAlchemyError as exc:
                raise StoreError(f"cannot keep the policy of {bundle.ruleset_id}@{bundle.revision}: {_reason(exc)}") from None
            self._known_policies.add(key)
        return key

    def start_batch(self, batch_id: str, ruleset_id: str, source: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(BatchRun).values(id=batch_id, started_at=utc_now(), ruleset_id=ruleset_id,
                                                       source=source[:1000], decisions=0))

    def finish_batch(self, batch_id: str, decisions: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(BatchRun).where(BatchRun.id == batch_id).values(
                finished_at=utc_now(), decisions=decisions))

    def batch_run(self, batch_id: str) -> dict | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(BatchRun.id, BatchRun.started_at, BatchRun.finished_at, BatchRun.ruleset_id,
                                            BatchRun.source, BatchRun.decisions).where(BatchRun.id == batch_id)).first()
        return dict(row._mapping) if row is not None else None

    # ---- reading ---------------------------------------------------------------------------

    def get(self, decision_id: str) -> dict | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(Decision).where(Decision.id == decision_id)).first()
        return decision_dict(row._mapping, full=True) if row is not None else None

    def list(self, where: DecisionFilter = DecisionFilter(), cursor: str | None = None, limit: int = 50) -> Page:
        """Newest first; `next_cursor` continues after the last item (stable while decisions are added)."""
        columns = [c for c in Decision.__table__.c if c.name not in ("input", "result")]
        query = select(*columns)
        subject_filters = []
        if where.teacher_id:
            subject_filters.append((Subject.level == "teacher") & (Subject.subject_id == where.teacher_id))
        if where.school_id:
            subject_filters.append(Subject.school_id == where.school_id)
        if where.verdict and (where.teacher_id or where.school_id):
            level = "teacher" if where.teacher_id else "school"
            subject = select(Subject.decision_id).where(Subject.level == level, Subject.verdict == where.verdict,
                                                        *subject_filters)
            query = query.where(Decision.id.in_(subject))
        else:
            for condition in subject_filters:
                query = query.where(Decision.id.in_(select(Subject.decision_id).where(condition)))
            if where.verdict:
                query = query.where(Decision.verdict == where.verdict)
        if where.ruleset:
            query = query.where(Decision.ruleset_id == where.ruleset)
        if where.since:
            query = query.where(Decision.decided_at >= where.since)
        if where.until:
            query = query.where(Decision.decided_at < where.until)
        if where.batch_id:
            query = query.where(Decision.batch_id == where.batch_id)
        if where.caller:
            query = query.where(Decision.caller == where.caller)
        if cursor:
            stamp, last_id = decode_cursor(cursor)
            query = query.where((Decision.decided_at < stamp) | ((Decision.decided_at == stamp) & (Decision.id < last_id)))
        query = query.order_by(Decision.decided_at.desc(), Decision.id.desc()).limit(limit + 1)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        more = len(rows) > limit
        rows = rows[:limit]
        items = [decision_dict(r._mapping, full=False) for r in rows]
        next_cursor = encode_cursor(rows[-1].decided_at, rows[-1].id) if more and rows else None
        return Page(items, next_cursor)

    def iterate(self, where: DecisionFilter = DecisionFilter(), page_size: int = 500) -> Iterable[dict]:
        """Every matching decision in full (input and result), newest first, page by page."""
        cursor = None
        while True:
            page = self.list(where, cursor, page_size)
            for item in page.items:
                full = self.get(item["id"])
                if full is not None:
                    yield full
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def policy(self, sha256: str) -> PolicyBundle | None:
        with self.engine.connect() as connection:
            raw = connection.execute(select(Policy.manifest).where(Policy.sha256 == sha256)).scalar_one_or_none()
            if raw is None:
                return None
            manifest = orjson.loads(raw)
            hashes = [item[2] for item in manifest["texts"]]
            stored = {digest: content for digest, content in connection.execute(
                select(PolicyTextRow.sha256, PolicyTextRow.content).where(PolicyTextRow.sha256.in_(hashes)))}
        texts = []
        for kind, name, digest in manifest["texts"]:
            if digest not in stored:
                raise StoreError(f"the policy {sha256} names a text {digest} that is not stored")
            texts.append(PolicyText(kind, name, stored[digest]))
        bundle = PolicyBundle(manifest["ruleset"], manifest["revision"], tuple(texts), tuple(manifest["primitives"]))
        if bundle.sha256 != sha256:
            raise StoreError(f"the stored policy {sha256} does not hash to its address: it was altered")
        return bundle

    def count(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(Decision)).scalar_one()

    # ---- retention -------------------------------------------------------------------------

    def purge(self, older_than: dt.datetime, *, dry_run: bool = False) -> PurgeCount:
        """Delete decisions made before `older_than` (UTC), their subjects, batch runs left empty,
        and policies no remaining decision was made under; returns what was (or would be) deleted."""
        counts = PurgeCount()
        old = select(Decision.id).where(Decision.decided_at < older_than)
        with self.engine.begin() as connection:
            counts.subjects = connection.execute(select(func.count()).select_from(Subject).where(
                Subject.decision_id.in_(old))).scalar_one()
            counts.decisions = connection.execute(select(func.count()).select_from(Decision).where(
                Decision.decided_at < older_than)).scalar_one()
            if not dry_run:
                connection.execute(delete(Subject).where(Subject.decision_id.in_(old)))
                connection.execute(delete(Decision).where(Decision.decided_at < older_than))
            used_batches = select(Decision.batch_id).where(Decision.batch_id.is_not(None))
            empty_batches = (BatchRun.started_at < older_than) & BatchRun.id.not_in(used_batches)
            counts.batch_runs = connection.execute(select(func.count()).select_from(BatchRun).where(empty_batches)).scalar_one()
            used_policies = select(Decision.policy_sha256).distinct()
            orphan = Policy.sha256.not_in(used_policies)
            counts.policies = connection.execute(select(func.count()).select_from(Policy).where(orphan)).scalar_one()
            if not dry_run:
                connection.execute(delete(BatchRun).where(empty_batches))
                connection.execute(delete(Policy).where(orphan))
                manifests = [orjson.loads(m) for m in connection.execute(select(Policy.manifest)).scalars()]
                kept = {item[2] for m in manifests for item in m["texts"]}
                stale = [s for s in connection.execute(select(PolicyTextRow.sha256)).scalars() if s not in kept]
                counts.texts = len(stale)
                for start in range(0, len(stale), 500):
                    connection.execute(delete(PolicyTextRow).where(PolicyTextRow.sha256.in_(stale[start:start + 500])))
        with self._lock:
            self._known_policies.clear()
        return counts


def _insert_if_missing(connection, model, key_column, key: str, values: dict) -> None:
    if connection.execute(select(key_column).where(key_column == key)).first() is None:
        try:
            with connection.begin_nested():
                connection.execute(insert(model).values(**values))
        except IntegrityError:
            pass  # another writer kept the same text a moment ago: content-addressed, so it is this one


_DECISION_COLUMNS = ("id", "decided_at", "caller", "kind", "ruleset_id", "revision", "policy_sha256", "as_of",
                     "kaohe_version", "batch_id", "verdict", "input", "result")
_SUBJECT_COLUMNS = ("decision_id", "position", "level", "subject_id", "school_id", "verdict")
# binary COPY: no escaping of the compressed columns, no parsing on the server
_DECISION_TYPES = ("varchar", "timestamp", "varchar", "varchar", "varchar", "varchar", "varchar", "date", "varchar",
                   "varchar", "varchar", "bytea", "bytea")
_SUBJECT_TYPES = ("varchar", "int4", "varchar", "varchar", "varchar", "varchar")


def _copy_rows(connection, decisions: list[dict], subjects: list[dict]) -> None:
    """PostgreSQL's COPY: several times faster than multi-row INSERTs for a batch's decisions."""
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY decisions ({', '.join(_DECISION_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_DECISION_TYPES)
            for row in decisions:
                copy.write_row([row[c] for c in _DECISION_COLUMNS])
        if subjects:
            with cursor.copy(f"COPY decision_subjects ({', '.join(_SUBJECT_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(_SUBJECT_TYPES)
                for row in subjects:
                    copy.write_row([row[c] for c in _SUBJECT_COLUMNS])


def _insert_rows_sqlite(connection, decisions: list[dict], subjects: list[dict]) -> None:
    """Straight to the driver's executemany: SQLAlchemy's per-row parameter processing cost more than
    SQLite's insert. Times are written in SQLAlchemy's own SQLite format, so it reads them back."""
    marks = ", ".join("?" * len(_DECISION_COLUMNS))
    values = []
    for row in decisions:
        item = [row[c] for c in _DECISION_COLUMNS]
        item[1] = item[1].strftime("%Y-%m-%d %H:%M:%S.%f")  # decided_at
        item[7] = item[7].isoformat()  # as_of
        values.append(tuple(item))
    connection.exec_driver_sql(f"INSERT INTO decisions ({', '.join(_DECISION_COLUMNS)}) VALUES ({marks})", values)
    if subjects:
        marks = ", ".join("?" * len(_SUBJECT_COLUMNS))
        connection.exec_driver_sql(f"INSERT INTO decision_subjects ({', '.join(_SUBJECT_COLUMNS)}) VALUES ({marks})",
                                   [tuple(row[c] for c in _SUBJECT_COLUMNS) for row in subjects])


def unpack(stored: bytes) -> bytes:
    """Compressed (a zlib stream starts with 'x') or plain JSON, as recording.pack left it."""
    import zlib

    return zlib.decompress(stored) if stored[:1] == b"x" else bytes(stored)


def decision_dict(row, full: bool) -> dict:
    out = {"id": row["id"], "decided_at": row["decided_at"].isoformat() + "Z", "caller": row["caller"],
           "kind": row["kind"], "ruleset": {"id": row["ruleset_id"], "revision": row["revision"],
                                            "policy": row["policy_sha256"]},
           "as_of": row["as_of"].isoformat(), "kaohe_version": row["kaohe_version"], "batch_id": row["batch_id"],
           "verdict": row["verdict"]}
    if full:
        out["input"] = orjson.loads(unpack(row["input"]))
        out["result"] = expand_result(orjson.loads(unpack(row["result"])))
    return out


def expand_result(stored: dict) -> dict:
    """The stored compact outcomes ([rule, status, actual, expected]) as named fields."""
    subjects = []
    for subject in stored.get("subjects", []):
        rules = [{"id": r[0], "status": r[1], "actual": r[2], "expected": r[3]} for r in subject.get("rules", [])]
        subjects.append({**{k: v for k, v in subject.items() if k != "rules"}, "rules": rules})
    return {**stored, "subjects": subjects}
