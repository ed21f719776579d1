"""HTTP fetching with the limits a crawler needs: timeouts, a size cap, a redirect
limit, conditional GET, and a recorded reason for every page that could not be had."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import charset_normalizer
import httpx

HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
FEED_TYPES = ("xml", "rss", "atom", "text/plain", "text/html", "application/octet-stream", "gzip")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)


@dataclass
class FetchResult:
    """What one GET gave: content on success, a machine-readable reason otherwise."""

    url: str
    final_url: str
    status: int | None = None
    content: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    error: str | None = None  # reason code, e.g. "http_404", "too_large", "redirect_loop"
    detail: str = ""
    attempts: int = 1
    retry_after: float | None = None  # seconds, from a Retry-After header

    @property
    def ok(self) -> bool:
        return self.error is None and self.status == 200

    @property
    def not_modified(self) -> bool:
        return self.status == 304


# Worth asking again: the server or the network may recover in a moment.
TRANSIENT_ERRORS = frozenset({"timeout", "connection_error", "http_429", "http_500",
                              "http_502", "http_503", "http_504"})  # fmt: skip


class Fetcher:
    """A synchronous fetcher; one instance keeps one connection pool.

    Timeouts, connection errors, 429 and 5xx answers are retried ``retries`` times,
    after ``backoff_s``, then twice that, … or after the server's ``Retry-After`` when
    it is at most ``max_retry_after_s`` (a longer wait gives up at once).
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
    ) -> None:
        self.max_bytes = max_bytes
        self.retries, self.backoff_s, self.max_retry_after_s = retries, backoff_s, max_retry_after_s
        self._hops = threading.local()  # URLs the current get() requested, redirects included
        self.client = httpx.Client(
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
            follow_redirects=True,
            max_redirects=max_redirects,
            event_hooks={"request": [self._record_hop]},
        )

    def _record_hop(self, request: httpx.Request) -> None:
        self._hops.urls.append(str(request.url))

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get(
        self,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: tuple[str, ...] = HTML_TYPES,
    ) -> FetchResult:
        """One page: its content, or a reason; transient failures are retried."""
        for attempt in range(self.retries + 1):
            result = self._get_once(url, etag, last_modified, accept)
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
        self, url: str, etag: str | None, last_modified: str | None, accept: tuple[str, ...]
    ) -> FetchResult:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        result = FetchResult(url=url, final_url=url)
        self._hops.urls = []
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                result.status = response.status_code
                result.final_url = str(response.url)
                result.content_type = response.headers.get("content-type", "")
                result.etag = response.headers.get("etag")
                result.last_modified = response.headers.get("last-modified")
                if response.status_code == 304:
                    return result
                if response.status_code != 200:
                    result.retry_after = _seconds(response.headers.get("retry-after"))
                    return _fail(result, f"http_{response.status_code}", response.reason_phrase)
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.max_bytes:
                    return _fail(
                        result, "too_large", f"Content-Length {declared} > {self.max_bytes}"
                    )
                mime = result.content_type.split(";")[0].strip().lower()
                if mime and not any(a in mime for a in accept):
                    return _fail(result, "unsupported_content_type", mime)
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        return _fail(result, "too_large", f"body over {self.max_bytes} bytes")
                    chunks.append(chunk)
                result.content = b"".join(chunks)
        except httpx.TooManyRedirects as exc:
            loop = "redirect_loop" if _is_loop(self._hops.urls, exc) else "too_many_redirects"
            return _fail(result, loop, str(exc))
        except httpx.TimeoutException as exc:
            return _fail(result, "timeout", type(exc).__name__)
        except httpx.DecodingError as exc:
            return _fail(result, "bad_encoding", str(exc)[:200])
        except httpx.HTTPError as exc:
            return _fail(result, "connection_error", f"{type(exc).__name__}: {exc}"[:300])
        return result


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


def _is_loop(visited: list[str], exc: httpx.TooManyRedirects) -> bool:
    """True when the redirect chain came back to a URL it had requested already."""
    urls = [*visited, str(exc.request.url)]  # exc.request: where the next hop would go
    return len(set(urls)) < len(urls)


def looks_binary(content: bytes) -> bool:
    """True for bytes that are not text in any encoding (images, archives, noise)."""
    sample = content[:4096]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
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
