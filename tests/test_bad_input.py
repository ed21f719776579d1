"""Bad input never stops a run: a feed that is not XML, 404/500 pages, redirect loops,
binary bodies, odd encodings and oversized pages are each recorded with a reason while
the good pages go through, and nothing already fetched is lost."""

from __future__ import annotations

import gzip
import io
import random
import threading
import tracemalloc
from datetime import UTC, datetime

import pytest

from siex.engine import KeywordExtractor
from siex.ingest import (
    PageRequest,
    build_documents,
    content_hash,
    discover,
    doc_id,
    extract_keywords,
    fetch_pages,
    latest_pages,
)
from siex.platform.service import SourceSpec
from siex.web.feeds import MAX_SITEMAP_BYTES, SourceError, parse_feed, parse_sitemap
from siex.web.fetch import Fetcher, decode_html, looks_binary
from tests.conftest import Route, article_html

MiB = 1024 * 1024
CAP = 2 * MiB  # the per-page cap the tests give the fetcher
HUGE = 50 * MiB  # the issue's "50 MB page"

LOREM = [
    "Drip irrigation delivers water directly to the roots of each plant through a network of tubes.",
    "Compared with sprinklers it loses far less water to evaporation and runoff on hot afternoons.",
    "Gardeners who install a timer and a pressure regulator report healthier tomatoes and peppers.",
]


@pytest.fixture
def fetcher():
    with Fetcher(
        user_agent="siex-test/1.0", timeout_s=5, max_bytes=CAP, max_redirects=5, min_interval_s=0
    ) as f:
        yield f


@pytest.fixture(scope="module")
def extractor() -> KeywordExtractor:
    return KeywordExtractor()


def html_route(html: str | bytes, content_type: str = "text/html; charset=utf-8") -> Route:
    body = html.encode("utf-8") if isinstance(html, str) else html
    return Route(body=body, headers={"Content-Type": content_type})


def redirect(to: str) -> Route:
    return Route(status=302, headers={"Location": to})


class Streamer:
    """A handler streaming ``total`` bytes of HTML in 64 KiB chunks, generated on the fly.

    ``sent`` is how much went out before the client hung up; ``done`` is set when the
    handler returns.
    """

    CHUNK = (b"<p>" + b"lorem ipsum " * 84 + b"</p>\n") * 64

    def __init__(self, total: int, content_length: bool) -> None:
        self.total = total
        self.content_length = content_length
        self.sent = 0
        self.done = threading.Event()

    def __call__(self, h) -> None:
        try:
            h.send_response(200)
            h.send_header("Content-Type", "text/html; charset=utf-8")
            if self.content_length:
                h.send_header("Content-Length", str(self.total))
            else:
                h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()
            while self.sent < self.total:
                chunk = self.CHUNK[: self.total - self.sent]
                if self.content_length:
                    h.wfile.write(chunk)
                else:
                    h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.sent += len(chunk)
            if not self.content_length:
                h.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client hung up, as it should once over the cap
            h.close_connection = True
        finally:
            self.done.set()


def failure_reasons(result) -> dict[str, str]:
    return {f["url"]: f["reason"] for f in result.failures}


# -- fetch_pages: every bad case recorded, good pages kept ----------------------------


