from dagster import ConfigurableResource

from siex.web.fetch import Fetcher


class FetcherResource(ConfigurableResource):
    """HTTP fetching limits: a clear user agent, timeouts, a size cap, a redirect limit."""

    user_agent: str
    timeout_s: float = 15.0
    max_page_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    max_urls_per_run: int = 500
    retries: int = 2  # timeouts, connection errors, 429 and 5xx, with backoff

    def client(self) -> Fetcher:
        """A fetcher with its own connection pool; use it as a context manager."""
        return Fetcher(
            user_agent=self.user_agent,
            timeout_s=self.timeout_s,
            max_bytes=self.max_page_bytes,
            max_redirects=self.max_redirects,
            retries=self.retries,
        )
