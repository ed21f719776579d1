"""The analytics warehouse: Parquet files per table, tenant and day, read with DuckDB.

Layout: ``<warehouse>/<table>/tenant=<tenant>/date=<YYYY-MM-DD>/<part>.parquet``.
Writers never share a file: each writes a temporary file and renames it into place,
so concurrent Dagster runs (separate processes) never contend for a DuckDB lock.
Readers open an in-memory DuckDB connection with views over the Parquet globs.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from siex.intelligence.tables import REPORT_SCHEMAS

TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_ts = pa.timestamp("us", tz="UTC")

# Columns stored in the files; ``tenant`` and ``date`` come from the folder names.
SCHEMAS: dict[str, pa.Schema] = {
    "pages": pa.schema(
        [
            ("url", pa.string()),
            ("source_id", pa.string()),
            ("final_url", pa.string()),
            ("http_status", pa.int32()),
            ("fetched_at", _ts),
            ("content_type", pa.string()),
            ("encoding", pa.string()),
            ("content_hash", pa.string()),
            ("html", pa.large_string()),
            ("etag", pa.string()),
            ("last_modified", pa.string()),
            ("feed_title", pa.string()),
            ("published_at", _ts),
            ("run_id", pa.string()),
            ("content_language", pa.string()),  # Content-Language, or a pushed document's lang
            ("sitemap_images", pa.list_(pa.string())),  # image:loc of the page's sitemap entry
        ]
    ),
    # One row per fetch (or pushed document) of a URL: new, changed, unchanged or gone.
    "page_history": pa.schema(
        [
            ("url", pa.string()),
            ("doc_id", pa.string()),
            ("source_id", pa.string()),
            ("fetched_at", _ts),
            ("change", pa.string()),
            ("content_hash", pa.string()),
            ("previous_hash", pa.string()),
            ("previous_fetched_at", _ts),
            ("http_status", pa.int32()),
            ("detected_by", pa.string()),
            ("etag", pa.string()),
            ("last_modified", pa.string()),
            ("run_id", pa.string()),
        ]
    ),
    # Documents pushed through the API (one part per push), waiting for or done by a run.
    "pushed_documents": pa.schema(
        [
            ("push_id", pa.string()),
            ("doc_id", pa.string()),
            ("url", pa.string()),
            ("title", pa.string()),
            ("text", pa.large_string()),
            ("html", pa.large_string()),
            ("lang", pa.string()),
            ("published_at", _ts),
            ("received_at", _ts),
        ]
    ),
    "documents": pa.schema(
        [
            ("doc_id", pa.string()),
            ("url", pa.string()),
            ("source_id", pa.string()),
            ("title", pa.string()),
            ("description", pa.string()),
            ("lang", pa.string()),
            ("published_at", _ts),
            ("fetched_at", _ts),
            ("content_hash", pa.string()),
            ("word_count", pa.int32()),
            ("text", pa.large_string()),
        ]
    ),
    # On-page SEO signals of every fetched HTML page (siex.web.onpage), thin pages included.
    "onpage": pa.schema(
        [
            ("doc_id", pa.string()),
            ("url", pa.string()),
            ("source_id", pa.string()),
            ("fetched_at", _ts),
            ("title", pa.string()),
            ("title_length", pa.int32()),
            ("meta_description", pa.string()),
            ("meta_description_length", pa.int32()),
            ("canonical", pa.string()),
            ("robots", pa.string()),
            ("noindex", pa.bool_()),
            ("nofollow", pa.bool_()),
            ("hreflang", pa.string()),  # JSON object lang -> URL
            ("headings", pa.large_string()),  # JSON array of [level, text]
            ("h1_count", pa.int32()),
            ("word_count", pa.int32()),
            ("links", pa.large_string()),  # JSON array of {url, anchor, internal, nofollow}
            ("internal_links", pa.int32()),
            ("external_links", pa.int32()),
            ("images", pa.int32()),
            ("images_without_alt", pa.int32()),
            ("images_decorative", pa.int32()),
            ("json_ld_types", pa.string()),  # JSON array
            ("json_ld_errors", pa.int32()),
            ("open_graph", pa.string()),  # JSON object
            ("twitter_card", pa.string()),
            ("lang", pa.string()),
            ("viewport", pa.bool_()),
            ("charset", pa.string()),
        ]
    ),
    "keywords": pa.schema(
        [
            ("doc_id", pa.string()),
            ("url", pa.string()),
            ("content_hash", pa.string()),
            ("rank", pa.int16()),
            ("keyword", pa.string()),
            ("score", pa.float32()),
            ("lang", pa.string()),
            ("engine", pa.string()),
            # listed only because the text had fewer distinct phrases than asked: a piece
            # of a listed phrase ("indexing" under "latent semantic indexing"); topic
            # counts leave it out. NULL: stored before the flag was (read as not folded).
            ("folded", pa.bool_()),
        ]
    ),
    "keyword_stats": pa.schema(
        [
            ("keyword", pa.string()),
            ("documents", pa.int32()),
            ("score_sum", pa.float32()),
            ("best_rank", pa.int16()),
            ("example_url", pa.string()),
        ]
    ),
    "failures": pa.schema(
        [
            ("url", pa.string()),
            ("source_id", pa.string()),
            ("stage", pa.string()),
            ("reason", pa.string()),
            ("detail", pa.string()),
            ("at", _ts),
            ("run_id", pa.string()),
        ]
    ),
    "reports": pa.schema(
        [
            ("generated_at", _ts),
            ("documents", pa.int32()),
            ("keywords", pa.int32()),
            ("new_keywords", pa.int32()),
            ("failures", pa.int32()),
            ("markdown_path", pa.string()),
            ("json_path", pa.string()),
            ("chart_path", pa.string()),
        ]
    ),
    **REPORT_SCHEMAS,
}
TABLES = tuple(SCHEMAS)
BATCH_ROWS = 2_000  # rows per batch when a day's table is streamed rather than read whole


def check_tenant(tenant: str) -> str:
    if not TENANT_ID.match(tenant or ""):
        raise ValueError(f"invalid tenant id {tenant!r}: use [a-z0-9_-], starting alphanumeric")
    return tenant


def check_date(day: str) -> str:
    if not DATE.match(day or ""):
        raise ValueError(f"invalid date {day!r}: use YYYY-MM-DD")
    return day


class Warehouse:
    """Parquet files under ``root``; DuckDB views over them for SQL."""

    def __init__(self, root: Path | str, views_db: Path | str | None = None) -> None:
        self.root = Path(root)
        self.views_db = Path(views_db) if views_db else self.root.parent / "warehouse.duckdb"

    # -- writing ------------------------------------------------------------------

    def partition_dir(self, table: str, tenant: str, day: str) -> Path:
        if table not in SCHEMAS:
            raise KeyError(f"unknown warehouse table {table!r}")
        return self.root / table / f"tenant={check_tenant(tenant)}" / f"date={check_date(day)}"

    def write(
        self, table: str, tenant: str, day: str, rows: Iterable[dict] | pa.Table, part: str = "data"
    ) -> Path:
        """Write rows as ``<part>.parquet`` of the partition, atomically (replacing it)."""
        data = (
            rows
            if isinstance(rows, pa.Table)
            else pa.Table.from_pylist(list(rows), schema=SCHEMAS[table])
        )
        data = data.select(SCHEMAS[table].names).cast(SCHEMAS[table])
        folder = self.partition_dir(table, tenant, day)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{part}.parquet"
        tmp = folder / f".{part}.{uuid.uuid4().hex}.tmp"
        pq.write_table(data, tmp, compression="zstd")
        os.replace(tmp, target)
        return target

    def read(self, table: str, tenant: str, day: str, columns: list[str] | None = None) -> pa.Table:
        """All parts of one partition (an empty table when there are none); ``columns``:
        only those are read from the files."""
        files = self._parts(table, tenant, day)
        schema = SCHEMAS[table]
        if columns is not None:
            schema = pa.schema([schema.field(c) for c in columns])
        if not files:
            return schema.empty_table()
        return pa.concat_tables(
            [pq.read_table(f, schema=SCHEMAS[table], columns=columns) for f in files],
            promote_options="default",
        )

    def iter_batches(
        self, table: str, tenant: str, day: str, columns: list[str], batch_rows: int = BATCH_ROWS
    ) -> Iterator[pa.Table]:
        """The partition's rows (all parts, in ``read``'s order), ``columns`` only, a batch
        of at most ``batch_rows`` at a time: memory stays that of one batch."""
        yield from self._batches(table, self._parts(table, tenant, day), columns, batch_rows)

    def _parts(self, table: str, tenant: str, day: str) -> list[Path]:
        """The partition's Parquet files, in the order its rows are read."""
        folder = self.partition_dir(table, tenant, day)
        return sorted(folder.glob("*.parquet")) if folder.exists() else []

    @staticmethod
    def _batches(
        table: str, files: list[Path], columns: list[str], batch_rows: int
    ) -> Iterator[pa.Table]:
        for path in files:
            # A dataset with the table's schema reads older files that lack a column.
            parts = ds.dataset(path, schema=SCHEMAS[table], format="parquet")
            for batch in parts.to_batches(
                columns=columns, batch_size=batch_rows, use_threads=False
            ):
                if batch.num_rows:
                    yield pa.Table.from_batches([batch])

    def merge_by_url(
        self,
        table: str,
        tenant: str,
        day: str,
        fresh: Iterable[dict],
        replaced: set[str],
        batch_rows: int = BATCH_ROWS,
    ) -> Path:
        """Rewrite the partition as ``data.parquet``: its rows whose URL is not in
        ``replaced``, in order, then ``fresh``. Read, filtered and written a batch at a
        time (atomically, as ``write``), so merging a run's pages into a day costs one
        batch of memory, not the day's table. Other parts it merged are removed."""
        schema = SCHEMAS[table]
        fresh_table = pa.Table.from_pylist(list(fresh), schema=schema)
        gone = pa.array(sorted(replaced), pa.string())
        folder = self.partition_dir(table, tenant, day)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "data.parquet"
        merged = self._parts(table, tenant, day)
        tmp = folder / f".data.{uuid.uuid4().hex}.tmp"
        try:
            with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
                for batch in self._batches(table, merged, schema.names, batch_rows):
                    kept = batch.filter(pc.invert(pc.is_in(batch["url"], value_set=gone)))
                    if kept.num_rows:
                        writer.write_table(kept.cast(schema))
                if fresh_table.num_rows:
                    writer.write_table(fresh_table)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        for part in merged:  # their rows are in data.parquet now: kept, they would repeat
            if part != target:
                part.unlink(missing_ok=True)
        return target

    def exists(self, table: str, tenant: str, day: str, part: str = "data") -> bool:
        """Whether the partition has the part ``<part>.parquet``."""
        return (self.partition_dir(table, tenant, day) / f"{part}.parquet").is_file()

    # -- querying -----------------------------------------------------------------

    def connect(self, tenant: str | None = None) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection with one view per table.

        With ``tenant`` the views read only that tenant's folders: another tenant's
        files are not even opened.
        """
        con = duckdb.connect(":memory:")
        for table in TABLES:
            con.execute(f"CREATE VIEW {table} AS {self._select(table, tenant)}")
        return con

    def _select(self, table: str, tenant: str | None) -> str:
        """Every column of the table's schema, typed as stored, whatever the files hold:
        a column added after some files were written (or before any file has it) reads
        as NULL in the files without it, never as a missing column."""
        tenant_dir = f"tenant={check_tenant(tenant)}" if tenant else "tenant=*"
        pattern = self.root / table / tenant_dir / "date=*" / "*.parquet"
        columns = ", ".join(
            [f"CAST(NULL AS {_duck_type(f.type)}) AS {f.name}" for f in SCHEMAS[table]]
            + ["CAST(NULL AS VARCHAR) AS tenant", "CAST(NULL AS DATE) AS date"]
        )
        template = f"SELECT {columns} WHERE false"
        if not list((self.root / table).glob(f"{tenant_dir}/date=*/*.parquet")):
            return template
        path = str(pattern).replace("'", "''")
        return (
            f"{template} UNION ALL BY NAME "
            f"SELECT * FROM read_parquet('{path}', hive_partitioning = true, "
            "union_by_name = true, hive_types = {'tenant': VARCHAR, 'date': DATE})"
        )

    def refresh_views_file(self) -> bool:
        """Write ``warehouse.duckdb`` with views for analysts; skip if someone holds it open."""
        tmp = self.views_db.with_name(f".{self.views_db.name}.{uuid.uuid4().hex}.tmp")
        try:
            con = duckdb.connect(str(tmp))
            try:
                for table in TABLES:
                    con.execute(f"CREATE OR REPLACE VIEW {table} AS {self._select(table, None)}")
            finally:
                con.close()
            os.replace(tmp, self.views_db)
            return True
        except (duckdb.Error, OSError):
            tmp.unlink(missing_ok=True)
            return False


def _duck_type(arrow_type: pa.DataType) -> str:
    """The type DuckDB reads a Parquet column of ``arrow_type`` as (so the template of
    ``Warehouse._select`` changes no column's type)."""
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ" if arrow_type.tz else "TIMESTAMP"
    if pa.types.is_integer(arrow_type):
        return {8: "TINYINT", 16: "SMALLINT", 32: "INTEGER", 64: "BIGINT"}[arrow_type.bit_width]
    if pa.types.is_floating(arrow_type):
        return "FLOAT" if arrow_type.bit_width == 32 else "DOUBLE"
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    if pa.types.is_list(arrow_type):
        return f"{_duck_type(arrow_type.value_type)}[]"
    return "VARCHAR"
