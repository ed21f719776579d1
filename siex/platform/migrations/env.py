"""Alembic environment of the platform tables.

``siex.platform.db.migrate`` passes an open connection; the ``alembic`` command line
(run from the repository root, see alembic.ini) uses SIEX_DATABASE_URL like the rest.
"""

from alembic import context
from sqlalchemy import create_engine

from siex.platform.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def render_item(type_, obj, autogen_context):
    """Write our UTC column type as the plain SQLAlchemy type it stores."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # ALTER TABLE on SQLite
        compare_type=True,
        render_item=render_item,
        # Dagster keeps its own alembic_version in the same PostgreSQL database.
        version_table="siex_alembic_version",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    from siex.config import get_settings

    url = config.get_main_option("sqlalchemy.url") or get_settings().platform_db_url
    with create_engine(url).connect() as conn:
        run(conn)