def test_fetch_pages_records_each_bad_page_and_keeps_the_good_ones(server, fetcher):
    """A mixed run: good pages become rows, each bad URL one failure with its reason code."""
    for i in range(3):
        server.routes[f"/good/{i}"] = html_route(article_html(f"Good {i}", LOREM))
    server.routes["/err500"] = Route(status=500, body=b"<html>boom</html>")
    server.routes["/loop-a"] = redirect("/loop-b")
    server.routes["/loop-b"] = redirect("/loop-a")
    server.routes["/self"] = redirect("/self")
    for i in range(8):  # a chain with no loop, longer than max_redirects
        server.routes[f"/chain/{i}"] = redirect(f"/chain/{i + 1}")
    server.routes["/chain/8"] = html_route(article_html("End of chain", LOREM))
    server.routes["/hop"] = redirect("/good/0")  # one redirect is fine
    server.routes["/binary.html"] = html_route(random.Random(7).randbytes(64 * 1024), "text/html")
    server.routes["/photo.png"] = html_route(b"\x89PNG\r\n\x1a\n" + bytes(200), "image/png")
    streamed = Streamer(HUGE, content_length=False)
    declared = Streamer(HUGE, content_length=True)
    server.routes["/huge-streamed"] = Route(handler=streamed)
    server.routes["/huge-declared"] = Route(handler=declared)
    server.routes["/dup"] = html_route(article_html("Dup", LOREM))

    good = ["/good/0", "/good/1", "/good/2", "/hop"]
    bad = {
        "/missing": "http_404",
        "/err500": "http_500",
        "/loop-a": "redirect_loop",
        "/self": "redirect_loop",
        "/chain/0": "too_many_redirects",
        "/binary.html": "binary_content",
        "/photo.png": "unsupported_content_type",
        "/huge-streamed": "too_large",
        "/huge-declared": "too_large",
    }
    order = ["/good/0", "/missing", "/good/1", "/err500", "/loop-a", "/self", "/chain/0"]
    order += ["/binary.html", "/huge-streamed", "/hop", "/photo.png", "/huge-declared"]
    order += ["/good/2", "/dup", "/dup"]
    requests = [PageRequest(server.url(p), source_id="s1") for p in order]
    progress: list[tuple[int, int]] = []

    result = fetch_pages(
        requests, fetcher, run_id="run-1", progress=lambda i, n: progress.append((i, n))
    )

    rows = {r["url"]: r for r in result.rows}
    assert set(rows) == {server.url(p) for p in [*good, "/dup"]}
    assert failure_reasons(result) == {server.url(p): reason for p, reason in bad.items()}
    assert len(result.failures) == len(bad)  # one failure per URL, no duplicates
    assert all(f["stage"] == "fetch" and f["source_id"] == "s1" for f in result.failures)
    assert progress[-1] == (len(set(order)), len(set(order)))

    assert "Good 1" in rows[server.url("/good/1")]["html"]
    assert rows[server.url("/good/1")]["http_status"] == 200
    assert rows[server.url("/good/1")]["run_id"] == "run-1"
    assert rows[server.url("/hop")]["final_url"] == server.url("/good/0")

    # The streaming cap stopped the un-declared 50 MB body early; the declared one was
    # refused on its Content-Length before the body was read.
    assert streamed.done.wait(10) and declared.done.wait(10)
    assert streamed.sent < HUGE
    assert declared.sent < HUGE
    details = {f["url"]: f["detail"] for f in result.failures}
    assert "body over" in details[server.url("/huge-streamed")]
    assert "Content-Length" in details[server.url("/huge-declared")]


def test_page_just_under_the_cap_is_kept(server, fetcher):
    """A page a little under the byte cap, streamed without Content-Length, is fetched whole."""
    size = CAP - 1000
    server.routes["/big"] = Route(handler=Streamer(size, content_length=False))
    result = fetch_pages([PageRequest(server.url("/big"))], fetcher)
    assert result.failures == []
    assert len(result.rows[0]["html"]) == size


def test_redirect_loop_and_long_chain_are_told_apart(server):
    """Fetcher says redirect_loop for A→B→A and too_many_redirects for a long straight chain."""
    server.routes["/a"] = redirect("/b")
    server.routes["/b"] = redirect("/a")
    for i in range(3):
        server.routes[f"/c{i}"] = redirect(f"/c{i + 1}")
    server.routes["/c3"] = html_route("<html><body>end</body></html>")
    with Fetcher(user_agent="t", timeout_s=5, max_redirects=2, min_interval_s=0) as f:
        assert f.get(server.url("/a")).error == "redirect_loop"
        assert f.get(server.url("/c0")).error == "too_many_redirects"
        assert f.get(server.url("/c1")).ok  # two hops: within the limit
        assert f.get(server.url("/a")).error == "redirect_loop"  # state reset per call


def test_failed_refetch_keeps_the_stored_page(server, fetcher):
    """A page that later fails (500) only adds a failure; the earlier stored row stays the latest."""
    url = server.url("/page")
    server.routes["/page"] = html_route(article_html("Stored", LOREM))
    first = fetch_pages([PageRequest(url)], fetcher, run_id="run-1")
    server.routes["/page"] = Route(status=500, body=b"down")
    second = fetch_pages([PageRequest(url)], fetcher, run_id="run-2")

    assert second.rows == [] and failure_reasons(second) == {url: "http_500"}
    latest = latest_pages(first.rows + second.rows)
    assert len(latest) == 1 and latest[0]["run_id"] == "run-1"
    assert "Stored" in latest[0]["html"]


