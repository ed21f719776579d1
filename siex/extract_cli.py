"""`siex extract`: JSON Lines in, JSON Lines out, one line per input line, same order.

Lines are read in batches so the semantic model sees many documents per call; a
line that is not a valid document gets an error object and the rest go on. With
``corpus_from_input`` the whole input is read first and serves as the corpus.
"""

from __future__ import annotations

import json
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from typing import IO

from siex.engine import Corpus, KeywordExtractor
from siex.engine.extractor import extractor_from_settings


def parse_line(raw: bytes) -> dict | None:
    """A document ``{"id", "text", "lang"?, "title"?}``, an error object, or None (blank)."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return {"id": None, "error": f"invalid UTF-8 at byte {exc.start}"}
    if not line.strip():
        return None
    try:
        doc = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"id": None, "error": f"invalid JSON: {exc.msg} at column {exc.colno}"}
    if not isinstance(doc, dict):
        return {"id": None, "error": "each line must be a JSON object"}
    doc_id = doc.get("id")
    if not isinstance(doc.get("text"), str):
        return {"id": doc_id, "error": "field 'text' must be a string"}
    for field in ("lang", "title"):
        if doc.get(field) is not None and not isinstance(doc[field], str):
            return {"id": doc_id, "error": f"field '{field}' must be a string"}
    return {"id": doc_id, "text": doc["text"], "lang": doc.get("lang"), "title": doc.get("title")}


def extract_lines(
    lines: Iterable[bytes],
    extractor: KeywordExtractor,
    top_k: int,
    batch_size: int = 32,
    corpus: Corpus | None = None,
) -> Iterator[dict]:
    """Output objects for the input lines, in order, ``batch_size`` documents at a time.

    Bad lines wait in ``queue`` beside the documents read ahead of the engine, so
    each answer goes out in input order as soon as it is known.
    """
    queue: deque[dict] = deque()

    def documents() -> Iterator[dict]:
        for item in filter(None, map(parse_line, lines)):
            queue.append(item)
            if "error" not in item:
                item["lang"] = extractor.language_of(item["text"], item["lang"])
                yield dict(item, corpus=corpus) if corpus else item

    def failed(doc: dict, exc: Exception) -> dict:
        return {"id": doc["id"], "error": f"extraction failed: {type(exc).__name__}: {exc}"}

    for result in extractor.extract_stream(documents(), top_k, batch_size, on_error=failed):
        while "error" in queue[0]:
            yield queue.popleft()
        doc = queue.popleft()
        yield result if isinstance(result, dict) else _output(doc, result)
    yield from queue


def _output(doc: dict, keywords) -> dict:
    return {"id": doc["id"], "lang": doc["lang"], "keywords": [k.as_dict() for k in keywords]}


def run_extract(
    top_k: int,
    mode: str = "semantic",
    batch_size: int = 32,
    stdin: IO[bytes] | None = None,
    stdout: IO[str] | None = None,
    corpus_from_input: bool = False,
) -> int:
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout
    from siex.config import get_settings

    settings = get_settings()
    extractor = extractor_from_settings(settings, mode)
    lines: Iterable[bytes] = stdin
    if sys.stderr.isatty():
        from tqdm import tqdm

        lines = tqdm(stdin, unit="doc", desc="extract", file=sys.stderr)
    corpus = None
    if corpus_from_input:
        lines = list(lines)  # the whole input, held once: it is the corpus of each document
        documents = [d for d in map(parse_line, lines) if d and "error" not in d]
        # Candidates are found again batch by batch below: holding every document's
        # candidates until then would cost far more memory than the second pass costs time.
        corpus = extractor.corpus_of(documents)
    for out in extract_lines(lines, extractor, top_k, batch_size, corpus):
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        stdout.flush()
    return 0
