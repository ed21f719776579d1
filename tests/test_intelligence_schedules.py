"""When the SEO reports run: after each successful ingest run of a tenant and day, and
daily for the day that ended, for every tenant with partitions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dagster import (
    DagsterEventType,
    RunRequest,
    SkipReason,
    build_run_status_sensor_context,
    build_schedule_context,
    instance_for_test,
)

from resources import build_resources
from siex_assets.intelligence.schedules import daily_seo_reports_schedule, reports_after_ingest
from siex_assets.partitions import tenant_partitions
from tests.helpers import make_tenant, run_ingest


@pytest.fixture
def instance():
    with instance_for_test() as inst:
        yield inst


def test_the_daily_schedule_asks_for_yesterday_of_every_tenant_once(siex_home, instance):
    make_tenant(siex_home, "acme")
    make_tenant(siex_home, "beta")
    make_tenant(siex_home, "fresh")  # no partitions yet: its sensors have not seen it
    instance.add_dynamic_partitions(tenant_partitions.name, ["acme", "beta"])
    with build_schedule_context(
        instance=instance,
        scheduled_execution_time=datetime(2026, 11, 27, 0, 30, tzinfo=UTC),
        resources=build_resources(siex_home),
    ) as context:
        requests = daily_seo_reports_schedule(context)
    assert sorted(r.partition_key for r in requests) == ["2026-11-26|acme", "2026-11-26|beta"]
    assert len({r.run_key for r in requests}) == 2 and all(r.tags["siex/tenant"] for r in requests)


def test_the_daily_schedule_skips_without_tenants(siex_home, instance):
    with build_schedule_context(
        instance=instance,
        scheduled_execution_time=datetime(2026, 11, 27, 0, 30, tzinfo=UTC),
        resources=build_resources(siex_home),
    ) as context:
        assert isinstance(daily_seo_reports_schedule(context), SkipReason)


def test_a_successful_ingest_run_requests_the_reports_of_its_partition(siex_home, instance):
    make_tenant(siex_home, "acme")  # no sources: the run succeeds with nothing to fetch
    result = run_ingest(siex_home, instance, "acme", "2026-11-20")
    assert result.success
    success = next(e for e in result.all_events if e.event_type == DagsterEventType.RUN_SUCCESS)
    with build_run_status_sensor_context(
        sensor_name="reports_after_ingest",
        dagster_event=success,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
    ) as context:
        request = reports_after_ingest(context)
    assert isinstance(request, RunRequest)
    assert request.partition_key == "2026-11-20|acme"
    assert request.run_key == f"seo:{result.run_id}"  # one reports run per ingest run
