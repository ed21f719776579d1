from dagster import ConfigurableResource

from siex.engine import KeywordExtractor


class KeywordEngineResource(ConfigurableResource):
    """The keyword engine and how many keywords to keep per document."""

    top_k: int = 10
    max_ngram: int = 3

    def extractor(self) -> KeywordExtractor:
        return KeywordExtractor(max_ngram=self.max_ngram)
