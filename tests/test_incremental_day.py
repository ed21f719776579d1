"""A run costs what it changed, not what the day already holds.

The documents, keywords and keyword-table steps merge one run's pages into the day
column by column (Arrow), leave the day's files alone when the run changed nothing,
and bill the day's document versions in batches. These tests hold the column-wise
code to the row-wise definitions it replaces (same rows, same order, same counts),
and hold the assets to not rewriting an unchanged day.
"""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dagster import instance_for_test
from sqlalchemy import func, select

from siex import ingest
from siex.engine import KeywordExtractor
from siex.platform import quotas
from siex.platform.db import session_scope
from siex.platform.models import UsageEvent
from siex.warehouse import SCHEMAS, Warehouse
from siex_assets.partitions import today_utc
from tests.conftest import Route, article_html
from tests.helpers import make_tenant, run_ingest
from tests.test_pipeline import PARAGRAPH


@pytest.fixture
def instance():
    with instance_for_test() as inst:
        yield inst


@pytest.fixture(scope="module")
def extractor() -> KeywordExtractor:
    return KeywordExtractor(mode="statistical")


def document(tenant: str, url: str, text: str, title: str = "") -> dict:
    return {
        "doc_id": ingest.doc_id(tenant, url), "url": url, "source_id": "s", "title": title,
        "description": "", "lang": "en", "published_at": None, "fetched_at": None,
        "content_hash": ingest.content_hash(text), "word_count": len(text.split()), "text": text,
    }  # fmt: skip


TEXTS = {
    "a": "Drip irrigation saves water in raised beds. Drip irrigation kits need a filter.",
    "b": "Sourdough starters need flour and water. A sourdough levain ferments overnight.",
    "b2": "Espresso grind size controls extraction. A finer espresso grind slows the shot.",
    "c": "Compost heaps turn kitchen scraps into humus. Turn the compost heap every week.",
    "d": "the and of to a in is it that",  # stop words only: no keywords, a failure row
    "e": "Heat pumps move heat from outside air. Air source heat pumps suit insulated homes.",
}


def docs_table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SCHEMAS["documents"])


def as_stored(rows: list[dict]) -> list[dict]:
    """Rows as the keywords table gives them back (scores in float32)."""
    return pa.Table.from_pylist(rows, schema=SCHEMAS["keywords"]).to_pylist()


def without_time(failures: list[dict]) -> list[tuple]:
    return [(f["url"], f["stage"], f["reason"]) for f in failures]


