"""Sitemaps at protocol scale, URL lists and site sources, over real HTTP on loopback:
news and image extensions, the 50,000-URL limit, flat memory while a 45 MB sitemap
streams in, robots.txt ``Sitemap:`` discovery, and a recorded reason for every part
of a source that could not be read."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tracemalloc
from datetime import UTC, datetime

import pytest

from siex.ingest import MAX_CHILD_SITEMAPS, discover
from siex.platform.service import SourceSpec
from siex.web.feeds import MAX_SITEMAP_URLS, SourceError
from siex.web.fetch import Fetcher
from tests.conftest import Route

XML = {"Content-Type": "application/xml"}
TEXT = {"Content-Type": "text/plain; charset=utf-8"}
NS = (
    'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9" '
    'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"'
)


@pytest.fixture
def fetcher():
    with Fetcher(user_agent="SIE-X/0.1", timeout_s=10, min_interval_s=0) as f:
        yield f


def spec(kind: str, url: str, source_id: str = "s1") -> SourceSpec:
    return SourceSpec(id=source_id, tenant_id="t1", kind=kind, url=url, role="own")


def urlset(body: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS}>{body}</urlset>'.encode()


def reasons(found) -> dict[str, str]:
    return {p["url"]: p["reason"] for p in found.problems}


def test_news_and_image_extensions_feed_into_discovered_urls(server, fetcher):
    """news:title and news:publication_date give title and date (lastmod when there is
    no news date); image:loc entries come along with the URL."""
    server.routes["/news.xml"] = Route(
        body=urlset(
            f"<url><loc>{server.url('/story')}</loc><lastmod>2026-11-01</lastmod>"
            "<news:news><news:publication><news:name>Daily</news:name>"
            "<news:language>en</news:language></news:publication>"
            "<news:publication_date>2026-11-02T08:30:00+01:00</news:publication_date>"
            "<news:title>Frost arrives early</news:title></news:news>"
            f"<image:image><image:loc>{server.url('/a.jpg')}</image:loc></image:image>"
            f"<image:image><image:loc>{server.url('/b.jpg')}</image:loc>"
            "<image:caption>b</image:caption></image:image></url>"
            f"<url><loc>{server.url('/plain')}</loc><lastmod>2026-10-05</lastmod></url>"
        ),
        headers=XML,
    )
    found = discover(spec("sitemap", server.url("/news.xml")), fetcher)
    story, plain = found.urls
    assert story.title == "Frost arrives early"
    assert story.published_at == datetime(2026, 11, 2, 7, 30, tzinfo=UTC)
    assert story.version == "2026-11-01"
    assert story.images == (server.url("/a.jpg"), server.url("/b.jpg"))
    assert (plain.title, plain.images) == ("", ())
    assert plain.published_at == datetime(2026, 10, 5, tzinfo=UTC)
    assert found.problems == []


def test_more_than_50000_urls_are_cut_with_a_reason_and_the_rest_kept(server, fetcher):
    """A file over the protocol's 50,000 entries: the first 50,000 are kept and the cut
    is recorded with how many were skipped; the other file of the index is read too."""
    entries = "".join(f"<url><loc>{server.url(f'/p/{i}')}</loc></url>" for i in range(50_003))
    server.routes["/big.xml"] = Route(body=urlset(entries), headers=XML)
    server.routes["/small.xml"] = Route(
        body=urlset(f"<url><loc>{server.url('/small')}</loc></url>"), headers=XML
    )
    server.routes["/index.xml"] = Route(
        body=(
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{server.url('/big.xml')}</loc></sitemap>"
            f"<sitemap><loc>{server.url('/small.xml')}</loc></sitemap></sitemapindex>"
        ).encode(),
        headers=XML,
    )
    found = discover(spec("sitemap", server.url("/index.xml")), fetcher)
    assert len(found.urls) == MAX_SITEMAP_URLS + 1
    assert found.urls[-2].url == server.url(f"/p/{MAX_SITEMAP_URLS - 1}")
    assert found.urls[-1].url == server.url("/small")
    [problem] = found.problems
    assert (problem["url"], problem["reason"], problem["stage"], problem["source_id"]) == (
        server.url("/big.xml"), "sitemap_truncated", "source", "s1",
    )  # fmt: skip
    assert "3 more skipped" in problem["detail"]


def test_a_45_mb_sitemap_streams_through_in_flat_memory(server):
    """45 MB of sitemap (2,000 entries padded with extension data) is parsed while it
    arrives: the parsing process grows by a few MB, not by the body (45 MB) or its tree
    (several times that). Measured as the peak RSS of a fresh process."""
    pad = "<image:image><image:caption>" + "x" * 23_500 + "</image:caption></image:image>"
    body = urlset(
        "".join(f"<url><loc>{server.url(f'/p/{i}')}</loc>{pad}</url>" for i in range(2_000))
    )
    assert len(body) > 44 * 2**20
    server.routes["/huge.xml"] = Route(body=body, headers=XML)
    server.routes["/huge.xml.gz"] = Route(
        body=gzip.compress(body, 6), headers={"Content-Type": "application/x-gzip"}
    )
    code = """
