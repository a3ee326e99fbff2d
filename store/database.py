"""Opening the database: an embedded SQLite file unless a URL says otherwise; migrations on open.

`KAOHE_DATABASE_URL` (or `--database`) picks it: ``sqlite:///path.db`` or a file name for SQLite,
``postgresql://user:pass@host:5432/db`` for PostgreSQL (driven by psycopg 3).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from kaohe.engine import KaoheError

DEFAULT_URL = "sqlite:///kaohe-decisions.db"
MIGRATIONS = Path(__file__).with_name("migrations")


class StoreError(KaoheError):
    code = "store.unavailable"


def database_url(explicit: str | None = None, environ=None) -> str:
    """`--database`, else KAOHE_DATABASE_URL, else the SQLite file in the working folder."""
    env = os.environ if environ is None else environ
    return explicit or env.get("KAOHE_DATABASE_URL") or DEFAULT_URL


def normalise_url(url: str) -> str:
    if "://" not in url:  # a plain file name
        return f"sqlite:///{url}"
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def redact(url: str) -> str:
    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unreadable URL>"


@dataclass
class Database:
    url: str
    engine: Engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def upgrade(self) -> str:
        """Run every migration not yet applied; the schema revision after."""
        try:
            with self.engine.begin() as connection:
                if self.dialect == "postgresql":  # two servers starting at once migrate one after the other
                    connection.execute(text("SELECT pg_advisory_xact_lock(7411)"))
                config = Config()
                config.set_main_option("script_location", str(MIGRATIONS))
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            return self.schema_revision() or ""
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot migrate the decision database {redact(self.url)}: {_reason(exc)}") from None

    def schema_revision(self) -> str | None:
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def head_revision(self) -> str:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        return ScriptDirectory.from_config(config).get_current_head() or ""

    def close(self) -> None:
        self.engine.dispose()


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def open_database(url: str | None = None, *, migrate: bool = True) -> Database:
    """The database at `url` (default: see `database_url`), migrated to the newest schema."""
    url = database_url(url)
    try:
        target = make_url(normalise_url(url))
    except ArgumentError:
        raise StoreError(f"not a database URL: {redact(url)}",
                         hint="sqlite:///decisions.db or postgresql://user:password@host:5432/kaohe") from None
    if target.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(f"kaohe keeps decisions in SQLite or PostgreSQL, not {target.get_backend_name()}")
    if target.get_backend_name() == "sqlite":
        if target.database and target.database != ":memory:":
            Path(target.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(target, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(target, pool_pre_ping=True, pool_size=4, max_overflow=4,
                               connect_args={"connect_timeout": 10})
    database = Database(url, engine)
    try:
        if migrate:
            database.upgrade()
        else:
            with engine.connect():
                pass
    except OperationalError as exc:
        engine.dispose()
        raise StoreError(f"cannot open the decision database {redact(url)}: {_reason(exc)}") from None
    except StoreError:
        engine.dispose()
        raise
    return database


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL: readers never wait for the writer; NORMAL sync is durable at each commit in WAL mode
    except on power loss, where the last commits may roll back — never half of one."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
