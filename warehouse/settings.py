"""Where kam reads and writes, taken from environment variables with sensible defaults.

Every path kam touches derives from these settings, so a test or a user can point the whole
pipeline at another folder by setting ``KAM_HOME`` (or the individual variables).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DEFAULT_CONFIG_DIR = REPO_ROOT / "config"

# DuckDB release whose storage format the published file is written in by default: DuckDB 1.0 and
# every later release read it (BI tools bundle DuckDB 1.x).
DEFAULT_PUBLISH_STORAGE_VERSION = "v1.0.0"

SOURCES = (
    "customers",
    "transactions",
    "invoices",
    "payments",
    "customer_financials",
    "interactions",
)


@dataclass(frozen=True)
class Settings:
    """Resolved locations of one kam installation."""

    home: Path
    landing_dir: Path
    warehouse_path: Path
    publish_dir: Path
    config_dir: Path
    # DuckDB release whose storage format the published file is written in (the oldest that
    # must read it): ``KAM_PUBLISH_STORAGE_VERSION``.
    publish_storage_version: str = DEFAULT_PUBLISH_STORAGE_VERSION

    @property
    def mappings_dir(self) -> Path:
        return self.config_dir / "mappings"

    @property
    def scoring_config_path(self) -> Path:
        return self.config_dir / "scoring.yaml"

    @property
    def published_path(self) -> Path:
        return self.publish_dir / "kam.duckdb"

    @property
    def published_parquet_dir(self) -> Path:
        return self.publish_dir / "parquet"


class SettingsError(ValueError):
    """An environment variable of kam's holds a value kam cannot use; names it and the fix."""


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read the settings from ``environ`` (default: the process environment); raise
    :class:`SettingsError` for a value kam cannot use."""
    env = os.environ if environ is None else environ
    duckdb_memory_limit(env)
    home = Path(env.get("KAM_HOME", str(REPO_ROOT / "var"))).expanduser().resolve()
    return Settings(
        home=home,
        landing_dir=_path(env, "KAM_LANDING_DIR", home / "landing"),
        warehouse_path=_path(env, "KAM_WAREHOUSE_PATH", home / "warehouse" / "kam.duckdb"),
        publish_dir=_path(env, "KAM_PUBLISH_DIR", home / "published"),
        config_dir=_path(env, "KAM_CONFIG_DIR", DEFAULT_CONFIG_DIR),
        publish_storage_version=(
            env.get("KAM_PUBLISH_STORAGE_VERSION") or DEFAULT_PUBLISH_STORAGE_VERSION
        ),
    )


def _path(env: os._Environ[str] | dict[str, str], name: str, default: Path) -> Path:
    value = env.get(name)
    return Path(value).expanduser().resolve() if value else default


DEFAULT_DUCKDB_MEMORY_LIMIT = "2GB"


def duckdb_memory_limit(environ: os._Environ[str] | dict[str, str] | None = None) -> str:
    """``KAM_DUCKDB_MEMORY_LIMIT`` checked the way DuckDB reads it (e.g. 2GB, 512MB, 80%)."""
    env = os.environ if environ is None else environ
    value = env.get("KAM_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT
    try:
        duckdb.connect(config={"memory_limit": value}).close()
    except duckdb.Error:
        raise SettingsError(
            f"KAM_DUCKDB_MEMORY_LIMIT={value!r} is not a memory size DuckDB understands — fix: "
            "write a number with a unit, e.g. KAM_DUCKDB_MEMORY_LIMIT=2GB (or 512MB, 80%), or "
            "unset it for the default 2GB"
        ) from None
    return value


def connect_warehouse(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with kam's memory cap (``KAM_DUCKDB_MEMORY_LIMIT``, default 2GB).

    Past the cap DuckDB spills to a temporary folder beside the database instead of growing,
    which keeps a 10-million-line night inside a small machine's memory.
    """
    config = {"memory_limit": duckdb_memory_limit()}
    if not read_only:
        config["temp_directory"] = str(path.parent / ".duckdb_tmp")
    return duckdb.connect(str(path), read_only=read_only, config=config)
