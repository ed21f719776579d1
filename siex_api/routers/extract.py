"""Keyword extraction over HTTP: the engine `siex extract` uses, loaded once per process."""

from fastapi import APIRouter

from siex.engine.extractor import extractor_from_settings
from siex.platform.models import new_id
from siex.platform.quotas import record_usage
from siex_api.deps import SessionDep, SettingsDep
from siex_api.quota import quota_guard
from siex_api.schemas import ExtractIn, ExtractOut, KeywordOut
from siex_api.security import Extractor

router = APIRouter(tags=["extract"])


@router.post("/extract", response_model=ExtractOut)
def extract(
    body: ExtractIn, caller: Extractor, settings: SettingsDep, session: SessionDep
) -> ExtractOut:
    """Ranked keyphrases of one text, best first (language detected when not given).
    Needs the ``extract`` scope; counts one extraction against the plan's quota."""
    extractor = extractor_from_settings(settings)
    with quota_guard(session, caller.tenant, "extractions"):
        lang = extractor.language_of(body.text, body.lang)
        keywords = extractor.extract(body.text, lang, body.top_k)
        record_usage(session, caller.tenant.id, "extractions", f"api-extract:{new_id()}")
    return ExtractOut(
        lang=lang,
        keywords=[KeywordOut(text=k.text, score=k.score, folded=k.folded) for k in keywords],
    )
