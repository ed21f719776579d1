"""Phrase embeddings kept on disk, so a phrase embedded by one process is not embedded
again by the next (Dagster runs, CLI calls and API restarts each start empty).

One SQLite file per model: its identity (the ONNX export and the word pieces a phrase
is cut to) is recorded inside, and a file made for another model is emptied rather
than read. Phrases are keyed by a 16-byte BLAKE2b digest, so tenants' texts are not
stored in the clear; vectors are the encoder's float32 values, bit for bit, so a result
does not depend on whether a phrase came from the store or from the model.

The store is a cache: any SQLite error (locked too long, corrupt file, full disk,
read-only folder) is logged once and the store switches itself off for the process;
extraction goes on with the model.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1"
# what a cache on disk can meet: locks held too long, corrupt files, full or read-only disks
_FAILURES = (sqlite3.Error, OSError)
_CHUNK = 500  # keys per SELECT: well under SQLite's bound-parameter limit


def phrase_key(phrase: str) -> bytes:
    return hashlib.blake2b(phrase.encode("utf-8"), digest_size=16).digest()


class PhraseStore:
    """A bounded, persistent map from phrase to embedding for one model.

    Parameters
    ----------
    path:
        The SQLite file; its folder is created when missing.
    identity:
        What produced the vectors (model export, phrase length). A file holding
        another identity is emptied on open.
    max_rows:
        Phrases kept; the oldest are dropped first when more are added.
    dim:
        Length of the vectors; a stored value of another length is treated as missing.
    timeout_s:
        How long a write waits for another process's write before giving up.
    """

    def __init__(
        self,
        path: str | Path,
        identity: str,
        max_rows: int = 200_000,
        dim: int | None = None,
        timeout_s: float = 5.0,
    ) -> None:
        if max_rows < 1:
            raise ValueError("max_rows must be at least 1")
        self.path = Path(path)
        self.identity = identity
        self.max_rows = max_rows
        self.dim = dim
        self.timeout_s = timeout_s
        self.enabled = True
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    # -- public API ---------------------------------------------------------------

    def get_many(self, phrases: Iterable[str]) -> dict[str, np.ndarray]:
        """Stored vectors of those ``phrases`` the store holds."""
        wanted = {phrase_key(p): p for p in dict.fromkeys(phrases)}
        if not wanted or not self.enabled:
            return {}
        found: dict[str, np.ndarray] = {}
        keys = list(wanted)
        with self._lock:
            try:
                db = self._connection()
                for start in range(0, len(keys), _CHUNK):
                    chunk = keys[start : start + _CHUNK]
                    marks = ",".join("?" * len(chunk))
                    rows = db.execute(
                        f"SELECT key, vector FROM phrases WHERE key IN ({marks})", chunk
                    )
                    for key, blob in rows:
                        if self.dim is None or len(blob) == 4 * self.dim:
                            found[wanted[key]] = np.frombuffer(blob, dtype=np.float32)
            except _FAILURES as exc:
                self._switch_off(exc)
                return {}
        return found

    def put_many(self, vectors: Mapping[str, np.ndarray]) -> None:
        """Store ``vectors`` (phrase → embedding), then drop the oldest beyond ``max_rows``."""
        if not vectors or not self.enabled:
            return
        rows = [
            (phrase_key(p), np.ascontiguousarray(v, dtype=np.float32).tobytes())
            for p, v in vectors.items()
        ]
        with self._lock:
            try:
                db = self._connection()
                with db:
                    db.executemany(
                        "INSERT OR IGNORE INTO phrases (key, vector) VALUES (?, ?)", rows
                    )
                    db.execute(
                        "DELETE FROM phrases WHERE id <= (SELECT MAX(id) FROM phrases) - ?",
                        (self.max_rows,),
                    )
            except _FAILURES as exc:
                self._switch_off(exc)

    def __len__(self) -> int:
        if not self.enabled:
            return 0
        with self._lock:
            try:
                return self._connection().execute("SELECT COUNT(*) FROM phrases").fetchone()[0]
            except _FAILURES as exc:
                self._switch_off(exc)
                return 0

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- internals ----------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=self.timeout_s, check_same_thread=False)
            try:
                db.execute("PRAGMA journal_mode=WAL")  # readers in other processes never wait
                db.execute("PRAGMA synchronous=NORMAL")
                with db:
                    db.execute(
                        "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)"
                    )
                    db.execute(
                        "CREATE TABLE IF NOT EXISTS phrases ("
                        "id INTEGER PRIMARY KEY AUTOINCREMENT, key BLOB NOT NULL UNIQUE, "
                        "vector BLOB NOT NULL)"
                    )
                    stamp = f"{SCHEMA_VERSION}|{self.identity}|{self.dim}"
                    row = db.execute("SELECT value FROM meta WHERE name = 'identity'").fetchone()
                    if row is None or row[0] != stamp:
                        if row is not None:
                            log.info(
                                "phrase store %s was made for another model: emptied", self.path
                            )
                        db.execute("DELETE FROM phrases")
                        db.execute(
                            "INSERT OR REPLACE INTO meta (name, value) VALUES ('identity', ?)",
                            (stamp,),
                        )
            except sqlite3.Error:
                db.close()
                raise
            self._db = db
        return self._db

    def _switch_off(self, exc: Exception) -> None:
        log.warning("phrase store %s switched off for this process: %s", self.path, exc)
        self.enabled = False
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
