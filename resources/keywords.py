from dagster import ConfigurableResource

from siex.engine import KeywordExtractor


class KeywordEngineResource(ConfigurableResource):
    """The keyword engine: mode, model and how many keywords to keep per document.

    The model is loaded once per run process and shared by every asset in it.
    """

    top_k: int = 10
    mode: str = "semantic"
    model_path: str | None = None  # a local sentence-transformers folder; None: packaged MiniLM
    model_languages: list[str] = ["en"]  # noqa: RUF012 (pydantic copies defaults)
    model_layers: int = 1  # transformer layers used for re-ranking; 0 for all
    deep_from_words: int = 2000  # texts this long are re-ranked by all layers too; 0: never
    phrase_store: str | None = None  # folder keeping phrase embeddings between runs; None: off
    phrase_store_rows: int = 200_000

    def extractor(self) -> KeywordExtractor:
        return KeywordExtractor(
            mode=self.mode,
            model_path=self.model_path,
            model_languages=self.model_languages,
            model_layers=self.model_layers,
            deep_from_words=self.deep_from_words,
            phrase_store=self.phrase_store,
            phrase_store_rows=self.phrase_store_rows,
        )