def test_connection_refused_is_recorded(fetcher):
    """A host that refuses connections is a connection_error failure, not an exception."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    result = fetch_pages([PageRequest(f"http://127.0.0.1:{port}/x")], fetcher)
    assert [f["reason"] for f in result.failures] == ["connection_error"]


def test_slow_page_times_out(server):
    """A server that never answers is recorded as a timeout."""
    gate = threading.Event()

    def stall(h) -> None:
        gate.wait(5)
        h.close_connection = True

    server.routes["/slow"] = Route(handler=stall)
    try:
        with Fetcher(user_agent="t", timeout_s=0.5, min_interval_s=0) as f:
            result = fetch_pages([PageRequest(server.url("/slow"))], f)
    finally:
        gate.set()
    assert [f["reason"] for f in result.failures] == ["timeout"]


# -- odd encodings -------------------------------------------------------------------

CP1252_HTML = (
    '<!doctype html><html lang="en"><head><title>Café “Zürich”</title></head><body>'
    "<nav><a href='/'>Home</a></nav><article><h1>Café “Zürich”</h1>"
    "<p>Our chef’s “signature” crème brûlée costs €7 — and the Müsli with Rösti is über-popular "
    "with guests who order the naïve café au lait every single morning before nine o’clock.</p>"
    "<p>Reservations for the façade terrace are taken by phone; the señor at the door speaks "
    "German, French and Spanish and will happily explain the daily specials from 9–11 o’clock.</p>"
    "</article></body></html>"
)
SJIS_HTML = (
    '<!doctype html><html lang="ja"><head><meta charset="shift_jis"><title>東京の桜</title>'
    "</head><body><nav><a href='/'>ホーム</a></nav><article><h1>東京の桜</h1>"
    "<p>東京は日本の首都です。春になると、上野公園や千鳥ヶ淵で桜が咲き、多くの人がお花見を楽しみます。</p>"
    "<p>桜の季節は短く、満開の時期は一週間ほどしか続きません。そのため、開花予想が毎年発表されます。</p>"
    "<p>夜桜も人気があり、ライトアップされた桜並木はとても美しいです。</p>"
    "</article></body></html>"
)
LATIN1_HTML = (
    "<html><head><title>Sjön och staden</title></head><body><article><h1>Sjön och staden</h1>"
    "<p>Vi åker till sjön på lördag och äter räkor på bryggan. Öl och våfflor är också gott, "
    "säger Åsa, som bor i ett gammalt hus nära skogen och älskar att fiska gädda på morgonen.</p>"
    "<p>Le café était très agréable; la façade donnait sur la rivière où le señor pêchait "
    "chaque matin avant que la foule n'arrive au marché pour acheter du pain frais.</p>"
    "</article></body></html>"
)


def serve_odd_encodings(server) -> dict[str, str]:
    """Serve the three odd-encoding pages; returns path -> expected text."""
    server.routes["/cp1252"] = html_route(
        CP1252_HTML.encode("windows-1252"), "text/html; charset=windows-1252"
    )
    server.routes["/sjis"] = html_route(SJIS_HTML.encode("shift_jis"), "text/html")
    server.routes["/latin1"] = html_route(LATIN1_HTML.encode("latin-1"), "text/html")
    return {"/cp1252": CP1252_HTML, "/sjis": SJIS_HTML, "/latin1": LATIN1_HTML}


def test_odd_encodings_decode_and_become_documents(server, fetcher, extractor):
    """windows-1252 (header), Shift-JIS (<meta> only) and undeclared latin-1 decode exactly
    and turn into documents whose text keeps every accented/Japanese character."""
    expected = serve_odd_encodings(server)
    server.routes["/utf8"] = html_route(article_html("Plain UTF-8 ✓", LOREM))
    paths = [*expected, "/utf8"]

    fetched = fetch_pages([PageRequest(server.url(p), source_id="s1") for p in paths], fetcher)

    assert fetched.failures == []
    rows = {r["url"]: r for r in fetched.rows}
    for path, html in expected.items():
        assert rows[server.url(path)]["html"] == html, path
    assert rows[server.url("/cp1252")]["encoding"] == "windows-1252"
    assert rows[server.url("/sjis")]["encoding"] == "shift_jis"
    assert rows[server.url("/latin1")]["encoding"] in ("cp1252", "latin_1", "iso8859_15")
    assert "✓" in rows[server.url("/utf8")]["html"]

    docs = build_documents("t1", fetched.rows, extractor)

    assert docs.failures == []
    by_url = {d["url"]: d for d in docs.rows}
    cp1252 = by_url[server.url("/cp1252")]
    assert cp1252["title"] == "Café “Zürich”"
    for piece in (
        "chef’s “signature” crème brûlée costs €7 — and",
        "über-popular",
        "naïve",
        "9–11",
    ):
        assert piece in cp1252["text"]
    sjis = by_url[server.url("/sjis")]
    assert sjis["title"] == "東京の桜"
    assert "東京は日本の首都です。" in sjis["text"]
    assert "ライトアップされた桜並木" in sjis["text"]
    assert sjis["lang"] == "ja"
    assert sjis["word_count"] >= 20
    latin1 = by_url[server.url("/latin1")]
    for piece in ("Vi åker till sjön på lördag och äter räkor", "Öl och våfflor", "Åsa"):
        assert piece in latin1["text"]
    assert "très agréable; la façade donnait sur la rivière où le señor pêchait" in latin1["text"]
    assert latin1["title"] == "Sjön och staden"
    assert "\ufffd" not in "".join(d["text"] for d in docs.rows)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (
            "Grüße aus München! Die Straße ist schön, und die Bäume blühen über dem Fluss.",
            "latin-1",
        ),
        (
            "El niño comió en España. ¿Dónde está la estación? ¡Qué día más bonito! Mañana.",
            "latin-1",
        ),
        ("Zażółć gęślą jaźń. Łódź jest pięknym miastem, a Kraków ma wspaniałą starówkę.", "cp1250"),
        ("Москва — столица России. Здесь много красивых зданий, парков и музеев.", "cp1251"),
        ("Le café était très agréable; la façade, señor. Ça coûte cher, n'est-ce pas?", "utf-8"),
    ],
)
def test_decode_html_detects_undeclared_encodings(text, encoding):
    """Pages with no declared charset decode to the original text (the fallback detection path)."""
    html = f"<html><body><p>{text}</p></body></html>"
    decoded, _detected = decode_html(html.encode(encoding), "text/html")
    assert decoded == html


def test_decode_html_survives_a_lying_or_unknown_charset():
    """A header charset that is wrong or unknown falls through to the <meta> and detection."""
    html = (
        '<html><head><meta charset="windows-1252"></head><body><p>“Quoted” café</p></body></html>'
    )
    body = html.encode("windows-1252")
    assert decode_html(body, "text/html; charset=utf-8") == (html, "windows-1252")
    assert decode_html(body, "text/html; charset=x-no-such-charset")[0] == html


# -- binary detection ----------------------------------------------------------------


def test_looks_binary():
    """Random bytes, images and NUL-laden data are binary; text in any encoding is not."""
    assert looks_binary(random.Random(1).randbytes(4096))
    assert looks_binary(b"GIF89a" + bytes(100))
    assert not looks_binary(b"")
    assert not looks_binary(CP1252_HTML.encode("windows-1252"))
    assert not looks_binary(SJIS_HTML.encode("shift_jis"))
    assert not looks_binary("ünïcödé\r\n\t".encode() * 100)


# -- feeds and sitemaps that are not what they claim --------------------------------


def feed_source(url: str) -> SourceSpec:
    return SourceSpec(id="feed-1", tenant_id="t1", kind="rss", url=url, role="own")


def sitemap_source(url: str) -> SourceSpec:
    return SourceSpec(id="sm-1", tenant_id="t1", kind="sitemap", url=url, role="own")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (article_html("Not a feed", LOREM).encode(), "text/html; charset=utf-8"),
        (b"User-agent: *\nDisallow: /private\n", "text/plain"),
        (b"", "application/rss+xml"),
        (b'{"items": [{"url": "https://x.test/a"}]}', "application/xml"),
        (random.Random(3).randbytes(2048), "application/octet-stream"),
    ],
    ids=["html-page", "plain-text", "empty", "json", "random-bytes"],
)
def test_feed_that_is_not_xml_raises_feed_not_parseable(server, fetcher, body, content_type):
    """discover() on a 'feed' that is HTML, text, JSON, empty or noise raises feed_not_parseable."""
    server.routes["/feed"] = Route(body=body, headers={"Content-Type": content_type})
    with pytest.raises(SourceError) as err:
        discover(feed_source(server.url("/feed")), fetcher)
    assert err.value.reason == "feed_not_parseable"


@pytest.mark.parametrize(
    ("path", "route", "reason"),
    [
        ("/gone.xml", None, "http_404"),
        ("/broken.xml", Route(status=500, body=b"oops"), "http_500"),
        (
            "/feed.jpg",
            Route(body=b"\xff\xd8\xff" + bytes(50), headers={"Content-Type": "image/jpeg"}),
            "unsupported_content_type",
        ),
    ],
)
def test_feed_fetch_failure_raises_with_fetch_reason(server, fetcher, path, route, reason):
    """A feed URL that 404s/500s or serves an image raises SourceError carrying the fetch reason."""
    if route is not None:
        server.routes[path] = route
    with pytest.raises(SourceError) as err:
        discover(feed_source(server.url(path)), fetcher)
    assert err.value.reason == reason


def test_feed_with_broken_entities_still_yields_entries(server, fetcher):
    """Undefined entities and a bare '&' make the XML invalid, yet the entries are recovered."""
    base = server.base
    feed = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Fish &amp; Chips &nbsp; &copy;</title>
      <link>{base}/</link><description>x</description>
      <item><title>Tom &amp; Jerry &nbsp; &bogus; AT&T</title><link>{base}/p1</link>
        <pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate></item>
      <item><title>Second</title><link>{base}/p2</link></item>
    </channel></rss>""".encode()
    server.routes["/feed.xml"] = Route(body=feed, headers={"Content-Type": "application/rss+xml"})

    urls = discover(feed_source(server.url("/feed.xml")), fetcher).urls

    assert [u.url for u in urls] == [f"{base}/p1", f"{base}/p2"]
    assert urls[0].title.startswith("Tom & Jerry")
    assert urls[0].published_at == datetime(2024, 1, 1, tzinfo=UTC)