import json, resource, sys
from siex.ingest import discover_sitemap
from siex.web.fetch import Fetcher
out = {}
with Fetcher(user_agent="t", min_interval_s=0, max_bytes=2**20) as f:
    for name in ("huge.xml", "huge.xml.gz"):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        found = discover_sitemap(sys.argv[1] + "/" + name, f)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out[name] = {"urls": len(found.urls), "grew_kib": after - before}
print(json.dumps(out))
"""
    run = subprocess.run(
        [sys.executable, "-c", code, server.base], capture_output=True, timeout=300, text=True
    )
    assert run.returncode == 0, run.stderr[-2000:]
    measured = json.loads(run.stdout)
    for name, numbers in measured.items():
        assert numbers["urls"] == 2_000, name
        assert numbers["grew_kib"] < 16 * 1024, (name, numbers)  # under 16 MB


def test_a_page_with_a_content_encoding_gzip_bomb_is_refused_in_flat_memory(server):
    """Content-Encoding: gzip that inflates to 200 MB: too_large at the cap, and the
    inflation never holds more than the cap."""
    bomb = gzip.compress(b"<p>" + bytes(200 * 2**20), 9)
    server.routes["/bomb.html"] = Route(
        body=bomb, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}
    )
    with Fetcher(user_agent="t", min_interval_s=0, max_bytes=2 * 2**20) as f:
        tracemalloc.start()
        try:
            result = f.get(server.url("/bomb.html"))
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.error == "too_large" and "body over" in result.detail
    assert peak < 8 * 2**20


def test_url_list_source(server, fetcher):
    """A plain-text URL list: one URL a line, comments and blank lines skipped, tracking
    duplicates collapsed, lines that are not URLs counted with an example."""
    lines = [
        "# our articles",
        server.url("/a"),
        "",
        f"  {server.url('/b')}?utm_source=list  ",
        server.url("/a") + "#top",
        "not a url",
        "ftp://files.example/x",
        server.url("/c"),
    ]
    server.routes["/urls.txt"] = Route(body="\r\n".join(lines).encode(), headers=TEXT)
    found = discover(spec("urllist", server.url("/urls.txt")), fetcher)
    assert [u.url for u in found.urls] == [server.url(p) for p in ("/a", "/b", "/c")]
    assert reasons(found) == {server.url("/urls.txt"): "urllist_invalid_lines"}
    assert "2 lines" in found.problems[0]["detail"] and "not a url" in found.problems[0]["detail"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"", "urllist_empty"), (b"<html><body>no list here</body></html>", "urllist_empty"),
     (b"\x00\x01\x02" * 100, "urllist_not_text")],
    ids=["empty", "html", "binary"],
)  # fmt: skip
def test_url_list_that_is_not_one_is_refused(server, fetcher, body, reason):
    server.routes["/urls.txt"] = Route(body=body, headers=TEXT)
    with pytest.raises(SourceError) as err:
        discover(spec("urllist", server.url("/urls.txt")), fetcher)
    assert err.value.reason == reason


def test_site_source_reads_the_sitemaps_its_robots_txt_declares(server, fetcher):
    """A site source: the Sitemap lines of robots.txt (an XML index and a text list,
    one of them listed twice), each read; a declared sitemap that is missing is a
    recorded problem, the others go on."""
    server.routes["/robots.txt"] = Route(
        body=(
            "User-agent: *\nDisallow: /admin/\n\n"
            f"Sitemap: {server.url('/sitemap_index.xml')}\n"
            f"sitemap: {server.url('/extra-urls.txt')}\n"
            f"Sitemap: {server.url('/sitemap_index.xml')}\n"
            f"Sitemap: {server.url('/gone.xml')}\n"
        ).encode(),
        headers=TEXT,
    )
    server.routes["/sitemap_index.xml"] = Route(
        body=(
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{server.url('/posts.xml.gz')}</loc></sitemap></sitemapindex>"
        ).encode(),
        headers=XML,
    )
    server.routes["/posts.xml.gz"] = Route(
        body=gzip.compress(urlset(f"<url><loc>{server.url('/post')}</loc></url>")),
        headers={"Content-Type": "application/octet-stream"},
    )
    server.routes["/extra-urls.txt"] = Route(
        body=f"{server.url('/page')}\n{server.url('/post')}\n".encode(), headers=TEXT
    )
    found = discover(spec("site", server.url("/")), fetcher)
    assert [u.url for u in found.urls] == [server.url("/post"), server.url("/page")]
    assert reasons(found) == {server.url("/gone.xml"): "http_404"}
    paths = [p for p, _ in server.requests]
    assert paths.count("/robots.txt") == 1 and paths.count("/sitemap_index.xml") == 1


def test_site_without_sitemap_lines_falls_back_to_sitemap_xml(server, fetcher):
    server.routes["/robots.txt"] = Route(body=b"User-agent: *\nAllow: /\n", headers=TEXT)
    server.routes["/sitemap.xml"] = Route(
        body=urlset(f"<url><loc>{server.url('/only')}</loc></url>"), headers=XML
    )
    found = discover(spec("site", server.url("/")), fetcher)
    assert [u.url for u in found.urls] == [server.url("/only")]


def test_site_that_cannot_be_read_says_why(server, fetcher):
    """No robots.txt and no /sitemap.xml: site_without_sitemap naming the cause; a
    robots.txt that answers 500: robots_unreachable (RFC 9309: do not crawl)."""
    with pytest.raises(SourceError) as err:
        discover(spec("site", server.url("/")), fetcher)
    assert err.value.reason == "site_without_sitemap" and "http_404" in err.value.detail
    server.routes["/robots.txt"] = Route(status=500, body=b"oops")
    with (
        Fetcher(user_agent="SIE-X/0.1", min_interval_s=0, retries=0) as fresh,
        pytest.raises(SourceError) as err,
    ):
        discover(spec("site", server.url("/")), fresh)
    assert err.value.reason == "robots_unreachable" and "500" in err.value.detail


def test_unreadable_child_sitemaps_are_recorded_and_an_oversized_index_is_cut(server, fetcher):
    """Children that 404 or are not XML become problem rows with their reasons; an index
    with more children than MAX_CHILD_SITEMAPS reads that many and records the cut."""
    children = [server.url(f"/c{i}.xml") for i in range(MAX_CHILD_SITEMAPS + 2)]
    for i in range(len(children) - 2):
        server.routes[f"/c{i + 2}.xml"] = Route(
            body=urlset(f"<url><loc>{server.url(f'/p{i}')}</loc></url>"), headers=XML
        )
    server.routes["/c1.xml"] = Route(body=b"<html>not a sitemap", headers=XML)
    server.routes["/index.xml"] = Route(
        body=(
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<sitemap><loc>{c}</loc></sitemap>" for c in children)
            + "</sitemapindex>"
        ).encode(),
        headers=XML,
    )
    found = discover(spec("sitemap", server.url("/index.xml")), fetcher)
    assert len(found.urls) == MAX_CHILD_SITEMAPS - 2
    assert reasons(found) == {
        children[0]: "http_404",
        children[1]: "sitemap_not_xml",
        server.url("/index.xml"): "sitemap_index_truncated",
    }
    assert "2 more skipped" in found.problems[-1]["detail"]


def test_sitemap_images_reach_the_pages_table_through_a_real_ingest(siex_home, server):
    """image:loc entries travel with their page: from the sitemap sensor's run request
    (and from a run that reads the sources itself) into ``pages.sitemap_images``, in
    sitemap order; a page announced without images gets an empty list."""
    from dagster import build_sensor_context, instance_for_test

    from resources import build_resources
    from siex.warehouse import Warehouse
    from siex_assets.ingestion.sensors import sitemap_sensor
    from siex_assets.partitions import today_utc
    from tests.conftest import article_html
    from tests.helpers import make_tenant, run_ingest
    from tests.test_pipeline import PARAGRAPH

    for path in ("/beds", "/tools"):
        server.routes[path] = Route(body=article_html(f"Page {path}", [PARAGRAPH]).encode())
    images = [server.url(f"/img/bed-{i}.jpg") for i in range(3)]
    server.routes["/sitemap.xml"] = Route(
        body=urlset(
            f"<url><loc>{server.url('/beds')}</loc>"
            + "".join(
                f"<image:image><image:loc>{u}</image:loc><image:title>t</image:title></image:image>"
                for u in images
            )
            + f"</url><url><loc>{server.url('/tools')}</loc></url>"
        ),
        headers=XML,
    )
    make_tenant(siex_home, "acme", [("sitemap", server.url("/sitemap.xml"))])
    make_tenant(siex_home, "beta", [("sitemap", server.url("/sitemap.xml"))])
    store = Warehouse(siex_home.warehouse_dir)
    with instance_for_test() as instance:
        context = build_sensor_context(instance=instance, resources=build_resources(siex_home))
        by_tenant = {r.tags["siex/tenant"]: r for r in sitemap_sensor(context).run_requests}
        request = by_tenant["acme"]
        assert run_ingest(siex_home, instance, "acme", today_utc(), request.run_config).success
        assert run_ingest(
            siex_home, instance, "beta", today_utc()
        ).success  # no URLs: reads the sources
    for tenant in ("acme", "beta"):
        rows = store.read("pages", tenant, today_utc()).to_pylist()
        assert {r["url"]: r["sitemap_images"] for r in rows} == {
            server.url("/beds"): images,
            server.url("/tools"): [],
        }, tenant
    # The SQL example of docs/warehouse.md answers on this warehouse.
    import re

    from siex.config import REPO_ROOT

    sql = re.search(
        r"<!-- tested: sitemap images -->\s*```sql\n(.*?)```",
        (REPO_ROOT / "docs" / "warehouse.md").read_text(),
        re.S,
    ).group(1)
    unnested = store.connect("acme").execute(sql.replace("'demo'", "'acme'")).fetchall()
    assert unnested == [(server.url("/beds"), u) for u in images]


def test_pages_parts_written_before_sitemap_images_still_read(tmp_path):
    """Parquet parts without the column (written before it existed) read as NULL beside
    new parts, through Warehouse.read and the DuckDB views, also when no part has it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from siex.warehouse import SCHEMAS, Warehouse

    store = Warehouse(tmp_path / "wh")
    old_schema = pa.schema([f for f in SCHEMAS["pages"] if f.name != "sitemap_images"])
    old = {"url": "https://a.example/old", "source_id": "s", "html": "<p>old</p>"}
    folder = store.partition_dir("pages", "acme", "2026-11-01")
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([old], schema=old_schema), folder / "run-old.parquet")

    con = store.connect("acme")  # only old parts: the column is there, NULL
    assert con.execute("SELECT url, sitemap_images FROM pages").fetchall() == [(old["url"], None)]
    store.write(
        "pages", "acme", "2026-11-02",
        [{"url": "https://a.example/new", "sitemap_images": ["https://a.example/i.jpg"]}],
        part="run-new",
    )  # fmt: skip
    assert store.read("pages", "acme", "2026-11-01").column("sitemap_images").to_pylist() == [None]
    con = store.connect("acme")
    assert con.execute("SELECT url, sitemap_images FROM pages ORDER BY url").fetchall() == [
        ("https://a.example/new", ["https://a.example/i.jpg"]),
        ("https://a.example/old", None),
    ]
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE pages)").fetchall())
    assert types["sitemap_images"] == "VARCHAR[]" and types["http_status"] == "INTEGER"
