"""The ingestion steps as plain functions: discover → fetch → documents → keywords.

The Dagster assets call these with their resources; tests and the CLI call them
directly. Every URL that fails at any step becomes a failure row with a reason;
nothing raises for one bad page.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from siex.engine import KeywordExtractor
from siex.platform.service import SourceSpec
from siex.web.extract import count_words, extract_pages
from siex.web.feeds import DiscoveredUrl, SourceError, parse_feed, parse_sitemap
from siex.web.fetch import FEED_TYPES, Fetcher, decode_html, looks_binary
from siex.web.urls import normalize_url

MAX_CHILD_SITEMAPS = 50

Row = dict[str, Any]


@dataclass
class StepResult:
    rows: list[Row] = field(default_factory=list)
    failures: list[Row] = field(default_factory=list)

    def fail(
        self, url: str, stage: str, reason: str, detail: str = "", source_id: str = ""
    ) -> None:
        self.failures.append(
            {
                "url": url,
                "source_id": source_id,
                "stage": stage,
                "reason": reason,
                "detail": detail[:1000],
                "at": datetime.now(UTC),
            }
        )


@dataclass(frozen=True)
class PageRequest:
    """A URL to fetch and what its source said about it."""

    url: str
    source_id: str = ""
    title: str = ""
    published_at: datetime | None = None


def doc_id(tenant: str, url: str) -> str:
    return hashlib.sha256(f"{tenant}\n{url}".encode()).hexdigest()[:24]


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


# -- discover ------------------------------------------------------------------------


def discover(
    source: SourceSpec, fetcher: Fetcher, etag: str | None = None, last_modified: str | None = None
):
    """URLs a feed or sitemap announces now.

    Returns ``(urls, response)``; ``urls`` is None when the server answered 304.
    Raises SourceError with a reason when the source cannot be read.
    """
    response = fetcher.get(source.url, etag=etag, last_modified=last_modified, accept=FEED_TYPES)
    if response.not_modified:
        return None, response
    if not response.ok:
        raise SourceError(response.error or "fetch_failed", response.detail)
    if source.kind == "rss":
        return unique_pages(parse_feed(response.content, response.final_url)), response
    pages, children = parse_sitemap(response.content)
    seen = {source.url, response.final_url}
    for child in children[:MAX_CHILD_SITEMAPS]:
        if child in seen:  # an index that points at itself or loops
            continue
        seen.add(child)
        child_response = fetcher.get(child, accept=FEED_TYPES)
        if not child_response.ok:
            continue
        try:
            child_pages, _grandchildren = parse_sitemap(child_response.content)
        except SourceError:
            continue
        pages.extend(child_pages)
    return unique_pages(pages), response


def unique_pages(found: Iterable[DiscoveredUrl]) -> list[DiscoveredUrl]:
    """Normalized URLs (tracking parameters and fragments gone), each once: the first
    announcement of a page wins."""
    seen: set[str] = set()
    unique = []
    for page in found:
        url = normalize_url(page.url)
        if url not in seen:
            seen.add(url)
            unique.append(replace(page, url=url))
    return unique


def requests_from(source: SourceSpec, found: Iterable[DiscoveredUrl]) -> list[PageRequest]:
    return [PageRequest(d.url, source.id, d.title, d.published_at) for d in found]


# -- fetch ---------------------------------------------------------------------------


def fetch_pages(
    requests: Iterable[PageRequest],
    fetcher: Fetcher,
    run_id: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> StepResult:
    """GET each page; rows for pages that arrived as text, failures for the rest."""
    result = StepResult()
    unique = list({r.url: r for r in requests}.values())
    for i, req in enumerate(unique, 1):
        response = fetcher.get(req.url)
        if not response.ok:
            result.fail(
                req.url, "fetch", response.error or "fetch_failed", response.detail, req.source_id
            )
        elif looks_binary(response.content):
            result.fail(req.url, "fetch", "binary_content", response.content_type, req.source_id)
        else:
            html, encoding = decode_html(response.content, response.content_type)
            result.rows.append(
                {
                    "url": req.url,
                    "source_id": req.source_id,
                    "final_url": response.final_url,
                    "http_status": response.status,
                    "fetched_at": response.fetched_at,
                    "content_type": response.content_type,
                    "encoding": encoding,
                    "content_hash": content_hash(html),
                    "html": html,
                    "etag": response.etag,
                    "last_modified": response.last_modified,
                    "feed_title": req.title,
                    "published_at": req.published_at,
                    "run_id": run_id,
                }
            )
        if progress:
            progress(i, len(unique))
    return result


def latest_pages(rows: Iterable[Row]) -> list[Row]:
    """One row per URL: the most recently fetched."""
    latest: dict[str, Row] = {}
    for row in rows:
        current = latest.get(row["url"])
        if current is None or row["fetched_at"] >= current["fetched_at"]:
            latest[row["url"]] = row
    return list(latest.values())


# -- documents -----------------------------------------------------------------------


@dataclass
class DocumentsResult(StepResult):
    onpage: list[Row] = field(default_factory=list)  # one per page, with or without text


def build_documents(
    tenant: str, pages: Iterable[Row], extractor: KeywordExtractor
) -> DocumentsResult:
    """Clean text, title and language for each fetched page, and its on-page signals."""
    result = DocumentsResult()
    pages = list(pages)
    by_url = {p["url"]: p for p in pages}
    for extracted in extract_pages((p["url"], p["html"]) for p in pages):
        page = by_url[extracted.url]
        if extracted.onpage is not None:
            result.onpage.append(
                {
                    "doc_id": doc_id(tenant, extracted.url),
                    "url": extracted.url,
                    "source_id": page["source_id"],
                    "fetched_at": page["fetched_at"],
                    **extracted.onpage,
                }
            )
        if extracted.error:
            result.fail(
                extracted.url, "extract", extracted.error, extracted.detail, page["source_id"]
            )
            continue
        lang = extractor.language_of(extracted.text, extracted.html_lang or None)
        result.rows.append(
            {
                "doc_id": doc_id(tenant, extracted.url),
                "url": extracted.url,
                "source_id": page["source_id"],
                "title": extracted.title or page.get("feed_title") or "",
                "description": extracted.description,
                "lang": lang,
                "published_at": page.get("published_at") or parse_date(extracted.published),
                "fetched_at": page["fetched_at"],
                "content_hash": content_hash(extracted.text),
                "word_count": count_words(extracted.text),
                "text": extracted.text,
            }
        )
    return result


def parse_date(value: str | None) -> datetime | None:
    """An ISO 8601 date or timestamp as an aware datetime (UTC when no zone is given)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# -- keywords ------------------------------------------------------------------------


