"""`siex demo`: the whole cycle once, in-process, recorded in the configured instance."""

from __future__ import annotations

import socket
from contextlib import closing

from dagster import DagsterInstance

from siex import demo_site
from siex.bootstrap import ensure_demo_tenant
from siex.config import Settings
from siex.instance import prepare_dagster_home
from siex_assets.partitions import tenant_day_key, tenant_partitions, today_utc


def _port_in_use(port: int) -> bool:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def run_demo(settings: Settings, log=print) -> dict:
    prepare_dagster_home(settings)
    ensure_demo_tenant(settings)
    server = None
    if not _port_in_use(settings.demo_port):  # `make run` may be serving it already
        server = demo_site.serve(settings.demo_port)
    try:
        from siex_assets.definitions import build_definitions

        defs = build_definitions(settings)
        instance = DagsterInstance.get()
        tenant, day = settings.demo_tenant, today_utc()
        if not instance.has_dynamic_partition(tenant_partitions.name, tenant):
            instance.add_dynamic_partitions(tenant_partitions.name, [tenant])
        log(f"materializing pages → documents → keywords → report for {tenant} on {day}")
        result = defs.resolve_job_def("ingest_job").execute_in_process(
            instance=instance,
            partition_key=tenant_day_key(tenant, day),
            tags={"siex/trigger": "demo"},
        )
        if not result.success:
            raise RuntimeError(f"demo run {result.run_id} failed")
        log(f"materializing the SEO reports (trends, topics, gaps, audit, links) for {tenant}")
        reports_run = defs.resolve_job_def("seo_reports_job").execute_in_process(
            instance=instance,
            partition_key=tenant_day_key(tenant, day),
            tags={"siex/trigger": "demo"},
        )
        if not reports_run.success:
            raise RuntimeError(f"demo reports run {reports_run.run_id} failed")
    finally:
        if server:
            server.shutdown()
            server.server_close()

    from siex.warehouse import Warehouse

    warehouse = Warehouse(settings.warehouse_dir, settings.warehouse_db_path)
    documents = warehouse.read("documents", tenant, day).num_rows
    keywords = warehouse.read("keywords", tenant, day).num_rows
    report = warehouse.read("reports", tenant, day).column("markdown_path").to_pylist()
    seo_reports = {
        r["kind"]: r["markdown_path"]
        for r in warehouse.read("report_index", tenant, day).to_pylist()
    }
    return {
        "documents": documents,
        "keywords": keywords,
        "report": report[-1] if report else None,
        "seo_reports": dict(sorted(seo_reports.items())),
        "warehouse": str(settings.warehouse_db_path),
        "run_id": result.run_id,
    }
