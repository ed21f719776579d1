"""Fetching and source discovery over real HTTP on loopback: conditional GET, RSS/Atom/RDF
feeds and XML sitemaps (plain, index, gzip, self-referencing)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta, timezone

import pytest

from siex.ingest import discover, requests_from
from siex.platform.service import SourceSpec
from siex.web.feeds import DiscoveredUrl, parse_feed
from siex.web.fetch import Fetcher
from tests.conftest import Route, rss_feed

ETAG = '"feed-v1"'
LAST_MODIFIED = "Wed, 01 May 2024 10:00:00 GMT"
SITEMAP_XMLNS = "http://www.sitemaps.org/schemas/sitemap/0.9"


@pytest.fixture
def fetcher():
    with Fetcher(user_agent="siex-test/1.0", timeout_s=5, min_interval_s=0) as f:
        yield f


def rss_source(url: str) -> SourceSpec:
    return SourceSpec(id="src-rss", tenant_id="t1", kind="rss", url=url, role="own")


def sitemap_source(url: str) -> SourceSpec:
    return SourceSpec(id="src-sm", tenant_id="t1", kind="sitemap", url=url, role="own")


def conditional_route(body: bytes, content_type: str) -> Route:
    """A route that sends ETag/Last-Modified and answers 304 when the client's validators match."""

    def handle(h) -> None:
        if_none_match = h.headers.get("If-None-Match")
        if_modified_since = h.headers.get("If-Modified-Since")
        fresh = (
            if_none_match == ETAG
            if if_none_match is not None
            else if_modified_since == LAST_MODIFIED
        )
        h.send_response(304 if fresh else 200)
        h.send_header("ETag", ETAG)
        h.send_header("Last-Modified", LAST_MODIFIED)
        if fresh:
            h.end_headers()
            return
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return Route(handler=handle)


def headers_of(server, path: str) -> list[dict]:
    """Request headers the server saw for ``path``, lower-cased names, in order."""
    return [{k.lower(): v for k, v in hdrs.items()} for p, hdrs in server.requests if p == path]


def urlset(entries: list[tuple[str, str | None]]) -> bytes:
    """A sitemap <urlset> of (loc, lastmod or None)."""
    body = "".join(
        f"<url><loc>{loc}</loc>{f'<lastmod>{lastmod}</lastmod>' if lastmod else ''}</url>"
        for loc, lastmod in entries
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="{SITEMAP_XMLNS}">{body}</urlset>'
    ).encode()


def sitemap_index(locs: list[str]) -> bytes:
    body = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="{SITEMAP_XMLNS}">{body}</sitemapindex>'
    ).encode()


XML = {"Content-Type": "application/xml"}


# -- conditional GET -----------------------------------------------------------------


