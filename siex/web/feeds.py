"""Discovering page URLs from RSS/Atom feeds (feedparser), XML sitemaps (lxml) and
plain-text URL lists.

Sitemaps are parsed as they arrive (``SitemapParser`` is a ``BodySink``): the body
is never held whole, gzip is inflated in bounded pieces, and each ``<url>`` element
is dropped from the tree once read, so memory stays flat however large the file.
The protocol's limits hold per file: 50,000 entries (the rest are counted and
skipped, with a reason) and 50 MB uncompressed (the file is refused). The news
(``news:title``, ``news:publication_date``) and image (``image:loc``) extensions
feed into what a discovered URL carries.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import feedparser
from lxml import etree

from siex.web.fetch import StopBody
from siex.web.inflate import InflateError, Inflater

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"
IMAGE_NS = "{http://www.google.com/schemas/sitemap-image/1.1}"
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemap protocol's limit, uncompressed
MAX_SITEMAP_URLS = 50_000  # the sitemap protocol's limit of entries per file
MAX_IMAGES_PER_URL = 1_000  # Google's limit of image:image per <url>
_URL_TAGS = (f"{SITEMAP_NS}url", "url")
_SITEMAP_TAGS = (f"{SITEMAP_NS}sitemap", "sitemap")


class SourceError(ValueError):
    """A feed or sitemap that cannot be read; ``reason`` is a short machine code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class DiscoveredUrl:
    """A page announced by a source, with what the source says about its version."""

    url: str
    title: str = ""
    published_at: datetime | None = None
    version: str = ""  # the entry's updated/lastmod stamp; changes when the page changes
    images: tuple[str, ...] = ()  # image:loc of a sitemap entry

    @property
    def fingerprint(self) -> str:
        return hashlib.sha1(f"{self.url}\n{self.version}".encode()).hexdigest()[:16]


def parse_feed(content: bytes, base_url: str) -> list[DiscoveredUrl]:
    """Entries of an RSS 0.9x/1.0/2.0 or Atom feed, in feed order."""
    parsed = feedparser.parse(content, response_headers={"content-location": base_url})
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        detail = str(parsed.get("bozo_exception", "no feed found"))[:300]
        raise SourceError("feed_not_parseable", detail)
    found = []
    for entry in parsed.entries:
        link = entry.get("link") or _alternate_link(entry)
        if not link:
            continue
        published = _as_datetime(entry.get("published_parsed") or entry.get("updated_parsed"))
        version = entry.get("updated") or entry.get("published") or entry.get("id", "")
        found.append(
            DiscoveredUrl(
                url=link, title=entry.get("title", ""), published_at=published, version=version
            )
        )
    return found


# -- sitemaps ------------------------------------------------------------------------


@dataclass
class SitemapContent:
    """What one sitemap file announced."""

    pages: list[DiscoveredUrl] = field(default_factory=list)
    children: list[str] = field(default_factory=list)  # of a sitemap index
    skipped: int = 0  # entries beyond MAX_SITEMAP_URLS, not kept
    bytes: int = 0  # uncompressed size read

    @property
    def truncated(self) -> bool:
        return self.skipped > 0


class SitemapParser:
    """An incremental parser for one sitemap or sitemap index: ``write`` bytes as they
    arrive (gzip detected from the first bytes), ``close`` at the end.

    Raises ``StopBody`` with ``sitemap_too_large`` (over 50 MB uncompressed; checked
    before anything else, so a gzip bomb is called what it is), ``sitemap_not_xml`` or
    ``sitemap_empty``. XML entities are never resolved and nothing is read from the
    network.
    """

    def __init__(self, max_urls: int = MAX_SITEMAP_URLS, max_bytes: int = MAX_SITEMAP_BYTES):
        self.max_urls, self.max_bytes = max_urls, max_bytes
        self.reset()

    def reset(self) -> None:
        self.result = SitemapContent()
        self._head = b""
        self._inflater: Inflater | None = None
        self._started = False
        self._error: str | None = None
        self._parser = etree.XMLPullParser(
            events=("end",),
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )

    # BodySink
    def write(self, piece: bytes) -> None:
        if not self._started:
            self._head += piece
            if len(self._head) < 2:
                return
            self._started = True
            piece, self._head = self._head, b""
            if piece[:2] == b"\x1f\x8b":
                self._inflater = Inflater("gzip")
        if self._inflater is None:
            self._parse(piece)
            return
        try:
            for out in self._inflater.feed(piece):
                self._parse(out)
        except InflateError as exc:
            raise StopBody("sitemap_not_xml", f"broken gzip: {exc}"[:300]) from exc

    def close(self) -> SitemapContent:
        if not self._started and self._head:
            self._started = True
            self._parse(self._head)
        if self._error:
            raise StopBody("sitemap_not_xml", self._error)
        try:
            self._parser.close()
        except etree.XMLSyntaxError as exc:
            raise StopBody("sitemap_not_xml", str(exc)[:300]) from exc
        self._drain()
        if not self.result.pages and not self.result.children and not self.result.skipped:
            raise StopBody("sitemap_empty", "no <url> or <sitemap> entries")
        return self.result

    def _parse(self, data: bytes) -> None:
        self.result.bytes += len(data)
        if self.result.bytes > self.max_bytes:
            raise StopBody("sitemap_too_large", f"over {self.max_bytes // 2**20} MB uncompressed")
        if self._error:
            return  # keep counting: an oversized body is refused as too large, not as bad XML
        try:
            self._parser.feed(data)
        except etree.XMLSyntaxError as exc:
            self._error = str(exc)[:300]
            if self._inflater is None:
                raise StopBody("sitemap_not_xml", self._error) from exc
            return
        self._drain()

    def _drain(self) -> None:
        for _event, elem in self._parser.read_events():
            tag = elem.tag
            if tag in _URL_TAGS:
                self._page(elem)
            elif tag in _SITEMAP_TAGS:
                loc = _child_text(elem, "loc")
                if loc:
                    if len(self.result.children) < self.max_urls:
                        self.result.children.append(loc)
                    else:
                        self.result.skipped += 1
            else:
                continue
            _free(elem)

    def _page(self, elem) -> None:
        loc = _child_text(elem, "loc")
        if not loc:
            return
        if len(self.result.pages) >= self.max_urls:
            self.result.skipped += 1
            return
        lastmod = _child_text(elem, "lastmod")
        title, news_date, images = "", "", []
        for child in elem:
            if child.tag == f"{NEWS_NS}news":
                title = _child_text(child, "title")
                news_date = _child_text(child, "publication_date")
            elif child.tag == f"{IMAGE_NS}image" and len(images) < MAX_IMAGES_PER_URL:
                image = _child_text(child, "loc")
                if image:
                    images.append(image)
        self.result.pages.append(
            DiscoveredUrl(
                url=loc,
                title=title,
                published_at=_parse_w3c(news_date) or _parse_w3c(lastmod),
                version=lastmod or news_date,
                images=tuple(images),
            )
        )


