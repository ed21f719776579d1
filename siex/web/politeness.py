"""Per-host politeness: how many requests one site gets at once, and how often.

Every request the fetcher sends (robots.txt, feeds, sitemaps, pages, each redirect
hop) first takes a turn here. A host gets at most ``concurrency`` requests in flight
and request *starts* at least ``min_interval_s`` apart, or further apart when its
robots.txt asks for a ``Crawl-delay``; all hosts together get at most
``max_concurrency`` requests in flight. Threads that wait for their turn sleep; the
turns of one host are handed out in the order they were asked for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

# Defaults a site owner accepts: one request start per second per host and at most
# two in flight is slower than one person reading the site in a browser (a single page
# view loads dozens of resources at once), and still fetches 3,600 pages an hour per
# host. Sites that want less say so with Crawl-delay, which is honoured on top.
DEFAULT_HOST_CONCURRENCY = 2
DEFAULT_MIN_INTERVAL_S = 1.0
DEFAULT_MAX_CONCURRENCY = 8


def host_of(url: str) -> str:
    """The politeness key of a URL: its host name, lower case, without the port (two
    ports of one machine are one site owner's machine)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


@dataclass
class _Host:
    concurrency: int
    configured_interval: float
    robots_delay: float = 0.0  # Crawl-delay: never undercut by a configured interval
    in_flight: int = 0
    next_start: float = 0.0  # time.monotonic() of the next free start slot (a reservation)
    last_start: float = float("-inf")  # when the latest request started (or will)

    @property
    def interval(self) -> float:
        return max(self.configured_interval, self.robots_delay)


class HostGate:
    """Hands out request turns: per host a concurrency limit and a start interval,
    across hosts a global concurrency limit. Thread-safe."""

    def __init__(
        self,
        concurrency: int = DEFAULT_HOST_CONCURRENCY,
        min_interval_s: float = DEFAULT_MIN_INTERVAL_S,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    ) -> None:
        self.default_concurrency = max(1, concurrency)
        self.default_interval = max(0.0, min_interval_s)
        self.max_concurrency = max(1, max_concurrency)
        self._cond = threading.Condition()
        self._hosts: dict[str, _Host] = {}
        self._global = threading.BoundedSemaphore(self.max_concurrency)

    def _host(self, host: str) -> _Host:
        entry = self._hosts.get(host)
        if entry is None:
            entry = self._hosts[host] = _Host(self.default_concurrency, self.default_interval)
        return entry

    def configure(
        self, host: str, concurrency: int | None = None, min_interval_s: float | None = None
    ) -> None:
        """Set a host's limits (a source's own settings); None keeps the default."""
        with self._cond:
            entry = self._host(host)
            if concurrency is not None:
                entry.concurrency = max(1, concurrency)
            if min_interval_s is not None:
                entry.configured_interval = max(0.0, min_interval_s)
            self._cond.notify_all()

    def slow_down(self, host: str, min_interval_s: float) -> None:
        """Space a host's request starts at least ``min_interval_s`` apart (Crawl-delay)."""
        with self._cond:
            entry = self._host(host)
            entry.robots_delay = max(entry.robots_delay, min_interval_s)
            entry.next_start = max(entry.next_start, entry.last_start + entry.interval)

    def limits(self, host: str) -> tuple[int, float]:
        with self._cond:
            entry = self._host(host)
            return entry.concurrency, entry.interval

    @contextmanager
    def turn(self, url: str) -> Iterator[None]:
        """Hold one request slot for ``url``'s host; returns when the request may start.

        The host's slot is taken first and the start time reserved, then the global
        slot; a request delayed behind the global limit checks the host's interval
        again before it starts, so a queue that drains at once still keeps its spacing.
        """
        host = host_of(url)
        with self._cond:
            entry = self._host(host)
            while entry.in_flight >= entry.concurrency:
                self._cond.wait()
            entry.in_flight += 1
            now = time.monotonic()
            reserved = max(now, entry.next_start)
            entry.next_start = reserved + entry.interval
        try:
            _sleep_until(reserved)
            with self._global:
                with self._cond:
                    start = max(time.monotonic(), entry.last_start + entry.interval)
                    entry.last_start = start
                    entry.next_start = max(entry.next_start, start + entry.interval)
                _sleep_until(start)
                yield
        finally:
            with self._cond:
                entry.in_flight -= 1
                self._cond.notify_all()


def _sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)
