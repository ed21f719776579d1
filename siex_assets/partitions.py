"""Tenant × day partitions shared by every asset: reruns and backfills are per tenant and day."""

from __future__ import annotations

from datetime import UTC, datetime

from dagster import (
    AssetExecutionContext,
    DailyPartitionsDefinition,
    DynamicPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    RunRequest,
    SkipReason,
)

from siex.platform.service import tenant_ids

tenant_partitions = DynamicPartitionsDefinition(name="tenant")
daily_partitions = DailyPartitionsDefinition(start_date="2026-01-01", end_offset=1, timezone="UTC")
tenant_day_partitions = MultiPartitionsDefinition(
    {"date": daily_partitions, "tenant": tenant_partitions}
)

TENANT_TAG = "siex/tenant"


def tenant_day_key(tenant: str, day: str) -> MultiPartitionKey:
    return MultiPartitionKey({"date": day, "tenant": tenant})


def tenant_and_day(context: AssetExecutionContext) -> tuple[str, str]:
    keys = context.partition_key.keys_by_dimension
    return keys["tenant"], keys["date"]


def every_tenant_on(context, platform, day: str, run_key_prefix: str):
    """One run request per tenant that has partitions, for ``day`` (daily schedules)."""
    known = set(context.instance.get_dynamic_partitions(tenant_partitions.name))
    with platform.session() as session:
        tenants = [t for t in tenant_ids(session) if t in known]
    if not tenants:
        return SkipReason("no tenants yet")
    return [
        RunRequest(
            run_key=f"{run_key_prefix}:{tenant}:{day}",
            partition_key=tenant_day_key(tenant, day),
            tags={TENANT_TAG: tenant},
        )
        for tenant in tenants
    ]


def today_utc() -> str:
    return datetime.now(UTC).date().isoformat()
