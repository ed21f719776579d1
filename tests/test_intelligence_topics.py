"""Topic clusters, content gap and cannibalization: the library on a realistic gardening
tenant (tests/topics_data.py, real MiniLM vectors in a real warehouse), bad and edge
input, the Dagster assets on a real SIEX_HOME, and the API serving the reports."""

from __future__ import annotations

import io
import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from dagster import AssetKey, DagsterInstance, materialize
from fastapi.testclient import TestClient

from resources import build_resources
from siex.intelligence.cannibalization import build_cannibalization
from siex.intelligence.clusters import build_topic_clusters
from siex.intelligence.content_gap import build_content_gap
from siex.intelligence.corpus import keyword_key, load_corpus
from siex.intelligence.embeddings import Embedder
from siex.intelligence.publish import publish
from siex.intelligence.topics import (
    EXACT_LIMIT,
    PhraseCache,
    agglomerate,
    corpus_vectors,
    load_topics,
)
from siex.platform.db import session_scope
from siex.platform.service import add_source
from siex.warehouse import Warehouse
from siex_api.main import create_app
from siex_assets.intelligence.topics import cannibalization, content_gap, topic_clusters
from siex_assets.keywords.assets import keywords
from siex_assets.partitions import tenant_day_key, tenant_partitions
from tests.corpus_data import store_document
from tests.helpers import make_tenant
from tests.topics_data import DAY, GROW, OWN, PAGES, ROLES, URBAN, G, U, W, store_topic_corpus

TENANT = "greenleaf"


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="module")
def built(tmp_path_factory, embedder):
    """The gardening tenant in a real warehouse, its vectors, and the three reports."""
    store = Warehouse(tmp_path_factory.mktemp("topics") / "warehouse")
    store_topic_corpus(store, TENANT)
    corpus = load_corpus(store, TENANT, DAY, roles=ROLES)
    vectors = corpus_vectors(store, embedder, TENANT, DAY, corpus.documents)
    clusters = build_topic_clusters(corpus, vectors, embedder)
    return {
        "store": store,
        "corpus": corpus,
        "vectors": vectors,
        "clusters": clusters,
        "gap": build_content_gap(corpus, vectors, clusters.topics, embedder),
        "cannibalization": build_cannibalization(corpus, vectors, clusters.topics),
    }


def _topic_of(clusters, url: str) -> dict:
    assignment = next(r for r in clusters.assignments.rows if r["url"] == url)
    return next(r for r in clusters.report.rows if r["cluster_id"] == assignment["cluster_id"])


# -- topic clusters ----------------------------------------------------------------


def test_clusters_group_pages_by_meaning_and_name_them_by_their_central_keyphrase(built):
    clusters, corpus = built["clusters"], built["corpus"]
    rows, assignments = clusters.report.rows, clusters.assignments.rows
    # Every page has exactly one topic: none dropped, none twice.
    assert sorted(r["url"] for r in assignments) == sorted(d.url for d in corpus.documents)
    assert all(r["cluster_id"] is not None for r in assignments)

    raised = _topic_of(clusters, f"{G}/raised-bed-soil-mix")
    assert raised["name"] == "raised bed soil" and raised["key"] == keyword_key(
        "raised bed soil", "en"
    )
    assert (raised["own_documents"], raised["competitor_documents"]) == (3, 1)
    for url in (
        f"{G}/filling-raised-beds",
        f"{G}/print/raised-bed-soil-mix",
        f"{U}/raised-bed-soil-guide",
    ):
        assert _topic_of(clusters, url) == raised
    assert json.loads(raised["keywords"])[0] == {
        "keyword": "raised bed soil", "documents": 4, "own": 3, "competitor": 1,
    }  # fmt: skip

    hydro = _topic_of(clusters, f"{U}/hydroponics-at-home")
    assert hydro == _topic_of(clusters, f"{W}/hydroponic-lettuce")
    assert (hydro["name"], hydro["own_documents"], hydro["competitor_domains"]) == (
        "hydroponics",
        0,
        2,
    )
    assert set(json.loads(hydro["competitor_urls"])) == {
        f"{U}/hydroponics-at-home",
        f"{W}/hydroponic-lettuce",
    }

    drip = _topic_of(clusters, f"{G}/drip-irrigation-systems")
    assert drip == _topic_of(clusters, f"{W}/drip-irrigation-kit")
    # Rainwater harvesting is near watering, but not a drip irrigation page: its own topic.
    rain = _topic_of(clusters, f"{U}/rainwater-harvesting")
    assert rain != drip and rain["documents"] == 1 and rain["cohesion"] is None

    # German pages (the model reads English only) are grouped by their keywords.
    hochbeet = _topic_of(clusters, f"{G}/de/hochbeet-erde")
    assert hochbeet == _topic_of(clusters, f"{G}/de/hochbeet-bauen")
    assert (hochbeet["method"], hochbeet["name"]) == ("keywords", "hochbeet")
    assert _topic_of(clusters, f"{G}/de/tomaten-pflanzen") != hochbeet
    # A page without keywords is placed by its text and named by its title.
    about = _topic_of(clusters, f"{G}/about")
    assert about["method"] == "embedding" and about["name"] == "About GreenLeaf Gardens"

    # Average linkage: the pages of a topic are on average at least 0.55 similar.
    assert all(
        r["cohesion"] >= 0.55 for r in rows if r["method"] == "embedding" and r["documents"] > 1
    )
    assert [r["cluster_id"] for r in rows] == list(range(1, len(rows) + 1))
    assert [r["documents"] for r in rows] == sorted((r["documents"] for r in rows), reverse=True)
    assert len({r["name"] for r in rows}) == len(rows)
    summary = clusters.report.summary
    assert summary["competitor_only_topics"] == 2 and summary["unclustered"] == 0
    assert summary["keyword_placed_documents"] == 3
    assert clusters.topics.of(built["corpus"].documents[0].doc_id) is not None


