"""The ingestion steps as plain functions: discover → fetch → documents → keywords.

The Dagster assets call these with their resources; tests and the CLI call them
directly. Every URL that fails at any step becomes a failure row with a reason;
nothing raises for one bad page.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from siex.engine import Corpus, KeywordExtractor
from siex.history import PreviousFetch, change_of, history_row
from siex.platform.service import SourceSpec
from siex.web.extract import MIN_WORDS, count_words, extract_pages
from siex.web.feeds import (
    DiscoveredUrl,
    SitemapContent,
    SitemapParser,
    SourceError,
    UrlListParser,
    parse_feed,
)
from siex.web.fetch import FEED_TYPES, Fetcher, FetchResult, StopBody, decode_html, looks_binary
from siex.web.politeness import host_of
from siex.web.robots import origin_of
from siex.web.urls import normalize_url

MAX_CHILD_SITEMAPS = 50  # files read from one sitemap index (or one site's sitemaps)
MAX_SITEMAP_FETCH_BYTES = 50 * 1024 * 1024  # a sitemap file as transferred (maybe gzip)
GONE_STATUSES = (404, 410)
PUSH_SOURCE_ID = "api"  # source_id of documents pushed through the API

Row = dict[str, Any]


@dataclass
class StepResult:
    rows: list[Row] = field(default_factory=list)
    failures: list[Row] = field(default_factory=list)

    def fail(
        self, url: str, stage: str, reason: str, detail: str = "", source_id: str = ""
    ) -> None:
        self.failures.append(failure_row(url, stage, reason, detail, source_id))


def failure_row(url: str, stage: str, reason: str, detail: str = "", source_id: str = "") -> Row:
    return {
        "url": url,
        "source_id": source_id,
        "stage": stage,
        "reason": reason,
        "detail": detail[:1000],
        "at": datetime.now(UTC),
    }


@dataclass(frozen=True)
class PageRequest:
    """A URL to fetch and what its source said about it."""

    url: str
    source_id: str = ""
    title: str = ""
    published_at: datetime | None = None
    images: tuple[str, ...] = ()  # image:loc of its sitemap entry


def doc_id(tenant: str, url: str) -> str:
    return hashlib.sha256(f"{tenant}\n{url}".encode()).hexdigest()[:24]


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


# -- discover ------------------------------------------------------------------------


@dataclass
class Discovery:
    """What a source announces now.

    ``urls`` is None when the source answered 304 Not Modified. ``problems`` are
    failure rows (stage ``source``) for the parts that were skipped or cut short —
    a child sitemap that could not be read, a file over 50,000 entries — while the
    rest was read.
    """

    urls: list[DiscoveredUrl] | None
    response: FetchResult | None
    problems: list[Row] = field(default_factory=list)


def discover(
    source: SourceSpec,
    fetcher: Fetcher,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Discovery:
    """URLs a feed, sitemap, URL list or site announces now.

    Raises SourceError with a reason when the source cannot be read at all.
    """
    if source.kind == "rss":
        response = fetcher.get(
            source.url, etag=etag, last_modified=last_modified, accept=FEED_TYPES
        )
        if response.not_modified:
            return Discovery(None, response)
        if not response.ok:
            raise SourceError(response.error or "fetch_failed", response.detail)
        return Discovery(unique_pages(parse_feed(response.content, response.final_url)), response)
    if source.kind == "site":
        problems: list[Row] = []
        pages: list[DiscoveredUrl] = []
        readable = 0
        sitemaps, notes = site_sitemaps(source, fetcher)
        problems += notes
        for sitemap in sitemaps:
            try:
                found = discover_sitemap(sitemap, fetcher, source.id, fmt="auto")
            except SourceError as exc:
                problems.append(failure_row(sitemap, "source", exc.reason, exc.detail, source.id))
                continue
            readable += 1
            pages += found.urls or []
            problems += found.problems
        if not readable:
            reasons = ", ".join(sorted({p["reason"] for p in problems})) or "none found"
            raise SourceError("site_without_sitemap", f"no readable sitemap ({reasons})")
        return Discovery(unique_pages(pages), None, problems)
    fmt = "text" if source.kind == "urllist" else "xml"
    return discover_sitemap(source.url, fetcher, source.id, etag, last_modified, fmt)


def site_sitemaps(source: SourceSpec, fetcher: Fetcher) -> tuple[list[str], list[Row]]:
    """The sitemaps a site declares in its robots.txt ``Sitemap:`` lines, else its
    ``/sitemap.xml``; and a problem row when robots.txt could not be read."""
    root = origin_of(source.url)
    rules = fetcher.robots_rules(source.url)
    if rules is None:  # robots.txt not respected: still read it for its Sitemap lines
        from siex.web.robots import rules_from

        rules = rules_from(root, fetcher.get(f"{root}/robots.txt", accept=None))
    if rules.unreachable:
        raise SourceError("robots_unreachable", rules.unreachable)
    declared = list(dict.fromkeys(s.strip() for s in rules.sitemaps if s.strip()))
    if len(declared) > MAX_CHILD_SITEMAPS:
        detail = f"{len(declared)} Sitemap lines, the first {MAX_CHILD_SITEMAPS} read"
        note = [
            failure_row(f"{root}/robots.txt", "source", "sitemaps_truncated", detail, source.id)
        ]
        return declared[:MAX_CHILD_SITEMAPS], note
    return declared or [f"{root}/sitemap.xml"], []


class _SniffingParser:
    """Picks the XML or the text parser from a file's first bytes (gzip and ``<`` mean
    XML), for sitemaps whose format nobody declared (those listed in robots.txt)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.parser: SitemapParser | UrlListParser | None = None
        self._head = b""

    def _choose(self) -> None:
        head = self._head.lstrip(b"\xef\xbb\xbf \t\r\n")
        xml = head[:2] == b"\x1f\x8b" or head[:1] == b"<"
        self.parser = SitemapParser() if xml else UrlListParser()
        self.parser.write(self._head)

    def write(self, piece: bytes) -> None:
        if self.parser is None:
            self._head += piece
            if len(self._head.strip()) < 2 and len(self._head) < 4096:
                return
            self._choose()
            return
        self.parser.write(piece)

    def close(self) -> SitemapContent:
        if self.parser is None:
            self._choose()
        return self.parser.close()


