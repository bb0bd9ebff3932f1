"""Shared fixtures: a PostgreSQL server for the session, an empty database per test,
and hypothesis profiles.

PostgreSQL comes from $SLA_LEDGER_TEST_POSTGRES_URL when set, else from a throwaway
cluster started by scripts/pg_server.py. Without server binaries the PostgreSQL tests
are skipped, except under CI ($CI set), where they fail: CI must never skip them.

Hypothesis profiles: "default" (40 examples) and "heavy" (1000 examples), chosen by
$HYPOTHESIS_PROFILE.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit, urlunsplit

import pytest
from hypothesis import HealthCheck, settings

POSTGRES_URL_ENV = "SLA_LEDGER_TEST_POSTGRES_URL"
POSTGRES_FIXTURES = frozenset({"postgres_url", "fresh_postgres_url", "postgres_databases"})
PG_SERVER_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "pg_server.py"

settings.register_profile(
    "default",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "heavy",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _load_pg_server() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_sla_ledger_pg_server", PG_SERVER_SCRIPT)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {PG_SERVER_SCRIPT}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if POSTGRES_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a PostgreSQL server whose superuser may create databases."""
    configured = os.environ.get(POSTGRES_URL_ENV)
    if configured:
        yield configured
        return
    pg_server = _load_pg_server()
    directory = Path(tempfile.mkdtemp(prefix="sla-ledger-pg-"))
    try:
        url: str = pg_server.start(directory)
    except pg_server.PostgresUnavailable as exc:
        pg_server.stop(directory)
        reason = f"PostgreSQL unavailable: {exc} (or set {POSTGRES_URL_ENV})"
        if _in_ci():
            pytest.fail(f"CI must run the PostgreSQL tests, but {reason}", pytrace=False)
        pytest.skip(reason)
    except pg_server.PgServerError:
        pg_server.stop(directory)
        raise
    try:
        yield url
    finally:
        pg_server.stop(directory)


@contextmanager
def new_database(server_url: str) -> Iterator[str]:
    """A new, empty database on a server, dropped afterwards (even with connections open)."""
    import psycopg
    from psycopg import sql

    name = f"sla_ledger_t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            conn.execute(drop.format(sql.Identifier(name)))


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> Iterator[str]:
    """URL of a new, empty database on the session's server, dropped after the test."""
    with new_database(postgres_url) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_databases(postgres_url: str) -> Callable[[], AbstractContextManager[str]]:
    """Makes new, empty databases, for a test that needs one per hypothesis example."""
    return lambda: new_database(postgres_url)


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of an SQLite store holding the demo month (``sla_ledger.demo``), closed.

    Built once per session (about 20 s); tests must only read it.
    """
    from sla_ledger import ManualClock, open_ledger
    from sla_ledger.demo import SIGNED_AT, build_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    clock = ManualClock(SIGNED_AT)
    ledger = open_ledger(url, clock=clock)
    build_demo(ledger, clock)
    ledger.close()
    return url