def test_clusters_markdown_and_charts_read_like_a_report(built):
    report = built["clusters"].report
    assert [c.name for c in report.charts] == ["map", "sizes"]
    assert all(c.png.startswith(b"\x89PNG") for c in report.charts)
    markdown = report.markdown
    assert "{chart:map}" in markdown and "{chart:sizes}" in markdown
    assert "| raised bed soil | 4 | 3 | 1 |" in markdown
    only_rivals = markdown.split("## Topics only competitors cover")[1].split("##")[0]
    assert "hydroponics" in only_rivals and "rainwater harvesting" in only_rivals
    assert "raised bed soil" not in only_rivals
    assert "grouped by their keywords" in markdown  # the German pages are explained
    pages = built["clusters"].assignments.markdown
    assert f"({G}/raised-bed-soil-mix)" in pages


def test_large_corpora_are_grouped_in_rounds_by_the_same_criterion():
    # 40 topics of 80 pages each: more than EXACT_LIMIT, so a sample is grouped exactly
    # and the rest joins the groups it is on average similar enough to.
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(40, 384))
    topic = np.repeat(np.arange(40), 80)
    points = centres[topic] + rng.normal(size=(len(topic), 384)) * 0.05
    points = (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)
    assert len(points) > EXACT_LIMIT
    labels = agglomerate(points, 0.55)
    assert (labels >= 0).all()
    # The same partition as the topics: one label per topic, one topic per label.
    pairs = set(zip(topic.tolist(), labels.tolist(), strict=True))
    assert (
        len(pairs) == 40
        and len({t for t, _ in pairs}) == 40
        and len({lab for _, lab in pairs}) == 40
    )
    outlier = np.vstack([points, -points[:1]])  # the opposite of a page joins no topic
    assert agglomerate(outlier, 0.55)[-1] not in set(labels.tolist())
    assert (agglomerate(points, 0.55) == labels).all()  # deterministic


def test_page_vectors_of_a_corpus_loaded_without_text_are_of_title_and_text(tmp_path, embedder):
    from siex.intelligence.vectors import document_vectors

    with_text, without = Warehouse(tmp_path / "a"), Warehouse(tmp_path / "b")
    for store in (with_text, without):
        store_topic_corpus(store, TENANT, pages=PAGES[:4])
    full = load_corpus(with_text, TENANT, DAY, with_text=True)
    reference = document_vectors(with_text, embedder, TENANT, DAY, full.documents)
    lean = load_corpus(without, TENANT, DAY)  # what the assets load: no texts
    assert all(d.text is None for d in lean.documents)
    vectors = corpus_vectors(without, embedder, TENANT, DAY, lean.documents)
    assert set(vectors) == set(reference)
    assert all(float(vectors[k] @ reference[k]) > 0.97 for k in vectors)
    # A title alone would be another vector: the text was read for the new versions.
    titles = embedder.documents([f"{d.title}.\n" for d in lean.documents])
    assert any(
        float(t @ vectors[d.doc_id]) < 0.9 for t, d in zip(titles, lean.documents, strict=True)
    )