def _free(elem) -> None:
    """Empty a parsed entry and drop the entries before it from the tree (the usual
    lxml idiom: the element itself goes with the next one), so the tree never holds
    more than about one entry."""
    elem.clear(keep_tail=False)
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]


def parse_sitemap(content: bytes) -> tuple[list[DiscoveredUrl], list[str]]:
    """Page entries and child sitemap URLs of a whole sitemap (bytes, maybe gzip).

    Raises SourceError; entries beyond 50,000 are dropped silently here (use
    ``SitemapParser`` to learn how many)."""
    parser = SitemapParser()
    try:
        for start in range(0, len(content), 64 * 1024):
            parser.write(content[start : start + 64 * 1024])
        found = parser.close()
    except StopBody as stop:
        raise SourceError(stop.reason or "sitemap_not_xml", stop.detail) from stop
    return found.pages, found.children


# -- URL lists -----------------------------------------------------------------------


class UrlListParser:
    """A plain-text sitemap (the protocol's text format) or URL list: one absolute
    http(s) URL per line, UTF-8. Blank lines and ``#`` comments are skipped; other
    lines are counted as invalid. Same limits as XML sitemaps. A ``BodySink``."""

    def __init__(self, max_urls: int = MAX_SITEMAP_URLS, max_bytes: int = MAX_SITEMAP_BYTES):
        self.max_urls, self.max_bytes = max_urls, max_bytes
        self.reset()

    def reset(self) -> None:
        self.result = SitemapContent()
        self.invalid = 0
        self.invalid_example = ""
        self._rest = b""
        self._first = True

    def write(self, piece: bytes) -> None:
        self.result.bytes += len(piece)
        if self.result.bytes > self.max_bytes:
            raise StopBody("urllist_too_large", f"over {self.max_bytes // 2**20} MB")
        if self._first and piece:
            self._first = False
            if b"\x00" in piece[:4096]:
                raise StopBody("urllist_not_text", "binary content")
        lines = (self._rest + piece).split(b"\n")
        self._rest = lines.pop()
        if len(self._rest) > 8192:  # no URL is that long: this is not a URL list
            raise StopBody("urllist_not_text", "a line over 8 KiB")
        for line in lines:
            self._line(line)

    def close(self) -> SitemapContent:
        if self._rest:
            self._line(self._rest)
            self._rest = b""
        if not self.result.pages and not self.result.skipped:
            detail = f"{self.invalid} lines that are not URLs" if self.invalid else "no lines"
            if self.invalid_example:
                detail += f", e.g. {self.invalid_example!r}"
            raise StopBody("urllist_empty", detail)
        return self.result

    def _line(self, raw: bytes) -> None:
        line = raw.decode("utf-8", errors="replace").strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            return
        try:
            parts = urlsplit(line)
            valid = parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in line
        except ValueError:
            valid = False
        if not valid:
            self.invalid += 1
            self.invalid_example = self.invalid_example or line[:100]
            return
        if len(self.result.pages) >= self.max_urls:
            self.result.skipped += 1
            return
        self.result.pages.append(DiscoveredUrl(url=line))


def parse_url_list(content: bytes) -> list[DiscoveredUrl]:
    parser = UrlListParser()
    try:
        parser.write(content)
        return parser.close().pages
    except StopBody as stop:
        raise SourceError(stop.reason or "urllist_empty", stop.detail) from stop


# -- helpers -------------------------------------------------------------------------


def _child_text(elem, name: str) -> str:
    for child in elem:
        if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == name:
            return (child.text or "").strip()
    return ""


def _alternate_link(entry) -> str:
    for link in entry.get("links", []):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link["href"]
    return ""


def _as_datetime(struct) -> datetime | None:
    if not struct:
        return None
    try:
        return datetime(*struct[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _parse_w3c(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
