"""`siex extract`: JSON Lines in, JSON Lines out, one line per input line, same order."""

from __future__ import annotations

import json
import sys
from typing import IO

from siex.engine import KeywordExtractor


def process_line(raw: bytes, extractor: KeywordExtractor, top_k: int) -> dict | None:
    """The output object for one input line (None for a blank line)."""
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
    text, lang = doc.get("text"), doc.get("lang")
    if not isinstance(text, str):
        return {"id": doc_id, "error": "field 'text' must be a string"}
    if lang is not None and not isinstance(lang, str):
        return {"id": doc_id, "error": "field 'lang' must be a string"}
    try:
        resolved = extractor.language_of(text, lang)
        keywords = extractor.extract(text, resolved, top_k=top_k, title=doc.get("title"))
    except Exception as exc:  # one bad document never stops the batch
        return {"id": doc_id, "error": f"extraction failed: {type(exc).__name__}: {exc}"}
    return {"id": doc_id, "lang": resolved, "keywords": [k.as_dict() for k in keywords]}


def run_extract(top_k: int, stdin: IO[bytes] | None = None, stdout: IO[str] | None = None) -> int:
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout
    extractor = KeywordExtractor()
    lines = iter(stdin)
    if sys.stderr.isatty():
        from tqdm import tqdm

        lines = tqdm(lines, unit="doc", desc="extract", file=sys.stderr)
    for raw in lines:
        out = process_line(raw, extractor, top_k)
        if out is not None:
            stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    stdout.flush()
    return 0