def _read_sitemap_file(
    url: str,
    fetcher: Fetcher,
    fmt: str,
    etag: str | None = None,
    last_modified: str | None = None,
):
    """One sitemap file, parsed while it streams in. Returns ``(content, response,
    parser)``; content is None on 304. Raises SourceError."""
    parser = {"xml": SitemapParser, "text": UrlListParser, "auto": _SniffingParser}[fmt]()
    response = fetcher.get(
        url,
        etag=etag,
        last_modified=last_modified,
        accept=FEED_TYPES,
        max_bytes=MAX_SITEMAP_FETCH_BYTES,
        sink=parser,
    )
    if response.not_modified:
        return None, response, parser
    if not response.ok:
        raise SourceError(response.error or "fetch_failed", response.detail)
    try:
        return parser.close(), response, parser
    except StopBody as stop:
        raise SourceError(stop.reason or "sitemap_not_xml", stop.detail) from stop


def _file_problems(url: str, content: SitemapContent, parser, source_id: str) -> list[Row]:
    problems = []
    if content.truncated:
        kept = len(content.pages) + len(content.children)
        detail = (
            f"{kept} entries kept, {content.skipped} more skipped (the protocol's limit per file)"
        )
        problems.append(failure_row(url, "source", "sitemap_truncated", detail, source_id))
    inner = getattr(parser, "parser", parser)
    if isinstance(inner, UrlListParser) and inner.invalid:
        detail = f"{inner.invalid} lines are not http(s) URLs, e.g. {inner.invalid_example!r}"
        problems.append(failure_row(url, "source", "urllist_invalid_lines", detail, source_id))
    return problems


