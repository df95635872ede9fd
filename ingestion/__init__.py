"""Ingestion: landing files → typed ``raw`` tables in DuckDB, with quarantine and ledger."""

from ingestion.contracts import contracts_markdown, load_contracts
from ingestion.loader import ingest_partition, sync_landing
from ingestion.mapping import Mapping, MappingError, load_mapping, load_mappings
from ingestion.results import FileResult, LandingError, PartitionResult
from ingestion.schema import ensure_raw_schema

__all__ = [
    "FileResult",
    "LandingError",
    "Mapping",
    "MappingError",
    "PartitionResult",
    "contracts_markdown",
    "ensure_raw_schema",
    "ingest_partition",
    "load_contracts",
    "load_mapping",
    "load_mappings",
    "sync_landing",
]
