"""The decision store's tests run on both backends: an SQLite file, and a real PostgreSQL server.

PostgreSQL comes from KAOHE_TEST_DATABASE_URL (`eval "$(.ci/postgres)"` starts a server and sets it). Without
it the PostgreSQL variant is skipped locally, and fails under CI=true: CI must test both.
Each test gets a database of its own (on PostgreSQL, a fresh one created and dropped around it).
"""

from __future__ import annotations

import os
import uuid

import pytest


def _postgres_admin_url() -> str | None:
    url = os.environ.get("KAOHE_TEST_DATABASE_URL")
    if url:
        return url
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("KAOHE_TEST_DATABASE_URL is not set: CI must run the decision store's tests on PostgreSQL "
                    "(eval \"$(.ci/postgres)\" exports it)")
    pytest.skip("KAOHE_TEST_DATABASE_URL is not set: the PostgreSQL variant needs a server (.ci/postgres starts one)")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'decisions.db'}"
        return
    import psycopg
    from kaohe.store.database import normalise_url
    from sqlalchemy.engine import make_url

    admin = make_url(normalise_url(_postgres_admin_url()))
    name = f"kaohe_t_{uuid.uuid4().hex[:12]}"
    conninfo = dict(host=admin.host, port=admin.port, user=admin.username, password=admin.password,
                    dbname=admin.database, autocommit=True)
    with psycopg.connect(**conninfo) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield admin.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(**conninfo) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
