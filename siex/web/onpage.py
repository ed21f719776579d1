"""On-page SEO signals of one HTML page: what audit crawlers report per URL.

``read_onpage(html, url)`` reads title, meta description, canonical, meta robots,
hreflang, headings, visible word count, links, images, JSON-LD types, Open Graph,
Twitter card, ``<html lang>``, viewport and charset; ``onpage_row`` flattens the result
for the warehouse. Plain library code: lxml only, no network, no framework imports.

Rules worth knowing:

* Relative URLs resolve against the first ``<base href>`` (itself resolved against the
  page URL), else against ``url`` (the final URL after redirects). Only ``http``/``https``
  results are kept; an unparsable URL (``http://[invalid``) is dropped, never raised.
* A link is *internal* when its host equals the page's host, ignoring case, a trailing
  dot and one leading ``www.`` (``www.example.com`` and ``example.com`` are one site);
  scheme and port are ignored. Other subdomains (``blog.example.com``) are external.
  Internal is judged against the page URL, never against ``<base href>``.
* ``<a href>`` is skipped when empty, a same-page anchor (``#...``) or not http(s)
  after resolution (``javascript:``, ``mailto:``, ``tel:``, ``data:``, ...).
* Text is whitespace-collapsed; script, style, noscript, template (and the head) are
  not visible text. Inline tags join words (``<b>wo</b>rd`` is one word), block tags
  and ``<br>`` separate them.
* Bad input never raises: an unreadable page or section gives empty fields. Only the
  first ``MAX_HTML_CHARS`` characters are parsed, and lxml stops descending at 2,048
  levels of nesting (the rest of such a page is not read).
* Caps on what is kept: ``MAX_LINKS`` links, ``MAX_HEADINGS`` headings, ``MAX_TEXT``
  characters of heading and anchor text, ``MAX_JSON_LD_BLOCKS`` JSON-LD blocks parsed,
  ``MAX_ENTRIES`` hreflang, Open Graph and JSON-LD type entries. Counts
  (``h1_count``, ``internal_links``, ``external_links``, ``images*``) cover the whole
  page, not just what is kept.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html

from siex.web.extract import count_words

MAX_HTML_CHARS = 10 * 1024 * 1024  # the fetcher's default body cap
MAX_LINKS = 2_000
MAX_HEADINGS = 500
MAX_TEXT = 300  # characters kept of each heading and link anchor
MAX_JSON_LD_BLOCKS = 100
MAX_ENTRIES = 500  # hreflang languages, Open Graph properties, JSON-LD types

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_INVISIBLE = frozenset({"script", "style", "noscript", "template", "head", "title"})
# Tags that do not break words: "<b>wo</b>rd" is one word; every other tag separates.
# fmt: off
_INLINE = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "font", "i",
    "ins", "kbd", "label", "mark", "q", "s", "samp", "small", "span", "strike", "strong",
    "sub", "sup", "time", "tt", "u", "var", "wbr",
})
# fmt: on


@dataclass(frozen=True)
class Link:
    url: str  # absolute, fragment removed
    anchor: str  # visible text, or the alt of a wrapped image when there is no text
    internal: bool  # same site as the page (see the module docstring)
    nofollow: bool  # rel contains "nofollow"


@dataclass(frozen=True)
class OnPage:
    """On-page signals of one page; the defaults are what an unreadable page gives."""

    title: str = ""
    title_length: int = 0  # characters of the collapsed title
    meta_description: str = ""
    meta_description_length: int = 0
    canonical: str | None = None  # absolute
    robots: str = ""  # <meta name="robots"> content, lowercased; several tags joined by ", "
    noindex: bool = False  # robots has "noindex" or "none"
    nofollow: bool = False  # robots has "nofollow" or "none"
    hreflang: dict[str, str] = field(default_factory=dict)  # lowercased lang -> absolute URL
    headings: list[tuple[int, str]] = field(default_factory=list)  # (1-6, text), in order
    h1_count: int = 0
    word_count: int = 0  # visible text, counted like extract.count_words
    links: list[Link] = field(default_factory=list)
    internal_links: int = 0
    external_links: int = 0
    images: int = 0
    images_without_alt: int = 0  # alt missing, or whitespace only
    images_decorative: int = 0  # alt="" exactly: decorative by the HTML standard
    json_ld_types: list[str] = field(default_factory=list)  # top-level and @graph items
    json_ld_errors: int = 0  # blocks that are not valid JSON
    open_graph: dict[str, str] = field(default_factory=dict)  # og:* property -> content
    twitter_card: str | None = None
    lang: str = ""  # <html lang>
    viewport: bool = False  # <meta name="viewport"> present
    charset: str | None = None  # <meta charset> or http-equiv Content-Type, lowercased


def read_onpage(html: str, url: str) -> OnPage:
    """On-page signals of ``html`` fetched from ``url``; never raises on bad input."""
    root = _parse(html)
    if root is None:
        return OnPage()
    page_url = url if isinstance(url, str) else ""
    base = page_url
    for el in root.iter("base"):
        href = el.get("href")
        if href is not None:
            base = _absolute(href, page_url) or page_url
            break
    fields: dict = {}
    for section in (_head, _headings, _body_text, _links, _images, _json_ld):
        try:
            fields.update(section(root, base, page_url))
        except Exception:  # one unreadable part leaves its fields empty, not the page
            continue
    return OnPage(**fields)


def onpage_row(page: OnPage) -> dict:
    """``page`` as one flat warehouse row: scalars, and JSON text for lists and dicts.

    Keys: ``title``, ``title_length``, ``meta_description``, ``meta_description_length``,
    ``canonical`` (None when absent), ``robots``, ``noindex``, ``nofollow``, ``h1_count``,
    ``word_count``, ``internal_links``, ``external_links``, ``images``,
    ``images_without_alt``, ``images_decorative``, ``json_ld_errors``, ``twitter_card``
    (None when absent), ``lang``, ``viewport``, ``charset`` (None when absent), and as JSON
    strings: ``hreflang`` (object lang -> URL), ``headings`` (array of ``[level, text]``),
    ``links`` (array of objects with ``url``, ``anchor``, ``internal``, ``nofollow``),
    ``json_ld_types`` (array of strings), ``open_graph`` (object property -> content).
    """
    row = dataclasses.asdict(page)
    for key in ("hreflang", "headings", "links", "json_ld_types", "open_graph"):
        row[key] = json.dumps(row[key], ensure_ascii=False, separators=(",", ":"))
    return row


def _parse(html: str):
    if isinstance(html, bytes):
        html = html.decode("utf-8", "replace")
    if not isinstance(html, str) or not html.strip():
        return None
    # Bytes with an explicit encoding: lxml refuses str with an XML encoding declaration,
    # and lone surrogates (decoding leftovers) become "?" instead of raising.
    data = html[:MAX_HTML_CHARS].encode("utf-8", "replace")
    parser = lxml_html.HTMLParser(encoding="utf-8", huge_tree=True, no_network=True)
    try:
        root = etree.fromstring(data, parser)
    except Exception:  # "Document is empty" and other unrecoverable input
        return None
    return root if root is not None and isinstance(root.tag, str) else None


def _collapse(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _tokens(value: str | None) -> set[str]:
    return set((value or "").lower().replace(",", " ").split())


def _absolute(href: str | None, base: str, defrag: bool = False) -> str | None:
    """``href`` resolved against ``base`` when that gives an http(s) URL, else None."""
    href = (href or "").strip()
    if not href:
        return None
    try:
        resolved = urljoin(base, href)
    except ValueError:  # an unusable base: only an absolute href stands on its own
        resolved = href
    try:
        if defrag:
            resolved = urldefrag(resolved).url
        parts = urlsplit(resolved)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
    except ValueError:  # "http://[invalid": bad IPv6 literal and the like
        return None
    return resolved


def _site(url: str) -> str:
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""
    return host.removeprefix("www.")


def _visible_text(root, limit: int = 0) -> str:
    """Collapsed visible text under ``root``; with ``limit``, at most that many characters.

    Iterative (a deeply nested page cannot exhaust the stack); comments are skipped but
    the text after them is kept.
    """
    parts: list[str] = []
    size = 0
    budget = limit * 8 + 64 if limit else 0  # raw characters to read before collapsing
    stack = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        tag = node.tag if isinstance(node.tag, str) else None
        if leaving:
            if tag is not None and tag not in _INLINE:
                parts.append(" ")
            if node is not root and node.tail:
                parts.append(node.tail)
                size += len(node.tail)
        else:
            stack.append((node, True))
            if tag is not None and tag not in _INVISIBLE:
                if tag not in _INLINE:
                    parts.append(" ")
                if node.text:
                    parts.append(node.text)
                    size += len(node.text)
                stack.extend((child, False) for child in reversed(node))
        if budget and size > budget:
            break
    text = _collapse("".join(parts))
    return text[:limit] if limit else text


def _head(root, base: str, page_url: str) -> dict:
    out: dict = {"lang": (root.get("lang") or root.get("xml:lang") or "").strip()}
    for el in root.iter("title"):
        if not any(a.tag == "svg" for a in el.iterancestors()):
            out["title"] = _collapse(el.text_content())
            out["title_length"] = len(out["title"])
            break
    robots: list[str] = []
    hreflang: dict[str, str] = {}
    open_graph: dict[str, str] = {}
    for el in root.iter("meta", "link"):
        if el.tag == "link":
            rel = _tokens(el.get("rel"))
            canonical = _absolute(el.get("href"), base) if "canonical" in rel else None
            if canonical and "canonical" not in out:
                out["canonical"] = canonical
            lang = (el.get("hreflang") or "").strip().lower()
            if "alternate" in rel and lang and lang not in hreflang:
                href = _absolute(el.get("href"), base)
                if href and len(hreflang) < MAX_ENTRIES:
                    hreflang[lang] = href
            continue
        name = (el.get("name") or "").strip().lower()
        prop = (el.get("property") or "").strip().lower() or name
        content = _collapse(el.get("content"))
        if el.get("charset") is not None and "charset" not in out:
            out["charset"] = el.get("charset").strip().lower() or None
        equiv = (el.get("http-equiv") or "").strip().lower()
        if equiv == "content-type" and "charset=" in content.lower() and "charset" not in out:
            out["charset"] = content.lower().split("charset=", 1)[1].strip(" ;\"'") or None
        if name == "robots":
            robots.append(content.lower())
        elif name == "description" and "meta_description" not in out:
            out["meta_description"] = content
            out["meta_description_length"] = len(content)
        elif name == "viewport":
            out["viewport"] = True
        if prop.startswith("og:") and prop not in open_graph and len(open_graph) < MAX_ENTRIES:
            open_graph[prop] = content
        if prop == "twitter:card" and "twitter_card" not in out and content:
            out["twitter_card"] = content
    out["robots"] = ", ".join(r for r in robots if r)
    directives = _tokens(out["robots"])
    out["noindex"] = bool(directives & {"noindex", "none"})
    out["nofollow"] = bool(directives & {"nofollow", "none"})
    out["hreflang"] = hreflang
    out["open_graph"] = open_graph
    return out


def _headings(root, base: str, page_url: str) -> dict:
    headings: list[tuple[int, str]] = []
    h1_count = 0
    for el in root.iter(*_HEADINGS):
        h1_count += el.tag == "h1"
        if len(headings) < MAX_HEADINGS:
            headings.append((int(el.tag[1]), _visible_text(el, MAX_TEXT)))
    return {"headings": headings, "h1_count": h1_count}


def _body_text(root, base: str, page_url: str) -> dict:
    return {"word_count": count_words(_visible_text(root))}


def _links(root, base: str, page_url: str) -> dict:
    site = _site(page_url)
    links: list[Link] = []
    internal = external = 0
    for el in root.iter("a"):
        href = el.get("href")
        if href is None or href.strip().startswith("#"):
            continue
        target = _absolute(href, base, defrag=True)
        if target is None:
            continue
        is_internal = bool(site) and _site(target) == site
        internal += is_internal
        external += not is_internal
        if len(links) >= MAX_LINKS:
            continue
        anchor = _visible_text(el, MAX_TEXT)
        if not anchor:
            alts = (_collapse(img.get("alt")) for img in el.iter("img"))
            anchor = next((alt for alt in alts if alt), "")[:MAX_TEXT]
        nofollow = "nofollow" in _tokens(el.get("rel"))
        links.append(Link(url=target, anchor=anchor, internal=is_internal, nofollow=nofollow))
    return {"links": links, "internal_links": internal, "external_links": external}


def _images(root, base: str, page_url: str) -> dict:
    images = missing = decorative = 0
    for el in root.iter("img"):
        images += 1
        alt = el.get("alt")
        if alt == "":
            decorative += 1
        elif alt is None or not alt.strip():
            missing += 1
    return {"images": images, "images_without_alt": missing, "images_decorative": decorative}


def _json_ld(root, base: str, page_url: str) -> dict:
    types: list[str] = []
    errors = blocks = 0
    for el in root.iter("script"):
        if (el.get("type") or "").split(";")[0].strip().lower() != "application/ld+json":
            continue
        if blocks >= MAX_JSON_LD_BLOCKS:
            break
        blocks += 1
        try:
            data = json.loads(el.text or "")
        except Exception:  # ValueError, RecursionError on absurd nesting
            errors += 1
            continue
        stack = [data]  # popped from the end: children pushed reversed keep document order
        while stack and len(types) < MAX_ENTRIES:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                found = item.get("@type")
                for name in found if isinstance(found, list) else [found]:
                    if isinstance(name, str) and name.strip() and name.strip() not in types:
                        types.append(name.strip())
                graph = item.get("@graph")
                if isinstance(graph, list | dict):
                    stack.append(graph)
    return {"json_ld_types": types[:MAX_ENTRIES], "json_ld_errors": errors}


# Script types a browser runs; anything else (JSON-LD, JSON, templates) is data.
_JS_TYPES = frozenset(
    {"", "module", "text/javascript", "application/javascript", "application/ecmascript",
     "text/ecmascript", "text/babel", "text/jsx"}
)  # fmt: skip
# Ids and attributes of the element single-page-app frameworks render into.
_APP_ROOT_IDS = frozenset({"root", "app", "__next", "__nuxt", "___gatsby", "svelte", "main-app"})
_APP_ROOT_ATTRIBUTES = (
    "data-reactroot",
    "ng-app",
    "ng-version",
    "data-v-app",
    "data-server-rendered",
)


def javascript_only(html: str, min_words: int) -> str:
    """Why ``html`` looks like a page whose content only JavaScript renders, or "".

    It does when it runs scripts, shows fewer than ``min_words`` visible words, and
    either has an empty app root (``<div id="root">``, ``__next``, ``ng-app``, …),
    tells visitors without JavaScript something in ``<noscript>``, or shows no word at
    all. A thin page that merely loads an analytics script is not JavaScript-only.
    """
    root = _parse(html)
    if root is None:
        return ""
    scripts = sum(
        1
        for el in root.iter("script")
        if (el.get("type") or "").split(";")[0].strip().lower() in _JS_TYPES
    )
    if not scripts:
        return ""
    body = next(root.iter("body"), None)
    words = count_words(_visible_text(body)) if body is not None else 0
    if words >= min_words:
        return ""
    empty_roots = [
        el
        for el in root.iter("div", "main", "section", "app-root", "body")
        if (
            el.get("id") in _APP_ROOT_IDS
            or any(el.get(a) is not None for a in _APP_ROOT_ATTRIBUTES)
        )
        and not _visible_text(el)
    ]
    noscript = any(_collapse(el.text_content()) for el in root.iter("noscript"))
    if not (empty_roots or noscript or words == 0):
        return ""
    signs = [f"{scripts} script{'s' if scripts != 1 else ''}", f"{words} visible words"]
    if empty_roots:
        el = empty_roots[0]
        signs.append(f"empty app root <{el.tag}{' id=' + el.get('id') if el.get('id') else ''}>")
    if noscript:
        signs.append("a <noscript> message")
    return ", ".join(signs)