def test_a_pages_vector_is_the_same_whatever_it_was_embedded_beside(embedder):
    """Stored page vectors are compared across runs: a text's vector is the same bit for
    bit alone, among other pages and in another order (dynamic int8 measures its ranges
    on each model call, so pages are embedded one per call)."""
    texts = [f"{title}.\n{text}" for _u, _s, title, _k, text, _l in PAGES[:6]]
    texts += ["compost", "Mulch!"]
    alone = np.stack([embedder.documents([t])[0] for t in texts])
    assert np.array_equal(embedder.documents(texts), alone)
    assert np.array_equal(embedder.documents(texts[::-1])[::-1], alone)


def test_keyphrases_are_embedded_once_per_tenant_and_model(tmp_path, embedder):
    store = Warehouse(tmp_path / "warehouse")
    first = PhraseCache(store, embedder, TENANT, DAY, "topic_clusters")
    vectors = first.phrases(["raised bed soil", "compost", "compost"])
    assert vectors.shape == (3, 384) and first.save() == 2 and first.save() == 0
    # The next day, another report: read back, not embedded.
    later = PhraseCache(store, embedder, TENANT, "2026-05-11", "content_gap")
    again = later.phrases(["compost", "raised bed soil"])
    assert later.reused == 2 and later.save() == 0
    assert np.array_equal(again[0], vectors[1]) and np.array_equal(again[1], vectors[0])
    # A rerun of the first day adds to its part and keeps what it held.
    rerun = PhraseCache(store, embedder, TENANT, DAY, "topic_clusters")
    rerun.phrases(["mulch", "compost"])
    assert rerun.save() == 1 and store.read("phrase_embeddings", TENANT, DAY).num_rows == 3
    other = PhraseCache(store, embedder, "rival", DAY, "topic_clusters")  # tenants never share
    other.phrases(["compost"])
    assert other.reused == 0


# -- content gap -------------------------------------------------------------------


def test_content_gap_ranks_what_competitors_cover_and_the_own_sites_do_not(built):
    report = built["gap"]
    topics = [r for r in report.rows if r["kind"] == "topic"]
    words = {r["gap"]: r for r in report.rows if r["kind"] == "keyword"}
    # Hydroponics: two competitor sites, no own page. Rainwater: one site. Covered
    # topics (raised beds, drip irrigation, composting) are no gaps.
    assert [(r["gap"], r["status"]) for r in topics] == [
        ("hydroponics", "missing"), ("rainwater harvesting", "missing"),
    ]  # fmt: skip
    hydro = topics[0]
    assert (hydro["rank"], hydro["competitor_documents"], hydro["competitor_domains"]) == (1, 2, 2)
    assert hydro["own_documents"] == 0 and hydro["opportunity"] > topics[1]["opportunity"]
    assert set(json.loads(hydro["evidence_urls"])) == {
        f"{U}/hydroponics-at-home",
        f"{W}/hydroponic-lettuce",
    }
    assert hydro["closest_own_url"].startswith(G) and hydro["own_similarity"] < 0.55
    assert "2 competitor pages on 2 sites" in hydro["reason"]

    # Keyword gaps: the hydroponics keywords lead (two sites each), with their evidence.
    assert {"hydroponics", "nutrient solution", "grow lights"} <= {
        r["gap"] for r in report.rows if r["kind"] == "keyword" and r["rank"] <= 3
    }
    assert (
        words["hydroponics"]["status"] == "missing"
        and words["hydroponics"]["topic"] == "hydroponics"
    )
    assert words["hydroponics"]["evidence_urls"] == json.dumps(
        [f"{U}/hydroponics-at-home", f"{W}/hydroponic-lettuce"]
    )
    # Exact own keywords are no gaps, nor near-synonyms: "drip irrigation" (the own site
    # has "drip irrigation systems"), "compost pile" (the own "compost heap").
    for covered in (
        "raised bed soil",
        "composting",
        "emitters",
        "kitchen scraps",
        "drip irrigation",
        "compost pile",
    ):
        assert covered not in words, covered
    # Related but not the same: covered thinly, with the own page that comes close.
    hot = words["hot composting"]
    assert hot["status"] == "thin" and 0.65 <= hot["own_similarity"] < 0.8
    assert hot["closest_own_url"] == f"{G}/composting-at-home"
    assert hot["opportunity"] < words["kratky method"]["opportunity"]  # missing beats thin

    for kind in ("topic", "keyword"):
        chosen = [r for r in report.rows if r["kind"] == kind]
        assert [r["rank"] for r in chosen] == list(range(1, len(chosen) + 1))
        assert [r["opportunity"] for r in chosen] == sorted(
            (r["opportunity"] for r in chosen), reverse=True
        )
    competitors = {url for url, source, *_ in PAGES if source in (URBAN, GROW)}
    assert all(set(json.loads(r["evidence_urls"])) <= competitors for r in report.rows)
    assert all(not r["closest_own_url"] or r["closest_own_url"].startswith(G) for r in report.rows)
    assert report.summary["top_gap"] == "hydroponics" and report.summary["missing_topics"] == 2
    assert "{chart:top}" in report.markdown and report.charts[0].png.startswith(b"\x89PNG")
    assert "The biggest opportunity: **hydroponics**" in report.markdown


