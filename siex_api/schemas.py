"""Request and response bodies (pydantic), apart from the SQLAlchemy models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, Field


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


class TenantCreated(BaseModel):
    tenant: TenantOut
    api_key: str = Field(description="Shown once: store it now.")


class SourceCreate(BaseModel):
    kind: Literal["rss", "sitemap"]
    url: AnyHttpUrl
    role: Literal["own", "competitor"] = "own"


class SourceOut(BaseModel):
    id: str
    kind: str
    url: str
    role: str
    active: bool
    created_at: datetime


class KeywordOut(BaseModel):
    text: str
    score: float


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


class DocumentPage(BaseModel):
    items: list[DocumentOut]
    total: int
    limit: int
    offset: int
