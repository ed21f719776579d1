"""Domain transformers: SEO meaning on top of the engine's keywords.

Each works on plain text and keyword lists, imports neither Dagster nor FastAPI,
and is used by the assets and the API alike.
"""
