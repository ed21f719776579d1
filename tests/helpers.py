"""Test helpers that set up tenants, sources and Dagster runs against a real SIEX_HOME."""

from __future__ import annotations

from dagster import DagsterInstance

from siex.config import Settings
from siex.platform.db import session_scope
from siex.platform.service import add_source, create_tenant
from siex_assets.definitions import build_definitions
from siex_assets.partitions import tenant_day_key, tenant_partitions


def make_tenant(settings: Settings, tenant_id: str, sources: list[tuple[str, str]] = ()) -> str:
    """Create a tenant with (kind, url) sources; returns its API key."""
    with session_scope(settings.platform_db_url) as session:
        _tenant, key = create_tenant(
            session, tenant_id.title(), settings.resolved_secret_key(), tenant_id
        )
        for kind, url in sources:
            add_source(session, tenant_id, kind, url)
    return key


def run_ingest(
    settings: Settings, instance: DagsterInstance, tenant: str, day: str, run_config=None
):
    """Execute the ingest job for one tenant and day in-process, recorded in ``instance``."""
    if not instance.has_dynamic_partition(tenant_partitions.name, tenant):
        instance.add_dynamic_partitions(tenant_partitions.name, [tenant])
    job = build_definitions(settings).resolve_job_def("ingest_job")
    return job.execute_in_process(
        instance=instance,
        partition_key=tenant_day_key(tenant, day),
        run_config=run_config or {},
        raise_on_error=False,
    )