def discover_sitemap(
    url: str,
    fetcher: Fetcher,
    source_id: str = "",
    etag: str | None = None,
    last_modified: str | None = None,
    fmt: str = "xml",
) -> Discovery:
    """The pages of a sitemap file (``fmt``: xml, text or auto) and, for a sitemap
    index, of its child sitemaps (at most MAX_CHILD_SITEMAPS files, each once: an
    index that lists itself or loops is read once). A child that cannot be read is a
    problem row; the others go on."""
    content, response, parser = _read_sitemap_file(url, fetcher, fmt, etag, last_modified)
    if content is None:
        return Discovery(None, response)
    pages = list(content.pages)
    problems = _file_problems(url, content, parser, source_id)
    seen = {url, response.final_url}
    queue = list(content.children)
    read = 0
    while queue:
        child = queue.pop(0)
        if child in seen:  # an index that points at itself or loops
            continue
        seen.add(child)
        if read >= MAX_CHILD_SITEMAPS:
            left = 1 + sum(1 for c in queue if c not in seen)
            detail = f"{MAX_CHILD_SITEMAPS} child sitemaps read, {left} more skipped"
            problems.append(
                failure_row(url, "source", "sitemap_index_truncated", detail, source_id)
            )
            break
        read += 1
        try:
            child_content, _child_response, child_parser = _read_sitemap_file(
                child, fetcher, "auto" if fmt == "auto" else "xml"
            )
        except SourceError as exc:
            problems.append(failure_row(child, "source", exc.reason, exc.detail, source_id))
            continue
        pages.extend(child_content.pages)
        queue.extend(child_content.children)  # nested indexes, seen once each
        problems += _file_problems(child, child_content, child_parser, source_id)
    return Discovery(unique_pages(pages), response, problems)


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
    return [PageRequest(d.url, source.id, d.title, d.published_at, d.images) for d in found]


# -- fetch ---------------------------------------------------------------------------


@dataclass
class FetchStepResult(StepResult):
    """Page rows (new or changed content), failures, one history row per URL that was
    answered, and how many pages were unchanged (304 or same content hash)."""

    history: list[Row] = field(default_factory=list)
    unchanged: int = 0


def interleave_hosts(requests: list[PageRequest]) -> list[PageRequest]:
    """Round-robin over hosts, so that the first requests a pool of threads takes are
    on different sites and no thread waits for a busy host while others are idle."""
    by_host: dict[str, list[PageRequest]] = defaultdict(list)
    for req in requests:
        by_host[host_of(req.url)].append(req)
    queues = list(by_host.values())
    ordered = []
    for i in range(max((len(q) for q in queues), default=0)):
        ordered += [q[i] for q in queues if i < len(q)]
    return ordered


def host_limits(
    requests: Iterable[PageRequest],
    sources: Mapping[str, SourceSpec],
    default_concurrency: int,
    default_interval_s: float,
) -> dict[str, tuple[int, float]]:
    """Per host of the requested pages (and of the sources themselves): requests in
    flight and seconds between request starts, from the sources' own settings.

    A source without settings uses the defaults. A competitor's source can only be
    gentler than the defaults; the tenant's own sites may also be crawled faster.
    When several sources lead to one host, the gentlest settings win.
    """

    def of(source: SourceSpec | None) -> tuple[int, float]:
        if source is None:
            return default_concurrency, default_interval_s
        concurrency = source.host_concurrency or default_concurrency
        interval = (
            default_interval_s
            if source.host_min_interval_s is None
            else float(source.host_min_interval_s)
        )
        if source.role != "own":
            concurrency = min(concurrency, default_concurrency)
            interval = max(interval, default_interval_s)
        return concurrency, interval

    limits: dict[str, tuple[int, float]] = {}

    def add(url: str, source: SourceSpec | None) -> None:
        concurrency, interval = of(source)
        host = host_of(url)
        if host in limits:
            known = limits[host]
            concurrency, interval = min(known[0], concurrency), max(known[1], interval)
        limits[host] = (concurrency, interval)

    for source in sources.values():
        add(source.url, source)
    for req in requests:
        add(req.url, sources.get(req.source_id))
    return limits


def configure_politeness(
    fetcher: Fetcher, sources: Iterable[SourceSpec], requests: Iterable[PageRequest] = ()
) -> dict[str, tuple[int, float]]:
    """Apply ``host_limits`` to the fetcher's host turns; returns what was set."""
    by_id = {s.id: s for s in sources}
    limits = host_limits(
        requests, by_id, fetcher.gate.default_concurrency, fetcher.gate.default_interval
    )
    for host, (concurrency, interval) in limits.items():
        fetcher.gate.configure(host, concurrency, interval)
    return limits


