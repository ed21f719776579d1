"""Operations on the platform tables, shared by the API, the CLI and the sensors."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siex.platform import keys
from siex.platform.models import ApiKey, RunFailure, Source, Tenant, utcnow
from siex.warehouse import TENANT_ID

SOURCE_KINDS = ("rss", "sitemap", "urllist", "site")
SOURCE_ROLES = ("own", "competitor")


class Conflict(Exception):
    """The thing to create exists already."""


@dataclass(frozen=True)
class SourceSpec:
    """A source as sensors and assets see it: plain values, no session attached."""

    id: str
    tenant_id: str
    kind: str
    url: str
    role: str
    host_concurrency: int | None = None  # None: the platform's default
    host_min_interval_s: float | None = None


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]
    return slug or "tenant"


def create_tenant_record(session: Session, name: str, tenant_id: str | None = None) -> Tenant:
    """A new tenant (organization) on the free plan."""
    if tenant_id is None:
        tenant_id = f"{slugify(name)}-{secrets.token_hex(3)}"
    if not TENANT_ID.match(tenant_id):
        raise ValueError("tenant id must match [a-z0-9][a-z0-9_-]{0,62}")
    if session.get(Tenant, tenant_id) is not None:
        raise Conflict(f"tenant {tenant_id!r} exists")
    tenant = Tenant(id=tenant_id, name=name[:200] or tenant_id)
    session.add(tenant)
    session.flush()
    return tenant


def create_tenant(
    session: Session, name: str, pepper: str, tenant_id: str | None = None
) -> tuple[Tenant, str]:
    """A new tenant and its first API key with every scope (the plaintext is returned
    once). Used by the CLI and the demo; people sign up through the API."""
    tenant = create_tenant_record(session, name, tenant_id)
    plaintext, _key = issue_api_key(session, tenant, pepper, name="cli", scopes=keys.SCOPES)
    return tenant, plaintext


def issue_api_key(
    session: Session,
    tenant: Tenant,
    pepper: str,
    name: str = "",
    scopes: Iterable[str] = ("read", "write", "extract"),
    environment: str = "live",
    expires_at: datetime | None = None,
    created_by: str | None = None,
    rate_limit_per_minute: int | None = None,
) -> tuple[str, ApiKey]:
    """A new key; its plaintext is returned once and never stored."""
    unknown = set(scopes) - set(keys.SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes: {sorted(unknown)}")
    new = keys.generate_key(pepper, environment)
    api_key = ApiKey(
        tenant_id=tenant.id,
        key_id=new.key_id,
        secret_hash=new.secret_hash,
        prefix=new.prefix,
        name=name,
        environment=environment,
        scopes=" ".join(s for s in keys.SCOPES if s in set(scopes)),
        expires_at=expires_at,
        created_by=created_by,
        rate_limit_per_minute=rate_limit_per_minute,
    )
    session.add(api_key)
    session.flush()
    return new.plaintext, api_key


def authenticate_key(session: Session, plaintext: str, pepper: str) -> ApiKey | None:
    """The stored key behind a valid, unrevoked, unexpired plaintext; None otherwise.

    Looked up by its public id (one indexed read, whatever the number of keys), the
    secret compared in constant time. Reads only: see ``touch_key`` for last use.
    """
    parts = keys.split_key(plaintext)
    if parts is None:
        return None
    key_id, secret = parts
    api_key = session.scalar(select(ApiKey).where(ApiKey.key_id == key_id))
    if api_key is None:
        keys.verify_secret(secret, "0" * 64, pepper)  # same work either way
        return None
    if not keys.verify_secret(secret, api_key.secret_hash, pepper):
        return None
    if api_key.revoked_at is not None or (
        api_key.expires_at is not None and api_key.expires_at <= utcnow()
    ):
        return None
    return api_key


def key_use_is_stale(api_key: ApiKey) -> bool:
    """``last_used_at`` is written at most once a minute per key."""
    return api_key.last_used_at is None or utcnow() - api_key.last_used_at > timedelta(minutes=1)


def touch_key(session: Session, key_pk: str) -> None:
    """Record that a key was used now (a conditional UPDATE: concurrent requests write once)."""
    now = utcnow()
    session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_pk)
        .where((ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < now - timedelta(minutes=1)))
        .values(last_used_at=now)
    )


def authenticate(session: Session, plaintext: str, pepper: str) -> Tenant | None:
    """The tenant owning a valid key; None otherwise."""
    api_key = authenticate_key(session, plaintext, pepper)
    return api_key.tenant if api_key else None


def add_source(
    session: Session,
    tenant_id: str,
    kind: str,
    url: str,
    role: str = "own",
    host_concurrency: int | None = None,
    host_min_interval_s: float | None = None,
) -> Source:
    """A new source. ``host_concurrency`` / ``host_min_interval_s`` override the
    platform's politeness for the hosts of its pages (see ``siex.ingest.host_limits``:
    a competitor's source can only be gentler)."""
    if kind not in SOURCE_KINDS:
        raise ValueError(f"kind must be one of {SOURCE_KINDS}")
    if role not in SOURCE_ROLES:
        raise ValueError(f"role must be one of {SOURCE_ROLES}")
    if host_concurrency is not None and host_concurrency < 1:
        raise ValueError("host_concurrency must be at least 1")
    if host_min_interval_s is not None and host_min_interval_s < 0:
        raise ValueError("host_min_interval_s must not be negative")
    source = Source(
        tenant_id=tenant_id,
        kind=kind,
        url=url,
        role=role,
        host_concurrency=host_concurrency,
        host_min_interval_s=host_min_interval_s,
    )
    session.add(source)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(f"source {url!r} is registered already") from exc
    return source


