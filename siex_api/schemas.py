"""Request and response bodies (pydantic), apart from the SQLAlchemy models."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, Field, model_validator

from siex.web.extract import MIN_WORDS, count_words


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, machine-readable: unauthorized, quota_exceeded, …")
    message: str
    details: Any = None


class ErrorOut(BaseModel):
    """Every error of the API has this shape."""

    error: ErrorDetail


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: str
    warehouse: str
    version: str


class TenantCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    id: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$",
        description="Optional tenant id; generated from the name when missing.",
    )


class TenantOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    plan: str
    billing_status: str
    role: str | None = Field(default=None, description="The caller's role, for a user.")


class Message(BaseModel):
    message: str


Email = Field(min_length=3, max_length=320)
Password = Field(min_length=1, max_length=256)
OpaqueToken = Field(min_length=10, max_length=200)


class RegisterIn(BaseModel):
    email: str = Email
    password: str = Password


class LoginIn(BaseModel):
    email: str = Email
    password: str = Password


class VerifyIn(BaseModel):
    token: str = OpaqueToken


class RefreshIn(BaseModel):
    refresh_token: str = OpaqueToken


class PasswordChangeIn(BaseModel):
    current_password: str = Password
    new_password: str = Password


class PasswordResetIn(BaseModel):
    email: str = Email


class PasswordResetConfirmIn(BaseModel):
    token: str = OpaqueToken
    new_password: str = Password


class TokenOut(BaseModel):
    token_type: Literal["bearer"] = "bearer"
    access_token: str
    expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


class TenantRef(BaseModel):
    id: str
    name: str
    role: str


class UserOut(BaseModel):
    id: str
    email: str
    email_verified: bool
    created_at: datetime
    tenants: list[TenantRef]


Scope = Literal["read", "write", "extract", "pipelines", "billing", "admin"]


class ApiKeyCreate(BaseModel):
    name: str = Field(default="", max_length=100)
    scopes: list[Scope] = Field(default=["read", "extract"], min_length=1, max_length=6)
    environment: Literal["live", "test"] = "live"
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)
    rate_limit_per_minute: int | None = Field(
        default=None, ge=1, le=100_000, description="Below the plan's limit; None: the plan's."
    )


class ApiKeyRotate(BaseModel):
    overlap_hours: int = Field(
        default=24, ge=0, le=720, description="How long the old key keeps working."
    )


class ApiKeyOut(BaseModel):
    id: str
    name: str
    prefix: str
    environment: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    rate_limit_per_minute: int | None


class ApiKeyCreated(ApiKeyOut):
    api_key: str = Field(description="Shown once: store it now.")


class MemberOut(BaseModel):
    user_id: str
    email: str
    role: str
    joined_at: datetime


class InvitationIn(BaseModel):
    email: str = Email
    role: Literal["admin", "member", "viewer"] = "member"


class InvitationOut(BaseModel):
    email: str
    role: str
    expires_at: datetime


class AcceptIn(BaseModel):
    token: str = OpaqueToken


class RoleIn(BaseModel):
    role: Literal["owner", "admin", "member", "viewer"]


class QuotaOut(BaseModel):
    resource: str
    limit: int | None
    used: int
    resets_at: datetime | None


class UsageDay(BaseModel):
    date: date
    resource: str
    quantity: int


class UsageOut(BaseModel):
    tenant_id: str
    plan: str
    period: str
    quotas: list[QuotaOut]
    totals: dict[str, int]
    days: list[UsageDay]


class AuditOut(BaseModel):
    id: int
    at: datetime
    action: str
    actor_user_id: str | None
    actor_key_id: str | None
    target: str | None
    client_ip: str | None
    user_agent: str | None
    details: dict


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_before_id: int | None


SourceKind = Literal["rss", "sitemap", "urllist", "site"]
HostConcurrency = Field(
    default=None,
    ge=1,
    le=16,
    description="Requests in flight per host of this source's pages; null: the platform's "
    "default (2). Above the default only for role 'own'.",
)
HostInterval = Field(
    default=None,
    ge=0,
    le=3600,
    description="Seconds between request starts per host; null: the platform's default "
    "(1 s). robots.txt Crawl-delay is honoured on top. Below the default only for role 'own'.",
)


class SourceCreate(BaseModel):
    kind: SourceKind = Field(
        description="rss: RSS/Atom feed; sitemap: XML sitemap or index; urllist: plain text, "
        "one URL a line; site: a site root, its sitemaps from robots.txt (else /sitemap.xml)"
    )
    url: AnyHttpUrl
    role: Literal["own", "competitor"] = "own"
    host_concurrency: int | None = HostConcurrency
    host_min_interval_s: float | None = HostInterval


class SourceOut(BaseModel):
    id: str
    kind: str
    url: str
    role: str
    active: bool
    created_at: datetime
    host_concurrency: int | None
    host_min_interval_s: float | None


class KeywordOut(BaseModel):
    text: str
    score: float
    folded: bool = Field(
        default=False,
        description="A piece of a phrase listed above it, listed because the text holds "
        "fewer distinct phrases than asked for (a title, a snippet).",
    )


class ExtractIn(BaseModel):
    text: str = Field(min_length=1, max_length=1_000_000)
    lang: str | None = Field(default=None, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$")
    top_k: int = Field(default=10, ge=1, le=100)


class ExtractOut(BaseModel):
    lang: str
    keywords: list[KeywordOut]


class DocumentOut(BaseModel):
    doc_id: str
    url: str
    title: str | None
    lang: str | None
    published_at: datetime | None
    fetched_at: datetime | None
    word_count: int | None
    date: date
    keywords: list[KeywordOut]
    text: str | None = None


class DocumentPush(BaseModel):
    """A document to ingest as if it had been fetched: text (taken as it is) or HTML
    (its main text, title, language and on-page signals are extracted)."""

    url: AnyHttpUrl = Field(description="The document's URL: its identity (doc_id) per tenant.")
    title: str | None = Field(default=None, max_length=1000)
    text: str | None = Field(default=None, min_length=1, max_length=1_000_000)
    html: str | None = Field(default=None, min_length=1, max_length=5_000_000)
    lang: str | None = Field(default=None, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$")
    published_at: datetime | None = None

    @model_validator(mode="after")
    def _one_body(self) -> DocumentPush:
        if (self.text is None) == (self.html is None):
            raise ValueError("give either text or html")
        if self.text is not None and count_words(self.text) < MIN_WORDS:
            raise ValueError(f"text needs at least {MIN_WORDS} words")
        if len(str(self.url)) > 2048:
            raise ValueError("url over 2048 characters")
        if self.published_at is not None and self.published_at.tzinfo is None:
            self.published_at = self.published_at.replace(tzinfo=UTC)
        return self


class DocumentAccepted(BaseModel):
    doc_id: str
    push_id: str
    url: str = Field(description="normalized (tracking parameters and fragment removed)")
    date: date  # the day partition (UTC) the document is filed under
    status: Literal["queued"] = "queued"
    processing: str


class DocumentPage(BaseModel):
    items: list[DocumentOut]
    total: int
    limit: int
    offset: int


class ReportEntry(BaseModel):
    """One report of one day: what it is and its headline figures."""

    kind: str
    date: date
    generated_at: datetime
    rows: int
    summary: dict[str, Any]
    charts: list[str] = Field(description="chart file names: GET /v1/reports/{kind}/charts/{name}")


class ReportOut(ReportEntry):
    items: list[dict[str, Any]] = Field(description="the report's rows, in its own order")
    total: int
    limit: int
    offset: int
