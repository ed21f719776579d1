from contextlib import contextmanager

from dagster import ConfigurableResource

from siex.platform.db import session_scope


class PlatformDBResource(ConfigurableResource):
    """The platform database (tenants, sources, run failures) as SQLAlchemy sessions."""

    database_url: str

    @contextmanager
    def session(self):
        with session_scope(self.database_url) as session:
            yield session
