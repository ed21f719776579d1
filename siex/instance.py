"""Prepare DAGSTER_HOME under SIEX_HOME from the repository's dagster.yaml.

Kept free of Dagster imports: it only writes a YAML file and sets variables.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from siex.config import REPO_ROOT, Settings

DAGSTER_PG_ENV = "SIEX_DAGSTER_POSTGRES_URL"


def instance_config(settings: Settings) -> dict:
    config = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text()) or {}
    if settings.uses_postgres:
        config["storage"] = {"postgres": {"postgres_url": {"env": DAGSTER_PG_ENV}}}
    return config


def prepare_dagster_home(settings: Settings) -> Path:
    """Write DAGSTER_HOME/dagster.yaml and export DAGSTER_HOME (and the PG URL if any)."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    text = yaml.safe_dump(instance_config(settings), sort_keys=False)
    if not target.exists() or target.read_text() != text:
        target.write_text(text)
    os.environ["DAGSTER_HOME"] = str(home)
    if settings.uses_postgres:
        os.environ[DAGSTER_PG_ENV] = settings.platform_db_url
    return home