def fetch_pages(
    requests: Iterable[PageRequest],
    fetcher: Fetcher,
    run_id: str = "",
    progress: Callable[[int, int], None] | None = None,
    previous: Mapping[str, PreviousFetch] | None = None,
    tenant: str = "",
) -> FetchStepResult:
    """GET each page, several hosts at once (``fetcher.max_concurrency`` threads; the
    fetcher keeps each host's own limits). A URL fetched before is asked for with its
    stored validators: 304 or the same content hash makes it unchanged (no page row);
    rows are for new or changed pages that arrived as text, failures for the rest."""
    previous = previous or {}
    unique = list({r.url: r for r in requests}.values())
    result = FetchStepResult()
    if not unique:
        return result
    ordered = interleave_hosts(unique)

    def one(req: PageRequest):
        before = previous.get(req.url)
        try:
            response = fetcher.get(
                req.url,
                etag=before.etag if before else None,
                last_modified=before.last_modified if before else None,
            )
        except Exception as exc:  # a bug must cost one page, not the run
            response = FetchResult(req.url, req.url, error="fetch_error", detail=repr(exc)[:300])
        return req, before, response

    outcomes: dict[str, tuple] = {}
    workers = max(1, min(fetcher.max_concurrency, len(ordered)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:
        futures = [pool.submit(one, req) for req in ordered]
        for done, future in enumerate(as_completed(futures), 1):
            req, before, response = future.result()
            outcomes[req.url] = (req, before, response)
            if progress:
                progress(done, len(unique))
    for req in unique:  # results in request order, whatever order they arrived in
        _record(result, *outcomes[req.url], run_id=run_id, tenant=tenant)
    return result


def _record(
    result: FetchStepResult,
    req: PageRequest,
    before: PreviousFetch | None,
    response: FetchResult,
    run_id: str,
    tenant: str,
) -> None:
    def history(change: str, digest: str | None, detected_by: str) -> None:
        result.history.append(
            history_row(
                req.url, doc_id(tenant, req.url), req.source_id, response.fetched_at, change,
                digest, before, response.status, detected_by,
                response.etag or (before.etag if before and change == "unchanged" else None),
                response.last_modified
                or (before.last_modified if before and change == "unchanged" else None),
                run_id,
            )
        )  # fmt: skip

    if response.not_modified and before is not None:
        result.unchanged += 1
        history("unchanged", before.content_hash, "http_304")
        return
    if not response.ok:
        if response.not_modified:  # 304 to a request without validators: a broken server
            response.error, response.detail = "http_304", "304 without a conditional request"
        result.fail(
            req.url, "fetch", response.error or "fetch_failed", response.detail, req.source_id
        )
        if before is not None and response.status in GONE_STATUSES:
            history("gone", None, f"http_{response.status}")
        return
    if looks_binary(response.content):
        result.fail(req.url, "fetch", "binary_content", response.content_type, req.source_id)
        return
    html, encoding = decode_html(response.content, response.content_type)
    digest = content_hash(html)
    change = change_of(before, digest)
    history(change, digest, "content_hash")
    if change == "unchanged":
        result.unchanged += 1
        return
    result.rows.append(
        {
            "url": req.url,
            "source_id": req.source_id,
            "final_url": response.final_url,
            "http_status": response.status,
            "fetched_at": response.fetched_at,
            "content_type": response.content_type,
            "encoding": encoding,
            "content_hash": digest,
            "html": html,
            "etag": response.etag,
            "last_modified": response.last_modified,
            "feed_title": req.title,
            "published_at": req.published_at,
            "run_id": run_id,
            "content_language": _first_language(response.content_language),
            "sitemap_images": list(req.images),
        }
    )


def _first_language(header: str) -> str | None:
    """``Content-Language: de-DE, en`` → ``de-DE`` (a hint for language detection)."""
    first = header.split(",")[0].strip()
    return first or None


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
    """Clean text, title and language for each fetched or pushed page, and the on-page
    signals of each HTML page. ``text/plain`` pages are text already: they skip the
    HTML extraction (and have no on-page signals)."""
    result = DocumentsResult()
    pages = list(pages)
    plain = [p for p in pages if _is_plain_text(p)]
    html_pages = [p for p in pages if not _is_plain_text(p)]
    by_url = {p["url"]: p for p in html_pages}
    for page in plain:
        text = "\n".join(line.rstrip() for line in (page["html"] or "").splitlines()).strip()
        words = count_words(text)
        if words < MIN_WORDS:
            detail = f"{words} words of text (minimum {MIN_WORDS})"
            result.fail(page["url"], "extract", "no_text", detail, page["source_id"])
            continue
        result.rows.append(_document_row(tenant, page, extractor, text, page.get("feed_title")))
    for extracted in extract_pages((p["url"], p["html"]) for p in html_pages):
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
        pushed_title = page.get("feed_title") if page["source_id"] == PUSH_SOURCE_ID else None
        result.rows.append(
            _document_row(
                tenant,
                page,
                extractor,
                extracted.text,
                pushed_title or extracted.title or page.get("feed_title"),
                description=extracted.description,
                lang_hint=extracted.html_lang,
                published=extracted.published,
            )
        )
    return result


def _is_plain_text(page: Row) -> bool:
    return (page.get("content_type") or "").split(";")[0].strip().lower() == "text/plain"


def _document_row(
    tenant: str,
    page: Row,
    extractor: KeywordExtractor,
    text: str,
    title: str | None,
    description: str = "",
    lang_hint: str | None = None,
    published: str | None = None,
) -> Row:
    hint = lang_hint or page.get("content_language") or None
    return {
        "doc_id": doc_id(tenant, page["url"]),
        "url": page["url"],
        "source_id": page["source_id"],
        "title": title or "",
        "description": description,
        "lang": extractor.language_of(text, hint),
        "published_at": page.get("published_at") or parse_date(published),
        "fetched_at": page["fetched_at"],
        "content_hash": content_hash(text),
        "word_count": count_words(text),
        "text": text,
    }


def pages_to_extract(warehouse, tenant: str, day: str, run_id: str) -> tuple[list[Row], bool]:
    """The pages the documents step of this run extracts, and whether that is an
    update (True) or a rebuild of the whole day (False).

    A run that fetched (or was pushed) pages wrote them as ``pages/…/run-<run_id>``:
    only those are extracted, and merged into the day's documents, so a page stored by
    an earlier run of the day, or found unchanged now, costs no extraction. A run
    without such a part (a backfill of a past day, or documents materialized alone)
    rebuilds the day from all its stored pages.
    """
    import pyarrow.parquet as pq

    from siex.warehouse import SCHEMAS

    part = warehouse.partition_dir("pages", tenant, day) / f"run-{run_id}.parquet"
    if run_id and part.is_file():
        return latest_pages(pq.read_table(part, schema=SCHEMAS["pages"]).to_pylist()), True
    return latest_pages(warehouse.read("pages", tenant, day).to_pylist()), False


def document_texts(warehouse, tenant: str, day: str, doc_ids: list[str]) -> dict[str, str]:
    """The texts of some of the day's documents, the day's table read a batch at a time."""
    wanted = pa.array(sorted(set(doc_ids)), pa.string())
    found: dict[str, str] = {}
    for batch in warehouse.iter_batches("documents", tenant, day, ["doc_id", "text"]):
        hit = batch.filter(pc.is_in(batch["doc_id"], value_set=wanted))
        found.update(zip(hit["doc_id"].to_pylist(), hit["text"].to_pylist(), strict=True))
    return found


def empty_texts(documents: pa.Table) -> list[str]:
    """URLs of documents whose text is empty or only whitespace (Arrow's whitespace is
    Python's ``str.isspace``, so this is ``not text.strip()``), in table order."""
    text = pc.fill_null(documents["text"], "")
    empty = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(text)), 0)
    return documents["url"].filter(empty).to_pylist()


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
    corpora: Mapping[str, Corpus] | None = None,
) -> tuple[StepResult, int]:
    """Keyword rows per document; unchanged text, same engine version: stored rows are reused
    (rows stored before they said whether they are ``folded`` are extracted again).

    ``corpora`` holds each site's corpus statistics by origin (``siex.site_corpus``):
    a document is ranked against its own site's. Returns the step result and how many
    documents were extracted afresh.
    """
    reusable: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in previous:
        if row.get("engine") == extractor.version and row.get("folded") is not None:
            reusable[(row["doc_id"], row["content_hash"])].append(row)
    result = StepResult()
    fresh = []
    for doc in documents:
        cached = reusable.get((doc["doc_id"], doc["content_hash"]))
        if cached:
            result.rows.extend(cached)
        else:
            fresh.append(doc)
    corpora = corpora or {}
    batches = extractor.extract_stream(
        (
            {"text": d["text"], "lang": d["lang"], "title": d["title"],
             "corpus": corpora.get(origin_of(d["url"]))}
            for d in fresh
        ),
        top_k=top_k,
    )  # fmt: skip
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
                    "folded": kw.folded,
                }
            )
    extracted = len(fresh)
    return result, extracted