def ensure_source(
    session: Session, tenant_id: str, kind: str, url: str, role: str = "own"
) -> Source:
    existing = session.scalar(
        select(Source).where(Source.tenant_id == tenant_id, Source.url == url)
    )
    return existing or add_source(session, tenant_id, kind, url, role)


def active_sources(
    session: Session, kind: str | Iterable[str] | None = None, tenant_id: str | None = None
) -> list[SourceSpec]:
    query = select(Source).where(Source.active.is_(True)).order_by(Source.created_at, Source.id)
    if kind:
        kinds = [kind] if isinstance(kind, str) else list(kind)
        query = query.where(Source.kind.in_(kinds))
    if tenant_id:
        query = query.where(Source.tenant_id == tenant_id)
    return [spec_of(s) for s in session.scalars(query)]


def spec_of(source: Source) -> SourceSpec:
    return SourceSpec(
        id=source.id,
        tenant_id=source.tenant_id,
        kind=source.kind,
        url=source.url,
        role=source.role,
        host_concurrency=source.host_concurrency,
        host_min_interval_s=source.host_min_interval_s,
    )


def source_roles(session: Session, tenant_id: str) -> dict[str, str]:
    """Role ("own" or "competitor") of each of the tenant's sources, inactive ones too:
    their documents stay in the warehouse."""
    rows = session.execute(select(Source.id, Source.role).where(Source.tenant_id == tenant_id))
    return {source_id: role for source_id, role in rows}


def sitemap_source_ids(session: Session, tenant_id: str) -> set[str]:
    """Ids of the tenant's sitemap sources, inactive ones too (what a sitemap announced)."""
    rows = session.scalars(
        select(Source.id).where(Source.tenant_id == tenant_id, Source.kind == "sitemap")
    )
    return set(rows)


def tenant_ids(session: Session) -> list[str]:
    return list(session.scalars(select(Tenant.id).order_by(Tenant.id)))


def record_run_failure(
    session: Session,
    run_id: str,
    job_name: str,
    tenant_id: str | None,
    partition_key: str | None,
    error: str,
) -> bool:
    """Store a failed run once; False when it was recorded already."""
    if session.get(RunFailure, run_id) is not None:
        return False
    session.add(
        RunFailure(
            run_id=run_id,
            job_name=job_name,
            tenant_id=tenant_id,
            partition_key=partition_key,
            error=error[:4000],
        )
    )
    return True
