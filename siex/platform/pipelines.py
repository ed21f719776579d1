"""API pipelines: a trigger, processing steps and actions, stored per tenant.

This module defines what a pipeline definition may contain (validated with pydantic,
so the API, the CLI and later the runner read one format) and stores definitions
with their credentials sealed: Slack webhook URLs, webhook signing secrets, Sheets
service accounts and WordPress application passwords are encrypted at rest (Fernet,
a key derived from SIEX_SECRET_KEY) and never shown again after they are saved.
Running pipelines is the job of the pipeline runner, not of this module.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Annotated, Any, Literal

from cryptography.fernet import Fernet, InvalidToken
from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl
from sqlalchemy import select
from sqlalchemy.orm import Session

from siex.platform.models import Pipeline, utcnow

CRON = r"^(\S+\s+){4}\S+$"  # five fields; the runner's scheduler checks the values
MASK = "•" * 12  # long enough for every credential field's minimum length


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScheduleTrigger(_Part):
    type: Literal["schedule"]
    cron: str = Field(pattern=CRON, max_length=100, examples=["0 7 * * 1-5"])
    timezone: str = Field(default="UTC", max_length=64)


class NewDocumentTrigger(_Part):
    """New or changed pages of the tenant's sources (the RSS and sitemap sensors)."""

    type: Literal["new_document"]
    source_ids: list[str] = Field(default=[], max_length=100, description="empty: every source")
    role: Literal["own", "competitor", "any"] = "any"


class ReportTrigger(_Part):
    type: Literal["report_ready"]
    report: Literal["daily_seo_report"] = "daily_seo_report"


Trigger = Annotated[
    ScheduleTrigger | NewDocumentTrigger | ReportTrigger, Field(discriminator="type")
]


class Step(_Part):
    type: Literal["extract_keywords", "filter_keywords", "seo_analysis", "top_keywords"]
    params: dict[str, str | int | float | bool] = Field(default={}, max_length=20)


class SlackAction(_Part):
    type: Literal["slack"]
    webhook_url: str = Field(min_length=10, max_length=500, description="secret")
    text_template: str = Field(default="{title}: {keywords}", max_length=2000)


class EmailAction(_Part):
    type: Literal["email"]
    to: list[EmailStr] = Field(min_length=1, max_length=20)
    subject: str = Field(default="SIE-X: {title}", max_length=200)


class WebhookAction(_Part):
    type: Literal["webhook"]
    url: HttpUrl
    secret: str | None = Field(default=None, max_length=200, description="secret; signs bodies")


class SheetsAction(_Part):
    type: Literal["google_sheets"]
    spreadsheet_id: str = Field(min_length=10, max_length=200)
    sheet: str = Field(default="SIE-X", max_length=100)
    service_account_json: str = Field(min_length=2, max_length=20_000, description="secret")


class WordPressAction(_Part):
    type: Literal["wordpress"]
    site_url: HttpUrl
    username: str = Field(min_length=1, max_length=200)
    application_password: str = Field(min_length=8, max_length=200, description="secret")
    status: Literal["draft", "publish"] = "draft"


Action = Annotated[
    SlackAction | EmailAction | WebhookAction | SheetsAction | WordPressAction,
    Field(discriminator="type"),
]
SECRET_FIELDS = {
    "slack": ("webhook_url",),
    "webhook": ("secret",),
    "google_sheets": ("service_account_json",),
    "wordpress": ("application_password",),
}


class PipelineDefinition(_Part):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    trigger: Trigger
    steps: list[Step] = Field(default=[], max_length=20)
    actions: list[Action] = Field(min_length=1, max_length=10)
    enabled: bool = True


def _box(secret_key: str) -> Fernet:
    key = hashlib.sha256(f"pipelines|{secret_key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal_actions(
    actions: list[dict[str, Any]], secret_key: str, previous: list[dict] = ()
) -> list[dict]:
    """Encrypt the credential fields. A field sent back as the mask keeps the sealed
    value of the same action (same position and type) of ``previous``."""
    box = _box(secret_key)
    sealed = []
    for i, action in enumerate(actions):
        action = dict(action)
        before = previous[i] if i < len(previous) and previous[i]["type"] == action["type"] else {}
        for name in SECRET_FIELDS.get(action["type"], ()):
            value = action.get(name)
            if value == MASK and name in before:
                action[name] = before[name]
            elif value is not None:
                action[name] = {"sealed": box.encrypt(value.encode()).decode()}
        sealed.append(action)
    return sealed


def masked_actions(actions: list[dict]) -> list[dict]:
    """Actions as the API shows them: credentials replaced by the mask."""
    return [
        {k: (MASK if isinstance(v, dict) and "sealed" in v else v) for k, v in action.items()}
        for action in actions
    ]


def unsealed_actions(actions: list[dict], secret_key: str) -> list[dict]:
    """Actions with their credentials in clear, for the runner only."""
    box = _box(secret_key)
    out = []
    for action in actions:
        clear = {}
        for k, v in action.items():
            if isinstance(v, dict) and "sealed" in v:
                try:
                    v = box.decrypt(v["sealed"].encode()).decode()
                except InvalidToken as exc:  # the secret key changed since it was saved
                    raise ValueError(f"cannot unseal {action['type']}.{k}") from exc
            clear[k] = v
        out.append(clear)
    return out


def create(
    session: Session,
    tenant_id: str,
    definition: PipelineDefinition,
    secret_key: str,
    user_id: str | None,
) -> Pipeline:
    data = definition.model_dump(mode="json")
    pipeline = Pipeline(
        tenant_id=tenant_id,
        name=data["name"],
        description=data["description"],
        trigger=data["trigger"],
        steps=data["steps"],
        actions=seal_actions(data["actions"], secret_key),
        enabled=data["enabled"],
        created_by=user_id,
    )
    session.add(pipeline)
    session.flush()
    return pipeline


def update(
    session: Session, pipeline: Pipeline, definition: PipelineDefinition, secret_key: str
) -> Pipeline:
    data = definition.model_dump(mode="json")
    pipeline.name, pipeline.description = data["name"], data["description"]
    pipeline.trigger, pipeline.steps, pipeline.enabled = (
        data["trigger"],
        data["steps"],
        data["enabled"],
    )
    pipeline.actions = seal_actions(data["actions"], secret_key, pipeline.actions)
    pipeline.updated_at = utcnow()
    session.flush()
    return pipeline


def of_tenant(session: Session, tenant_id: str) -> list[Pipeline]:
    query = select(Pipeline).where(Pipeline.tenant_id == tenant_id).order_by(Pipeline.created_at)
    return list(session.scalars(query))


def get(session: Session, tenant_id: str, pipeline_id: str) -> Pipeline | None:
    pipeline = session.get(Pipeline, pipeline_id)
    return pipeline if pipeline is not None and pipeline.tenant_id == tenant_id else None
