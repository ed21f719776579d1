"""HTTP fetching with the limits a crawler needs: timeouts, a size cap, a redirect
limit, conditional GET, retries, robots.txt, per-host politeness, and a recorded
reason for every page that could not be had.

One ``Fetcher`` is shared by the threads of a run (httpx's client is thread-safe).
Every request it sends, redirect hops included, is checked against the target
site's robots.txt (``siex.web.robots``) and waits for its turn at the host
(``siex.web.politeness``). Redirects are followed here, hop by hop, rather than by
httpx, so that each hop gets both. Compressed bodies are inflated in bounded pieces
(``siex.web.inflate``) and counted against the cap as they arrive, so neither a huge
page nor a gzip bomb costs more memory than the cap. A caller can also hand each
piece to a ``BodySink`` instead of buffering the body (sitemaps are parsed that way).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

import charset_normalizer
import httpx

from siex.web.inflate import InflateError, Inflater
from siex.web.politeness import (
    DEFAULT_HOST_CONCURRENCY,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MIN_INTERVAL_S,
    HostGate,
    host_of,
)
from siex.web.robots import MAX_ROBOTS_BYTES, RobotsCache, RobotsRules, product_token

HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
FEED_TYPES = ("xml", "rss", "atom", "text/plain", "text/html", "application/octet-stream", "gzip")
_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or 13 < b < 32)  # not in any text
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)


@dataclass
class FetchResult:
    """What one GET gave: content on success, a machine-readable reason otherwise."""

    url: str
    final_url: str
    status: int | None = None
    content: bytes = b""
    content_type: str = ""
    content_language: str = ""
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    error: str | None = None  # reason code, e.g. "http_404", "too_large", "robots_disallowed"
    detail: str = ""
    attempts: int = 1
    retry_after: float | None = None  # seconds, from a Retry-After header

    @property
    def ok(self) -> bool:
        return self.error is None and self.status == 200

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class StopBody(Exception):
    """Raised by a ``BodySink`` to stop reading: with a reason the fetch fails with
    it (``sitemap_not_xml``); without one the sink has all it wants and the fetch
    succeeds."""

    def __init__(self, reason: str | None = None, detail: str = "") -> None:
        super().__init__(reason or "enough")
        self.reason, self.detail = reason, detail


class BodySink(Protocol):
    """Receives a body piece by piece (decoded, at most 64 KiB each) instead of it
    being buffered. ``reset`` is called before every attempt (retries start over)."""

    def reset(self) -> None: ...

    def write(self, piece: bytes) -> None: ...


class _Collect:
    """Keeps the first ``limit`` bytes of a body and stops reading there."""

    def __init__(self, limit: int) -> None:
        self.limit, self.data = limit, b""

    def reset(self) -> None:
        self.data = b""

    def write(self, piece: bytes) -> None:
        self.data += piece[: self.limit - len(self.data)]
        if len(self.data) >= self.limit:
            raise StopBody()


# Worth asking again: the server or the network may recover in a moment.
TRANSIENT_ERRORS = frozenset({"timeout", "connection_error", "http_429", "http_500",
                              "http_502", "http_503", "http_504"})  # fmt: skip


class Fetcher:
    """A synchronous, polite fetcher; one instance keeps one connection pool, one
    robots.txt cache and one set of host turns.

    Timeouts, connection errors, 429 and 5xx answers are retried ``retries`` times,
    after ``backoff_s``, then twice that, … or after the server's ``Retry-After`` when
    it is at most ``max_retry_after_s`` (a longer wait gives up at once).
    ``host_concurrency`` / ``min_interval_s`` are the per-host defaults; a robots.txt
    ``Crawl-delay`` (up to ``max_crawl_delay_s``) slows its host further;
    ``max_concurrency`` caps the requests in flight across hosts.
    """

    def __init__(
        self,
        user_agent: str,
        timeout_s: float = 15.0,
        max_bytes: int = 10 * 1024 * 1024,
        max_redirects: int = 5,
        retries: int = 2,
        backoff_s: float = 0.5,
        max_retry_after_s: float = 10.0,
        host_concurrency: int = DEFAULT_HOST_CONCURRENCY,
        min_interval_s: float = DEFAULT_MIN_INTERVAL_S,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        max_crawl_delay_s: float = 60.0,
        respect_robots: bool = True,
        robots_token: str | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.retries, self.backoff_s, self.max_retry_after_s = retries, backoff_s, max_retry_after_s
        self.max_crawl_delay_s = max_crawl_delay_s
        self.gate = HostGate(host_concurrency, min_interval_s, max_concurrency)
        self.robots_token = robots_token or product_token(user_agent)
        self.robots = RobotsCache(self._fetch_robots, self.robots_token) if respect_robots else None
        self._delays_applied: set[str] = set()
        self._delays_lock = threading.Lock()
        self.client = httpx.Client(
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
            follow_redirects=False,  # followed hop by hop in _get_once
            limits=httpx.Limits(
                max_connections=max_concurrency + 4, max_keepalive_connections=max_concurrency
            ),
        )

    @property
    def max_concurrency(self) -> int:
        return self.gate.max_concurrency

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- robots.txt ---------------------------------------------------------------

    def _fetch_robots(self, robots_url: str) -> FetchResult:
        sink = _Collect(MAX_ROBOTS_BYTES)  # stops reading there: no size cap needed
        result = self._get(robots_url, None, None, None, 2**62, sink, check_robots=False)
        if result.ok:
            result.content = sink.data
        return result

    def robots_rules(self, url: str) -> RobotsRules | None:
        """The robots.txt rules of ``url``'s site (fetched once); None when robots.txt
        is not respected (``respect_robots=False``)."""
        if self.robots is None:
            return None
        rules = self.robots.rules(url)
        with self._delays_lock:
            fresh = rules.origin not in self._delays_applied
            self._delays_applied.add(rules.origin)
        if fresh:
            delay = rules.delay(self.robots_token)
            if delay:
                self.gate.slow_down(host_of(url), min(delay, self.max_crawl_delay_s))
        return rules

    # -- GET ----------------------------------------------------------------------

    def get(
        self,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: tuple[str, ...] | None = HTML_TYPES,
        max_bytes: int | None = None,
        sink: BodySink | None = None,
    ) -> FetchResult:
        """One URL: its content, or a reason; transient failures are retried.

        ``accept``: media type fragments allowed (None: any); ``max_bytes``: this
        call's cap instead of the fetcher's; ``sink``: receives the body instead of
        ``content``.
        """
        return self._get(url, etag, last_modified, accept, max_bytes, sink, check_robots=True)

    def check(self, url: str) -> FetchResult:
        """What ``url`` answers, without its body: a HEAD, then a GET read no further
        than its first piece when the HEAD was refused or failed (some servers mishandle
        HEAD). robots.txt, host turns and redirects as for ``get``; no retries."""
        result = self._get_once(url, None, None, None, 2**62, None, True, method="HEAD")
        if result.status is not None and result.status >= 400:
            result = self._get_once(url, None, None, None, 2**62, _Collect(1), True)
        return result

    def _get(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        accept: tuple[str, ...] | None,
        max_bytes: int | None,
        sink: BodySink | None,
        check_robots: bool,
    ) -> FetchResult:
        for attempt in range(self.retries + 1):
            if sink is not None:
                sink.reset()
            result = self._get_once(
                url, etag, last_modified, accept, max_bytes or self.max_bytes, sink, check_robots
            )
            result.attempts = attempt + 1
            if result.error not in TRANSIENT_ERRORS or attempt == self.retries:
                return result
            wait = self.backoff_s * 2**attempt
            if result.retry_after is not None:
                if result.retry_after > self.max_retry_after_s:
                    return result
                wait = max(wait, result.retry_after)
            time.sleep(wait)
        return result

    def _get_once(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        accept: tuple[str, ...] | None,
        max_bytes: int,
        sink: BodySink | None,
        check_robots: bool,
        method: str = "GET",
    ) -> FetchResult:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        result = FetchResult(url=url, final_url=url)
        visited: list[str] = []
        try:
            request = self.client.build_request(method, url, headers=headers)
            while True:
                target = str(request.url)
                if len(visited) > self.max_redirects:
                    loop = len({*visited, target}) < len(visited) + 1
                    return _fail(
                        result,
                        "redirect_loop" if loop else "too_many_redirects",
                        f"more than {self.max_redirects} redirects, next {target}",
                    )
                visited.append(target)
                result.final_url = target
                if request.url.scheme not in ("http", "https") or not request.url.host:
                    return _fail(result, "invalid_url", f"not an http(s) URL: {target[:200]}")
                if check_robots and self.robots is not None:
                    verdict = self.robots_rules(target).verdict(target, self.robots_token)
                    if not verdict.allowed:
                        return _fail(result, verdict.reason or "robots_disallowed", verdict.detail)
                with self.gate.turn(target):
                    response = self.client.send(request, stream=True)
                    try:
                        if response.has_redirect_location and response.next_request is not None:
                            request = response.next_request
                            continue
                        return self._read(response, result, accept, max_bytes, sink)
                    finally:
                        response.close()
        except httpx.TimeoutException as exc:
            return _fail(result, "timeout", type(exc).__name__)
        except (httpx.DecodingError, InflateError) as exc:
            return _fail(result, "bad_encoding", str(exc)[:200])
        except httpx.InvalidURL as exc:
            return _fail(result, "invalid_url", str(exc)[:200])
        except httpx.HTTPError as exc:
            return _fail(result, "connection_error", f"{type(exc).__name__}: {exc}"[:300])

    def _read(
        self,
        response: httpx.Response,
        result: FetchResult,
        accept: tuple[str, ...] | None,
        max_bytes: int,
        sink: BodySink | None,
    ) -> FetchResult:
        result.status = response.status_code
        result.final_url = str(response.url)
        result.content_type = response.headers.get("content-type", "")
        result.content_language = response.headers.get("content-language", "")
        result.etag = response.headers.get("etag")
        result.last_modified = response.headers.get("last-modified")
        if response.status_code == 304:
            return result
        if response.status_code != 200:
            result.retry_after = _seconds(response.headers.get("retry-after"))
            return _fail(result, f"http_{response.status_code}", response.reason_phrase)
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            return _fail(result, "too_large", f"Content-Length {declared} > {max_bytes}")
        mime = result.content_type.split(";")[0].strip().lower()
        if accept is not None and mime and not any(a in mime for a in accept):
            return _fail(result, "unsupported_content_type", mime)
        chunks, size = [], 0
        try:
            for piece in _decoded(response):
                size += len(piece)
                if size > max_bytes:
                    return _fail(result, "too_large", f"body over {max_bytes} bytes")
                if sink is None:
                    chunks.append(piece)
                else:
                    sink.write(piece)
        except StopBody as stop:
            if stop.reason:
                return _fail(result, stop.reason, stop.detail)
        result.content = b"".join(chunks)
        return result


def _decoded(response: httpx.Response):
    """The body's pieces with gzip/deflate undone in bounded steps; other encodings
    (we do not ask for them) are left to httpx."""
    encodings = [
        e.strip().lower()
        for e in response.headers.get("content-encoding", "").split(",")
        if e.strip() and e.strip().lower() != "identity"
    ]
    if not encodings:
        yield from response.iter_raw()
        return
    if len(encodings) > 1 or encodings[0] not in ("gzip", "x-gzip", "deflate"):
        yield from response.iter_bytes()
        return
    inflater = Inflater("deflate" if encodings[0] == "deflate" else "gzip")
    for raw in response.iter_raw():
        yield from inflater.feed(raw)
    yield from inflater.flush()


def _seconds(retry_after: str | None) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date."""
    if not retry_after:
        return None
    if retry_after.strip().isdigit():
        return float(retry_after.strip())
    try:
        moment = parsedate_to_datetime(retry_after)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds()) if moment.tzinfo else None