def test_without_the_model_content_gap_falls_back_to_stems(built):
    report = build_content_gap(built["corpus"], built["vectors"], built["clusters"].topics, None)
    words = {r["gap"]: r for r in report.rows if r["kind"] == "keyword"}
    assert "drip irrigation" not in words  # "drip irrigation systems" contains its stems
    # The own "compost(ing)" has half their stems: a thin cover. Only the model knows that
    # a pile is the own "compost heap" (with it, "compost pile" is no gap at all).
    assert words["compost pile"]["status"] == words["hot composting"]["status"] == "thin"
    assert words["compost pile"]["closest_own_keyword"] == "compost"
    assert report.summary["checked_by_meaning"] == 0


# -- cannibalization ---------------------------------------------------------------


def test_cannibalization_finds_copies_topics_and_keyword_conflicts_of_own_pages(built):
    report = built["cannibalization"]
    rows = report.rows
    by_kind = {}
    for r in rows:
        by_kind.setdefault(r["kind"], []).append(r)
    # The print version repeats the soil-mix page: canonicalize, keep the clean URL.
    (copy,) = by_kind["duplicate"]
    assert copy["recommendation"] == "canonicalize" and copy["level"] == "high"
    assert json.loads(copy["urls"]) == [
        f"{G}/raised-bed-soil-mix",
        f"{G}/print/raised-bed-soil-mix",
    ]
    assert copy["similarity"] > 0.95
    # Two own pages about raised bed soil, both ranking it first: merge.
    (topic,) = by_kind["topic"]
    assert (topic["keyword"], topic["recommendation"], topic["level"]) == (
        "raised bed soil",
        "merge",
        "high",
    )
    assert json.loads(topic["urls"]) == [f"{G}/raised-bed-soil-mix", f"{G}/filling-raised-beds"]
    assert json.loads(topic["ranks"]) == [1, 1] and "topsoil" in json.loads(
        topic["shared_keywords"]
    )
    assert "301" in topic["action"] and topic["topic"] == "raised bed soil"
    # Two tomato pages rank "tomato plants" #1 and #2 but are about different things.
    tomato = next(r for r in by_kind["keyword"] if r["keyword"] == "tomato plants")
    assert tomato["recommendation"] == "differentiate" and tomato["level"] == "medium"
    assert json.loads(tomato["urls"]) == [f"{G}/pruning-tomatoes", f"{G}/feeding-tomatoes"]
    assert json.loads(tomato["ranks"]) == [1, 2] and tomato["similarity"] < 0.7
    assert "“tomato feed”" in tomato["action"]  # the feeding page's own focus keyword
    # German pages compete too, compared by their keywords.
    hochbeet = next(r for r in rows if r["keyword"] == "hochbeet")
    assert hochbeet["kind"] == "keyword" and hochbeet["similarity"] is not None

    urls = [u for r in rows for u in json.loads(r["urls"])]
    assert all(u.startswith(G) for u in urls)  # the competitor's raised bed soil page: never
    # The copy is reported once, not again in every keyword its twin has.
    assert sum(f"{G}/print/raised-bed-soil-mix" in json.loads(r["urls"]) for r in rows) == 1
    # The same pair competing for several keywords is one row ("hochbeet" and "kompost").
    assert not any(r["keyword"] == "kompost" for r in rows)
    assert [r["severity"] for r in rows] == sorted((r["severity"] for r in rows), reverse=True)
    assert report.summary["worst"] == "raised bed soil" and report.summary["duplicates"] == 1
    assert "{chart:worst}" in report.markdown and "**action**" in report.markdown


