"""The Alembic migrations build exactly the tables the models describe, on SQLite and
PostgreSQL, next to Dagster's own tables, and concurrent starts migrate once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from siex.config import sqlalchemy_url
from siex.platform.db import MIGRATIONS, migrate
from siex.platform.models import Base


def _assert_schema_matches_models(url: str) -> None:
    engine = create_engine(url)
    migrate(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "version_table": "siex_alembic_version"}
        )
        assert compare_metadata(context, Base.metadata) == []
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables and "siex_alembic_version" in tables
    migrate(engine)  # a second run is a no-op
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:  # and the downgrade removes every table
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"siex_alembic_version"}
    engine.dispose()


def test_migrations_match_the_models_on_sqlite(tmp_path):
    _assert_schema_matches_models(f"sqlite:///{tmp_path / 'platform.sqlite'}")


@pytest.mark.postgres
def test_migrations_match_the_models_on_postgres(pg_database):
    _assert_schema_matches_models(sqlalchemy_url(pg_database))


@pytest.mark.postgres
def test_concurrent_starts_migrate_once(pg_database):
    """Four processes' worth of engines starting together: one migrates, none fails."""
    url = sqlalchemy_url(pg_database)
    engines = [create_engine(url) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(migrate, engines))
    with engines[0].connect() as conn:
        versions = conn.exec_driver_sql("SELECT version_num FROM siex_alembic_version").all()
    assert len(versions) == 1
    for engine in engines:
        engine.dispose()


def test_a_database_from_before_the_migrations_is_refused_clearly(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE tenants (id VARCHAR(63) PRIMARY KEY, name VARCHAR(200))")
    with pytest.raises(RuntimeError, match="predates its migrations"):
        migrate(engine)
