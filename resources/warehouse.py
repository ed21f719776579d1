from pathlib import Path

from dagster import ConfigurableResource

from siex.warehouse import Warehouse


class WarehouseResource(ConfigurableResource):
    """Parquet warehouse root, the analysts' DuckDB views file and the reports folder."""

    root: str
    views_db: str
    reports_dir: str

    def get(self) -> Warehouse:
        return Warehouse(self.root, self.views_db)

    @property
    def reports_path(self) -> Path:
        return Path(self.reports_dir)