def extract_keywords(
    documents: Iterable[Row],
    extractor: KeywordExtractor,
    previous: Iterable[Row] = (),
    top_k: int = 10,
) -> tuple[StepResult, int]:
    """Keyword rows per document; unchanged text, same engine version: stored rows are reused.

    Returns the step result and how many documents were extracted afresh.
    """
    reusable: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in previous:
        if row.get("engine") == extractor.version:
            reusable[(row["doc_id"], row["content_hash"])].append(row)
    result = StepResult()
    fresh = []
    for doc in documents:
        cached = reusable.get((doc["doc_id"], doc["content_hash"]))
        if cached:
            result.rows.extend(cached)
        else:
            fresh.append(doc)
    batches = extractor.extract_stream(
        ({"text": d["text"], "lang": d["lang"], "title": d["title"]} for d in fresh), top_k=top_k
    )
    for doc, keywords in zip(fresh, batches, strict=True):
        if not keywords:
            result.fail(
                doc["url"],
                "keywords",
                "no_keywords",
                "no candidate phrase in the text",
                doc["source_id"],
            )
            continue
        for rank, kw in enumerate(keywords, 1):
            result.rows.append(
                {
                    "doc_id": doc["doc_id"],
                    "url": doc["url"],
                    "content_hash": doc["content_hash"],
                    "rank": rank,
                    "keyword": kw.text,
                    "score": kw.score,
                    "lang": doc["lang"],
                    "engine": extractor.version,
                }
            )
    extracted = len(fresh)
    return result, extracted


def keyword_stats(keyword_rows: Iterable[Row]) -> list[Row]:
    """Per keyword: in how many documents, summed score, best rank, one example URL."""
    docs: dict[str, set] = defaultdict(set)
    score: Counter = Counter()
    best: dict[str, int] = {}
    example: dict[str, str] = {}
    for row in keyword_rows:
        key = row["keyword"].lower()
        docs[key].add(row["doc_id"])
        score[key] += row["score"]
        if row["rank"] < best.get(key, 1 << 15):
            best[key], example[key] = row["rank"], row["url"]
    return sorted(
        (
            {
                "keyword": key,
                "documents": len(docs[key]),
                "score_sum": round(score[key], 4),
                "best_rank": best[key],
                "example_url": example[key],
            }
            for key in docs
        ),
        key=lambda r: (-r["documents"], -r["score_sum"], r["keyword"]),
    )
