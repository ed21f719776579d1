from dagster import ConfigurableResource

from siex.intelligence.embeddings import Embedder


class EmbedderResource(ConfigurableResource):
    """Sentence embeddings for clusters and link suggestions (all layers of the model).

    The model is loaded once per run process and shared by every asset in it.
    """

    model_path: str | None = None  # a local sentence-transformers folder; None: packaged MiniLM
    model_languages: list[str] = ["en"]  # noqa: RUF012 (pydantic copies defaults)

    def get(self) -> Embedder:
        return Embedder(self.model_path, self.model_languages)
