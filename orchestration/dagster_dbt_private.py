"""The one place kam relies on a library's private names: two of dagster-dbt's DbtCliResource.

Before every ``dbt`` invocation dagster-dbt 0.29 runs ``dbt --version`` in a subprocess (once per
resource) and builds an in-process dbt adapter (loading profile, project and macros) that it only
uses to fetch column metadata and row counts, which kam never asks for. dagster-dbt offers no
public switch for either; together they cost 3 s of CPU before the first dbt command, 1-2 s of
a whole demo night (docs/performance.md).
``tests/orchestration/test_dagster_dbt_private.py`` fails, naming this module, when an upgrade
of dagster-dbt renames or stops calling them; then adapt the two overrides, or delete this
module and use ``DbtCliResource`` itself.
"""

from __future__ import annotations

import importlib.metadata
import sys
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource
from packaging import version

#: The private names of ``DbtCliResource`` this module overrides.
OVERRIDDEN = ("_cli_version", "_initialize_dbt_core_adapter")


class KamDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt CLI without the ``dbt --version`` subprocess and the unused adapter.

    kam runs the dbt installed next to its own Python (``orchestration.dbt_project``'s
    ``dbt_executable``), so that package's version is the CLI's; any other dbt is asked.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable).parent != Path(sys.executable).parent:
            return super()._cli_version
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None
