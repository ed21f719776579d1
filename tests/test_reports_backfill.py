"""A month of SEO reports is one Dagster backfill: one backfill of the report assets over
several days of one tenant, run by the backfill daemon's own iteration against a real
instance, materializes every report of every day as of that day — and a backfilled
audit says whether the day's links were checked."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime, timedelta

from dagster import AssetKey, AssetSelection, definitions, instance_for_test
from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.test_utils import create_test_daemon_workspace_context
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster._daemon.backfill import execute_backfill_iteration
from dagster._time import get_current_timestamp

from siex.config import REPO_ROOT, get_settings
from siex.intelligence.tables import REPORT_SCHEMAS
from siex.platform.db import session_scope
from siex.platform.service import add_source
from siex.warehouse import Warehouse
from siex.web.onpage import onpage_row, read_onpage
from siex_assets.definitions import build_definitions
from siex_assets.partitions import tenant_day_key, tenant_partitions
from tests.corpus_data import store_document
from tests.helpers import make_tenant
from tests.test_intelligence_audit import page_html

TENANT = "acme"
OWN, RIVAL = "https://acme.example", "https://rival.example"
FIRST = datetime.now(UTC).date() - timedelta(days=9)  # past days: the link checker asks nothing
DAYS = [(FIRST + timedelta(days=i)).isoformat() for i in range(4)]
KINDS = sorted(
    t.removeprefix("report_")
    for t in REPORT_SCHEMAS
    if t.startswith("report_") and t != "report_index"
)

# What appeared on each day: (site, path, keywords, internal links). Day 1 has a link
# check that found /old gone; no other day has one.
PAGES = [
    [
        (OWN, "/compost", ["compost heap", "hot composting", "garden waste"], ["/beds", "/old"]),
        (OWN, "/beds", ["raised beds", "soil mix", "compost heap"], ["/compost"]),
        (RIVAL, "/hydroponics", ["hydroponics", "nutrient solution", "grow lights"], []),
    ],
    [(OWN, "/mulch", ["mulch", "bark chips", "garden waste"], ["/compost"])],
    [(RIVAL, "/rainwater", ["rainwater harvesting", "water butt", "downpipe"], [])],
    [(OWN, "/seeds", ["seed sowing", "seed compost", "raised beds"], ["/beds"])],
]


@definitions
def current_definitions():
    """The code location as the backfill's runs load it, with this test's SIEX_HOME."""
    return build_definitions(get_settings())


def seed(settings) -> dict[str, str]:
    """Four days of pages (documents, keywords, on-page rows from real HTML, fetch rows)
    and one link check; returns url → day first seen."""
    make_tenant(settings, TENANT)
    with session_scope(settings.platform_db_url) as session:
        sources = {
            OWN: add_source(session, TENANT, "sitemap", f"{OWN}/sitemap.xml").id,
            RIVAL: add_source(session, TENANT, "rss", f"{RIVAL}/feed", role="competitor").id,
        }
    store = Warehouse(settings.warehouse_dir)
    first_seen = {}
    for day, pages in zip(DAYS, PAGES, strict=True):
        fetched = datetime.fromisoformat(f"{day}T12:00:00+00:00")
        for site, path, keywords, links in pages:
            url = site + path
            html = page_html(keywords[0], links=[(href, f"about {href[1:]}") for href in links])
            source = sources[site]
            onpage = onpage_row(read_onpage(html, url))
            store_document(store, TENANT, day, url, keywords, source_id=source, onpage=onpage)
            fetch = {"url": url, "final_url": url, "source_id": source, "http_status": 200}
            store.write(
                "pages", TENANT, day, [{**fetch, "fetched_at": fetched}], part=f"run-{path[1:]}"
            )
            first_seen[url] = day
    gone = {"url": f"{OWN}/old", "status": 404, "final_url": f"{OWN}/old", "reason": "http_404"}
    checked_at = datetime.fromisoformat(f"{DAYS[1]}T13:00:00+00:00")
    store.write("link_checks", TENANT, DAYS[1], [{**gone, "checked_at": checked_at}], part="run-1")
    return first_seen


def run_backfill(instance, asset_keys) -> PartitionBackfill:
    """One backfill of ``asset_keys`` over DAYS × TENANT, as the UI's "Materialize
    selected → backfill" files it; the daemon's iteration launches its runs (in this
    process) until it is done."""
    target = InProcessWorkspaceLoadTarget(
        InProcessCodeLocationOrigin(
            LoadableTargetOrigin(
                executable_path=sys.executable,
                module_name=__name__,
                attribute="current_definitions",
                working_directory=str(REPO_ROOT),
            ),
            location_name="siex",
        )
    )
    with create_test_daemon_workspace_context(target, instance) as workspace:
        asset_graph = workspace.create_request_context().asset_graph
        backfill = PartitionBackfill.from_asset_partitions(
            backfill_id="month-of-reports",
            asset_graph=asset_graph,
            partition_names=[str(tenant_day_key(TENANT, day)) for day in DAYS],
            asset_selection=list(asset_keys),
            backfill_timestamp=get_current_timestamp(),
            tags={},
            dynamic_partitions_store=instance,
            all_partitions=False,
            title="a month of reports",
            description=None,
            # One process per run: the report steps share the embedding model.
            run_config={"execution": {"config": {"in_process": {}}}},
        )
        instance.add_backfill(backfill)
        logger = logging.getLogger("test_backfill")
        for _ in range(30):  # iterations, not seconds: each launches what is ready
            list(execute_backfill_iteration(workspace, logger))
            if instance.get_backfill(backfill.backfill_id).status != BulkActionStatus.REQUESTED:
                break
    return instance.get_backfill(backfill.backfill_id)


def test_one_backfill_materializes_every_report_of_every_day(siex_home):
    first_seen = seed(siex_home)
    defs = build_definitions(siex_home)
    job = defs.resolve_job_def("seo_reports_job")
    report_assets = AssetSelection.groups("intelligence").resolve(defs.resolve_asset_graph())
    assert report_assets == set(job.asset_layer.executable_asset_keys)  # what the job runs
    # Runs launched as they are submitted, executed in this process (the daemon's queue
    # and run workers are not what this test is about).
    with instance_for_test(
        overrides={
            "run_coordinator": {
                "module": "dagster._core.run_coordinator",
                "class": "DefaultRunCoordinator",
            },
            "run_launcher": {
                "module": "dagster._core.launcher.sync_in_memory_run_launcher",
                "class": "SyncInMemoryRunLauncher",
            },
        }
    ) as instance:
        instance.add_dynamic_partitions(tenant_partitions.name, [TENANT])
        done = run_backfill(instance, report_assets)
        assert done.status == BulkActionStatus.COMPLETED_SUCCESS, done.error
        assert len(instance.get_backfills()) == 1
        runs = instance.get_runs()
        assert runs and all(r.tags.get("dagster/backfill") == done.backfill_id for r in runs)
        assert all(r.is_success for r in runs)
        partitions = {str(tenant_day_key(TENANT, day)) for day in DAYS}
        for key in report_assets:
            assert instance.get_materialized_partitions(key) == partitions, key.to_user_string()
        assert AssetKey("keywords") not in {k for r in runs for k in (r.asset_selection or ())}

    store = Warehouse(siex_home.warehouse_dir)
    for i, day in enumerate(DAYS):
        indexed = store.read("report_index", TENANT, day).to_pylist()
        assert sorted({r["kind"] for r in indexed}) == KINDS, day
        folder = siex_home.reports_dir / TENANT / day
        for kind in KINDS:
            assert (folder / f"{kind}.md").read_text().startswith("# "), (day, kind)
            assert json.loads((folder / f"{kind}.json").read_text()), (day, kind)
        # Each day's reports are of the corpus as of that day: the pages seen by then.
        assignments = store.read("report_topic_assignments", TENANT, day).to_pylist()
        assigned = {r["url"] for r in assignments}
        assert assigned == {url for url, seen in first_seen.items() if seen <= day}, day
        scores = store.read("report_onpage_scores", TENANT, day).to_pylist()
        assert len(scores) == len(assigned) and {r["role"] for r in scores} == {"own", "competitor"}
        rival_gaps = store.read("report_content_gap", TENANT, day).to_pylist()
        assert all(u.startswith(RIVAL) for g in rival_gaps for u in json.loads(g["evidence_urls"]))
        assert rival_gaps, day

        # The link check: day 1 found /old gone; day 0 knows nothing of it yet (and says
        # so), days 2 and 3 reuse day 1's answer (and say so).
        issues = store.read("report_onpage_audit", TENANT, day).to_pylist()
        broken = {
            (r["url"], r["target_url"]) for r in issues if r["code"] == "broken_internal_link"
        }
        assert broken == (set() if i == 0 else {(f"{OWN}/compost", f"{OWN}/old")}), day
        [audit] = [r for r in indexed if r["kind"] == "onpage_audit"]
        check = json.loads(audit["summary"])["link_check"]
        assert check["status"] == ["not_checked", "checked", "earlier_checks", "earlier_checks"][i]
        assert check["unjudged_targets"] == (1 if i == 0 else 0), day
        markdown = (siex_home.reports_dir / TENANT / day / "onpage_audit.md").read_text()
        assert (f"Links were not checked on {day}" in markdown) == (i != 1), day
        assert ("not judged" in markdown) == (i == 0), day