def test_update_keywords_gives_the_rows_of_extract_keywords(extractor):
    doc = {k: document("t", f"https://s.test/{k}", text) for k, text in TEXTS.items()}
    day_one = [doc["a"], doc["b"], doc["c"], doc["d"]]
    first, _ = ingest.extract_keywords(day_one, extractor, top_k=5)
    stored = pa.Table.from_pylist(first.rows, schema=SCHEMAS["keywords"])

    # Nothing changed: the stored table comes back as it is, only the doc without
    # keywords is tried again (as before), and nothing needs writing.
    same = ingest.update_keywords(docs_table(day_one), stored, extractor, top_k=5)
    assert same.table.to_pylist() == stored.to_pylist()
    assert (same.extracted, same.changed) == (1, False)
    assert without_time(same.failures) == [("https://s.test/d", "keywords", "no_keywords")]

    # b changed, d is gone, e is new, the order moved: rows and order as the row-wise step.
    changed_b = dict(doc["b2"], url=doc["b"]["url"], doc_id=doc["b"]["doc_id"])
    day_two = [doc["c"], doc["a"], changed_b, doc["e"]]
    expected, expected_n = ingest.extract_keywords(day_two, extractor, first.rows, top_k=5)
    update = ingest.update_keywords(docs_table(day_two), stored, extractor, top_k=5)
    assert update.table.to_pylist() == as_stored(expected.rows)
    assert (update.extracted, update.changed) == (expected_n, True) == (2, True)
    assert update.failures == expected.failures == []

    # Without the text column, the texts of the documents to extract are asked for.
    asked = []

    def texts(ids):
        asked.append(ids)
        return {d["doc_id"]: d["text"] for d in day_two}

    lean = docs_table(day_two).drop_columns(["text"])
    by_lookup = ingest.update_keywords(lean, stored, extractor, top_k=5, texts=texts)
    assert by_lookup.table.to_pylist() == update.table.to_pylist()
    assert asked == [[changed_b["doc_id"], doc["e"]["doc_id"]]]

    # Reused rows that are all still valid but stored in another order are rewritten.
    reordered = ingest.update_keywords(docs_table(day_one[::-1]), stored, extractor, top_k=5)
    assert reordered.changed and reordered.extracted == 1
    expected_order, _ = ingest.extract_keywords(day_one[::-1], extractor, first.rows, top_k=5)
    assert reordered.table.to_pylist() == as_stored(expected_order.rows)
    assert reordered.table["url"][0].as_py() == "https://s.test/c"

    # Another engine version: nothing is reused.
    old = stored.set_column(
        stored.schema.get_field_index("engine"), "engine", pa.array(["old"] * len(stored))
    )
    fresh = ingest.update_keywords(docs_table(day_one), old, extractor, top_k=5)
    assert fresh.extracted == 4 and fresh.changed
    assert fresh.table.to_pylist() == stored.to_pylist()

    # An empty day, and a day whose stored keywords are all gone.
    empty = ingest.update_keywords(docs_table([]), stored, extractor)
    assert (empty.table.num_rows, empty.extracted, empty.changed) == (0, 0, True)
    nothing = ingest.update_keywords(docs_table([]), SCHEMAS["keywords"].empty_table(), extractor)
    assert (nothing.table.num_rows, nothing.changed) == (0, False)


def test_a_short_pages_filler_keywords_are_flagged_and_not_counted(extractor):
    """A title-only page's list is filled with the pieces of its phrases; its rows say so,
    the day's keyword table does not count them, and rows stored before the flag existed
    are extracted again rather than reused without it."""
    title = document("t", "https://s.test/lsi", "Latent semantic indexing of large sparse matrices")
    result, _ = ingest.extract_keywords([title], extractor, top_k=10)
    flags = [(r["keyword"].lower(), r["folded"]) for r in result.rows]
    assert flags[:2] == [("latent semantic indexing", False), ("sparse matrices", False)]
    assert len(flags) > 2 and all(folded for _, folded in flags[2:]), flags
    assert "indexing" in {keyword for keyword, _ in flags}
    for rows in (result.rows, pa.Table.from_pylist(result.rows, schema=SCHEMAS["keywords"])):
        counted = {s["keyword"] for s in ingest.keyword_stats(rows)}
        assert counted == {"latent semantic indexing", "sparse matrices"}

    unflagged = pa.Table.from_pylist(
        [dict(r, folded=None) for r in result.rows], schema=SCHEMAS["keywords"]
    )
    again = ingest.update_keywords(docs_table([title]), unflagged, extractor, top_k=10)
    assert (again.extracted, again.changed) == (1, True)
    assert again.table.to_pylist() == as_stored(result.rows)
    assert ingest.extract_keywords([title], extractor, unflagged.to_pylist(), 10)[1] == 1


def test_keyword_stats_of_the_table_equal_those_of_its_rows():
    rng = random.Random(7)
    words = ["Drip", "drip", "Compost", "compost heap", "Heat Pump", "heat pump", "ÉTÉ", "été"]
    rows = [
        {"doc_id": f"d{rng.randrange(40)}", "url": f"https://s.test/{rng.randrange(40)}",
         "content_hash": "h", "rank": rng.randint(1, 10), "keyword": rng.choice(words),
         "score": rng.random(), "lang": "en", "engine": "e"}
        for _ in range(2_000)
    ]  # fmt: skip
    table = pa.Table.from_pylist(rows, schema=SCHEMAS["keywords"])
    assert ingest.keyword_stats(table) == ingest.keyword_stats(table.to_pylist())
    assert ingest.keyword_stats(SCHEMAS["keywords"].empty_table()) == []