def _fail(result: FetchResult, reason: str, detail: str = "") -> FetchResult:
    result.error = reason
    result.detail = detail
    result.content = b""
    return result


def looks_binary(content: bytes) -> bool:
    """True for bytes that are not text in any encoding (images, archives, noise)."""
    sample = content[:4096]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    control = len(sample) - len(sample.translate(None, _CONTROL_BYTES))  # counted in C
    return control / len(sample) > 0.05


def decode_html(content: bytes, content_type: str = "") -> tuple[str, str]:
    """Decode page bytes: declared charset, then the page's <meta>, then detection."""
    candidates = []
    match = re.search(r"charset=([\w\-:.]+)", content_type, re.I)
    if match:
        candidates.append(match.group(1))
    meta = _META_CHARSET.search(content[:4096])
    if meta:
        candidates.append(meta.group(1).decode("ascii", "ignore"))
    for encoding in candidates:
        try:
            return content.decode(encoding), encoding.lower()
        except (LookupError, UnicodeDecodeError):
            continue
    matches = charset_normalizer.from_bytes(content[:200_000])
    best = matches.best()
    if best is not None:
        encoding = best.encoding
        # Single-byte Latin code pages often score alike (latin-1 Swedish text "fits"
        # cp1250 as well as cp1252). On a tie prefer windows-1252: the HTML standard's
        # default for undeclared pages, and the code page of every supported language.
        tied = [m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
        if any("cp1252" in m.could_be_from_charset for m in tied):
            encoding = "cp1252"
        return content.decode(encoding, errors="replace"), encoding
    return content.decode("utf-8", errors="replace"), "utf-8"


def fetcher_from_settings(settings) -> Fetcher:
    """A fetcher with the limits of ``siex.config.Settings`` (the CLI's; the assets use
    the FetcherResource built from the same settings)."""
    return Fetcher(
        user_agent=settings.user_agent,
        timeout_s=settings.fetch_timeout_s,
        max_bytes=settings.max_page_bytes,
        max_redirects=settings.max_redirects,
        retries=settings.fetch_retries,
        respect_robots=settings.respect_robots,
        max_concurrency=settings.fetch_concurrency,
        host_concurrency=settings.host_concurrency,
        min_interval_s=settings.host_min_interval_s,
        max_crawl_delay_s=settings.max_crawl_delay_s,
    )
