"""The corpus every report reads: latest versions as of a day, their own keywords, roles,
publishing of report files, and the keyword trends report, in the library and in Dagster."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from dagster import materialize

from resources import build_resources
from siex.intelligence.corpus import keyword_key, load_corpus
from siex.intelligence.publish import Chart, Report, publish
from siex.intelligence.trends import build_trends
from siex.warehouse import Warehouse
from siex_assets.intelligence.assets import keyword_trends
from siex_assets.keywords.assets import keywords
from siex_assets.partitions import tenant_day_key, tenant_partitions
from tests.corpus_data import store_document
from tests.helpers import make_tenant


@pytest.fixture
def store(tmp_path) -> Warehouse:
    return Warehouse(tmp_path / "warehouse")


def test_corpus_takes_the_latest_version_as_of_the_day_with_its_own_keywords(store):
    store_document(store, "acme", "2026-03-01", "https://a.example/x", ["old topic"], version="v1")
    store_document(store, "acme", "2026-03-03", "https://a.example/x", ["new topic"], version="v2")
    store_document(store, "acme", "2026-03-05", "https://a.example/x", ["future"], version="v3")
    store_document(store, "acme", "2026-03-02", "https://a.example/y", ["other page"])
    store_document(store, "rival", "2026-03-02", "https://r.example/z", ["secret"])

    corpus = load_corpus(store, "acme", "2026-03-04")
    by_url = {d.url: d for d in corpus.documents}
    assert set(by_url) == {"https://a.example/x", "https://a.example/y"}
    x = by_url["https://a.example/x"]
    assert [k.text for k in x.keywords] == ["new topic"]
    assert str(x.first_seen) == "2026-03-01" and str(x.last_seen) == "2026-03-03"
    assert x.text is None  # texts only on request
    assert load_corpus(store, "acme", "2026-03-04", with_text=True).documents[0].text
    assert [
        d.url for d in load_corpus(store, "acme", "2026-03-04", since="2026-03-03").documents
    ] == ["https://a.example/x"]
    assert load_corpus(store, "acme", "2026-02-01").documents == []


def test_a_short_pages_folded_keywords_are_no_topics_of_the_corpus(store):
    """A title-only page lists the pieces of its phrases to fill its list; the reports'
    corpus (topics, gaps, cannibalization) reads only its distinct phrases."""
    store_document(
        store, "acme", "2026-03-01", "https://a.example/lsi", ["latent semantic indexing"],
        folded=["semantic indexing", "indexing"],
    )  # fmt: skip
    store_document(store, "acme", "2026-03-01", "https://a.example/ir", ["semantic indexing"])
    corpus = load_corpus(store, "acme", "2026-03-01")
    by_url = {d.url: [k.text for k in d.keywords] for d in corpus.documents}
    assert by_url == {
        "https://a.example/lsi": ["latent semantic indexing"],
        "https://a.example/ir": ["semantic indexing"],
    }


def test_roles_come_from_the_sources_and_unknown_sources_are_own(store):
    store_document(store, "acme", "2026-03-01", "https://a.example/1", ["a"], source_id="s-own")
    store_document(store, "acme", "2026-03-01", "https://b.example/1", ["b"], source_id="s-rival")
    store_document(store, "acme", "2026-03-01", "https://a.example/pushed", ["c"], source_id="api")
    corpus = load_corpus(
        store, "acme", "2026-03-01", roles={"s-own": "own", "s-rival": "competitor"}
    )
    assert [d.url for d in corpus.competitor] == ["https://b.example/1"]
    assert {d.url for d in corpus.own} == {"https://a.example/1", "https://a.example/pushed"}


def test_keyword_key_folds_case_and_inflection_but_not_meaning():
    assert keyword_key("Raised beds", "en") == keyword_key("raised bed", "en")
    assert keyword_key("Hochbeete", "de") == keyword_key("hochbeet", "de")
    assert keyword_key("raised bed", "en") != keyword_key("raised garden", "en")


def test_publish_writes_table_files_index_and_inline_charts(store, tmp_path):
    png = b"\x89PNG\r\n\x1a\nfake"
    report = Report(
        "keyword_trends",
        rows=[{"keyword": "compost", "key": "compost", "status": "new", "current_documents": 2}],
        summary={"keywords": 1},
        markdown="# T\n\n{chart:lines}\n",
        charts=[Chart("lines", "Lines", png)],
    )
    out = publish(store, tmp_path / "reports", "acme", "2026-03-04", report)
    assert out.markdown_path.read_text() == "# T\n\n![Lines](keyword_trends-lines.png)\n"
    assert "data:image/png;base64," in out.ui_markdown
    assert out.chart_paths[0].read_bytes() == png
    assert json.loads(out.json_path.read_text())["rows"][0]["keyword"] == "compost"
    assert store.read("report_keyword_trends", "acme", "2026-03-04").num_rows == 1
    index = store.read("report_index", "acme", "2026-03-04").to_pylist()
    assert [(r["kind"], r["rows"], json.loads(r["summary"])) for r in index] == [
        ("keyword_trends", 1, {"keywords": 1})
    ]
    # Publishing the day again replaces the rows and the index entry.
    publish(store, tmp_path / "reports", "acme", "2026-03-04", Report("keyword_trends", [], {}, ""))
    assert store.read("report_keyword_trends", "acme", "2026-03-04").num_rows == 0
    assert store.read("report_index", "acme", "2026-03-04").num_rows == 1
    with pytest.raises(KeyError):
        publish(store, tmp_path / "reports", "acme", "2026-03-04", Report("no_such", [], {}, ""))


def _trend_corpus(store):
    # Previous period (7 days to 2026-03-07): compost twice, mulch three times.
    for i, day in enumerate(["2026-03-02", "2026-03-03", "2026-03-05"]):
        words = ["mulch", "compost"] if i < 2 else ["mulch"]
        store_document(store, "acme", day, f"https://a.example/p{i}", words)
    # Current period (to 2026-03-14): compost four times (inflected too), mulch once,
    # and a keyword never seen before, twice, once on a competitor's page.
    for i, day in enumerate(["2026-03-08", "2026-03-09", "2026-03-12", "2026-03-14"]):
        words = ["Composts" if i % 2 else "compost"]
        if i == 0:
            words.append("mulch")
        if i >= 2:
            words.append("drip irrigation")
        source = "s-rival" if i == 3 else "s-own"
        store_document(store, "acme", day, f"https://a.example/c{i}", words, source_id=source)
    # Long before: seen once, then gone; it is not "new" in the current period.
    store_document(store, "acme", "2026-01-10", "https://a.example/old", ["seed trays"])
    store_document(store, "acme", "2026-03-10", "https://a.example/back", ["seed trays"])
    return load_corpus(store, "acme", "2026-03-14", roles={"s-rival": "competitor"})


def test_trends_tell_new_rising_falling_and_steady(store):
    report = build_trends(_trend_corpus(store), period_days=7)
    rows = {r["key"]: r for r in report.rows}
    compost, mulch = rows[keyword_key("compost", "en")], rows["mulch"]
    drip, seeds = rows[keyword_key("drip irrigation", "en")], rows[keyword_key("seed trays", "en")]
    assert (compost["status"], compost["current_documents"], compost["previous_documents"]) == (
        "rising",
        4,
        2,
    )
    assert compost["keyword"] == "compost"  # the form written most often
    assert (mulch["status"], mulch["change"]) == ("falling", -2)
    assert (drip["status"], drip["own_documents"], drip["competitor_documents"]) == ("new", 1, 1)
    assert seeds["status"] == "steady"  # back after a gap on one page: not new, no trend yet
    assert json.loads(compost["daily_documents"]) == [0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1]
    assert report.summary["documents_current"] == 5
    assert report.summary["documents_previous"] == 3
    assert (report.summary["new"], report.summary["rising"], report.summary["falling"]) == (1, 1, 1)
    assert [r["status"] for r in report.rows] == sorted(
        (r["status"] for r in report.rows), key=["new", "rising", "falling", "steady"].index
    )
    assert all(c.png.startswith(b"\x89PNG") for c in report.charts)
    assert "{chart:lines}" in report.markdown and "drip irrigation" in report.markdown


def test_trends_asset_materializes_for_a_partition(siex_home):
    make_tenant(siex_home, "acme")
    store = Warehouse(siex_home.warehouse_dir)
    _trend_corpus(store)
    from dagster import DagsterInstance

    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(tenant_partitions.name, ["acme"])
        result = materialize(
            [keywords.to_source_asset(), keyword_trends],
            partition_key=tenant_day_key("acme", "2026-03-14"),
            resources=build_resources(siex_home),
            instance=instance,
            selection=[keyword_trends],
        )
    assert result.success
    meta = result.asset_materializations_for_node("keyword_trends")[0].metadata
    assert meta["new"].value == 1 and meta["rows"].value == 4
    assert "data:image/png;base64," in meta["report"].value
    folder = siex_home.reports_dir / "acme" / "2026-03-14"
    assert (folder / "keyword_trends.md").is_file()
    assert (folder / "keyword_trends-lines.png").read_bytes().startswith(b"\x89PNG")
    table = pq.read_table(next((store.root / "report_keyword_trends").rglob("*.parquet")))
    assert table.num_rows == 4


def test_document_vectors_are_computed_once_per_version(store):
    from siex.intelligence.embeddings import Embedder
    from siex.intelligence.vectors import document_vectors

    store_document(store, "acme", "2026-03-01", "https://a.example/soil", ["soil"],
                   text="Loam soil holds water and nutrients for vegetables.")  # fmt: skip
    store_document(store, "acme", "2026-03-01", "https://a.example/moon", ["moon"],
                   text="The lunar module landed on the moon in 1969.")  # fmt: skip
    store_document(store, "acme", "2026-03-01", "https://a.example/de", ["boden"], lang="de",
                   text="Lehmboden speichert Wasser.")  # fmt: skip
    embedder = Embedder()
    corpus = load_corpus(store, "acme", "2026-03-01", with_text=True)
    vectors = document_vectors(store, embedder, "acme", "2026-03-01", corpus.documents)
    by_url = {d.url: d.doc_id for d in corpus.documents}
    assert set(vectors) == {by_url["https://a.example/soil"], by_url["https://a.example/moon"]}
    soil = vectors[by_url["https://a.example/soil"]]
    assert abs(float(soil @ soil) - 1.0) < 1e-3
    assert store.read("document_embeddings", "acme", "2026-03-01").num_rows == 2

    # The next day: one page changed. Only its new version goes through the model.
    store_document(store, "acme", "2026-03-02", "https://a.example/moon", ["moon"], version="v2",
                   text="Compost feeds the soil life of a vegetable garden.")  # fmt: skip
    later = load_corpus(store, "acme", "2026-03-02", with_text=True)
    again = document_vectors(store, embedder, "acme", "2026-03-02", later.documents)
    assert store.read("document_embeddings", "acme", "2026-03-02").num_rows == 1
    assert (again[by_url["https://a.example/soil"]] == soil).all()  # read back, not recomputed
    moon_now = again[by_url["https://a.example/moon"]]
    assert float(moon_now @ soil) > float(vectors[by_url["https://a.example/moon"]] @ soil)


def test_pages_found_gone_leave_the_corpus_from_that_day(store):
    from datetime import UTC, datetime

    kept = store_document(store, "acme", "2026-03-01", "https://a.example/kept", ["kept"])
    gone = store_document(store, "acme", "2026-03-01", "https://a.example/gone", ["gone"])

    def history(day: str, doc_id: str, url: str, change: str) -> None:
        store.write("page_history", "acme", day, [{
            "url": url, "doc_id": doc_id, "source_id": "own-src", "change": change,
            "fetched_at": datetime.fromisoformat(f"{day}T12:00:00+00:00").astimezone(UTC),
            "http_status": 404 if change == "gone" else 200,
        }], part=f"h-{doc_id}")  # fmt: skip

    history("2026-03-01", kept, "https://a.example/kept", "new")
    history("2026-03-01", gone, "https://a.example/gone", "new")
    history("2026-03-03", gone, "https://a.example/gone", "gone")
    assert {d.url for d in load_corpus(store, "acme", "2026-03-02").documents} == {
        "https://a.example/kept", "https://a.example/gone",
    }  # fmt: skip
    assert [d.url for d in load_corpus(store, "acme", "2026-03-03").documents] == [
        "https://a.example/kept"
    ]
    # Back again later (a new version is fetched): it returns.
    store_document(store, "acme", "2026-03-05", "https://a.example/gone", ["gone"], version="v2")
    history("2026-03-05", gone, "https://a.example/gone", "changed")
    assert len(load_corpus(store, "acme", "2026-03-05").documents) == 2


def test_the_trends_sql_of_docs_reports_md_runs_and_finds_the_competitor_keyword(tmp_path):
    import re
    from pathlib import Path

    store = Warehouse(tmp_path / "warehouse")
    _trend_corpus(store)
    for i in range(2):  # only the competitor writes about hydroponics, twice this week
        store_document(store, "acme", "2026-03-13", f"https://r.example/h{i}", ["hydroponics"],
                       source_id="s-rival")  # fmt: skip
    corpus = load_corpus(store, "acme", "2026-03-14", roles={"s-rival": "competitor"})
    publish(store, tmp_path / "reports", "demo", corpus.day, build_trends(corpus))
    text = (Path(__file__).parent.parent / "docs" / "reports.md").read_text()
    [query] = [
        q for q in re.findall(r"```sql\n(.*?)```", text, re.S) if "report_keyword_trends" in q
    ]
    con = store.connect("demo")
    try:
        rows = con.execute(query).fetchall()
    finally:
        con.close()
    # drip irrigation is new too, but the own site wrote about it as well: not listed.
    assert rows == [("hydroponics", 2, 2, "https://r.example/h0")]


def test_a_count_in_a_report_agrees_with_its_noun():
    from siex.intelligence.publish import counted

    assert counted(1, "conflict") == "**1** conflict"
    assert counted(0, "conflict") == "**0** conflicts"
    assert counted(2, "indexable page", bold=False) == "2 indexable pages"
