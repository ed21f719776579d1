"""All settings in one place, read from the environment (prefix ``SIEX_``)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    # Fetching
    user_agent: str = "SIE-X/0.1 (+https://siex.example/bot; SEO intelligence crawler)"
    fetch_timeout_s: float = 15.0
    max_page_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    max_urls_per_run: int = 500
    # Keywords
    top_k: int = 10
    engine_mode: str = Field(default="semantic", description="'semantic' or 'statistical'")
    model_path: str | None = Field(default=None, description="local sentence-transformers model")
    model_languages: list[str] = Field(default=["en"], description='JSON list, ["*"] for all')
    model_layers: int = Field(
        default=1, description="transformer layers used for keyword re-ranking; 0 for all"
    )
    # Demo
    demo_port: int = 8765
    demo_tenant: str = "demo"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

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
