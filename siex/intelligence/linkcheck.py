"""A bounded, polite check of internal link targets SIE-X never fetched.

Ingestion fetches what feeds and sitemaps announce; the pages link to more (category
pages, the home page, old articles). The audit can only call a link broken when it
knows what the target answers, so this asks those targets directly, within limits:

* at most ``max_urls`` URLs per call (the caller picks the most linked first);
* ``HEAD`` first; ``GET`` only to confirm an error answer (servers that refuse or
  mishandle ``HEAD`` say 405, 501 or worse), and a ``GET`` body is never read;
* through the project's ``Fetcher``: its user agent, timeouts and redirect limit,
  robots.txt (read once per site and obeyed: a disallowed URL is recorded as
  ``robots_disallowed``, never requested) and its per-host turns (a few requests in
  flight, a pause between two starts, robots.txt ``Crawl-delay``); no retries (a
  transient failure is asked again on the next check).

Rows go to the ``link_checks`` table; ``siex.intelligence.audit.load_site`` reads them
beside the ingestion's own fetch outcomes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from siex.web.fetch import Fetcher
from siex.web.urls import normalize_url


def check_urls(urls: Iterable[str], fetcher: Fetcher, max_urls: int = 100) -> list[dict]:
    """One ``link_checks`` row per URL (the first ``max_urls``, duplicates once)."""
    unique = list(dict.fromkeys(normalize_url(u) for u in urls if u))[: max(0, max_urls)]
    return [_check(fetcher, url) for url in unique]


def _check(fetcher: Fetcher, url: str) -> dict:
    result = fetcher.check(url)
    status = result.status
    final_url = normalize_url(result.final_url) if status is not None else ""
    if status is not None and (200 <= status < 300 or status == 304):
        reason = ""
    elif status is not None:
        reason = f"http_{status}"
    else:
        reason = result.error or "fetch_failed"
    return _row(url, status, final_url, reason)


def _row(url: str, status: int | None, final_url: str, reason: str) -> dict:
    return {
        "url": url,
        "status": status,
        "final_url": final_url,
        "reason": reason,
        "checked_at": datetime.now(UTC),
    }
