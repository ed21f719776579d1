"""robots.txt and per-host politeness over real HTTP on loopback.

Two host names of one loopback server (``127.0.0.1`` and ``localhost``) are two hosts
to the fetcher, so the tests see per-host limits and the global cap side by side. A
recording route notes, per host, when each request started and how many were in
flight at that moment.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import defaultdict

import pytest

from siex.ingest import PageRequest, configure_politeness, fetch_pages, host_limits
from siex.platform.service import SourceSpec
from siex.web.fetch import Fetcher
from siex.web.robots import product_token
from tests.conftest import Route, article_html

LOREM = [
    "Drip irrigation delivers water directly to the roots of each plant through tubes.",
    "Compared with sprinklers it loses far less water to evaporation and runoff in summer.",
]
TEXT = {"Content-Type": "text/plain"}


class Recorder:
    """A handler that records request starts and concurrency per Host header, holding
    each request ``hold_s`` so that overlapping requests really overlap."""

    def __init__(self, hold_s: float = 0.15) -> None:
        self.hold_s = hold_s
        self.lock = threading.Lock()
        self.in_flight: dict[str, int] = defaultdict(int)
        self.peak: dict[str, int] = defaultdict(int)
        self.total = 0
        self.peak_total = 0
        self.starts: dict[str, list[float]] = defaultdict(list)

    def __call__(self, h) -> None:
        host = h.headers.get("Host", "").split(":")[0]
        with self.lock:
            self.starts[host].append(time.monotonic())
            self.in_flight[host] += 1
            self.total += 1
            self.peak[host] = max(self.peak[host], self.in_flight[host])
            self.peak_total = max(self.peak_total, self.total)
        try:
            time.sleep(self.hold_s)
        finally:
            # Counted out before the answer is sent: once the client has read it, it may
            # start its next request while this thread still has to return (a busy
            # machine saw a fourth "in flight" that way).
            with self.lock:
                self.in_flight[host] -= 1
                self.total -= 1
        body = article_html("Page", LOREM).encode()
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)


def two_hosts(server) -> tuple[str, str]:
    port = server.httpd.server_address[1]
    return f"http://127.0.0.1:{port}", f"http://localhost:{port}"


def gaps(starts: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(starts)]


# -- robots.txt ----------------------------------------------------------------------


def test_user_agent_product_token():
    """robots.txt groups are matched against the product token, not the whole header."""
    assert product_token("SIE-X/0.1 (+https://siex.example/bot; SEO intelligence crawler)") == (
        "SIE-X"
    )
    assert product_token("") == "*"


def test_robots_rules_for_our_token_wildcards_and_fetched_once_per_site(server):
    """Our group (matched case-insensitively on SIE-X) wins over '*'; wildcards and $
    work; robots.txt is read once per site however many pages are asked for."""
    server.routes["/robots.txt"] = Route(
        body=b"User-agent: *\nDisallow: /\n\n"
        b"User-agent: sie-x\nDisallow: /private/\nDisallow: /*.pdf$\nAllow: /private/open\n",
        headers=TEXT,
    )
    for path in ("/public", "/private/open", "/doc.pdf?x=1"):
        server.routes[path] = Route(body=article_html("ok", LOREM).encode())
    with Fetcher(user_agent="SIE-X/0.1 (+https://siex.example/bot)", min_interval_s=0) as f:
        result = fetch_pages(
            [PageRequest(server.url(p)) for p in
             ("/public", "/private/secret", "/private/open", "/doc.pdf", "/doc.pdf?x=1")],
            f,
        )  # fmt: skip
    assert {r["url"] for r in result.rows} == {
        server.url(p) for p in ("/public", "/private/open", "/doc.pdf?x=1")
    }
    reasons = {f["url"]: (f["reason"], f["detail"]) for f in result.failures}
    assert {u: r for u, (r, _) in reasons.items()} == {
        server.url("/private/secret"): "robots_disallowed",
        server.url("/doc.pdf"): "robots_disallowed",
    }
    assert "robots.txt disallows" in reasons[server.url("/doc.pdf")][1]
    paths = [p for p, _ in server.requests]
    assert paths.count("/robots.txt") == 1
    assert "/private/secret" not in paths and "/doc.pdf" not in paths  # never requested
    assert all(h.get("User-Agent", "").startswith("SIE-X/0.1") for _, h in server.requests)


def test_missing_robots_allows_everything_and_server_error_disallows_the_site(server):
    """404 robots.txt: all allowed. 503 robots.txt (RFC 9309): nothing of that site is
    fetched this run, each URL recorded as robots_unreachable; another site goes on."""
    a, b = two_hosts(server)
    calls = defaultdict(int)

    def robots(h) -> None:
        host = h.headers["Host"].split(":")[0]
        calls[host] += 1
        status = 503 if host == "localhost" else 404
        h.send_response(status)
        h.send_header("Content-Length", "0")
        h.end_headers()

    server.routes["/robots.txt"] = Route(handler=robots)
    server.routes["/p"] = Route(body=article_html("ok", LOREM).encode())
    with Fetcher(user_agent="SIE-X/0.1", min_interval_s=0, retries=1, backoff_s=0.01) as f:
        result = fetch_pages([PageRequest(f"{a}/p"), PageRequest(f"{b}/p"),
                              PageRequest(f"{b}/p?2")], f)  # fmt: skip
    assert [r["url"] for r in result.rows] == [f"{a}/p"]
    assert {f["url"]: f["reason"] for f in result.failures} == {
        f"{b}/p": "robots_unreachable",
        f"{b}/p?2": "robots_unreachable",
    }
    assert "503" in result.failures[0]["detail"]
    assert calls == {"127.0.0.1": 1, "localhost": 2}  # retried once, then kept for the run
    assert sum(1 for p, h in server.requests if p == "/p" and "localhost" in h["Host"]) == 0


def test_redirect_into_a_disallowed_path_is_not_followed(server):
    """Each redirect hop is checked against robots.txt: a hop into /private/ stops there."""
    server.routes["/robots.txt"] = Route(body=b"User-agent: *\nDisallow: /private/\n", headers=TEXT)
    server.routes["/moved"] = Route(status=301, headers={"Location": "/private/page"})
    server.routes["/private/page"] = Route(body=article_html("secret", LOREM).encode())
    with Fetcher(user_agent="SIE-X/0.1", min_interval_s=0) as f:
        result = f.get(server.url("/moved"))
    assert result.error == "robots_disallowed"
    assert result.final_url == server.url("/private/page")
    assert "/private/page" not in [p for p, _ in server.requests]


def test_robots_can_be_switched_off(server):
    server.routes["/robots.txt"] = Route(body=b"User-agent: *\nDisallow: /\n", headers=TEXT)
    server.routes["/p"] = Route(body=article_html("ok", LOREM).encode())
    with Fetcher(user_agent="SIE-X/0.1", min_interval_s=0, respect_robots=False) as f:
        assert f.get(server.url("/p")).ok
    assert "/robots.txt" not in [p for p, _ in server.requests]


def test_oversized_robots_txt_is_read_up_to_500_kib(server):
    """The first 500 KiB of a huge robots.txt count (RFC 9309); the rest is ignored."""
    body = b"User-agent: *\nDisallow: /blocked\n" + b"# padding\n" * 300_000
    server.routes["/robots.txt"] = Route(body=body, headers=TEXT)
    server.routes["/ok"] = Route(body=article_html("ok", LOREM).encode())
    with Fetcher(user_agent="SIE-X/0.1", min_interval_s=0, max_bytes=64 * 1024) as f:
        assert f.get(server.url("/blocked")).error == "robots_disallowed"
        assert f.get(server.url("/ok")).ok


# -- politeness ----------------------------------------------------------------------


def test_per_host_concurrency_interval_and_global_cap_hold(server):
    """Two hosts, eight pages each: at most two requests in flight per host, three in
    all, request starts on one host at least 0.1 s apart — and both hosts progress at
    the same time (the run takes far less than fetching one page after another)."""
    recorder = Recorder(hold_s=0.3)
    a, b = two_hosts(server)
    for i in range(8):
        server.routes[f"/p{i}"] = Route(handler=recorder)
    server.routes["/robots.txt"] = Route(body=b"User-agent: *\nAllow: /\n", headers=TEXT)
    requests = [PageRequest(f"{base}/p{i}") for base in (a, b) for i in range(8)]
    started = time.monotonic()
    with Fetcher(
        user_agent="SIE-X/0.1", host_concurrency=2, min_interval_s=0.1, max_concurrency=3
    ) as f:
        result = fetch_pages(requests, f)
    elapsed = time.monotonic() - started
    assert len(result.rows) == 16 and not result.failures
    assert dict(recorder.peak) == {"127.0.0.1": 2, "localhost": 2}
    assert recorder.peak_total == 3
    for host, starts in recorder.starts.items():
        assert len(starts) == 8
        assert min(gaps(starts)) >= 0.1 - 0.01, (host, gaps(starts))
    assert elapsed < 16 * 0.3 * 0.8  # concurrent, not one after another (4.8 s)
    assert [r["url"] for r in result.rows] == [r.url for r in requests]  # request order kept


def test_crawl_delay_spaces_requests_on_that_host_only(server):
    """robots.txt Crawl-delay: 0.5 for our token spaces that host's starts 0.5 s apart
    (the default interval is shorter); the other host keeps its default."""
    recorder = Recorder(hold_s=0.01)
    a, b = two_hosts(server)

    def robots(h) -> None:
        delay = b"Crawl-delay: 0.5\n" if h.headers["Host"].startswith("localhost") else b""
        body = b"User-agent: SIE-X\nAllow: /\n" + delay
        h.send_response(200)
        h.send_header("Content-Type", "text/plain")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    server.routes["/robots.txt"] = Route(handler=robots)
    for i in range(4):
        server.routes[f"/p{i}"] = Route(handler=recorder)
    requests = [PageRequest(f"{base}/p{i}") for base in (a, b) for i in range(4)]
    with Fetcher(user_agent="SIE-X/0.1", host_concurrency=2, min_interval_s=0.05) as f:
        result = fetch_pages(requests, f)
        assert f.gate.limits("localhost") == (2, 0.5)
    assert len(result.rows) == 8
    assert min(gaps(recorder.starts["localhost"])) >= 0.5 - 0.02
    assert max(gaps(recorder.starts["127.0.0.1"])) < 0.4


def test_crawl_delay_is_capped(server):
    server.routes["/robots.txt"] = Route(body=b"User-agent: *\nCrawl-delay: 3600\n", headers=TEXT)
    with Fetcher(user_agent="SIE-X/0.1", min_interval_s=0, max_crawl_delay_s=0.2) as f:
        f.get(server.url("/x"))
        assert f.gate.limits("127.0.0.1") == (2, 0.2)


def test_source_settings_apply_to_their_hosts_and_competitors_only_go_gentler(server):
    """Per-source politeness: an own site may be crawled faster than the defaults, a
    competitor only slower; several sources on one host: the gentlest wins."""
    own = SourceSpec("own", "t", "rss", "https://own.example/feed", "own", 4, 0.0)
    rival = SourceSpec("rival", "t", "rss", "https://rival.example/feed", "competitor", 8, 0.0)
    slow = SourceSpec("slow", "t", "sitemap", "https://slow.example/s.xml", "competitor", 1, 5.0)
    shared = SourceSpec("shared", "t", "rss", "https://own.example/other", "own", 1, 2.0)
    requests = [
        PageRequest("https://own.example/a", "own"),
        PageRequest("https://cdn.rival.example/b", "rival"),
        PageRequest("https://slow.example/c", "slow"),
    ]
    by_id = {s.id: s for s in (own, rival, slow)}
    limits = host_limits(requests, by_id, 2, 1.0)
    assert limits == {
        "own.example": (4, 0.0),
        "rival.example": (2, 1.0),
        "cdn.rival.example": (2, 1.0),
        "slow.example": (1, 5.0),
    }
    assert host_limits(requests, {**by_id, "shared": shared}, 2, 1.0)["own.example"] == (1, 2.0)
    with Fetcher(user_agent="SIE-X/0.1") as f:
        configure_politeness(f, [own, rival, slow], requests)
        assert f.gate.limits("own.example") == (4, 0.0)
        assert f.gate.limits("slow.example") == (1, 5.0)
        assert f.gate.limits("unknown.example") == (2, 1.0)  # the defaults


@pytest.mark.parametrize("interval", [0.2])
def test_retries_also_wait_their_turn(server, interval):
    """A retried request is a new request start on the host: it keeps the interval."""
    calls: list[float] = []

    def flaky(h) -> None:
        calls.append(time.monotonic())
        status = 503 if len(calls) < 3 else 200
        body = article_html("ok", LOREM).encode() if status == 200 else b"busy"
        h.send_response(status)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    server.routes["/flaky"] = Route(handler=flaky)
    with Fetcher(user_agent="SIE-X/0.1", min_interval_s=interval, backoff_s=0.01) as f:
        assert f.get(server.url("/flaky")).ok
    assert len(calls) == 3 and min(gaps(calls)) >= interval - 0.02
