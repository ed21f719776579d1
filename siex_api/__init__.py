"""The SIE-X REST API (FastAPI): tenants, API keys, sources, documents. Everything under /v1."""