def test_pages_with_a_canonical_elsewhere_or_noindex_do_not_compete(tmp_path, embedder):
    store = Warehouse(tmp_path / "warehouse")
    store_topic_corpus(store, TENANT)
    # The print page now points its canonical at the original; filling-raised-beds is noindex.
    for url, onpage in ((f"{G}/print/raised-bed-soil-mix", {"canonical": f"{G}/raised-bed-soil-mix/"}),
                        (f"{G}/filling-raised-beds", {"noindex": True}),
                        (f"{G}/raised-bed-soil-mix", {"canonical": f"{G}/raised-bed-soil-mix"})):  # fmt: skip
        page = next(p for p in PAGES if p[0] == url)
        store_document(store, TENANT, DAY, url, page[3], source_id=OWN, title=page[2], text=page[4],
                       onpage=onpage)  # fmt: skip
    corpus = load_corpus(store, TENANT, DAY, roles=ROLES)
    vectors = corpus_vectors(store, embedder, TENANT, DAY, corpus.documents)
    report = build_cannibalization(corpus, vectors)
    assert report.summary["excluded_canonicalized"] == 1 and report.summary["excluded_noindex"] == 1
    # counts read as English: one conflict, two pages left out
    conflicts = report.summary["conflicts"]
    noun = "conflict" if conflicts == 1 else "conflicts"
    assert f"**{conflicts}** {noun} between your own pages" in report.markdown
    assert "2 pages with noindex or a canonical elsewhere were left out." in report.markdown
    assert not any(r["kind"] in ("duplicate", "topic") for r in report.rows)
    assert not any(f"{G}/filling-raised-beds" in r["urls"] for r in report.rows)


# -- bad and edge input ------------------------------------------------------------

NOT_ENGLISH = [
    (
        f"{U}/de/hochbeet",
        URBAN,
        "Hochbeet kaufen",
        ["hochbeet", "hochbeet kaufen"],
        "Hochbeet.",
        "de",
    ),
    (f"{G}/fi/tyhja", OWN, "", [], "Tyhjä sivu.", "fi"),  # nothing to place it by
]
EDGE_CASES = {
    "empty": [],
    "only_competitors": [p for p in PAGES if p[1] != OWN],
    "one_document": [p for p in PAGES if p[0] == f"{G}/raised-bed-soil-mix"],
    "no_keywords": [(u, s, t, [], x, lang) for u, s, t, _, x, lang in PAGES if lang == "en"],
    "not_english": [p for p in PAGES if p[5] == "de"] + NOT_ENGLISH,
}