def test_warehouse_merge_by_url_equals_merge_by_url_a_batch_at_a_time(tmp_path):
    """The streamed merge writes the rows of the row-wise merge, in order, across batches
    and parts, and reads files written before a column existed."""
    schema = SCHEMAS["documents"]
    warehouse = Warehouse(tmp_path / "warehouse")
    stored = [document("t", f"https://s.test/{i}", f"text {i}") for i in range(7)]
    fresh = [document("t", f"https://s.test/{i}", f"new text {i}") for i in (4, 1, 9)]
    replaced = {"https://s.test/1", "https://s.test/4", "https://s.test/9", "https://s.test/2"}
    # An older file without the description column, and the rest in a second part.
    old = pa.Table.from_pylist(stored[:4], schema=schema).drop_columns(["description"])
    folder = warehouse.partition_dir("documents", "t", "2026-11-01")
    folder.mkdir(parents=True)
    pq.write_table(old, folder / "data.parquet")
    warehouse.write("documents", "t", "2026-11-01", stored[4:], part="later")

    warehouse.merge_by_url("documents", "t", "2026-11-01", fresh, replaced, batch_rows=2)
    merged = pq.read_table(folder / "data.parquet", schema=schema).to_pylist()
    # The stored rows of URLs not replaced, in order, then the fresh rows.
    kept = [dict(r, description=None) if i < 4 else r for i, r in enumerate(stored)]
    expected = [r for r in kept if r["url"] not in replaced] + fresh
    assert merged == pa.Table.from_pylist(expected, schema=schema).to_pylist()
    # The merged second part is gone: its rows are in data.parquet, read once.
    assert not (folder / "later.parquet").exists()
    assert warehouse.read("documents", "t", "2026-11-01").num_rows == len(merged)
    assert [r["url"][-1] for r in merged] == ["0", "3", "5", "6", "4", "1", "9"]
    # Streamed reads give the partition's rows in read()'s order.
    batches = list(warehouse.iter_batches("documents", "t", "2026-11-01", ["url"], batch_rows=3))
    assert len(batches) > 2 and all(0 < len(b) <= 3 for b in batches)
    assert [u for b in batches for u in b["url"].to_pylist()] == (
        warehouse.read("documents", "t", "2026-11-01", columns=["url"])["url"].to_pylist()
    )
    # An empty merge into a day without a file writes an empty file.
    warehouse.merge_by_url("documents", "t", "2026-11-02", [], set())
    assert warehouse.exists("documents", "t", "2026-11-02")
    assert warehouse.read("documents", "t", "2026-11-02").num_rows == 0


def test_empty_texts_are_those_python_strips_to_nothing():
    texts = ["words here", "", None, " \t\n", "\u2028\u3000\x1c\x85", "\u200b", "é"]
    rows = [{"url": f"u{i}", "text": t} for i, t in enumerate(texts)]
    table = pa.Table.from_pylist(
        rows, schema=pa.schema([("url", pa.string()), ("text", pa.large_string())])
    )
    assert ingest.empty_texts(table) == [r["url"] for r in rows if not (r["text"] or "").strip()]
    assert ingest.empty_texts(table) == ["u1", "u2", "u3", "u4"]


def _usage_many_counts_like_record_usage(url: str) -> None:
    with session_scope(url) as session:
        assert quotas.record_usage(session, "usage", "documents", "documents:k3")
    keys = [f"documents:k{i}" for i in range(1_203)] + ["documents:k7"]  # one key twice
    with session_scope(url) as session:
        recorded = quotas.record_usage_many(session, "usage", "documents", keys)
    assert recorded == 1_202  # k3 was there before, k7 counts once
    with session_scope(url) as session:
        assert quotas.record_usage_many(session, "usage", "documents", keys) == 0
        assert quotas.record_usage_many(session, "usage", "documents", []) == 0
        stored = session.execute(
            select(func.count(), func.sum(UsageEvent.quantity)).where(
                UsageEvent.tenant_id == "usage", UsageEvent.resource == "documents"
            )
        ).one()
    assert tuple(stored) == (1_203, 1_203)


