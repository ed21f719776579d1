"""Warehouse layout: concurrent writer processes, readers that never block writers, isolation."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime

import duckdb
import pytest

from siex.warehouse import Warehouse


def _writer(root: str, tenant: str, n: int) -> None:
    warehouse = Warehouse(root)
    for i in range(n):
        rows = [
            {
                "keyword": f"kw{j}",
                "documents": i,
                "score_sum": 1.0,
                "best_rank": 1,
                "example_url": "u",
            }
            for j in range(50)
        ]
        warehouse.write("keyword_stats", tenant, f"2026-11-{(i % 28) + 1:02d}", rows)
        warehouse.refresh_views_file()


def test_concurrent_writer_processes_and_an_open_reader(tmp_path):
    """Two processes write and refresh views while an analyst holds the views file open."""
    warehouse = Warehouse(tmp_path / "wh")
    warehouse.write(
        "keyword_stats", "acme", "2026-11-01",
        [{"keyword": "seed", "documents": 1, "score_sum": 1.0, "best_rank": 1, "example_url": "u"}],
    )  # fmt: skip
    assert warehouse.refresh_views_file()
    analyst = duckdb.connect(str(warehouse.views_db), read_only=True)
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_writer, args=(str(tmp_path / "wh"), t, 40)) for t in ("acme", "beta")
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    assert analyst.execute("SELECT count(*) FROM keyword_stats").fetchone()[0] > 0
    analyst.close()
    con = warehouse.connect()
    counts = dict(
        con.execute("SELECT tenant, count(*) FROM keyword_stats GROUP BY tenant").fetchall()
    )
    assert counts == {"acme": 28 * 50, "beta": 28 * 50}
    assert not list((tmp_path / "wh").rglob("*.tmp"))


def test_tenant_connection_reads_only_that_tenant(tmp_path):
    """connect(tenant) opens only that tenant's folders; other tenants are invisible."""
    warehouse = Warehouse(tmp_path / "wh")
    now = datetime.now(UTC)
    for tenant in ("acme", "beta"):
        warehouse.write(
            "failures", tenant, "2026-11-26",
            [{"url": f"https://{tenant}/", "source_id": "", "stage": "fetch", "reason": "http_404",
              "detail": "", "at": now, "run_id": "r"}],
        )  # fmt: skip
    con = warehouse.connect("acme")
    assert con.execute("SELECT DISTINCT tenant FROM failures").fetchall() == [("acme",)]
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 0  # empty but typed
    with pytest.raises(ValueError):
        warehouse.connect("../beta")
    with pytest.raises(ValueError):
        warehouse.write("failures", "acme", "2026-13-45; DROP", [])
