"""SIEX_DATABASE_URL=postgresql://... moves Dagster storage and the platform tables to PostgreSQL.

Runs against the machine's server (127.0.0.1:5432, user postgres) in a database it
creates and drops itself.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from siex.config import REPO_ROOT

SIEX = str(Path(sys.executable).parent / "siex")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.postgres
def test_demo_on_postgres_keeps_runs_and_platform_tables_there(tmp_path, pg_database):
    """With one setting, the demo's Dagster run and the tenants live in PostgreSQL, not SQLite."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIEX_", "DAGSTER_"))}
    env.update(
        SIEX_HOME=str(tmp_path / "home"),
        SIEX_DATABASE_URL=pg_database,
        SIEX_SECRET_KEY="pg-test",
        SIEX_DEMO_PORT=str(_free_port()),
    )
    out = subprocess.run([SIEX, "demo"], capture_output=True, env=env, timeout=600, cwd=REPO_ROOT)
    assert out.returncode == 0, out.stderr.decode()[-3000:]
    summary = json.loads(out.stdout.decode().strip().splitlines()[-1])
    assert summary["documents"] > 0

    conn = psycopg2.connect(pg_database)
    with conn.cursor() as cur:
        cur.execute("SELECT pipeline_name, status FROM runs ORDER BY create_timestamp")
        assert cur.fetchall() == [("ingest_job", "SUCCESS"), ("seo_reports_job", "SUCCESS")]
        cur.execute("SELECT id FROM tenants")
        assert cur.fetchall() == [("demo",)]
        cur.execute("SELECT count(*) FROM sources WHERE tenant_id = 'demo'")
        assert cur.fetchone()[0] == 3
        cur.execute("SELECT partition FROM dynamic_partitions WHERE partitions_def_name = 'tenant'")
        assert cur.fetchall() == [("demo",)]
    conn.close()
    home = tmp_path / "home"
    assert not (home / "platform.sqlite").exists()
    assert not list((home / "dagster").glob("**/*.db"))
    config = (home / "dagster" / "dagster.yaml").read_text()
    assert (
        "postgres_url" in config and "127.0.0.1" not in config
    )  # the URL stays in the environment
