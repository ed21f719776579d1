"""Plans, their monthly quotas, rate limits and seats: defined here and nowhere else.

A quota of ``None`` is unlimited. ``extractions``, ``executions`` and ``documents``
(documents pushed through the API) are counted per calendar month (UTC); ``sources``
and ``pipelines`` are how many may exist at once.
Stripe prices are configuration (``SIEX_STRIPE_PRICES``), not part of a plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MONTHLY = ("extractions", "executions", "documents")
STANDING = ("sources", "pipelines")
QUOTA_RESOURCES = MONTHLY + STANDING
# Billable events recorded in usage logs (documents: document versions processed by
# Dagster, crawled or pushed; the documents *quota* caps only what is pushed).
USAGE_RESOURCES = ("extractions", "executions", "documents")


@dataclass(frozen=True)
class Plan:
    name: str
    quotas: dict[str, int | None] = field(default_factory=dict)
    requests_per_minute: int = 60  # per API key or user, across all API workers
    max_members: int | None = 1


PLANS: dict[str, Plan] = {
    plan.name: plan
    for plan in (
        Plan(
            "free",
            {
                "extractions": 1_000,
                "executions": 100,
                "documents": 1_000,
                "sources": 5,
                "pipelines": 3,
            },
            requests_per_minute=60,
            max_members=1,
        ),
        Plan(
            "creator",
            {
                "extractions": 10_000,
                "executions": 1_000,
                "documents": 10_000,
                "sources": 25,
                "pipelines": 10,
            },
            requests_per_minute=120,
            max_members=1,
        ),
        Plan(
            "professional",
            {
                "extractions": 50_000,
                "executions": 10_000,
                "documents": 50_000,
                "sources": 100,
                "pipelines": 50,
            },
            requests_per_minute=300,
            max_members=3,
        ),
        Plan(
            "agency",
            {
                "extractions": 250_000,
                "executions": 50_000,
                "documents": 250_000,
                "sources": 500,
                "pipelines": 200,
            },
            requests_per_minute=600,
            max_members=10,
        ),
        Plan(
            "enterprise",
            {
                "extractions": None,
                "executions": None,
                "documents": None,
                "sources": None,
                "pipelines": None,
            },
            requests_per_minute=3_000,
            max_members=None,
        ),
    )
}
PAID_PLANS = tuple(name for name in PLANS if name != "free")


def plan_of(name: str) -> Plan:
    return PLANS.get(name, PLANS["free"])