@dataclass
class KeywordsUpdate:
    """The day's keyword rows after ``update_keywords``, and what it took."""

    table: pa.Table
    failures: list[Row]
    extracted: int  # documents extracted afresh
    changed: bool  # False: ``table`` is exactly the stored table (nothing to write)
    corpora: dict[str, Corpus] = field(default_factory=dict)  # site corpora used, by origin


def update_keywords(
    documents: pa.Table,
    stored: pa.Table,
    extractor: KeywordExtractor,
    top_k: int = 10,
    texts: Callable[[list[str]], dict[str, str]] | None = None,
    corpora: Callable[[], Mapping[str, Corpus]] | None = None,
) -> KeywordsUpdate:
    """``extract_keywords`` over the day's tables, column by column: the same rows in the
    same order (each document's reused rows in document order, then the fresh ones),
    but only the documents without reusable keywords become Python objects, so a run
    costs in proportion to what changed rather than to the day's size.

    ``documents`` may leave out ``text``; then ``texts(doc_ids)`` gives the texts of the
    documents to extract (so the day's texts need not be held at once). ``corpora()``
    gives each site's corpus by origin; it is called only when there is something to
    extract."""
    from siex.warehouse import SCHEMAS

    schema = SCHEMAS["keywords"]
    stored = stored.select(schema.names).cast(schema)
    position = pc.index_in(stored["doc_id"], value_set=documents["doc_id"])
    current_hash = documents["content_hash"].take(position)  # null where the doc is gone
    reuse = pc.fill_null(
        pc.and_(
            pc.and_(
                pc.equal(stored["content_hash"], current_hash),
                pc.equal(stored["engine"], extractor.version),
            ),
            pc.is_valid(stored["folded"]),
        ),
        False,
    )
    kept_position = position.filter(reuse)
    order = pa.table(
        {"position": kept_position, "row": pa.array(range(len(kept_position)), pa.int64())}
    ).sort_by([("position", "ascending"), ("row", "ascending")])["row"]
    cached = stored.filter(reuse).take(order)
    covered = pc.is_in(
        pa.array(range(documents.num_rows), pa.int32()),
        value_set=pc.unique(kept_position).cast(pa.int32()),
    )
    fresh_docs = documents.filter(pc.invert(covered))
    if "text" not in fresh_docs.column_names:
        ids = fresh_docs["doc_id"].to_pylist()
        found = texts(ids) if texts is not None and ids else {}
        fresh_docs = fresh_docs.append_column(
            "text", pa.array([found.get(i, "") for i in ids], pa.large_string())
        )
    fields = ["doc_id", "url", "source_id", "content_hash", "text", "lang", "title"]
    sites = dict(corpora()) if corpora is not None and fresh_docs.num_rows else {}
    result, extracted = extract_keywords(
        fresh_docs.select(fields).to_pylist(), extractor, top_k=top_k, corpora=sites
    )
    table = pa.concat_tables([cached, pa.Table.from_pylist(result.rows, schema=schema)])
    unchanged = (
        not result.rows
        and cached.num_rows == stored.num_rows
        and order.to_pylist() == list(range(len(order)))
    )
    return KeywordsUpdate(table, result.failures, extracted, changed=not unchanged, corpora=sites)


