"""The on-disk phrase store: phrases embedded by one process are not embedded by the next."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading

import numpy as np
import pytest

from siex.engine import KeywordExtractor
from siex.engine.phrase_store import PhraseStore
from siex.engine.semantic import SemanticRanker

TEXT = (
    "Drip irrigation saves water in raised beds. A drip irrigation kit with a pressure "
    "regulator waters tomatoes evenly, and mulch keeps the soil moist between waterings."
)


def vectors(n: int, dim: int = 8, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {f"phrase {i}": rng.standard_normal(dim).astype(np.float32) for i in range(n)}


def counting_encode(ranker: SemanticRanker, calls: list[list[str]]):
    """Record what the ranker asks its (shared, real) encoder to embed."""
    real = ranker.encoder.encode

    def encode(texts, *args, **kwargs):
        calls.append(list(texts))
        return real(texts, *args, **kwargs)

    return real, encode


def test_vectors_come_back_bit_for_bit_from_a_new_store_on_the_same_file(tmp_path):
    stored = vectors(5)
    first = PhraseStore(tmp_path / "p.sqlite", "model-a", dim=8)
    first.put_many(stored)
    first.close()
    second = PhraseStore(tmp_path / "p.sqlite", "model-a", dim=8)
    found = second.get_many(["phrase 3", "phrase 0", "never stored", "phrase 3"])
    assert set(found) == {"phrase 0", "phrase 3"}
    for phrase, vector in found.items():
        assert vector.dtype == np.float32
        assert vector.tobytes() == stored[phrase].tobytes()
    assert len(second) == 5


def test_a_file_made_for_another_model_is_emptied_not_read(tmp_path):
    path = tmp_path / "p.sqlite"
    PhraseStore(path, "model-a", dim=8).put_many(vectors(3))
    other = PhraseStore(path, "model-b", dim=8)
    assert other.get_many(["phrase 0", "phrase 1"]) == {}
    assert len(other) == 0
    other.put_many(vectors(2, seed=1))
    # and back: model-a's vectors are gone too, model-b's are not returned to it
    assert PhraseStore(path, "model-a", dim=8).get_many(["phrase 0"]) == {}


def test_vectors_of_another_length_count_as_missing(tmp_path):
    path = tmp_path / "p.sqlite"
    store = PhraseStore(path, "model-a", dim=8)
    store.put_many({"short": np.ones(4, dtype=np.float32), "right": np.ones(8, dtype=np.float32)})
    assert set(store.get_many(["short", "right"])) == {"right"}


def test_the_oldest_phrases_go_first_beyond_max_rows(tmp_path):
    store = PhraseStore(tmp_path / "p.sqlite", "model-a", max_rows=5, dim=8)
    all_vectors = vectors(8)
    store.put_many(dict(list(all_vectors.items())[:4]))
    store.put_many(dict(list(all_vectors.items())[4:]))
    assert len(store) == 5
    assert set(store.get_many(all_vectors)) == {f"phrase {i}" for i in range(3, 8)}
    store.put_many({"phrase 7": all_vectors["phrase 7"]})  # known: no new row, nothing dropped
    assert len(store) == 5


def test_phrases_are_not_stored_in_the_clear(tmp_path):
    path = tmp_path / "p.sqlite"
    store = PhraseStore(path, "model-a", dim=8)
    store.put_many({"acme confidential launch plan": np.ones(8, dtype=np.float32)})
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())  # the file and its WAL
    assert b"acme confidential" not in raw
    assert "acme confidential launch plan" in PhraseStore(path, "model-a", dim=8).get_many(
        ["acme confidential launch plan"]
    )


def test_a_corrupt_file_switches_the_store_off_and_extraction_goes_on(tmp_path, caplog):
    folder = tmp_path / "store"
    folder.mkdir()
    extractor = KeywordExtractor(phrase_store=folder)
    store = extractor.ranker().store
    store.path.write_bytes(b"this is not a database" * 512)
    expected = [k.text for k in KeywordExtractor().extract(TEXT, "en")]
    with caplog.at_level(logging.WARNING, logger="siex.engine.phrase_store"):
        got = [k.text for k in extractor.extract(TEXT, "en")]
    assert got == expected
    assert store.enabled is False
    assert "switched off" in caplog.text
    assert store.get_many(["drip irrigation"]) == {}


def test_a_folder_that_cannot_be_written_loses_nothing(tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be")
    extractor = KeywordExtractor(phrase_store=blocker / "store")
    with caplog.at_level(logging.WARNING, logger="siex.engine.phrase_store"):
        got = [k.text for k in extractor.extract(TEXT, "en")]
    assert got == [k.text for k in KeywordExtractor().extract(TEXT, "en")]
    assert extractor.ranker().store.enabled is False


def test_a_second_process_embeds_only_phrases_the_first_never_saw(tmp_path):
    """A new ranker (empty memory, as in a new process) reads the store instead of the model,
    and ranks exactly as a ranker without a store."""
    first = SemanticRanker(store_dir=tmp_path)
    plain = first.similarities([TEXT], [["drip irrigation", "pressure regulator", "mulch"]])
    second = SemanticRanker(store_dir=tmp_path)
    assert second.encoder is first.encoder  # one loaded model per process, whatever the store
    calls: list[list[str]] = []
    real, counting = counting_encode(second, calls)
    second.encoder.encode = counting
    try:
        again = second.similarities(
            [TEXT], [["mulch", "drip irrigation", "raised beds", "pressure regulator"]]
        )
    finally:
        second.encoder.encode = real
    assert calls == [[TEXT], ["raised beds"]]  # the document, then the one new phrase
    np.testing.assert_array_equal(again[0][[1, 3, 0]], plain[0])
    assert len(second.store) == 4


def test_the_memory_cache_drops_the_phrase_used_least_recently():
    ranker = SemanticRanker(cache_size=2)
    ranker.embed_phrases(["compost bin", "leaf mould"])
    ranker.embed_phrases(["compost bin"])  # used again: "leaf mould" is now the oldest use
    ranker.embed_phrases(["worm farm"])
    assert list(ranker._cache) == ["compost bin", "worm farm"]


def test_store_is_shared_safely_by_threads_and_processes(tmp_path):
    path = tmp_path / "p.sqlite"
    store = PhraseStore(path, "model-a", dim=8)
    batches = [vectors(50, seed=s) for s in range(4)]
    errors: list[BaseException] = []

    def work(batch):
        try:
            for _ in range(5):
                store.put_many(batch)
                assert len(store.get_many(batch)) == 50
        except BaseException as exc:  # reported below, not swallowed
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(b,)) for b in batches]
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, numpy as np\n"
            "from siex.engine.phrase_store import PhraseStore\n"
            "s = PhraseStore(sys.argv[1], 'model-a', dim=8)\n"
            "for i in range(200): s.put_many({f'child {i}': np.full(8, i, dtype=np.float32)})\n"
            "assert s.enabled\n",
            str(path),
        ]
    )
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert child.wait(timeout=60) == 0
    assert not errors and store.enabled
    child_rows = PhraseStore(path, "model-a", dim=8).get_many([f"child {i}" for i in range(200)])
    assert len(child_rows) == 200 and child_rows["child 7"][0] == 7
    # the four batches reuse names "phrase 0..49": the first writer of each name wins
    assert len(store) == 250


def test_settings_switch_the_store_on_under_home_and_off_with_zero_rows(siex_home, monkeypatch):
    from siex.config import get_settings
    from siex.engine.extractor import extractor_from_settings

    extractor = extractor_from_settings(get_settings(), "semantic")
    extractor.extract(TEXT, "en")
    store = extractor.ranker().store
    assert store.path.parent == siex_home.home / "cache" / "phrase-embeddings"
    assert len(store) > 0
    from resources import build_resources  # the Dagster assets' engine keeps the same store

    dagster_engine = build_resources(get_settings())["keyword_engine"].extractor()
    assert dagster_engine.ranker().store.path == store.path
    monkeypatch.setenv("SIEX_PHRASE_STORE_ROWS", "0")
    assert extractor_from_settings(get_settings()).ranker().store is None


@pytest.mark.parametrize("rows", [0, -1])
def test_max_rows_must_be_positive(tmp_path, rows):
    with pytest.raises(ValueError):
        PhraseStore(tmp_path / "p.sqlite", "m", max_rows=rows)
