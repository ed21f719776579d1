"""robots.txt, read once per site and fetcher, as RFC 9309 says (protego parses it).

- 2xx: its rules apply to our product token (``SIE-X`` from ``SIE-X/0.1 (+…)``), or
  to ``*`` when no group names us; ``Crawl-delay`` / ``Request-rate`` slow the host
  down; ``Sitemap:`` lines are kept for site sources.
- 4xx (404, 410, 401, 403 …): no usable robots.txt, so every URL is allowed.
- 5xx, 429, timeouts, unreachable hosts: the site is treated as disallowed for the
  rest of the run (RFC 9309 §2.3.1.4), with the reason recorded on each URL:
  ``robots_unreachable`` when the server answered, ``timeout`` or
  ``connection_error`` when it did not (the page would have failed the same way).
- Only the first 500 KiB are read (the RFC's minimum); more is ignored, not an error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protego import Protego

MAX_ROBOTS_BYTES = 500 * 1024
# 429 is "come back later", not "there is no robots.txt": treat it like a server error.
UNREACHABLE_STATUSES = frozenset({429})


def product_token(user_agent: str) -> str:
    """The name robots.txt groups are matched against: the user agent's first product
    (``SIE-X`` in ``SIE-X/0.1 (+https://…)``)."""
    first = user_agent.strip().split(None, 1)[0] if user_agent.strip() else "*"
    return first.split("/", 1)[0] or "*"


def origin_of(url: str) -> str:
    """``scheme://host[:port]``: robots.txt applies to one protocol, host and port."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


@dataclass(frozen=True)
class RobotsVerdict:
    allowed: bool
    reason: str | None = None  # robots_disallowed | robots_unreachable
    detail: str = ""


@dataclass
class RobotsRules:
    """What one site's robots.txt says, or what its absence means."""

    origin: str
    parser: Protego | None = None
    unreachable: str = ""  # why the site is off limits for this run, "" when it is not
    unreachable_reason: str = "robots_unreachable"
    status: int | None = None
    sitemaps: list[str] = field(default_factory=list)

    def verdict(self, url: str, token: str) -> RobotsVerdict:
        if self.unreachable:
            return RobotsVerdict(False, self.unreachable_reason, self.unreachable)
        if self.parser is None or self.parser.can_fetch(url, token):
            return RobotsVerdict(True)
        return RobotsVerdict(False, "robots_disallowed", f"{self.origin}/robots.txt disallows it")

    def delay(self, token: str) -> float | None:
        """Seconds between requests the site asks for (Crawl-delay or Request-rate)."""
        if self.parser is None:
            return None
        delays = []
        crawl_delay = self.parser.crawl_delay(token)
        if crawl_delay is not None:
            delays.append(float(crawl_delay))
        rate = self.parser.request_rate(token)
        if rate is not None and rate.requests:
            delays.append(rate.seconds / rate.requests)
        return max(delays) if delays else None


def rules_from(origin: str, result) -> RobotsRules:
    """Rules from the fetch of ``<origin>/robots.txt`` (a ``FetchResult``)."""
    status = result.status
    if result.ok:
        text = result.content[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
        parser = Protego.parse(text.lstrip("\ufeff"))
        return RobotsRules(origin, parser, status=status, sitemaps=list(parser.sitemaps))
    if result.error == "too_many_redirects" or result.error == "redirect_loop":
        return RobotsRules(origin, status=status)  # RFC 9309: may be taken as unavailable
    if status is not None and 400 <= status < 500 and status not in UNREACHABLE_STATUSES:
        return RobotsRules(origin, status=status)
    why = f"robots.txt answered {status}" if status else f"robots.txt: {result.error}"
    detail = f"{why}{f' ({result.detail})' if result.detail else ''}; site skipped for this run"
    network = result.error in ("timeout", "connection_error")
    return RobotsRules(
        origin,
        unreachable=detail[:300],
        unreachable_reason=result.error if network else "robots_unreachable",
        status=status,
    )


class RobotsCache:
    """robots.txt per origin, fetched on first use and kept for the cache's lifetime
    (one fetcher: one sensor tick or one run). Thread-safe: concurrent first uses of
    one origin fetch it once."""

    def __init__(self, fetch: Callable[[str], object], token: str) -> None:
        self._fetch = fetch  # robots URL -> FetchResult
        self.token = token
        self._rules: dict[str, RobotsRules] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def rules(self, url: str) -> RobotsRules:
        origin = origin_of(url)
        cached = self._rules.get(origin)
        if cached is not None:
            return cached
        with self._guard:
            lock = self._locks.setdefault(origin, threading.Lock())
        with lock:
            cached = self._rules.get(origin)
            if cached is None:
                cached = rules_from(origin, self._fetch(f"{origin}/robots.txt"))
                self._rules[origin] = cached
        return cached

    def check(self, url: str) -> RobotsVerdict:
        if urlsplit(url).path == "/robots.txt":
            return RobotsVerdict(True)
        return self.rules(url).verdict(url, self.token)
