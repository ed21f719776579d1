"""The on-page audit: issues with severities on a realistic own site (on-page rows read
from real HTML), broken links from fetch failures, redirects and link checks, scores per
page and site, the bounded link checker against a loopback server, edge input, and the
assets on the genuine on-page rows of an ingest of the demo sites."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from dagster import DagsterInstance, instance_for_test, materialize

from resources import build_resources
from siex import demo_site
from siex.intelligence.audit import (
    CHECKS,
    WEIGHTS,
    build_onpage_audit,
    load_site,
    page_score,
    text_width_px,
    unchecked_internal_targets,
)
from siex.intelligence.linkcheck import check_urls
from siex.platform.db import session_scope
from siex.platform.service import add_source
from siex.warehouse import Warehouse
from siex.web.fetch import Fetcher
from siex.web.onpage import onpage_row, read_onpage
from siex_assets.ingestion.assets import documents
from siex_assets.intelligence.site import internal_link_status, link_suggestions, onpage_audit
from siex_assets.keywords.assets import keywords
from siex_assets.partitions import tenant_day_key, tenant_partitions, today_utc
from tests.conftest import Route
from tests.corpus_data import store_document
from tests.helpers import make_tenant, run_ingest

SITE = "https://www.greenleaf.example"
DAY = "2026-11-20"
WORDS = ("Compost feeds the soil life of every vegetable bed and keeps it loose. " * 40).strip()


def page_html(
    topic: str = "home composting",
    title: str | None = ...,
    description: str | None = ...,
    h1: list[str] = ...,
    body: str = WORDS,
    head: str = "",
    links: list[tuple[str, str]] = (),
    images: str = '<img src="/heap.jpg" alt="A compost heap"><img src="/line.svg" alt="">',
    lang: str = "en",
) -> str:
    """A page about ``topic``: by default with a sound title, description and H1."""
    if title is ...:
        title = f"{topic.title()}: A Practical Guide for Gardeners"
    if description is ...:
        description = (
            f"Everything about {topic}: how it works, what it costs and the mistakes to "
            "avoid in a small vegetable garden."
        )
    if h1 is ...:
        h1 = [topic.capitalize()]
    title_tag = f"<title>{title}</title>" if title is not None else ""
    desc = f'<meta name="description" content="{description}">' if description else ""
    anchors = "".join(f'<a href="{href}">{text}</a> ' for href, text in links)
    headings = "".join(f"<h1>{h}</h1>" for h in h1)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width">{title_tag}{desc}{head}</head>'
        f"<body><main>{headings}<p>{body}</p>{images}<p>{anchors}</p></main></body></html>"
    )


def store_page(
    store,
    path: str,
    html: str,
    *,
    words: int | None = 400,
    source="own-src",
    day=DAY,
    document=True,
    onpage_overrides=None,
) -> str:
    url = SITE + path
    row = onpage_row(read_onpage(html, url))
    row.update(onpage_overrides or {})
    text = " ".join(["compost"] * (words or 1))
    if not document:
        fetched = datetime.fromisoformat(f"{day}T12:00:00+00:00")
        store.write(
            "onpage",
            "acme",
            day,
            [{"doc_id": path, "url": url, "source_id": source, "fetched_at": fetched, **row}],
            part=path.strip("/").replace("/", "-"),
        )
        return url
    store_document(store, "acme", day, url, ["compost"], source_id=source, text=text, onpage=row)
    return url


def _part(url: str) -> str:
    return hashlib.sha1(url.encode()).hexdigest()[:12]


def fetched(store, url: str, final_url: str | None = None, source="own-src", day=DAY):
    store.write(
        "pages",
        "acme",
        day,
        [
            {
                "url": url,
                "source_id": source,
                "final_url": final_url or url,
                "http_status": 200,
                "fetched_at": datetime.fromisoformat(f"{day}T11:00:00+00:00"),
                "html": "",
            }
        ],
        part="run-" + _part(url),
    )


def failed(store, url: str, reason: str, day=DAY, hour=11):
    store.write(
        "failures",
        "acme",
        day,
        [
            {
                "url": url,
                "source_id": "own-src",
                "stage": "fetch",
                "reason": reason,
                "detail": "",
                "at": datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00"),
                "run_id": "r",
            }
        ],
        part="fetch-" + _part(url),
    )


@pytest.fixture
def store(tmp_path) -> Warehouse:
    return Warehouse(tmp_path / "warehouse")


def build_site(store):
    """A small own site with one concrete problem (or none) per page."""
    s = SITE
    pages = {
        # A page with nothing wrong: decorative alt="" images and one H1 are fine.
        "/guide/compost": page_html(
            head=f'<link rel="canonical" href="{s}/guide/compost">',
            links=[("/guide/mulch", "mulch guide")],
        ),
        # No title, no H1, two informative images without alt, links to broken targets.
        "/guide/mulch": page_html(
            "mulching",
            title=None,
            h1=[],
            images='<img src="/a.jpg"><img src="/b.jpg" alt=" "><img src="/c.svg" alt="">',
            links=[
                ("/guide/gone", "old mulch page"),
                ("/guide/moved", "moved"),
                ("/guide/checked-500", "tools"),
                ("/guide/compost", "compost"),
                ("https://elsewhere.example/gone", "an external page"),
            ],
        ),
        # Two pages with the same title and description.
        "/guide/drip": page_html(
            title="Drip Irrigation Guide for Vegetable Beds at Home",
            description="Drip irrigation explained: parts, layout, timers "
            "and the mistakes that waste water in summer beds.",
        ),
        "/guide/drip-kit": page_html(
            title="Drip irrigation guide for vegetable beds at home",
            description="Drip irrigation explained: parts, layout, "
            "timers and the mistakes that waste water in summer beds.",
        ),
        # Title truncated in results, a too short description, two H1s.
        "/guide/long": page_html(
            title="The Complete Illustrated Guide to Winter Cover Crops, Green Manures and Soil",
            description="Cover crops.",
            h1=["Cover crops", "Green manures"],
        ),
        # Thin: 80 words of main text.
        "/guide/thin": page_html("leaf mould"),
        # Noindex, canonical elsewhere, announced by the sitemap; it repeats the compost
        # page's title, which is no duplicate: it is not indexable.
        "/guide/print": page_html(
            head='<meta name="robots" content="noindex, follow">'
            f'<link rel="canonical" href="{s}/guide/compost">'
        ),
        # Canonical to a URL that answers 404.
        "/guide/old": page_html("worm bins", head=f'<link rel="canonical" href="{s}/guide/gone">'),
        # Canonical to a page that canonicalises further: a chain.
        "/guide/chain": page_html(
            "hot composting", head=f'<link rel="canonical" href="{s}/guide/hop">'
        ),
        "/guide/hop": page_html(
            "cold composting", head=f'<link rel="canonical" href="{s}/guide/compost">'
        ),
        # Canonical to the noindex page.
        "/guide/to-noindex": page_html(
            "compost bins", head=f'<link rel="canonical" href="{s}/guide/print">'
        ),
        # Hreflang: an invalid region code, an alternate that does not link back.
        "/en/soil": page_html(
            "soil improvement",
            head=f'<link rel="alternate" hreflang="en" href="{s}/en/soil">'
            f'<link rel="alternate" hreflang="de" href="{s}/de/boden">'
            f'<link rel="alternate" hreflang="en-uk" href="{s}/en/soil">',
        ),
        "/de/boden": page_html(
            title="Bodenverbesserung im Gemüsegarten mit Kompost",
            description="Wie Kompost, Mulch und Gründüngung schweren Lehmboden lockern und "
            "sandigen Boden fruchtbarer machen.",
            h1=["Boden verbessern"],
            lang="de",
            head=f'<link rel="alternate" hreflang="de" href="{s}/de/boden">',
        ),
    }
    words = {"/guide/thin": 80}
    for path, html in pages.items():
        store_page(store, path, html, words=words.get(path, 400))
    # A page whose on-page columns hold malformed JSON: read as empty, counted.
    store_page(
        store,
        "/guide/broken-json",
        page_html("green manure"),
        onpage_overrides={"links": "{not json", "headings": "[", "hreflang": "[1, 2]"},
    )
    # Too thin to become a document: only an on-page row (visible words are counted).
    store_page(store, "/guide/stub", page_html("seed trays", body="Coming soon."), document=False)
    # A competitor page with no title: scored as a benchmark, never listed as an issue.
    store_page(store, "/rival/compost", page_html(title=None), source="rival-src")
    # A pushed document without on-page data.
    store_document(store, "acme", DAY, f"{s}/api/pushed", ["compost"], source_id="api")
    # What ingestion and the link checker saw.
    for path in pages:
        fetched(store, s + path, source="sitemap-src" if path == "/guide/print" else "own-src")
    fetched(store, s + "/guide/moved", final_url=s + "/guide/compost")
    failed(store, s + "/guide/gone", "http_404")
    failed(store, "https://elsewhere.example/gone", "http_404")
    store.write(
        "link_checks",
        "acme",
        DAY,
        [
            {
                "url": s + "/guide/checked-500",
                "status": 500,
                "final_url": s + "/guide/checked-500",
                "reason": "http_500",
                "checked_at": datetime.fromisoformat(f"{DAY}T13:00:00+00:00"),
            }
        ],
    )
    # A page that answered on an earlier day and is gone now.
    store_page(store, "/guide/deleted", page_html("peat"), day="2026-11-18")
    failed(store, s + "/guide/deleted", "http_410", day="2026-11-19")


def audit(store):
    site = load_site(
        store, "acme", DAY, roles={"rival-src": "competitor"}, sitemap_sources={"sitemap-src"}
    )
    return build_onpage_audit(site)


def test_audit_finds_each_issue_where_it_is(store):
    build_site(store)
    issues, scores = audit(store)
    found = {(r["url"].removeprefix(SITE), r["code"]) for r in issues.rows}
    expected = {
        ("/guide/mulch", "title_missing"),
        ("/guide/mulch", "h1_missing"),
        ("/guide/mulch", "images_missing_alt"),
        ("/guide/mulch", "broken_internal_link"),
        ("/guide/mulch", "internal_link_redirect"),
        ("/guide/drip", "title_duplicate"),
        ("/guide/drip-kit", "title_duplicate"),
        ("/guide/drip", "meta_description_duplicate"),
        ("/guide/drip-kit", "meta_description_duplicate"),
        ("/guide/long", "title_too_long"),
        ("/guide/long", "meta_description_too_short"),
        ("/guide/long", "h1_multiple"),
        ("/guide/thin", "thin_content"),
        ("/guide/stub", "thin_content"),
        ("/guide/print", "noindex_page"),
        ("/guide/print", "noindex_in_sitemap"),
        ("/guide/print", "canonical_noindex_conflict"),
        ("/guide/old", "canonical_target_broken"),
        ("/guide/chain", "canonical_chain"),
        ("/guide/to-noindex", "canonical_target_noindex"),
        ("/en/soil", "hreflang_invalid_code"),
        ("/en/soil", "hreflang_missing_return"),
    }
    assert expected <= found, expected - found
    # Nothing is wrong with the model page: its decorative image and canonical are fine.
    assert not {code for path, code in found if path == "/guide/compost"}
    compost = next(r for r in scores.rows if r["url"] == SITE + "/guide/compost")
    assert (compost["score"], compost["worst_issue"], compost["indexable"]) == (100, "", True)

    by_code = {}
    for r in issues.rows:
        by_code.setdefault((r["url"].removeprefix(SITE), r["code"]), []).append(r)
    broken = by_code[("/guide/mulch", "broken_internal_link")]
    assert {r["target_url"] for r in broken} == {SITE + "/guide/gone", SITE + "/guide/checked-500"}
    assert any("http_404" in r["evidence"] and "old mulch page" in r["evidence"] for r in broken)
    assert by_code[("/guide/mulch", "images_missing_alt")][0]["evidence"].startswith("2 of 3")
    assert "80 words of main text" in by_code[("/guide/thin", "thin_content")][0]["evidence"]
    assert "visible text" in by_code[("/guide/stub", "thin_content")][0]["evidence"]
    assert by_code[("/guide/drip", "title_duplicate")][0]["target_url"] == SITE + "/guide/drip-kit"
    assert "en-uk" in by_code[("/en/soil", "hreflang_invalid_code")][0]["evidence"]
    assert by_code[("/guide/mulch", "internal_link_redirect")][0]["target_url"].endswith("/moved")

    # Not issues: an external broken link, duplicates among non-indexable pages, the
    # German page's missing return (it is the one that fails to link back, not the
    # one that was not asked), competitor pages, a page gone since.
    assert all("elsewhere.example" not in r["target_url"] for r in issues.rows)
    assert ("/guide/print", "title_duplicate") not in found  # noindex: no duplicate
    assert ("/de/boden", "hreflang_missing_return") not in found
    assert all(not r["url"].startswith(SITE + "/rival") for r in issues.rows)
    assert all("/guide/deleted" not in r["url"] for r in issues.rows + scores.rows)

    # Severities, order, scores.
    assert all(r["severity"] == CHECKS[r["code"]].severity and r["hint"] for r in issues.rows)
    ranks = [("error", "warning", "notice").index(r["severity"]) for r in issues.rows]
    assert ranks == sorted(ranks)
    mulch = next(r for r in scores.rows if r["url"] == SITE + "/guide/mulch")
    mulch_codes = {code for path, code in found if path == "/guide/mulch"}
    assert mulch["score"] == 100 - sum(WEIGHTS[CHECKS[c].severity] for c in mulch_codes)
    assert mulch["worst_issue"] == "title_missing" and mulch["errors"] == 2  # title, broken link
    assert all(r["page_score"] == mulch["score"] for r in issues.rows if r["url"] == mulch["url"])
    rival = next(r for r in scores.rows if r["role"] == "competitor")
    assert rival["worst_issue"] == "title_missing" and rival["score"] == 80

    summary = issues.summary
    own = [r for r in scores.rows if r["role"] == "own"]
    assert summary["pages"] == len(own) == 15 and summary["competitor_pages"] == 1
    assert summary["score"] == round(sum(r["score"] for r in own) / len(own), 1)
    assert summary["competitor_score"] == 80
    assert summary["documents_without_onpage"] == 1 and summary["pages_gone"] == 1
    assert summary["unreadable_fields"] == 2  # links and hreflang (headings are not read)
    assert sum(summary["bands"].values()) == 15
    assert [s["role"] for s in summary["sites"]] == ["own", "competitor"]
    assert summary["by_code"]["title_duplicate"] == 2
    assert summary["errors"] == sum(1 for r in issues.rows if r["severity"] == "error")

    # The Markdown an SEO lead forwards: headline, fix-first table, charts, no raw HTML.
    md = issues.markdown
    assert md.startswith("# On-page audit — acme, 2026-11-20")
    for chart in ("{chart:issues}", "{chart:sites}", "{chart:distribution}"):
        assert chart in md
    assert "## Fix first" in md and "Title missing or empty" in md
    assert "<title>" not in md and "&lt;title>" in md
    assert all(c.png.startswith(b"\x89PNG") for c in issues.charts + scores.charts)
    assert "{chart:distribution}" in scores.markdown and "## Lowest scores" in scores.markdown


def test_title_and_description_widths_are_estimated_in_pixels():
    assert text_width_px("W" * 20, 20) > 2.5 * text_width_px("i" * 20, 20)
    typical = "Companion Planting: Which Vegetables Grow Better Together"  # 57 characters
    assert 480 < text_width_px(typical, 20) < 600
    assert text_width_px("日本語", 20) == 60.0  # one em each
    assert text_width_px("é", 20) == text_width_px("e", 20)  # accents take the letter's width
    assert page_score(["title_missing", "title_missing", "h1_missing"]) == 72
    assert page_score(list(CHECKS)) == 0


def test_an_empty_warehouse_gives_a_defined_report(store):
    site = load_site(store, "acme", DAY)
    issues, scores = build_onpage_audit(site)
    assert issues.rows == [] and scores.rows == []
    assert issues.summary["pages"] == 0 and issues.summary["score"] is None
    assert "No own pages with on-page data yet" in issues.markdown
    assert all(c.png.startswith(b"\x89PNG") for c in issues.charts)


def test_one_page_without_links_is_no_orphan_and_gets_a_score(store):
    store_page(store, "/only", page_html())
    issues, scores = build_onpage_audit(load_site(store, "acme", DAY))
    assert [r["code"] for r in issues.rows] == []
    assert [r["score"] for r in scores.rows] == [100]


def test_orphans_are_pages_no_other_page_links_to(store):
    store_page(store, "/a", page_html("apples", links=[("/b", "b")]))
    store_page(store, "/b", page_html("beans", links=[("/a", "a"), ("/b", "self")]))
    store_page(store, "/c", page_html("chard", links=[("/c", "self only")]))
    issues, _scores = build_onpage_audit(load_site(store, "acme", DAY))
    assert [r["url"] for r in issues.rows if r["code"] == "orphan_page"] == [SITE + "/c"]


def test_unknown_internal_targets_are_asked_most_linked_first(store):
    store_page(store, "/a", page_html("apples", links=[("/x", "x"), ("/y", "y")]))
    store_page(store, "/b", page_html("beans", links=[("/y", "y"), ("/a", "a")]))
    fetched(store, SITE + "/a")
    store.write(
        "link_checks",
        "acme",
        DAY,
        [
            {
                "url": SITE + "/x",
                "status": 200,
                "final_url": SITE + "/x",
                "reason": "",
                "checked_at": datetime.now(UTC) - timedelta(days=30),
            }
        ],
    )
    site = load_site(store, "acme", DAY)
    now = datetime.now(UTC)
    assert unchecked_internal_targets(site, now) == [SITE + "/y", SITE + "/x"]  # /a: fetched
    assert unchecked_internal_targets(site, now, timedelta(days=60)) == [SITE + "/y"]
    assert unchecked_internal_targets(site, now, limit=1) == [SITE + "/y"]


def test_link_check_is_bounded_polite_and_obeys_robots(server):
    """Through the project's fetcher: HEAD first, robots.txt read once and obeyed, a
    pause between two requests to the host, at most ``max_urls`` URLs."""
    import time

    server.routes["/robots.txt"] = Route(
        body=b"User-agent: *\nDisallow: /private\n", headers={"Content-Type": "text/plain"}
    )
    server.routes["/ok"] = Route(body=b"<html>fine</html>")
    server.routes["/moved"] = Route(status=301, headers={"Location": "/ok"})
    server.routes["/error"] = Route(status=500, body=b"oops")
    urls = [server.url(p) for p in ("/ok", "/gone", "/moved", "/private/x", "/error", "/ok#top")]
    started = time.monotonic()
    with Fetcher(user_agent="siex-test/1.0", timeout_s=5, retries=0, min_interval_s=0.2) as fetcher:
        rows = check_urls(urls, fetcher, max_urls=5)
    elapsed = time.monotonic() - started
    by_path = {r["url"].removeprefix(server.base): r for r in rows}
    assert list(by_path) == ["/ok", "/gone", "/moved", "/private/x", "/error"]  # 5 at most
    assert (by_path["/ok"]["status"], by_path["/ok"]["reason"]) == (200, "")
    assert (by_path["/gone"]["status"], by_path["/gone"]["reason"]) == (404, "http_404")
    assert by_path["/moved"]["final_url"] == server.url("/ok") and not by_path["/moved"]["reason"]
    assert by_path["/private/x"]["reason"] == "robots_disallowed"
    assert by_path["/error"]["reason"] == "http_500"
    heads = [path for path, _headers in server.heads]
    gets = [path for path, _headers in server.requests]
    assert heads == ["/ok", "/gone", "/moved", "/ok", "/error"]  # HEAD first, redirect followed
    assert gets == ["/robots.txt", "/gone", "/error"]  # GET only to confirm an error answer
    assert "/private/x" not in heads + gets
    assert all(h.get("User-Agent") == "siex-test/1.0" for _p, h in server.requests + server.heads)
    # Eight requests to one host, each start at least 0.2 s after the one before.
    assert elapsed >= 7 * 0.2


def test_audit_and_link_assets_on_a_real_ingest_of_the_demo_sites(siex_home, demo_sites):
    """The assets on genuine on-page rows: the demo site's deliberate flaws are found,
    the pages it links to but never announces are checked, not called broken."""
    make_tenant(siex_home, "demo")
    with session_scope(siex_home.platform_db_url) as session:
        for kind, url, role in demo_site.demo_source_urls(demo_sites):
            add_source(session, "demo", kind, url, role=role)
    day = today_utc()
    with instance_for_test() as instance:
        assert run_ingest(siex_home, instance, "demo", day).success
        result = materialize(
            [
                documents.to_source_asset(),
                keywords.to_source_asset(),
                internal_link_status,
                onpage_audit,
                link_suggestions,
            ],
            partition_key=tenant_day_key("demo", day),
            resources=build_resources(siex_home),
            instance=instance,
            run_config={"ops": {"internal_link_status": {"config": {"max_urls": 50}}}},
        )
    assert result.success
    store = Warehouse(siex_home.warehouse_dir)
    checks = store.read("link_checks", "demo", day).to_pylist()
    assert {r["url"].removeprefix(demo_sites) for r in checks} >= {"/own/index.html"}
    assert all(r["reason"] == "" for r in checks)

    issues = store.read("report_onpage_audit", "demo", day).to_pylist()
    found = {(r["url"].rsplit("/", 1)[-1], r["code"]) for r in issues}
    assert {
        ("companion-planting-guide.html", "meta_description_missing"),
        ("drip-irrigation-basics.html", "thin_content"),
        ("organic-pest-control.html", "images_missing_alt"),
        ("winter-cover-crops.html", "images_missing_alt"),
    } <= found
    assert not {code for _page, code in found} & {
        "broken_internal_link",
        "orphan_page",
        "canonical_target_broken",
        "h1_missing",
    }
    assert {p for p, c in found if c == "images_missing_alt"} == {
        "organic-pest-control.html",
        "winter-cover-crops.html",
    }
    assert all("/competitor/" not in r["url"] for r in issues)
    scores = store.read("report_onpage_scores", "demo", day).to_pylist()
    assert {r["role"] for r in scores} == {"own", "competitor"}
    assert sum(r["role"] == "own" for r in scores) == 8

    audit_meta = result.asset_materializations_for_node("onpage_audit")
    by_key = {m.asset_key.to_user_string(): m.metadata for m in audit_meta}
    assert set(by_key) == {"onpage_audit", "onpage_scores"}
    assert "data:image/png;base64," in by_key["onpage_audit"]["report"].value
    assert by_key["onpage_audit"]["pages"].value == 8
    folder = siex_home.reports_dir / "demo" / day
    for name in (
        "onpage_audit.md",
        "onpage_scores.md",
        "onpage_audit-issues.png",
        "link_suggestions.md",
        "link_suggestions-targets.png",
    ):
        assert (folder / name).is_file(), name

    # Link suggestions on the real texts: verbatim anchors, own targets only, nothing
    # already linked in the content.
    suggestions = store.read("report_link_suggestions", "demo", day).to_pylist()
    texts = {d["url"]: d["text"] for d in store.read("documents", "demo", day).to_pylist()}
    onpage = {r["url"]: r for r in store.read("onpage", "demo", day).to_pylist()}
    for s in suggestions:
        text = texts[s["source_url"]]
        assert text[s["anchor_offset"] : s["anchor_offset"] + len(s["anchor"])] == s["anchor"]
        assert "/own/" in s["target_url"] and s["target_url"] != s["source_url"]
        content_links = [
            link
            for link in json.loads(onpage[s["source_url"]]["links"])
            if link["url"] == s["target_url"] and not s["linked_from_navigation"]
        ]
        assert not content_links


def test_past_partitions_check_no_links(siex_home, server):
    make_tenant(siex_home, "acme")
    store = Warehouse(siex_home.warehouse_dir)
    html = page_html(links=[("/unknown", "unknown")])
    store_document(
        store,
        "acme",
        DAY,
        server.url("/a"),
        ["compost"],
        onpage=onpage_row(read_onpage(html, server.url("/a"))),
    )
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(tenant_partitions.name, ["acme"])
        result = materialize(
            [documents.to_source_asset(), internal_link_status],
            partition_key=tenant_day_key("acme", DAY),
            resources=build_resources(siex_home),
            instance=instance,
            selection=[internal_link_status],
        )
    assert result.success and not server.requests
    meta = result.asset_materializations_for_node("internal_link_status")[0].metadata
    assert meta["checked"].value == 0 and "past" in meta["skipped"].value
    assert meta["stored"].value == 0  # what the audit of that day has to go on
