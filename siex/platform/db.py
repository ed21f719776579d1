"""Engine and sessions for the platform database (SQLite embedded, PostgreSQL in production).

The schema is Alembic's (``siex/platform/migrations``): the first engine of a process
upgrades the database to the latest revision, under a lock, so several processes
starting together (API workers, Dagster runs) do not race.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

_migrated: set[str] = set()  # URLs this process has upgraded
_migrating = threading.Lock()


def get_engine(url: str, busy_timeout_s: float = 30.0) -> Engine:
    """One engine per URL (and busy timeout) per process; the first engine of a URL
    migrates the database. Later engines of the URL do not: Alembic's module-level
    state is not thread-safe, and a second upgrade in a background thread (an API key's
    use recorded after the response) could meet another Alembic user of the process."""
    engine = _engine(url, busy_timeout_s)
    with _migrating:
        if url not in _migrated:
            migrate(engine)
            _migrated.add(url)
    return engine


@lru_cache(maxsize=8)
def _engine(url: str, busy_timeout_s: float) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": busy_timeout_s, "check_same_thread": False}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # WAL lets the API read while Dagster writes
            dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            # Writers take the write lock up front: a read transaction that later writes
            # fails at once (SQLITE_BUSY_SNAPSHOT) if another writer committed meanwhile.
            # Read-only sessions take no lock, so reads never queue behind writes.
            read_only = conn.get_execution_options().get("siex_read_only")
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK = 7_310_251  # PostgreSQL advisory lock id of our migrations


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision``; a no-op when it is there already."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({_MIGRATION_LOCK})")
            connection.commit()
            lock = None
        else:
            lock = _file_lock(engine.url.database)
        try:
            _refuse_unversioned(connection)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            connection.commit()
        finally:
            if lock is None:
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({_MIGRATION_LOCK})")
                connection.commit()
            else:
                lock.close()


def _refuse_unversioned(connection) -> None:
    """Platform tables without our version table predate the migrations (made by an
    early development build): say so instead of failing on "table exists"."""
    from sqlalchemy import inspect

    tables = set(inspect(connection).get_table_names())
    if "tenants" in tables and "siex_alembic_version" not in tables:
        raise RuntimeError(
            "the platform database predates its migrations (no siex_alembic_version table): "
            "it comes from a development build older than them; remove it "
            "(`make clean-home` for the default SIEX_HOME) and start again"
        )


def _file_lock(database: str | None):
    """An exclusive lock on a file beside the SQLite database, released on close."""
    import fcntl

    path = Path(f"{database}.migrate.lock") if database and database != ":memory:" else None
    if path is None:
        return open(os.devnull)
    handle = path.open("a")
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


@contextmanager
def session_scope(
    url: str, read_only: bool = False, busy_timeout_s: float = 30.0
) -> Iterator[Session]:
    """A session that commits on success and rolls back on error. ``read_only``
    promises no writes: on SQLite it then holds no lock (see ``_begin``);
    ``busy_timeout_s`` is how long SQLite waits for another writer's lock."""
    engine = get_engine(url, busy_timeout_s)
    bind = engine.execution_options(siex_read_only=True) if read_only else engine
    session = sessionmaker(bind, expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def dialect_insert(session: Session, table):
    """``INSERT`` with ``ON CONFLICT`` support for the session's database."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    postgres = session.get_bind().dialect.name == "postgresql"
    return (pg_insert if postgres else sqlite_insert)(table)
