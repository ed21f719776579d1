from dagster import Definitions

from siex_assets.reports.assets import daily_seo_report
from siex_assets.reports.schedules import daily_reports_schedule, report_job

defs = Definitions(assets=[daily_seo_report], jobs=[report_job], schedules=[daily_reports_schedule])