def keyword_stats(keyword_rows: Iterable[Row] | pa.Table) -> list[Row]:
    """Per keyword: in how many documents, summed score, best rank, one example URL.
    Folded rows (a listed phrase's pieces, filling a short text's list) are no topic of
    their own and are not counted.

    ``keyword_rows``: dicts, or the keywords table (read column by column: a day's
    hundred thousand rows are never made into dicts)."""
    if isinstance(keyword_rows, pa.Table):
        keyword_rows = keyword_rows.filter(pc.invert(pc.fill_null(keyword_rows["folded"], False)))
        columns = [
            keyword_rows[c].to_pylist() for c in ("keyword", "doc_id", "score", "rank", "url")
        ]
        tuples = zip(*columns, strict=True)
    else:
        tuples = (
            (r["keyword"], r["doc_id"], r["score"], r["rank"], r["url"])
            for r in keyword_rows
            if not r.get("folded")
        )
    docs: dict[str, set] = defaultdict(set)
    score: Counter = Counter()
    best: dict[str, int] = {}
    example: dict[str, str] = {}
    for keyword, doc, value, rank, url in tuples:
        key = keyword.lower()
        docs[key].add(doc)
        score[key] += value
        if rank < best.get(key, 1 << 15):
            best[key], example[key] = rank, url
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
