"""First-start setup shared by `siex run` and `siex demo`: the demo tenant and its sources."""

from __future__ import annotations

from siex.config import Settings
from siex.demo_site import demo_source_urls
from siex.platform.db import session_scope
from siex.platform.models import Tenant
from siex.platform.service import create_tenant, ensure_source


def ensure_demo_tenant(settings: Settings) -> str | None:
    """Create the demo tenant and its three sources if missing.

    Returns the new API key the first time, else None. The key is not kept anywhere
    in clear: `siex keys create --tenant demo` issues another one.
    """
    tenant_id, plaintext = settings.demo_tenant, None
    with session_scope(settings.platform_db_url) as session:
        if session.get(Tenant, tenant_id) is None:
            _tenant, plaintext = create_tenant(
                session,
                "Demo: GreenLeaf Gardens",
                settings.resolved_secret_key(),
                tenant_id=tenant_id,
            )
        for kind, url, role in demo_source_urls(settings.demo_base_url):
            ensure_source(session, tenant_id, kind, url, role)
    return plaintext
