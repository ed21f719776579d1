"""Platform tables: tenants, API keys, sources, run failures (SQLAlchemy 2)."""