def test_record_usage_many_counts_like_record_usage(siex_home):
    make_tenant(siex_home, "usage")
    _usage_many_counts_like_record_usage(siex_home.platform_db_url)


@pytest.mark.postgres
def test_record_usage_many_counts_like_record_usage_on_postgres(
    siex_home, pg_database, monkeypatch
):
    from siex.config import get_settings

    monkeypatch.setenv("SIEX_DATABASE_URL", pg_database)
    settings = get_settings()
    make_tenant(settings, "usage")
    _usage_many_counts_like_record_usage(settings.platform_db_url)


def test_a_run_that_changes_nothing_leaves_the_days_files_alone(siex_home, instance, server):
    """Documents, on-page rows and keywords are written by the runs that change them; an
    unchanged run reads the day's counts and rewrites none of its files."""
    for i in range(3):
        server.routes[f"/p{i}.html"] = Route(
            body=article_html(
                f"Compost {i}", [PARAGRAPH.replace("Compost", f"Compost {i}")]
            ).encode()
        )
    config = {"ops": {"pages": {"config": {"urls": [{"url": server.url(f"/p{i}.html")} for i in range(3)]}}}}  # fmt: skip
    make_tenant(siex_home, "acme")
    day = today_utc()
    warehouse = Warehouse(siex_home.warehouse_dir)
    assert run_ingest(siex_home, instance, "acme", day, config).success
    files = {t: warehouse.partition_dir(t, "acme", day) / "data.parquet"
             for t in ("documents", "onpage", "keywords")}  # fmt: skip
    before = {t: (f.stat().st_mtime_ns, f.read_bytes()) for t, f in files.items()}

    again = run_ingest(siex_home, instance, "acme", day, config)
    assert again.success
    assert {t: (f.stat().st_mtime_ns, f.read_bytes()) for t, f in files.items()} == before
    meta = {
        node: {
            k: v.value for k, v in again.asset_materializations_for_node(node)[0].metadata.items()
        }
        for node in ("pages", "documents", "keywords")
    }
    assert (meta["pages"]["unchanged"], meta["pages"]["fetched"]) == (3, 0)
    assert (meta["documents"]["documents"], meta["documents"]["extracted_pages"]) == (3, 0)
    assert meta["keywords"]["documents"] == 3 and meta["keywords"]["reused"] == 3
    assert meta["keywords"]["keyword_rows"] == warehouse.read("keywords", "acme", day).num_rows
    assert meta["keywords"]["billed_documents"] == 0
    checks = {c.check_name: c.passed for c in again.get_asset_check_evaluations()}
    assert checks["every_document_has_text"] and checks["every_document_has_keywords_or_reason"]

    # One page changes: only the day's files that hold it are rewritten, with it merged in.
    server.routes["/p1.html"] = Route(
        body=article_html("Mulch", [PARAGRAPH.replace("Compost", "Mulch")]).encode()
    )
    third = run_ingest(siex_home, instance, "acme", day, config)
    assert third.success
    docs = warehouse.read("documents", "acme", day).to_pylist()
    assert [d["url"] for d in docs] == [server.url(p) for p in ("/p0.html", "/p2.html", "/p1.html")]
    assert docs[-1]["title"] == "Mulch"
    keywords = warehouse.read("keywords", "acme", day)
    assert set(keywords["url"].to_pylist()) == {d["url"] for d in docs}
    assert (
        third.asset_materializations_for_node("keywords")[0].metadata["billed_documents"].value == 1
    )
