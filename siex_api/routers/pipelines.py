"""API pipeline definitions: create, list, read, replace, delete.

Creating and editing need the ``pipelines`` scope (members and up); deleting also
needs ``admin`` (the original plan: members cannot delete pipelines). Each pipeline
counts against the plan's ``pipelines`` quota; credentials in actions are sealed
at rest and come back masked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel

from siex.platform import audit, pipelines
from siex.platform.models import Pipeline
from siex.platform.pipelines import PipelineDefinition
from siex.platform.quotas import release
from siex_api.deps import SessionDep, SettingsDep
from siex_api.errors import ApiError
from siex_api.quota import quota_guard
from siex_api.security import Principal, Reader, require

router = APIRouter(prefix="/pipelines", tags=["pipelines"])
Editor = Annotated[Principal, Depends(require("pipelines"))]
Deleter = Annotated[Principal, Depends(require("pipelines", "admin"))]


class PipelineOut(BaseModel):
    id: str
    name: str
    description: str
    trigger: dict[str, Any]
    steps: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    enabled: bool
    created_by: str | None
    created_at: datetime
    updated_at: datetime


def pipeline_out(p: Pipeline) -> PipelineOut:
    return PipelineOut(
        id=p.id,
        name=p.name,
        description=p.description,
        trigger=p.trigger,
        steps=p.steps,
        actions=pipelines.masked_actions(p.actions),
        enabled=p.enabled,
        created_by=p.created_by,
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


def _own(session, caller: Principal, pipeline_id: str) -> Pipeline:
    found = pipelines.get(session, caller.tenant.id, pipeline_id)
    if found is None:
        raise ApiError(404, "not_found", "pipeline not found")
    return found


@router.post("", response_model=PipelineOut, status_code=status.HTTP_201_CREATED)
def create(
    body: PipelineDefinition, caller: Editor, session: SessionDep, settings: SettingsDep
) -> PipelineOut:
    with quota_guard(session, caller.tenant, "pipelines"):
        user_id = caller.user.id if caller.user else None
        pipeline = pipelines.create(
            session, caller.tenant.id, body, settings.resolved_secret_key(), user_id
        )
    audit.record(session, "pipeline.created", caller.tenant.id, target=pipeline.id,
                 name=pipeline.name, **caller.audit)  # fmt: skip
    return pipeline_out(pipeline)


@router.get("", response_model=list[PipelineOut])
def list_pipelines(caller: Reader, session: SessionDep) -> list[PipelineOut]:
    return [pipeline_out(p) for p in pipelines.of_tenant(session, caller.tenant.id)]


@router.get("/{pipeline_id}", response_model=PipelineOut)
def read(pipeline_id: str, caller: Reader, session: SessionDep) -> PipelineOut:
    return pipeline_out(_own(session, caller, pipeline_id))


@router.put("/{pipeline_id}", response_model=PipelineOut)
def replace(
    pipeline_id: str,
    body: PipelineDefinition,
    caller: Editor,
    session: SessionDep,
    settings: SettingsDep,
) -> PipelineOut:
    """Replace the definition. A credential sent back as the mask keeps its value."""
    pipeline = _own(session, caller, pipeline_id)
    pipelines.update(session, pipeline, body, settings.resolved_secret_key())
    return pipeline_out(pipeline)


@router.delete("/{pipeline_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete(pipeline_id: str, caller: Deleter, session: SessionDep) -> None:
    pipeline = _own(session, caller, pipeline_id)
    session.delete(pipeline)
    release(session, caller.tenant, "pipelines")
    audit.record(session, "pipeline.deleted", caller.tenant.id, target=pipeline_id,
                 name=pipeline.name, **caller.audit)  # fmt: skip
