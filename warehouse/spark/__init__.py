"""kam on Apache Spark (``KAM_ENGINE=spark``): what the Python steps exchange with Spark.

dbt builds the warehouse in Spark through dbt-spark (``dbt_project/``, docs/spark.md). Around
it: the session both share (:mod:`.session`); the raw tables exported from ingestion's DuckDB
warehouse as partitioned Parquet (:mod:`.raw`, through :mod:`.export` and :mod:`.tables`); the
facts read through Arrow and frames written back (:mod:`.arrow`); the marts copied into the
DuckDB warehouse that scoring and publishing read (:mod:`.marts`); the scores exported back to
Spark (:mod:`.scores`). Each of these steps runs in a child process of its own
(:mod:`.child`, ``python -m warehouse.spark``), so that dbt finds the catalog free after it.
"""
