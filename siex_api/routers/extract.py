"""Keyword extraction over HTTP: the engine `siex extract` uses, loaded once per process."""

from fastapi import APIRouter

from siex.engine.extractor import extractor_from_settings
from siex_api.deps import SettingsDep, TenantDep
from siex_api.schemas import ExtractIn, ExtractOut, KeywordOut

router = APIRouter(tags=["extract"])


@router.post("/extract", response_model=ExtractOut)
def extract(body: ExtractIn, _tenant: TenantDep, settings: SettingsDep) -> ExtractOut:
    """Ranked keyphrases of one text, best first (language detected when not given)."""
    extractor = extractor_from_settings(settings)
    lang = extractor.language_of(body.text, body.lang)
    keywords = extractor.extract(body.text, lang, top_k=body.top_k)
    return ExtractOut(
        lang=lang, keywords=[KeywordOut(text=k.text, score=k.score) for k in keywords]
    )
