"""Incremental gzip/deflate decompression in bounded pieces, so a bomb stays a small file.

``zlib.decompressobj().decompress(data)`` without a limit turns 64 KiB of a gzip
bomb into 64 MiB at once. ``Inflater.feed`` yields the output in pieces of at most
``PIECE`` bytes, so the caller can count them and stop at its cap with flat memory.
Concatenated gzip members (allowed by RFC 1952, and a cheap way to build a bomb)
are read one after another.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

PIECE = 64 * 1024


class InflateError(ValueError):
    """The bytes are not valid gzip/deflate data."""


class Inflater:
    """``kind``: ``gzip`` (RFC 1952, several members allowed) or ``deflate`` (zlib
    stream, or raw deflate as some servers send it)."""

    def __init__(self, kind: str) -> None:
        if kind not in ("gzip", "deflate"):
            raise ValueError(f"unsupported encoding {kind!r}")
        self.kind = kind
        self._first = True
        self._d = self._new()

    def _new(self, raw: bool = False):
        if self.kind == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            try:
                out = self._d.decompress(data, PIECE)
            except zlib.error as exc:
                if self.kind == "deflate" and self._first:  # not zlib-wrapped: raw deflate
                    self._first = False
                    self._d = self._new(raw=True)
                    continue
                raise InflateError(str(exc)) from exc
            self._first = False
            if out:
                yield out
            if self._d.eof:
                data = self._d.unused_data
                if data and self.kind == "gzip":
                    self._d = self._new()  # the next gzip member
                    continue
                return  # trailing bytes after a deflate stream are ignored
            data = self._d.unconsumed_tail

    def flush(self) -> Iterator[bytes]:
        try:
            out = self._d.flush()
        except zlib.error as exc:  # pragma: no cover - flush rarely fails
            raise InflateError(str(exc)) from exc
        for start in range(0, len(out), PIECE):
            yield out[start : start + PIECE]
