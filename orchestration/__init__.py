"""kam's Dagster code location and command line."""

import warnings

from dagster import BetaWarning

# Backfills must run one business date per run (point-in-time facts); the parameter that says so
# is marked beta in Dagster 1.13 but is the documented way to do it.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=BetaWarning)
