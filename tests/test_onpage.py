"""On-page SEO signals: a realistic blog article read field by field, the link and URL
rules, hostile and broken input that must never raise, the memory caps, and the flat
warehouse row."""

from __future__ import annotations

import json
import random

import pytest

from siex.web.onpage import (
    MAX_HEADINGS,
    MAX_JSON_LD_BLOCKS,
    MAX_LINKS,
    MAX_TEXT,
    Link,
    OnPage,
    onpage_row,
    read_onpage,
)

URL = "https://www.gardenwise.example/blog/drip-irrigation?utm_source=feed"

ARTICLE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
  <meta charset="UTF-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>
    Drip Irrigation for Beginners &amp; Pros   | GardenWise
  </title>
  <meta name="description" content="  How to plan, install and   maintain a drip
    irrigation system for vegetable beds. ">
  <link rel="canonical" href="/blog/drip-irrigation">
  <link rel="alternate" hreflang="en" href="https://www.gardenwise.example/blog/drip-irrigation">
  <link rel="alternate" hreflang="fr" href="/fr/blog/irrigation-goutte-a-goutte">
  <link rel="alternate" hreflang="x-default" href="https://www.gardenwise.example/blog/drip-irrigation">
  <link rel="stylesheet" href="/static/site.css">
  <meta property="og:type" content="article">
  <meta property="og:title" content="Drip Irrigation for Beginners">
  <meta property="og:image" content="https://cdn.gardenwise.example/img/drip-hero.jpg">
  <meta property="og:image" content="https://cdn.gardenwise.example/img/second.jpg">
  <meta name="twitter:card" content="summary_large_image">
  <style>body { font-family: Georgia, serif; } .hero::after { content: "not words"; }</style>
  <script type="application/ld+json">
  {"@context": "https://schema.org", "@graph": [
    {"@type": "Article", "headline": "Drip Irrigation for Beginners",
     "author": {"@type": "Person", "name": "Ana Lind"}},
    {"@type": "BreadcrumbList", "itemListElement": [
      {"@type": "ListItem", "position": 1, "name": "Blog"}]}
  ]}
  </script>
  <script type="application/ld+json">{"@type": ["WebPage", "Article"], "name": "x"}</script>
  <script type="application/ld+json">{"@type": "Organization", "name": "GardenWise",</script>
</head>
<body>
  <nav>
    <a href="/">Home</a>
    <a href="https://gardenwise.example/blog/">Blog</a>
    <a href="#main">Skip to content</a>
  </nav>
  <main id="main">
    <article>
      <h1>Drip   irrigation <em>for</em> beginners</h1>
      <p>Drip irrigation delivers water straight to the roots.</p>
      <img src="/img/drip-hero.jpg" alt="Drip line between tomato plants">
      <img src="/img/divider.png" alt="">
      <img src="/img/tracking.gif">
      <img src="/img/blank.png" alt="   ">
      <h2>Why drip beats sprinklers</h2>
      <p>Read the <a href="https://extension.example.edu/water" rel="nofollow ugc">extension
        guide</a> or our <a href="../tools/timer-guide#setup">timer guide</a>.</p>
      <h3>Parts you need<script>document.write("ignored")</script></h3>
      <p>See <a href="https://shop.gardenwise.example/kits">the kits</a> and
        <a href="https://www.youtube.com/watch?v=abc"><img src="/img/play.png" alt="Watch the
        video"></a>.</p>
      <script>var tracking = "these words are not visible at all";</script>
      <noscript>Please enable JavaScript to see comments here.</noscript>
      <template><p>Template text is never rendered.</p></template>
      <a href="javascript:void(0)">Print</a>
      <a href="mailto:editor@gardenwise.example">Mail</a>
      <a href="tel:+46812345">Call</a>
      <a href="data:text/plain,hi">Data</a>
      <a href="">Empty</a>
      <a>No href</a>
    </article>
  </main>
  <footer><p>© GardenWise</p><a href="/privacy" rel="NoFollow">Privacy</a></footer>
</body>
</html>
"""


@pytest.fixture(scope="module")
def article() -> OnPage:
    return read_onpage(ARTICLE, URL)


def test_head_signals(article):
    assert article.title == "Drip Irrigation for Beginners & Pros | GardenWise"
    assert article.title_length == len(article.title) == 49
    assert article.meta_description == (
        "How to plan, install and maintain a drip irrigation system for vegetable beds."
    )
    assert article.meta_description_length == len(article.meta_description)
    assert article.canonical == "https://www.gardenwise.example/blog/drip-irrigation"
    assert (article.robots, article.noindex, article.nofollow) == ("", False, False)
    assert article.hreflang == {
        "en": "https://www.gardenwise.example/blog/drip-irrigation",
        "fr": "https://www.gardenwise.example/fr/blog/irrigation-goutte-a-goutte",
        "x-default": "https://www.gardenwise.example/blog/drip-irrigation",
    }
    assert article.open_graph == {
        "og:type": "article",
        "og:title": "Drip Irrigation for Beginners",
        "og:image": "https://cdn.gardenwise.example/img/drip-hero.jpg",  # first wins
    }
    assert article.twitter_card == "summary_large_image"
    assert article.lang == "en-GB"
    assert article.viewport is True
    assert article.charset == "utf-8"


def test_headings_in_document_order(article):
    assert article.headings == [
        (1, "Drip irrigation for beginners"),  # inline <em> joins, whitespace collapsed
        (2, "Why drip beats sprinklers"),
        (3, "Parts you need"),  # the <script> inside is not heading text
    ]
    assert article.h1_count == 1


def test_word_count_is_visible_body_text_only(article):
    visible = """Home Blog Skip to content Drip irrigation for beginners
        Drip irrigation delivers water straight to the roots. Why drip beats sprinklers
        Read the extension guide or our timer guide. Parts you need See the kits and .
        Print Mail Call Data Empty No href © GardenWise Privacy"""
    # Not counted: title, style, script and JSON-LD, noscript, template. The "." after the
    # image link stands alone: an image separates words, like any non-inline tag.
    assert article.word_count == len(visible.split()) == 47


def test_word_count_joins_inline_tags_and_counts_cjk_like_extract():
    page = read_onpage(
        "<body><p>fo<b>ur</b> five<br>six</p><div>seven</div><div>eight</div>"
        "<p>日本語</p><!-- a comment --> nine</body>",
        URL,
    )
    # four, five, six, seven, eight, three CJK characters, nine
    assert page.word_count == 9


def test_links(article):
    by_anchor = {link.anchor: link for link in article.links}
    assert list(by_anchor) == [
        "Home",
        "Blog",
        "extension guide",
        "timer guide",
        "the kits",
        "Watch the video",  # the link wraps an image: its alt is the anchor
        "Privacy",
    ]
    assert by_anchor["Home"] == Link("https://www.gardenwise.example/", "Home", True, False)
    # www. and the bare host are the same site
    assert by_anchor["Blog"].internal is True
    assert by_anchor["extension guide"] == Link(
        "https://extension.example.edu/water", "extension guide", False, True
    )
    # ../ resolved against the page URL, fragment removed
    assert by_anchor["timer guide"].url == "https://www.gardenwise.example/tools/timer-guide"
    # another subdomain of the same site counts as external
    assert by_anchor["the kits"].internal is False
    assert by_anchor["Watch the video"].internal is False
    assert by_anchor["Privacy"].nofollow is True  # rel is case-insensitive
    assert (article.internal_links, article.external_links) == (4, 3)


def test_relative_links_resolve_against_base_href_when_present():
    body = '<a href="guide.html">Guide</a><a href="/about">About</a><a href="?p=2">Next</a>'
    without = read_onpage(f"<html><head></head><body>{body}</body></html>", URL)
    assert [link.url for link in without.links] == [
        "https://www.gardenwise.example/blog/guide.html",
        "https://www.gardenwise.example/about",
        "https://www.gardenwise.example/blog/drip-irrigation?p=2",
    ]
    with_base = read_onpage(
        f'<html><head><base href="https://static.gardenwise.example/docs/">'
        f'<link rel="canonical" href="page"></head><body>{body}</body></html>',
        URL,
    )
    assert [link.url for link in with_base.links] == [
        "https://static.gardenwise.example/docs/guide.html",
        "https://static.gardenwise.example/about",
        "https://static.gardenwise.example/docs/?p=2",
    ]
    assert with_base.canonical == "https://static.gardenwise.example/docs/page"
    # "internal" compares with the page's own host, not the base's
    assert [link.internal for link in with_base.links] == [False, False, False]
    relative_base = read_onpage('<base href="/v2/"><a href="x">X</a>', URL)
    assert relative_base.links[0].url == "https://www.gardenwise.example/v2/x"


def test_images_missing_and_decorative_alt(article):
    # hero has alt; divider alt="" is decorative; tracking has none; blank is only spaces
    assert article.images == 5  # the play button inside the YouTube link included
    assert article.images_decorative == 1
    assert article.images_without_alt == 2


def test_json_ld_types_graph_lists_and_broken_blocks(article):
    # @graph items and @type lists flattened, deduplicated in order; nested values
    # (author Person, ListItem) are properties, not page types
    assert article.json_ld_types == ["Article", "BreadcrumbList", "WebPage"]
    assert article.json_ld_errors == 1  # the truncated Organization block


@pytest.mark.parametrize(
    ("metas", "robots", "noindex", "nofollow"),
    [
        ('<meta name="robots" content="noindex, follow">', "noindex, follow", True, False),
        ('<meta name="ROBOTS" content="INDEX,NOFOLLOW">', "index,nofollow", False, True),
        ('<meta name="robots" content="none">', "none", True, True),
        (
            '<meta name="robots" content="max-image-preview:large">'
            '<meta name="robots" content="noindex">',
            "max-image-preview:large, noindex",
            True,
            False,
        ),
        ('<meta name="googlebot" content="noindex">', "", False, False),
    ],
)
def test_meta_robots(metas, robots, noindex, nofollow):
    page = read_onpage(f"<html><head>{metas}<title>t</title></head><body>x</body></html>", URL)
    assert (page.robots, page.noindex, page.nofollow) == (robots, noindex, nofollow)


def test_charset_from_http_equiv():
    page = read_onpage(
        '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"><p>x</p>', URL
    )
    assert page.charset == "iso-8859-1"
    assert read_onpage("<p>x</p>", URL).charset is None


def test_content_after_deep_nesting_is_still_read():
    # libxml2's default depth limit (256) would silently drop the rest of the page
    html = "<title>Deep</title>" + "<div>" * 400 + "x" + "</div>" * 400 + '<a href="/after">A</a>'
    page = read_onpage(html, URL)
    assert [link.url for link in page.links] == ["https://www.gardenwise.example/after"]


_rng = random.Random(1)
BAD_INPUTS = {
    "empty": "",
    "whitespace": " \n\t ",
    "binary": _rng.randbytes(64 * 1024).decode("latin-1"),
    "nul_bytes": "\x00\x00<title>a\x00b</title>\x00",
    "no_head": '<body><h1>Only body</h1><a href="/x">x</a></body>',
    "nested_divs_5mb": "<html><body>" + "<div>" * (5 * 1024 * 1024 // 5) + "deep",
    "broken_entities": "<title>Fish &chips &#xD800; &#99999999; &amp</title><p>&bogus;</p>",
    "surrogates": "<title>caf\udce9 \ud800</title><p>non-UTF-8 \udcff leftovers</p>",
    "invalid_url": '<a href="http://[invalid">bad</a><a href="/ok">ok</a>',
    "xml_declaration": '<?xml version="1.0" encoding="ISO-8859-1"?><html><title>X</title></html>',
    "bad_json_ld": '<script type="application/ld+json">' + "[" * 100_000 + "</script>",
    "comment_only": "<!-- nothing here -->",
    "unclosed_everything": "<html><head><title>Open<meta name=description content='d",
}


@pytest.mark.parametrize("html", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_never_raises(html):
    page = read_onpage(html, URL)
    assert isinstance(page, OnPage)
    json.dumps(onpage_row(page))
    assert len(page.links) <= MAX_LINKS


def test_bad_input_keeps_what_could_be_read():
    assert read_onpage("", URL) == OnPage()
    no_head = read_onpage(BAD_INPUTS["no_head"], URL)
    assert no_head.title == ""
    assert no_head.headings == [(1, "Only body")]
    assert [link.url for link in no_head.links] == ["https://www.gardenwise.example/x"]
    invalid = read_onpage(BAD_INPUTS["invalid_url"], URL)
    assert [link.anchor for link in invalid.links] == ["ok"]
    assert invalid.internal_links + invalid.external_links == 1
    assert read_onpage(BAD_INPUTS["broken_entities"], URL).title.startswith("Fish &chips")
    assert read_onpage(BAD_INPUTS["xml_declaration"], URL).title == "X"
    assert read_onpage(BAD_INPUTS["surrogates"], URL).title == "caf? ?"
    assert read_onpage(BAD_INPUTS["bad_json_ld"], URL).json_ld_errors == 1
    # a page URL that cannot be parsed: absolute links still read, none internal
    bad_url = read_onpage('<a href="https://a.example/">a</a><a href="/rel">r</a>', "http://[x")
    assert bad_url.links == [Link("https://a.example/", "a", False, False)]


def test_caps_bound_what_is_kept_but_counts_cover_the_page():
    links = "".join(f'<a href="/p/{i}">{"word " * 200}</a>' for i in range(MAX_LINKS + 500))
    headings = "".join(f"<h1>{'long ' * 200}</h1>" for _ in range(MAX_HEADINGS + 100))
    blocks = "".join(
        f'<script type="application/ld+json">{{"@type": "Type{i}"}}</script>'
        for i in range(MAX_JSON_LD_BLOCKS + 20)
    )
    page = read_onpage(f"<html><head>{blocks}</head><body>{headings}{links}</body></html>", URL)
    assert len(page.links) == MAX_LINKS
    assert page.links[-1].url == f"https://www.gardenwise.example/p/{MAX_LINKS - 1}"
    assert page.internal_links == MAX_LINKS + 500
    assert max(len(link.anchor) for link in page.links) == MAX_TEXT
    assert len(page.headings) == MAX_HEADINGS
    assert page.h1_count == MAX_HEADINGS + 100
    assert {len(text) for _, text in page.headings} == {MAX_TEXT}
    assert page.json_ld_types == [f"Type{i}" for i in range(MAX_JSON_LD_BLOCKS)]


def test_onpage_row_is_flat_json_and_round_trips(article):
    row = onpage_row(article)
    json.dumps(row)
    assert all(v is None or isinstance(v, str | int | bool) for v in row.values())
    assert set(row) == {f.name for f in OnPage.__dataclass_fields__.values()}
    assert json.loads(row["headings"]) == [list(h) for h in article.headings]
    assert json.loads(row["links"])[2] == {
        "url": "https://extension.example.edu/water",
        "anchor": "extension guide",
        "internal": False,
        "nofollow": True,
    }
    assert json.loads(row["hreflang"]) == article.hreflang
    assert json.loads(row["json_ld_types"]) == article.json_ld_types
    assert json.loads(row["open_graph"]) == article.open_graph
    assert (row["title"], row["word_count"], row["canonical"]) == (
        article.title,
        article.word_count,
        article.canonical,
    )
    empty = onpage_row(OnPage())
    assert (empty["links"], empty["hreflang"], empty["canonical"]) == ("[]", "{}", None)


def test_svg_title_is_not_the_page_title():
    icon = '<svg viewBox="0 0 8 8"><title>Menu icon</title><path d="M0 0h8"/></svg>'
    assert read_onpage(f"<html><body>{icon}<p>text</p></body></html>", URL).title == ""
    page = read_onpage(f"<html><body>{icon}<title>Late title</title></body></html>", URL)
    assert page.title == "Late title"