def test_truncated_feed_keeps_the_entries_before_the_cut():
    """A feed cut off mid-item still yields the complete items before the cut."""
    feed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>One</title><link>https://x.test/1</link></item>"
        b"<item><title>Two</title><link>https://x.test/2</link></item>"
        b"<item><title>Thr"
    )
    urls = parse_feed(feed, "https://x.test/feed")
    assert [u.url for u in urls][:2] == ["https://x.test/1", "https://x.test/2"]


@pytest.mark.parametrize(
    "body",
    [
        b"this is not xml at all",
        b"<!doctype html><html><body><p>Sitemap moved</p></body></html>",
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x.test/a</loc>',
        b"\x00\x01\x02garbage",
    ],
    ids=["text", "html", "truncated", "noise"],
)
def test_sitemap_that_is_not_xml_raises_sitemap_not_xml(server, fetcher, body):
    """discover() on a sitemap that is text, HTML, truncated XML or noise raises sitemap_not_xml."""
    server.routes["/sitemap.xml"] = Route(body=body, headers={"Content-Type": "application/xml"})
    with pytest.raises(SourceError) as err:
        discover(sitemap_source(server.url("/sitemap.xml")), fetcher)
    assert err.value.reason == "sitemap_not_xml"


def test_well_formed_xml_without_entries_raises_sitemap_empty(server, fetcher):
    """Well-formed XML with no <url>/<sitemap> (an RSS feed registered as sitemap) is sitemap_empty."""
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    server.routes["/sitemap.xml"] = Route(body=body, headers={"Content-Type": "application/xml"})
    with pytest.raises(SourceError) as err:
        discover(sitemap_source(server.url("/sitemap.xml")), fetcher)
    assert err.value.reason == "sitemap_empty"