@pytest.mark.parametrize("case", sorted(EDGE_CASES))
def test_every_report_is_defined_for_bad_and_edge_input(case, tmp_path, embedder):
    store = Warehouse(tmp_path / "warehouse")
    pages = EDGE_CASES[case]
    store_topic_corpus(store, TENANT, pages=pages)
    corpus = load_corpus(store, TENANT, DAY, roles=ROLES)
    vectors = corpus_vectors(store, embedder, TENANT, DAY, corpus.documents)
    clusters = build_topic_clusters(corpus, vectors, embedder)
    gap = build_content_gap(corpus, vectors, clusters.topics, embedder)
    rivalry = build_cannibalization(corpus, vectors, clusters.topics)
    for report in (clusters.report, clusters.assignments, gap, rivalry):
        assert report.markdown.startswith("# ")
        assert all(c.png.startswith(b"\x89PNG") for c in report.charts)
        for chart in report.charts:  # a chart is attached where the Markdown shows it
            assert f"{{chart:{chart.name}}}" in report.markdown
        publish(store, tmp_path / "reports", TENANT, DAY, report)  # the rows fit the table
    # Nothing is dropped: every page is assigned, placed or not.
    assert len(clusters.assignments.rows) == len(pages)
    own = [p for p in pages if p[1] == OWN]
    rivals = [p for p in pages if p[1] != OWN]

    if case == "empty":
        assert clusters.report.rows == gap.rows == rivalry.rows == []
        assert "nothing to cluster" in clusters.report.markdown
    if not rivals:
        assert gap.rows == [] and "No competitor pages yet" in gap.markdown
    if not own:
        assert rivalry.rows == [] and "No own pages yet" in rivalry.markdown
    if case == "only_competitors":
        assert {r["status"] for r in gap.rows} == {"missing"}
        assert all(r["closest_own_url"] == "" for r in gap.rows)
        assert gap.summary["missing_topics"] == clusters.report.summary["topics"]
    if case == "one_document":
        assert [(r["documents"], r["name"]) for r in clusters.report.rows] == [
            (1, "raised bed soil")
        ]
    if case == "no_keywords":
        assert all(r["method"] == "embedding" for r in clusters.assignments.rows)
        assert all(r["kind"] == "topic" for r in gap.rows) and rivalry.rows == []
        hydro = _topic_of(clusters, f"{U}/hydroponics-at-home")
        assert hydro == _topic_of(clusters, f"{W}/hydroponic-lettuce") and hydro["name"]
    if case == "not_english":
        assert vectors == {}
        methods = {r["url"]: r["method"] for r in clusters.assignments.rows}
        assert methods.pop(f"{G}/fi/tyhja") == "none"  # no title, no keywords: not placed
        assert set(methods.values()) == {"keywords"}
        assert clusters.report.summary["unclustered"] == 1
        assert "could not be placed" in clusters.report.markdown
        assert _topic_of(clusters, f"{U}/de/hochbeet") == _topic_of(
            clusters, f"{G}/de/hochbeet-erde"
        )
        gaps = {r["gap"]: r["status"] for r in gap.rows if r["kind"] == "keyword"}
        assert gaps == {"hochbeet kaufen": "thin"}  # the own "hochbeet" is half of it
        assert [r["keyword"] for r in rivalry.rows] == ["hochbeet"]


def test_the_sql_of_docs_reports_md_runs_on_the_published_tables(tmp_path, embedder):
    import re
    from pathlib import Path

    store = Warehouse(tmp_path / "warehouse")
    store_topic_corpus(store, "demo")
    corpus = load_corpus(store, "demo", DAY, roles=ROLES)
    vectors = corpus_vectors(store, embedder, "demo", DAY, corpus.documents)
    clusters = build_topic_clusters(corpus, vectors, embedder)
    for report in (
        clusters.report,
        clusters.assignments,
        build_content_gap(corpus, vectors, clusters.topics, embedder),
        build_cannibalization(corpus, vectors, clusters.topics),
    ):
        publish(store, tmp_path / "reports", "demo", DAY, report)
    text = (Path(__file__).parent.parent / "docs" / "reports.md").read_text()
    queries = [
        q for q in re.findall(r"```sql\n(.*?)```", text, re.S)
        if re.search(r"report_(topic_|content_gap|cannibalization)", q)
    ]  # fmt: skip
    assert len(queries) == 4
    con = store.connect("demo")
    try:
        for query in queries:
            assert con.execute(query).fetchall(), query
    finally:
        con.close()


# -- Dagster -----------------------------------------------------------------------


def _tenant_with_sources(siex_home) -> dict[str, str]:
    make_tenant(siex_home, TENANT)
    with session_scope(siex_home.platform_db_url) as session:
        ids = {
            OWN: add_source(session, TENANT, "rss", f"{G}/feed.xml").id,
            URBAN: add_source(session, TENANT, "rss", f"{U}/feed", role="competitor").id,
            GROW: add_source(session, TENANT, "sitemap", f"{W}/sitemap.xml", role="competitor").id,
        }
    return ids


