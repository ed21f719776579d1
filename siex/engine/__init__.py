"""The SIE-X keyword engine: a plain library (no Dagster, no FastAPI).

from siex.engine import KeywordExtractor
KeywordExtractor().extract("Drip irrigation saves water ...", top_k=5)
"""

from siex.engine.extractor import Corpus, Keyword, KeywordExtractor
from siex.engine.languages import SUPPORTED_LANGUAGES, detect_language

__all__ = ["SUPPORTED_LANGUAGES", "Corpus", "Keyword", "KeywordExtractor", "detect_language"]
