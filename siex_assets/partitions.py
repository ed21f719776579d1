"""Tenant × day partitions shared by every asset: reruns and backfills are per tenant and day."""

from __future__ import annotations

from datetime import UTC, datetime

from dagster import (
    AssetExecutionContext,
    DailyPartitionsDefinition,
    DynamicPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
)

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


def today_utc() -> str:
    return datetime.now(UTC).date().isoformat()
