"""A bounded, polite check of internal link targets SIE-X never fetched.

Ingestion fetches what feeds and sitemaps announce; the pages link to more (category
pages, the home page, old articles). The audit can only call a link broken when it
knows what the target answers, so this asks those targets directly, within limits:

* at most ``max_urls`` URLs per call (the caller picks the most linked first);
* ``HEAD`` first; ``GET`` only to confirm an error answer (servers that refuse or
  mishandle ``HEAD`` say 405, 501 or worse), and a ``GET`` body is never read;
* ``delay_s`` between two requests to the same host, the fetcher's user agent,
  timeouts and redirect limit; no retries (a transient failure is asked again on the
  next check);
* ``robots.txt`` of each host is read once and obeyed: a disallowed URL is recorded
  as ``robots_disallowed``, not requested.

Rows go to the ``link_checks`` table; ``siex.intelligence.audit.load_site`` reads them
beside the ingestion's own fetch outcomes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from siex.web.fetch import Fetcher
from siex.web.urls import normalize_url

ROBOTS_TYPES = ("text/plain", "text/html", "application/octet-stream")


def check_urls(
    urls: Iterable[str],
    fetcher: Fetcher,
    max_urls: int = 100,
    delay_s: float = 0.5,
    respect_robots: bool = True,
    user_agent: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[dict]:
    """One ``link_checks`` row per URL (the first ``max_urls``, duplicates once).

    ``user_agent`` is the name matched against robots.txt groups (default: the
    fetcher's User-Agent header).
    """
    agent = user_agent or fetcher.client.headers.get("User-Agent", "*")
    unique = list(dict.fromkeys(normalize_url(u) for u in urls if u))[: max(0, max_urls)]
    robots: dict[str, RobotFileParser | None] = {}
    last_request: dict[str, float] = {}
    rows = []

    def polite(host: str) -> None:
        previous = last_request.get(host)
        if previous is not None:
            wait = delay_s - (time.monotonic() - previous)
            if wait > 0:
                sleep(wait)
        last_request[host] = time.monotonic()

    for url in unique:
        try:
            parts = urlsplit(url)
            host = f"{parts.scheme}://{parts.netloc}"
        except ValueError:
            rows.append(_row(url, None, "", "invalid_url"))
            continue
        if parts.scheme not in ("http", "https") or not parts.netloc:
            rows.append(_row(url, None, "", "invalid_url"))
            continue
        if respect_robots:
            if host not in robots:
                polite(host)
                robots[host] = _robots(fetcher, f"{host}/robots.txt")
            rules = robots[host]
            if rules is not None and not rules.can_fetch(agent, url):
                rows.append(_row(url, None, "", "robots_disallowed"))
                continue
        polite(host)
        rows.append(_check(fetcher, url))
    return rows


def _robots(fetcher: Fetcher, url: str) -> RobotFileParser | None:
    """The host's robots rules; None (everything allowed) when it has none."""
    response = fetcher.get(url, accept=ROBOTS_TYPES)
    if not response.ok:
        return None
    rules = RobotFileParser(url)
    rules.parse(response.content.decode("utf-8", "replace").splitlines())
    return rules


def _check(fetcher: Fetcher, url: str) -> dict:
    client = fetcher.client
    try:
        response = client.head(url)
        if response.status_code >= 400:  # HEAD refused or mishandled: GET, body unread
            with client.stream("GET", url) as streamed:
                response = streamed
    except httpx.TooManyRedirects:
        return _row(url, None, "", "too_many_redirects")
    except httpx.TimeoutException:
        return _row(url, None, "", "timeout")
    except httpx.HTTPError:
        return _row(url, None, "", "connection_error")
    status = response.status_code
    final_url = normalize_url(str(response.url))
    reason = "" if 200 <= status < 300 or status == 304 else f"http_{status}"
    return _row(url, status, final_url, reason)


def _row(url: str, status: int | None, final_url: str, reason: str) -> dict:
    return {
        "url": url,
        "status": status,
        "final_url": final_url,
        "reason": reason,
        "checked_at": datetime.now(UTC),
    }