def test_topic_assets_materialize_for_a_partition_and_share_the_clusters(siex_home):
    store = Warehouse(siex_home.warehouse_dir)
    store_topic_corpus(store, TENANT, sources=_tenant_with_sources(siex_home))
    assets = [keywords.to_source_asset(), topic_clusters, content_gap, cannibalization]
    partition = tenant_day_key(TENANT, DAY)
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(tenant_partitions.name, [TENANT])
        # The reports over clusters refuse to run before the clusters exist.
        early = materialize([*assets[:2], content_gap], partition_key=partition, instance=instance,
                            resources=build_resources(siex_home), selection=[content_gap],
                            raise_on_error=False)  # fmt: skip
        assert not early.success
        result = materialize(assets, partition_key=partition, instance=instance,
                             resources=build_resources(siex_home), selection=assets[1:])  # fmt: skip
        assert result.success
        embedded = store.read("document_embeddings", TENANT, DAY).num_rows
        phrases = store.read("phrase_embeddings", TENANT, DAY).num_rows
        # Content gap again: it reads the stored clusters, page and phrase vectors back;
        # nothing goes through the model a second time.
        again = materialize(assets, partition_key=partition, instance=instance,
                            resources=build_resources(siex_home), selection=[content_gap])  # fmt: skip
        assert again.success
    assert embedded == 14 and store.read("document_embeddings", TENANT, DAY).num_rows == 14
    assert phrases > 0 and store.read("phrase_embeddings", TENANT, DAY).num_rows == phrases
    rerun = again.asset_materializations_for_node("content_gap")[0].metadata
    assert rerun["phrases_embedded"].value == 0 and rerun["phrases_reused"].value > 0

    meta = {n: result.asset_materializations_for_node(n)[0].metadata for n in
            ("topic_clusters", "content_gap", "cannibalization")}  # fmt: skip
    assert meta["topic_clusters"]["competitor_only_topics"].value == 2
    assert meta["topic_clusters"]["assignments"].value == len(PAGES)
    assert meta["content_gap"]["missing_topics"].value == 2
    assert meta["cannibalization"]["duplicates"].value == 1
    for m in meta.values():
        assert "data:image/png;base64," in m["report"].value
    folder = siex_home.reports_dir / TENANT / DAY
    for name in ("topic_clusters.md", "topic_clusters-map.png", "topic_assignments.json",
                 "content_gap.md", "content_gap-top.png", "cannibalization-worst.png"):  # fmt: skip
        assert (folder / name).is_file(), name
    assert "![Topic map" in (folder / "topic_clusters.md").read_text()
    topics = load_topics(store, TENANT, DAY)
    assert topics is not None and len(topics.assignment) == len(PAGES)
    gap = pq.read_table(next((store.root / "report_content_gap").rglob("*.parquet"))).to_pylist()
    hydro = next(r for r in gap if r["kind"] == "topic")
    assert hydro["gap"] == "hydroponics" and topics.topics[hydro["topic_id"]].name == "hydroponics"


def test_topic_reports_run_in_the_seo_reports_job_after_the_clusters(siex_home):
    from siex_assets.definitions import build_definitions

    job = build_definitions(siex_home).resolve_job_def("seo_reports_job")
    assert {"topic_clusters", "content_gap", "cannibalization"} <= set(job.graph.node_dict)
    assert topic_clusters.dependency_keys == {AssetKey("keywords")}
    for asset in (content_gap, cannibalization):  # read the clusters, never cluster again
        assert asset.dependency_keys == {AssetKey("topic_clusters")}


# -- API ---------------------------------------------------------------------------


def test_api_serves_each_topic_report_with_rows_and_exports(siex_home, built, embedder):
    key = make_tenant(siex_home, TENANT)
    headers = {"Authorization": f"Bearer {key}"}
    store = Warehouse(siex_home.warehouse_dir)
    for report in (built["clusters"].report, built["clusters"].assignments, built["gap"],
                   built["cannibalization"]):  # fmt: skip
        publish(store, siex_home.reports_dir, TENANT, DAY, report)
    with TestClient(create_app(siex_home)) as client:
        listed = {r["kind"] for r in client.get("/v1/reports", headers=headers).json()}
        assert listed == {"topic_clusters", "topic_assignments", "content_gap", "cannibalization"}
        expected = {
            "topic_clusters": ("name", "raised bed soil"),
            "topic_assignments": ("url", f"{G}/raised-bed-soil-mix"),
            "content_gap": ("gap", "hydroponics"),
            "cannibalization": ("keyword", "raised bed soil"),
        }
        for kind, (column, first) in expected.items():
            page = client.get(f"/v1/reports/{kind}?date={DAY}&limit=1000", headers=headers)
            assert page.status_code == 200, page.text
            body = page.json()
            assert body["total"] == len(body["items"]) > 0 and body["items"][0][column] == first
            csv = client.get(f"/v1/reports/{kind}/export?date={DAY}", headers=headers)
            assert csv.status_code == 200 and column in csv.text.splitlines()[0].split(",")
            parquet = client.get(f"/v1/reports/{kind}/export?format=parquet", headers=headers)
            assert pq.read_table(io.BytesIO(parquet.content)).num_rows == body["total"]
        chart = client.get(
            "/v1/reports/topic_clusters/charts/topic_clusters-map.png", headers=headers
        )
        assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")