def test_fetcher_sends_validators_and_reports_not_modified(server, fetcher):
    """A second GET carries the stored ETag/Last-Modified and a 304 is reported as not_modified."""
    server.routes["/page"] = conditional_route(b"<html><body>hi</body></html>", "text/html")

    first = fetcher.get(server.url("/page"))
    assert first.ok and first.status == 200 and not first.not_modified
    assert first.content == b"<html><body>hi</body></html>"
    assert (first.etag, first.last_modified) == (ETAG, LAST_MODIFIED)

    second = fetcher.get(server.url("/page"), etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.status == 304
    assert second.error is None and second.content == b""
    assert second.etag == ETAG

    sent = headers_of(server, "/page")
    assert "if-none-match" not in sent[0] and "if-modified-since" not in sent[0]
    assert sent[1]["if-none-match"] == ETAG
    assert sent[1]["if-modified-since"] == LAST_MODIFIED


def test_if_modified_since_alone_gets_304_and_stale_etag_gets_body(server, fetcher):
    """Last-Modified by itself is enough for a 304; a changed ETag brings the full body back."""
    server.routes["/page"] = conditional_route(b"<html><body>v1</body></html>", "text/html")

    by_date = fetcher.get(server.url("/page"), last_modified=LAST_MODIFIED)
    assert by_date.not_modified

    stale = fetcher.get(server.url("/page"), etag='"feed-v0"')
    assert stale.ok and not stale.not_modified
    assert stale.content == b"<html><body>v1</body></html>"


def test_discover_returns_none_on_304(server, fetcher):
    """discover() gives (None, response) when the feed is unchanged, so nothing is re-queued."""
    feed = rss_feed(server.base, [("/a", "A", "Mon, 01 Jan 2024 10:00:00 GMT")])
    server.routes["/feed.xml"] = conditional_route(feed, "application/rss+xml")
    source = rss_source(server.url("/feed.xml"))

    found = discover(source, fetcher)

    urls, response = found.urls, found.response
    assert [u.url for u in urls] == [server.url("/a")]
    assert (response.etag, response.last_modified) == (ETAG, LAST_MODIFIED)

    found = discover(source, fetcher, etag=response.etag, last_modified=LAST_MODIFIED)

    again, response2 = found.urls, found.response
    assert again is None
    assert response2.not_modified
    assert headers_of(server, "/feed.xml")[1]["if-none-match"] == ETAG


def test_discover_sitemap_returns_none_on_304(server, fetcher):
    """A sitemap that answers 304 is not parsed and its children are not fetched."""
    server.routes["/sitemap.xml"] = conditional_route(
        sitemap_index([server.url("/child.xml")]), "application/xml"
    )
    found = discover(sitemap_source(server.url("/sitemap.xml")), fetcher, etag=ETAG)
    urls, response = found.urls, found.response
    assert urls is None and response.not_modified
    assert headers_of(server, "/child.xml") == []


# -- feeds ---------------------------------------------------------------------------


def test_rss2_feed_entries_in_order_with_titles_and_dates(server, fetcher):
    """RSS 2.0 items come back in feed order (not date order) with title and pubDate."""
    items = [
        ("/post-b", "Post B", "Tue, 02 Jan 2024 09:30:00 GMT"),
        ("/post-a", "Post A", "Mon, 01 Jan 2024 08:00:00 +0100"),
        ("/post-c", "Post C &amp; friends", "Wed, 03 Jan 2024 12:00:00 GMT"),
    ]
    server.routes["/rss.xml"] = Route(
        body=rss_feed(server.base, items), headers={"Content-Type": "application/rss+xml"}
    )
    source = rss_source(server.url("/rss.xml"))

    urls = discover(source, fetcher).urls

    assert [u.url for u in urls] == [server.url(p) for p, _, _ in items]
    assert [u.title for u in urls] == ["Post B", "Post A", "Post C & friends"]
    assert urls[0].published_at == datetime(2024, 1, 2, 9, 30, tzinfo=UTC)
    assert urls[1].published_at == datetime(2024, 1, 1, 7, 0, tzinfo=UTC)  # +0100 normalised
    requests = requests_from(source, urls)
    assert len(requests) == 3
    assert (requests[0].url, requests[0].source_id, requests[0].title) == (
        server.url("/post-b"),
        "src-rss",
        "Post B",
    )


def test_rss2_fingerprint_changes_only_for_the_changed_entry(server, fetcher):
    """When one item's date changes its fingerprint changes; the other items' stay put."""
    old = [
        ("/a", "A", "Mon, 01 Jan 2024 10:00:00 GMT"),
        ("/b", "B", "Mon, 01 Jan 2024 11:00:00 GMT"),
    ]
    new = [old[0], ("/b", "B", "Fri, 05 Jan 2024 11:00:00 GMT")]
    source = rss_source(server.url("/rss.xml"))
    rss = {"Content-Type": "application/rss+xml"}

    server.routes["/rss.xml"] = Route(body=rss_feed(server.base, old), headers=rss)
    before = discover(source, fetcher).urls
    server.routes["/rss.xml"] = Route(body=rss_feed(server.base, new), headers=rss)
    after = discover(source, fetcher).urls

    assert before[0].fingerprint == after[0].fingerprint
    assert before[1].fingerprint != after[1].fingerprint
    assert before[1].url == after[1].url


def atom_feed(base: str, b_updated: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Atom test</title><id>urn:feed</id><updated>2024-03-05T00:00:00Z</updated>
  <link rel="self" href="{base}/atom.xml"/>
  <entry>
    <title>Entry one</title>
    <link rel="edit" href="{base}/edit/one"/>
    <link rel="alternate" type="text/html" href="{base}/one"/>
    <id>urn:one</id>
    <published>2024-03-01T08:00:00Z</published>
    <updated>2024-03-02T08:00:00Z</updated>
  </entry>
  <entry>
    <title type="html">Entry &lt;b&gt;two&lt;/b&gt;</title>
    <link href="/two"/>
    <id>urn:two</id>
    <updated>{b_updated}</updated>
  </entry>
</feed>""".encode()


def test_atom_feed_entries_with_alternate_links_dates_and_fingerprint(server, fetcher):
    """Atom 1.0: alternate link (not the edit link), relative links resolved, updated drives version."""
    atom = {"Content-Type": "application/atom+xml"}
    source = rss_source(server.url("/atom.xml"))

    server.routes["/atom.xml"] = Route(
        body=atom_feed(server.base, "2024-03-04T10:00:00+02:00"), headers=atom
    )
    before = discover(source, fetcher).urls

    assert [u.url for u in before] == [server.url("/one"), server.url("/two")]
    assert before[0].title == "Entry one"
    assert "two" in before[1].title
    assert before[0].published_at == datetime(2024, 3, 1, 8, 0, tzinfo=UTC)  # published wins
    assert before[0].version == "2024-03-02T08:00:00Z"  # ...but updated is the version
    assert before[1].published_at == datetime(2024, 3, 4, 8, 0, tzinfo=UTC)

    server.routes["/atom.xml"] = Route(
        body=atom_feed(server.base, "2024-03-09T10:00:00+02:00"), headers=atom
    )
    after = discover(source, fetcher).urls

    assert before[0].fingerprint == after[0].fingerprint
    assert before[1].fingerprint != after[1].fingerprint


def rdf_feed(base: str, second_date: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="{base}/">
    <title>RDF test</title><link>{base}/</link><description>RSS 1.0</description>
    <items><rdf:Seq>
      <rdf:li rdf:resource="{base}/r1"/><rdf:li rdf:resource="{base}/r2"/><rdf:li rdf:resource="{base}/r3"/>
    </rdf:Seq></items>
  </channel>
  <item rdf:about="{base}/r1"><title>First</title><link>{base}/r1</link>
    <dc:date>2024-02-10T10:00:00Z</dc:date></item>
  <item rdf:about="{base}/r2"><title>Second</title><link>{base}/r2</link>
    <dc:date>{second_date}</dc:date></item>
  <item rdf:about="{base}/r3"><title>Third</title><link>{base}/r3</link>
    <dc:date>2024-02-01T00:00:00Z</dc:date></item>
</rdf:RDF>""".encode()


def test_rss1_rdf_feed_entries_dates_and_fingerprint(server, fetcher):
    """RSS 1.0 (RDF) items with dc:date parse in order; a changed dc:date changes the fingerprint."""
    rdf = {"Content-Type": "application/rdf+xml"}
    source = rss_source(server.url("/index.rdf"))

    server.routes["/index.rdf"] = Route(
        body=rdf_feed(server.base, "2024-02-12T09:00:00+01:00"), headers=rdf
    )
    before = discover(source, fetcher).urls

    assert [u.url for u in before] == [server.url(p) for p in ("/r1", "/r2", "/r3")]
    assert [u.title for u in before] == ["First", "Second", "Third"]
    assert before[0].published_at == datetime(2024, 2, 10, 10, 0, tzinfo=UTC)
    assert before[1].published_at == datetime(2024, 2, 12, 8, 0, tzinfo=UTC)

    server.routes["/index.rdf"] = Route(
        body=rdf_feed(server.base, "2024-02-20T09:00:00+01:00"), headers=rdf
    )
    after = discover(source, fetcher).urls

    assert [before[i].fingerprint == after[i].fingerprint for i in range(3)] == [True, False, True]


def rss09x_feeds(base: str) -> dict[str, bytes]:
    """RSS 0.91 (Netscape's, with its DOCTYPE) and 0.92 (items may lack a title; no
    dates, no guid): items of title, link and description only."""
    rss091 = f"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
  "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old Garden News</title><link>{base}/</link>
  <description>Weekly notes</description><language>en-us</language>
  <item><title>Sowing broad beans</title><link>{base}/old/beans</link>
    <description>When and how to sow.</description></item>
  <item><title>Pruning currants</title><link>{base}/old/currants</link></item>
</channel></rss>""".encode("iso-8859-1")
    rss092 = f"""<?xml version="1.0"?>
<rss version="0.92"><channel><title>Allotment diary</title><link>{base}/</link>
  <description>Notes</description>
  <item><description>No title here, only a description.</description>
    <link>{base}/diary/1</link><category>soil</category></item>
  <item><title>Mulching</title><link>{base}/diary/2</link>
    <enclosure url="{base}/mulch.mp3" length="1" type="audio/mpeg"/></item>
</channel></rss>""".encode()
    return {"/rss091.xml": rss091, "/rss092.xml": rss092}


def test_rss_091_and_092_feed_entries_become_pages(siex_home, server):
    """Feeds in the old RSS 0.91 and 0.92 formats, as registered sources, through a real
    ingest run: every item with a link becomes a page row, titled from the feed when the
    item has a title, and a document."""
    from dagster import instance_for_test

    from siex.warehouse import Warehouse
    from siex_assets.partitions import today_utc
    from tests.conftest import article_html
    from tests.helpers import make_tenant, run_ingest
    from tests.test_pipeline import PARAGRAPH

    paths = ["/old/beans", "/old/currants", "/diary/1", "/diary/2"]
    for i, path in enumerate(paths):
        body = article_html(f"Page {i}", [PARAGRAPH.replace("Compost", f"Compost {i}")])
        server.routes[path] = Route(body=body.encode())
    for path, body in rss09x_feeds(server.base).items():
        server.routes[path] = Route(body=body, headers={"Content-Type": "application/rss+xml"})
    make_tenant(siex_home, "acme", [("rss", server.url(p)) for p in ("/rss091.xml", "/rss092.xml")])

    with instance_for_test() as instance:
        assert run_ingest(siex_home, instance, "acme", today_utc()).success
    store = Warehouse(siex_home.warehouse_dir)
    pages = {r["url"]: r for r in store.read("pages", "acme", today_utc()).to_pylist()}
    assert {url: row["feed_title"] for url, row in pages.items()} == {
        server.url("/old/beans"): "Sowing broad beans",
        server.url("/old/currants"): "Pruning currants",
        server.url("/diary/1"): "",
        server.url("/diary/2"): "Mulching",
    }
    assert all(row["http_status"] == 200 and row["published_at"] is None for row in pages.values())
    documents = store.read("documents", "acme", today_utc()).column("url").to_pylist()
    assert sorted(documents) == sorted(pages)


def test_fingerprint_depends_on_url_and_version_only():
    """DiscoveredUrl.fingerprint is stable for the same (url, version) and ignores the title."""
    a = DiscoveredUrl("https://x.test/p", title="One", version="2024-01-01")
    assert (
        a.fingerprint
        == DiscoveredUrl("https://x.test/p", title="Other", version="2024-01-01").fingerprint
    )
    assert a.fingerprint != DiscoveredUrl("https://x.test/p", version="2024-01-02").fingerprint
    assert a.fingerprint != DiscoveredUrl("https://x.test/q", version="2024-01-01").fingerprint


def test_parse_feed_skips_entries_without_link():
    """An entry with no link at all is dropped; its neighbours are kept."""
    feed = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
      <item><title>no link</title><guid isPermaLink="false">x1</guid></item>
      <item><title>linked</title><link>https://x.test/ok</link></item></channel></rss>"""
    assert [u.url for u in parse_feed(feed, "https://x.test/feed")] == ["https://x.test/ok"]


# -- sitemaps ------------------------------------------------------------------------


def test_sitemap_urls_and_lastmod_formats(server, fetcher):
    """A <urlset> yields every <loc> in order; W3C lastmod dates/times/offsets become aware datetimes."""
    server.routes["/sitemap.xml"] = Route(
        body=urlset(
            [
                (server.url("/d"), "2024-05-01"),
                (server.url("/z"), "2024-05-02T12:30:00Z"),
                (server.url("/o"), "2024-05-03T12:30:00+02:00"),
                (server.url("/none"), None),
                (server.url("/bad"), "yesterday"),
            ]
        ),
        headers=XML,
    )
    found = discover(sitemap_source(server.url("/sitemap.xml")), fetcher)
    urls, response = found.urls, found.response

    assert response.ok
    assert [u.url for u in urls] == [server.url(p) for p in ("/d", "/z", "/o", "/none", "/bad")]
    assert urls[0].published_at == datetime(2024, 5, 1, tzinfo=UTC)
    assert urls[1].published_at == datetime(2024, 5, 2, 12, 30, tzinfo=UTC)
    assert urls[2].published_at == datetime(2024, 5, 3, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    assert urls[2].published_at == datetime(2024, 5, 3, 10, 30, tzinfo=UTC)
    assert urls[3].published_at is None and urls[3].version == ""
    assert urls[4].published_at is None and urls[4].version == "yesterday"
    assert urls[0].version == "2024-05-01"


def test_sitemap_lastmod_change_changes_fingerprint(server, fetcher):
    """A new <lastmod> for a page gives it a new fingerprint so it is fetched again."""
    source = sitemap_source(server.url("/sitemap.xml"))
    server.routes["/sitemap.xml"] = Route(
        body=urlset([(server.url("/p"), "2024-05-01")]), headers=XML
    )
    before = discover(source, fetcher).urls
    server.routes["/sitemap.xml"] = Route(
        body=urlset([(server.url("/p"), "2024-06-01")]), headers=XML
    )
    after = discover(source, fetcher).urls
    assert before[0].fingerprint != after[0].fingerprint


def test_sitemap_index_follows_both_children(server, fetcher):
    """A sitemap index is expanded: pages of both child sitemaps, in index order, with lastmod."""
    server.routes["/sitemap_index.xml"] = Route(
        body=sitemap_index([server.url("/sitemap-posts.xml"), server.url("/sitemap-pages.xml")]),
        headers=XML,
    )
    server.routes["/sitemap-posts.xml"] = Route(
        body=urlset(
            [(server.url("/posts/1"), "2024-04-01"), (server.url("/posts/2"), "2024-04-02")]
        ),
        headers=XML,
    )
    server.routes["/sitemap-pages.xml"] = Route(
        body=urlset([(server.url("/about"), "2023-12-24T08:00:00Z")]),
        headers={"Content-Type": "text/xml; charset=utf-8"},
    )

    found = discover(sitemap_source(server.url("/sitemap_index.xml")), fetcher)

    urls, response = found.urls, found.response

    assert response.final_url == server.url("/sitemap_index.xml")
    assert [u.url for u in urls] == [
        server.url("/posts/1"),
        server.url("/posts/2"),
        server.url("/about"),
    ]
    assert urls[1].published_at == datetime(2024, 4, 2, tzinfo=UTC)
    assert urls[2].published_at == datetime(2023, 12, 24, 8, 0, tzinfo=UTC)


def test_sitemap_index_skips_a_broken_child(server, fetcher):
    """A child sitemap that 404s or is not XML is skipped; the other child's pages still come through."""
    server.routes["/index.xml"] = Route(
        body=sitemap_index(
            [server.url("/missing.xml"), server.url("/garbage.xml"), server.url("/good.xml")]
        ),
        headers=XML,
    )
    server.routes["/garbage.xml"] = Route(body=b"this is not xml", headers=XML)
    server.routes["/good.xml"] = Route(body=urlset([(server.url("/ok"), None)]), headers=XML)

    urls = discover(sitemap_source(server.url("/index.xml")), fetcher).urls
    assert [u.url for u in urls] == [server.url("/ok")]


def test_gzip_sitemap(server, fetcher):
    """A .xml.gz sitemap served as application/x-gzip is inflated and parsed."""
    plain = urlset([(server.url(f"/g/{i}"), f"2024-01-0{i + 1}") for i in range(3)])
    server.routes["/sitemap.xml.gz"] = Route(
        body=gzip.compress(plain), headers={"Content-Type": "application/x-gzip"}
    )
    urls = discover(sitemap_source(server.url("/sitemap.xml.gz")), fetcher).urls
    assert [u.url for u in urls] == [server.url(f"/g/{i}") for i in range(3)]
    assert urls[2].published_at == datetime(2024, 1, 3, tzinfo=UTC)


def test_sitemap_with_content_encoding_gzip(server, fetcher):
    """A sitemap sent with Content-Encoding: gzip is decoded by the HTTP layer and parsed."""
    plain = urlset([(server.url("/enc"), "2024-01-01")])
    server.routes["/sitemap.xml"] = Route(
        body=gzip.compress(plain),
        headers={"Content-Type": "application/xml", "Content-Encoding": "gzip"},
    )
    urls = discover(sitemap_source(server.url("/sitemap.xml")), fetcher).urls
    assert [u.url for u in urls] == [server.url("/enc")]


def test_sitemap_index_listing_itself_does_not_loop(server, fetcher):
    """An index that lists itself (and a gzip child) is read once; the child's pages are found."""
    server.routes["/sitemap.xml"] = Route(
        body=sitemap_index([server.url("/sitemap.xml"), server.url("/child.xml.gz")]),
        headers=XML,
    )
    server.routes["/child.xml.gz"] = Route(
        body=gzip.compress(urlset([(server.url("/c1"), "2024-02-02"), (server.url("/c2"), None)])),
        headers={"Content-Type": "application/gzip"},
    )

    urls = discover(sitemap_source(server.url("/sitemap.xml")), fetcher).urls

    assert [u.url for u in urls] == [server.url("/c1"), server.url("/c2")]
    assert urls[0].published_at == datetime(2024, 2, 2, tzinfo=UTC)
    assert len(headers_of(server, "/sitemap.xml")) == 1
    assert len(headers_of(server, "/child.xml.gz")) == 1


def test_sitemap_index_loop_between_two_indexes_terminates(server, fetcher):
    """Two indexes naming each other do not recurse; a repeated child is fetched once."""
    server.routes["/a.xml"] = Route(
        body=sitemap_index(
            [server.url("/b.xml"), server.url("/pages.xml"), server.url("/pages.xml")]
        ),
        headers=XML,
    )
    server.routes["/b.xml"] = Route(body=sitemap_index([server.url("/a.xml")]), headers=XML)
    server.routes["/pages.xml"] = Route(body=urlset([(server.url("/p"), None)]), headers=XML)

    urls = discover(sitemap_source(server.url("/a.xml")), fetcher).urls

    assert [u.url for u in urls] == [server.url("/p")]
    assert len(headers_of(server, "/a.xml")) == 1
    assert len(headers_of(server, "/pages.xml")) == 1


def test_tracking_parameters_and_fragments_do_not_duplicate_pages(server):
    """A feed announcing one article three ways (utm parameters, a fragment, a mixed-case
    host) yields one page, under its clean URL; distinct query strings stay distinct."""
    from siex.ingest import discover
    from siex.platform.service import SourceSpec
    from siex.web.fetch import Fetcher
    from siex.web.urls import normalize_url
    from tests.conftest import Route, rss_feed

    base = server.url("")
    host = base.split("//")[1]
    day = "Mon, 02 Nov 2026 10:00:00 GMT"
    feed = rss_feed(
        base,
        [
            ("/post?id=7&utm_source=rss&utm_medium=feed", "Post", day),
            ("/post?id=7#comments", "Post again", day),
            ("/post?id=8&fbclid=abc", "Another post", day),
        ],
    ).replace(
        f"{base}/post?id=7#comments".encode(), f"http://{host.upper()}/post?id=7#comments".encode()
    )
    server.routes["/feed.xml"] = Route(body=feed, headers={"Content-Type": "application/rss+xml"})
    source = SourceSpec(id="s1", tenant_id="t", kind="rss", url=server.url("/feed.xml"), role="own")
    with Fetcher(user_agent="siex-test/1.0", timeout_s=5, min_interval_s=0) as fetcher:
        pages = discover(source, fetcher).urls
    assert [p.url for p in pages] == [f"{base}/post?id=7", f"{base}/post?id=8"]
    assert pages[0].title == "Post"  # the first announcement wins
    assert normalize_url("http://[invalid#x") == "http://[invalid"  # kept, not lost


def test_transient_failures_are_retried_with_backoff(server):
    """503 then 200: fetched on the third attempt. A 404 is not retried. A Retry-After
    beyond the cap gives up at once instead of stalling the run."""
    from siex.web.fetch import Fetcher
    from tests.conftest import Route

    calls = {"flaky": 0, "missing": 0, "busy": 0}

    def flaky(handler) -> None:
        calls["flaky"] += 1
        status, body = (
            (503, b"busy") if calls["flaky"] < 3 else (200, b"<html><body>ok</body></html>")
        )
        handler.send_response(status)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def counting(name: str, status: int, headers: dict):
        def handle(handler) -> None:
            calls[name] += 1
            handler.send_response(status)
            for key, value in {**headers, "Content-Length": "0"}.items():
                handler.send_header(key, value)
            handler.end_headers()

        return handle

    server.routes["/flaky"] = Route(handler=flaky)
    server.routes["/missing"] = Route(handler=counting("missing", 404, {}))
    server.routes["/busy"] = Route(handler=counting("busy", 429, {"Retry-After": "3600"}))
    with Fetcher(
        user_agent="t", timeout_s=5, retries=2, backoff_s=0.01, min_interval_s=0
    ) as fetcher:
        flaky_result = fetcher.get(server.url("/flaky"))
        missing = fetcher.get(server.url("/missing"))
        busy = fetcher.get(server.url("/busy"))
    assert flaky_result.ok and flaky_result.attempts == 3 and calls["flaky"] == 3
    assert missing.error == "http_404" and calls["missing"] == 1
    assert busy.error == "http_429" and busy.retry_after == 3600 and calls["busy"] == 1
    with Fetcher(
        user_agent="t", timeout_s=5, retries=1, backoff_s=0.01, min_interval_s=0
    ) as fetcher:
        calls["flaky"] = 0
        assert fetcher.get(server.url("/flaky")).error == "http_503"  # out of retries
    assert calls["flaky"] == 2
