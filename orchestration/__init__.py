"""kam's Dagster code location and command line."""
