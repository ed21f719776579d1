from dagster import Definitions

from siex_assets.monitoring.sensors import record_run_failures

defs = Definitions(sensors=[record_run_failures])
