"""All settings in one place, read from the environment (prefix ``SIEX_``)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from siex import __version__

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIEX_", extra="ignore")

    home: Path = Field(default=REPO_ROOT / ".siex", description="All embedded state lives here.")
    database_url: str | None = Field(
        default=None,
        description="Platform tables and Dagster storage; SQLite under home when unset.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Pepper for API key hashes; generated once under home when unset.",
    )
    environment: str = Field(
        default="development",
        description="'production' refuses to start without explicit secrets.",
    )
    # Accounts and API
    jwt_secret: str | None = Field(
        default=None, description="Signs access tokens; derived from secret_key when unset."
    )
    access_token_ttl_s: int = 900
    refresh_token_ttl_s: int = 30 * 24 * 3600
    verify_token_ttl_s: int = 3 * 24 * 3600
    reset_token_ttl_s: int = 3600
    invite_token_ttl_s: int = 7 * 24 * 3600
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="Base of links in mails and Stripe redirects."
    )
    login_attempts_per_15min: int = Field(
        default=10, description="Failed sign-ins allowed per account and per client address."
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="limits storage URI: memory:// (one process) or redis://127.0.0.1:6379/0",
    )
    trusted_proxies: list[str] = Field(
        default=[], description="Addresses whose X-Forwarded-For is believed."
    )
    # Mail (the notifier): 'outbox' writes JSON lines under home; 'smtp' sends.
    mail_backend: str = "outbox"
    mail_from: str = "SIE-X <no-reply@siex.example>"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    # Billing (Stripe)
    stripe_api_key: str | None = None
    stripe_api_base: str | None = Field(
        default=None, description="Stripe API base URL; None for api.stripe.com."
    )
    stripe_webhook_secrets: list[str] = Field(
        default=[], description="whsec_… secrets; more than one during rotation."
    )
    stripe_prices: dict[str, str] = Field(
        default={}, description='plan name -> Stripe price id, e.g. {"creator": "price_…"}'
    )
    stripe_meter_event: str = "siex_extractions"
    stripe_metered_price: str | None = Field(
        default=None,
        description="A metered price on the meter of stripe_meter_event, added to every "
        "subscription so reported usage is billed; None: usage is reported, not charged.",
    )
    billing_grace_days: int = 7
    # Fetching
    user_agent: str = Field(
        default=f"SIE-X/{__version__} (+https://siex.example/bot; SEO intelligence crawler)",
        description="Sent with every request; its first product (SIE-X) is the robots.txt token.",
    )
    fetch_timeout_s: float = 15.0
    max_page_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    fetch_retries: int = Field(default=2, description="retries of timeouts, 429 and 5xx")
    max_urls_per_run: int = 500
    respect_robots: bool = Field(default=True, description="honour robots.txt (RFC 9309)")
    fetch_concurrency: int = Field(default=8, description="requests in flight across all hosts")
    host_concurrency: int = Field(default=2, description="requests in flight per host")
    host_min_interval_s: float = Field(
        default=1.0, description="seconds between request starts on one host"
    )
    max_crawl_delay_s: float = Field(
        default=60.0, description="robots.txt Crawl-delay is honoured up to this many seconds"
    )
    # Keywords
    top_k: int = 10
    engine_mode: str = Field(default="semantic", description="'semantic' or 'statistical'")
    model_path: str | None = Field(default=None, description="local sentence-transformers model")
    model_languages: list[str] = Field(default=["en"], description='JSON list, ["*"] for all')
    model_layers: int = Field(
        default=1, description="transformer layers used for keyword re-ranking; 0 for all"
    )
    deep_from_words: int = Field(
        default=2000,
        description="texts of this many words or more are re-ranked by all layers too; 0: never",
    )
    phrase_store_rows: int = Field(
        default=200_000,
        description="phrase embeddings kept on disk for the next process (~2 KB each); 0: off",
    )
    # Demo
    demo_port: int = 8765
    demo_tenant: str = "demo"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def phrase_store_dir(self) -> Path | None:
        return self.home / "cache" / "phrase-embeddings" if self.phrase_store_rows > 0 else None

    @property
    def warehouse_dir(self) -> Path:
        return self.home / "warehouse"

    @property
    def warehouse_db_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def platform_db_url(self) -> str:
        if self.database_url:
            return sqlalchemy_url(self.database_url)
        return f"sqlite:///{self.home / 'platform.sqlite'}"

    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated once and kept (mode 0600) under home."""
        if self.secret_key:
            return self.secret_key
        path = self.home / "secret_key"
        if not path.exists():
            import secrets

            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        return path.read_text().strip()

    def resolved_jwt_secret(self) -> str:
        if self.jwt_secret:
            return self.jwt_secret
        import hashlib

        return hashlib.sha256(f"jwt|{self.resolved_secret_key()}".encode()).hexdigest()

    def check_production(self) -> None:
        """In production, secrets come from the environment, never from defaults."""
        if self.environment != "production":
            return
        missing = [
            name
            for name, value in (
                ("SIEX_SECRET_KEY", self.secret_key),
                ("SIEX_JWT_SECRET", self.jwt_secret),
            )
            if not value or len(value) < 32
        ]
        if missing:
            raise RuntimeError(f"production needs {', '.join(missing)} (32+ characters)")

    @property
    def uses_postgres(self) -> bool:
        return self.platform_db_url.startswith("postgresql")

    @property
    def demo_base_url(self) -> str:
        return f"http://127.0.0.1:{self.demo_port}"


def sqlalchemy_url(url: str) -> str:
    """Pin PostgreSQL URLs to psycopg2, the driver dagster-postgres brings.

    SQLAlchemy 2.1 maps a bare ``postgresql://`` to psycopg 3, which is not installed.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


@lru_cache(maxsize=1)
def _cached(env_key: tuple) -> Settings:
    return Settings()


def get_settings() -> Settings:
    """Settings for the current environment; re-read when SIEX_* variables change."""
    key = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("SIEX_")))
    return _cached(key)
