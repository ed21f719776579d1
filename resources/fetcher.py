from dagster import ConfigurableResource

from siex.web.fetch import Fetcher


class FetcherResource(ConfigurableResource):
    """HTTP fetching limits: a clear user agent, timeouts, a size cap, a redirect limit,
    robots.txt, and per-host politeness (requests in flight and the interval between
    request starts per host; robots.txt Crawl-delay on top; a global cap)."""

    user_agent: str
    timeout_s: float = 15.0
    max_page_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    max_urls_per_run: int = 500
    retries: int = 2  # timeouts, connection errors, 429 and 5xx, with backoff
    respect_robots: bool = True
    max_concurrency: int = 8
    host_concurrency: int = 2
    host_min_interval_s: float = 1.0
    max_crawl_delay_s: float = 60.0

    def client(self) -> Fetcher:
        """A fetcher with its own connection pool, robots.txt cache and host turns; use
        it as a context manager."""
        return Fetcher(
            user_agent=self.user_agent,
            timeout_s=self.timeout_s,
            max_bytes=self.max_page_bytes,
            max_redirects=self.max_redirects,
            retries=self.retries,
            respect_robots=self.respect_robots,
            max_concurrency=self.max_concurrency,
            host_concurrency=self.host_concurrency,
            min_interval_s=self.host_min_interval_s,
            max_crawl_delay_s=self.max_crawl_delay_s,
        )