def test_sitemap_does_not_expand_external_entities(tmp_path):
    """An XXE sitemap neither reads local files nor fails open: entities stay unresolved."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>https://x.test/&xxe;</loc></url><url><loc>https://x.test/b</loc></url></urlset>"
    ).encode()
    try:
        pages, _ = parse_sitemap(body)
    except SourceError:
        return  # refusing the document is fine too
    assert all("TOP-SECRET" not in p.url for p in pages)


def gzip_of_zeros(total: int, member: int = 10 * MiB) -> bytes:
    """A gzip bomb: ``total`` bytes of zeros, built from repeated gzip members (cheap to make)."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as gz:
        zeros = bytes(MiB)
        for _ in range(member // MiB):
            gz.write(zeros)
    one = buf.getvalue()
    return one * (total // member)


def test_gzip_bomb_sitemap_raises_sitemap_too_large(server, fetcher):
    """A small .xml.gz that inflates to 60 MB is refused as sitemap_too_large."""
    bomb = gzip_of_zeros(60 * MiB)
    assert len(bomb) < 200 * 1024
    server.routes["/sitemap.xml.gz"] = Route(
        body=bomb, headers={"Content-Type": "application/x-gzip"}
    )
    with pytest.raises(SourceError) as err:
        discover(sitemap_source(server.url("/sitemap.xml.gz")), fetcher)
    assert err.value.reason == "sitemap_too_large"


def test_gzip_bomb_inflation_stops_at_the_cap():
    """A bomb that would inflate to 1 GB is stopped at the 50 MB cap: peak memory stays far below 1 GB."""
    bomb = gzip_of_zeros(1024 * MiB)
    tracemalloc.start()
    try:
        with pytest.raises(SourceError) as err:
            parse_sitemap(bomb)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert err.value.reason == "sitemap_too_large"
    assert peak < 2 * MAX_SITEMAP_BYTES  # bounded by the cap, not by the inflated size


# -- documents and keywords ----------------------------------------------------------


def page_row(url: str, html: str) -> dict:
    return {
        "url": url,
        "source_id": "s1",
        "html": html,
        "fetched_at": datetime(2024, 1, 1, tzinfo=UTC),
        "feed_title": "",
        "published_at": None,
    }


def test_build_documents_keeps_good_pages_next_to_garbage_and_empty_ones(extractor):
    """10 good pages, one garbage page and a nav-only page: all good ones become documents,
    the nav-only page fails with no_text, the garbage page fails with a reason."""
    topics = [
        "tomatoes",
        "peppers",
        "lettuce",
        "carrots",
        "beans",
        "onions",
        "garlic",
        "basil",
        "mint",
        "kale",
    ]
    good = [
        page_row(
            f"https://x.test/good/{i}",
            article_html(
                f"Growing {topic}",
                [f"Growing {topic} with drip irrigation works well in dry summers.", *LOREM],
            ),
        )
        for i, topic in enumerate(topics)
    ]
    rng = random.Random(11)
    garbage = "".join(chr(rng.randrange(0x21, 0x2FF)) for _ in range(5000))
    nav_only = (
        "<html><head><title>Menu</title></head><body><nav><ul>"
        "<li><a href='/'>Home</a></li><li><a href='/blog'>Blog</a></li>"
        "<li><a href='/about'>About</a></li><li><a href='/contact'>Contact</a></li>"
        "</ul></nav></body></html>"
    )
    pages = [
        *good[:5],
        page_row("https://x.test/garbage", garbage),
        page_row("https://x.test/nav", nav_only),
        page_row("https://x.test/empty", ""),
        *good[5:],
    ]

    result = build_documents("t1", pages, extractor)

    assert [d["url"] for d in result.rows] == [p["url"] for p in good]
    reasons = failure_reasons(result)
    assert set(reasons) == {"https://x.test/garbage", "https://x.test/nav", "https://x.test/empty"}
    assert reasons["https://x.test/nav"] == "no_text"
    assert reasons["https://x.test/garbage"] in ("no_text", "extraction_failed")
    assert all(f["stage"] == "extract" and f["source_id"] == "s1" for f in result.failures)
    for doc, topic in zip(result.rows, topics, strict=True):
        assert doc["title"] == f"Growing {topic}"
        assert f"Growing {topic} with drip irrigation" in doc["text"]
        assert doc["lang"] == "en"
        assert doc["doc_id"] == doc_id("t1", doc["url"])
        assert doc["word_count"] >= 20


def kw_doc(url: str, text: str, title: str = "") -> dict:
    return {
        "doc_id": doc_id("t1", url),
        "url": url,
        "source_id": "s1",
        "title": title,
        "lang": "en",
        "text": text,
        "content_hash": content_hash(text),
    }


def test_extract_keywords_records_no_keywords_and_goes_on(extractor):
    """Empty, number-only and punctuation-only documents fail with no_keywords; a good one still gets keywords."""
    docs = [
        kw_doc("https://x.test/empty", ""),
        kw_doc("https://x.test/numbers", "123 456 7890 2024 3.14 -42 1,000,000", title="2024"),
        kw_doc("https://x.test/good", " ".join(LOREM * 2), title="Drip irrigation"),
        kw_doc("https://x.test/punct", "... --- !!! ??? ;;; ***"),
    ]

    result, extracted = extract_keywords(docs, extractor, top_k=5)

    assert extracted == 4
    assert failure_reasons(result) == {
        "https://x.test/empty": "no_keywords",
        "https://x.test/numbers": "no_keywords",
        "https://x.test/punct": "no_keywords",
    }
    assert all(f["stage"] == "keywords" for f in result.failures)
    assert {r["url"] for r in result.rows} == {"https://x.test/good"}
    assert [r["rank"] for r in result.rows] == list(range(1, len(result.rows) + 1))
    assert any("irrigation" in r["keyword"] for r in result.rows)


def test_empty_and_javascript_only_pages_get_a_reason_and_the_rest_goes_on(
    server, fetcher, extractor
):
    """A 200 with an empty body and a whitespace-only page are recorded as no_text; app
    shells whose content only JavaScript renders (an empty app root, a <noscript> plea)
    as javascript_only; a thin page that merely loads an analytics script stays no_text.
    Each reason says what was seen; the article beside them becomes a document."""
    app_shell = (
        '<!doctype html><html lang="en"><head><title>App</title>'
        '<script src="/static/app.3f9a.js" defer></script></head>'
        '<body><div id="root"></div><noscript>You need to enable JavaScript to run this app.'
        '</noscript><script>window.__STATE__ = {"articles": []};</script></body></html>'
    )
    next_shell = (
        '<!doctype html><html><head><script type="application/ld+json">{"@type": "Article"}'
        '</script><script type="module" src="/_next/main.js"></script></head>'
        '<body><div id="__next"></div></body></html>'
    )
    thin_with_analytics = (
        "<!doctype html><html><head><script async src='/gtag.js'></script></head><body>"
        "<nav><a href='/'>Home</a> <a href='/shop'>Shop</a></nav><p>Coming soon.</p></body></html>"
    )
    data_only = (  # scripts that carry data, not code: nothing for a browser to render
        '<html><body><script type="application/json">{"a": 1}</script><div id="app"></div>'
        "</body></html>"
    )
    server.routes["/empty"] = html_route(b"")
    server.routes["/blank"] = html_route(b"   \n\t  \n")
    server.routes["/app"] = html_route(app_shell)
    server.routes["/next"] = html_route(next_shell)
    server.routes["/thin"] = html_route(thin_with_analytics)
    server.routes["/data"] = html_route(data_only)
    server.routes["/article"] = html_route(article_html("Drip irrigation", LOREM * 2))
    paths = ["/empty", "/blank", "/app", "/next", "/thin", "/data", "/article"]

    fetched = fetch_pages([PageRequest(server.url(p), source_id="s1") for p in paths], fetcher)
    assert fetched.failures == [] and len(fetched.rows) == len(paths)
    docs = build_documents("t1", fetched.rows, extractor)

    assert [d["url"] for d in docs.rows] == [server.url("/article")]
    failures = {f["url"].removeprefix(server.base): f for f in docs.failures}
    assert {path: f["reason"] for path, f in failures.items()} == {
        "/empty": "no_text",
        "/blank": "no_text",
        "/app": "javascript_only",
        "/next": "javascript_only",
        "/thin": "no_text",
        "/data": "no_text",
    }
    assert all(f["stage"] == "extract" and f["detail"] for f in failures.values())
    assert "empty app root <div id=root>" in failures["/app"]["detail"]
    assert "<noscript>" in failures["/app"]["detail"]
    assert "1 script," in failures["/next"]["detail"]  # the JSON-LD block is not code
    assert {o["url"] for o in docs.onpage} >= {server.url("/app"), server.url("/article")}


def test_urls_that_are_not_http_are_recorded_without_a_request(server, fetcher):
    """Announced URLs with another scheme or none fail as invalid_url; the rest goes on."""
    server.routes["/ok"] = html_route(article_html("Fine", LOREM))
    urls = [
        "ftp://files.example/a.html",
        "not a url",
        "mailto:someone@example.com",
        server.url("/ok"),
    ]
    result = fetch_pages([PageRequest(u) for u in urls], fetcher)
    assert [r["url"] for r in result.rows] == [server.url("/ok")]
    assert {f["url"]: f["reason"] for f in result.failures} == {u: "invalid_url" for u in urls[:3]}
