"""SQLAlchemy models of the platform tables (kept apart from the API's pydantic schemas)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database: SQLite stores no offset and
    would hand back naive values, which compare and serialize wrongly."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: use siex.platform.models.utcnow()")
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None


def new_id() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    pass


class Tenant(Base):
    """An organization: owns sources, documents, keys and a plan."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(63), primary_key=True)  # also the Dagster partition key
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    plan: Mapped[str] = mapped_column(String(32), default="free")
    # active | past_due (paying late, in grace) | canceled (downgraded to free)
    billing_status: Mapped[str] = mapped_column(String(16), default="active")
    grace_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(64))
    # Stripe's `created` of the last subscription event applied: older events are stale.
    subscription_event_at: Mapped[int | None] = mapped_column(BigInteger)

    api_keys: Mapped[list[ApiKey]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan"
    )
    sources: Mapped[list[Source]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan"
    )


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # normalized, see accounts
    password_hash: Mapped[str] = mapped_column(String(255))  # Argon2id
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class Membership(Base):
    """A user's role in a tenant: owner, admin, member or viewer."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "tenant_id", name="uq_memberships_user_tenant"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    tenant: Mapped[Tenant] = relationship(back_populates="memberships")


class AuthSession(Base):
    """One sign-in: the family of its rotating refresh tokens. Revoking it ends the
    sign-in, its access tokens included (they carry its id)."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    client_ip: Mapped[str | None] = mapped_column(String(64))


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the token
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OneTimeToken(Base):
    """Email verification, password reset and invitation tokens (stored hashed)."""

    __tablename__ = "one_time_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    purpose: Mapped[str] = mapped_column(String(16))  # verify | reset | invite
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    email: Mapped[str | None] = mapped_column(String(320))
    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    role: Mapped[str | None] = mapped_column(String(16))
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)  # public part, looked up in O(1)
    secret_hash: Mapped[str] = mapped_column(String(128))  # HMAC-SHA256 of the secret part
    prefix: Mapped[str] = mapped_column(String(32))  # shown in listings: "sk_live_ab12cd34"
    name: Mapped[str] = mapped_column(String(100), default="")
    environment: Mapped[str] = mapped_column(String(8), default="live")  # live | test
    scopes: Mapped[str] = mapped_column(String(200), default="read write extract")
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)  # None: the plan's
    created_by: Mapped[str | None] = mapped_column(String(32))  # user id; None for the CLI
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replaced_by: Mapped[str | None] = mapped_column(String(32))  # the key that rotated it out

    tenant: Mapped[Tenant] = relationship(back_populates="api_keys")

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class Source(Base):
    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("tenant_id", "url", name="uq_sources_tenant_url"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    # "rss" (RSS or Atom), "sitemap" (XML, index or not), "urllist" (plain text, one URL
    # a line) or "site" (a site root: its sitemaps from robots.txt, else /sitemap.xml)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(2048))
    role: Mapped[str] = mapped_column(String(16), default="own")  # "own" or "competitor"
    active: Mapped[bool] = mapped_column(default=True)
    # Politeness for the hosts of this source's pages; None: the platform's defaults.
    host_concurrency: Mapped[int | None] = mapped_column(Integer)
    host_min_interval_s: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    tenant: Mapped[Tenant] = relationship(back_populates="sources")


class RunFailure(Base):
    """A Dagster run that failed for good (not one about to be retried)."""

    __tablename__ = "run_failures"
    __table_args__ = (Index("ix_run_failures_tenant_at", "tenant_id", "failed_at"),)

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    job_name: Mapped[str] = mapped_column(String(200))
    tenant_id: Mapped[str | None] = mapped_column(String(63))
    partition_key: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str] = mapped_column(Text, default="")
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class UsageCounter(Base):
    """Use of one quota in one period, incremented atomically (see quotas)."""

    __tablename__ = "usage_counters"

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    resource: Mapped[str] = mapped_column(String(32), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-11"
    used: Mapped[int] = mapped_column(BigInteger, default=0)


class UsageEvent(Base):
    """A billable event, recorded once: ``idempotency_key`` is unique, so a retried
    request or Dagster run cannot bill twice."""

    __tablename__ = "usage_events"
    __table_args__ = (Index("ix_usage_events_tenant_at", "tenant_id", "occurred_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    resource: Mapped[str] = mapped_column(String(32))  # extractions | executions | documents ...
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # to Stripe


class AuditLog(Base):
    """Who did what, when, from where. Append-only: the API has no route to change it."""

    __tablename__ = "audit_logs"
    __table_args__ = (Index("ix_audit_logs_tenant_at", "tenant_id", "at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    tenant_id: Mapped[str | None] = mapped_column(String(63))
    actor_user_id: Mapped[str | None] = mapped_column(String(32))
    actor_key_id: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(200))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StripeEvent(Base):
    """A Stripe webhook event processed once (by its id)."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    created: Mapped[int] = mapped_column(BigInteger)  # Stripe's event timestamp
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Invoice(Base):
    """Stripe invoices mirrored for the tenant's billing page."""

    __tablename__ = "invoices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # Stripe invoice id
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(8))
    amount_due: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_paid: Mapped[int] = mapped_column(BigInteger, default=0)
    hosted_invoice_url: Mapped[str | None] = mapped_column(String(2048))
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Pipeline(Base):
    """An API pipeline definition (see siex.platform.pipelines); credentials sealed."""

    __tablename__ = "pipelines"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    trigger: Mapped[dict] = mapped_column(JSON)
    steps: Mapped[list] = mapped_column(JSON, default=list)
    actions: Mapped[list] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
