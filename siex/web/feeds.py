"""Discovering page URLs from RSS/Atom feeds (feedparser) and XML sitemaps (lxml)."""

from __future__ import annotations

import gzip
import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime

import feedparser
from lxml import etree

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemap protocol's limit, uncompressed


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


def parse_sitemap(content: bytes) -> tuple[list[DiscoveredUrl], list[str]]:
    """Page entries and child sitemap URLs of a sitemap or sitemap index.

    Parsed incrementally so memory stays flat on 50,000-URL files; gzip is undone
    with a cap so a gzip bomb fails cleanly.
    """
    if content[:2] == b"\x1f\x8b":
        content = _gunzip_capped(content)
    pages: list[DiscoveredUrl] = []
    children: list[str] = []
    try:
        for _event, elem in etree.iterparse(
            io.BytesIO(content),
            events=("end",),
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
        ):
            tag = elem.tag
            if tag in (f"{SITEMAP_NS}url", "url"):
                loc = _child_text(elem, "loc")
                if loc:
                    lastmod = _child_text(elem, "lastmod")
                    pages.append(
                        DiscoveredUrl(url=loc, published_at=_parse_w3c(lastmod), version=lastmod)
                    )
                elem.clear()
            elif tag in (f"{SITEMAP_NS}sitemap", "sitemap"):
                loc = _child_text(elem, "loc")
                if loc:
                    children.append(loc)
                elem.clear()
    except etree.XMLSyntaxError as exc:
        raise SourceError("sitemap_not_xml", str(exc)[:300]) from exc
    if not pages and not children:
        raise SourceError("sitemap_empty", "no <url> or <sitemap> entries")
    return pages, children


def _gunzip_capped(content: bytes) -> bytes:
    with gzip.GzipFile(fileobj=io.BytesIO(content)) as fh:
        data = fh.read(MAX_SITEMAP_BYTES + 1)
    if len(data) > MAX_SITEMAP_BYTES:
        raise SourceError("sitemap_too_large", "over 50 MB uncompressed")
    return data


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
