"""SIE-X core library: keyword engine, web ingestion, warehouse and platform tables.

Nothing in this package imports Dagster or FastAPI, so the CLI, the Dagster assets
and the API all call the same code.
"""

__version__ = "0.1.0"
