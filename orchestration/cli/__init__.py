"""The ``kam`` command line: generate demo data, run the nightly job, check, document.

``parser`` holds the grammar; each command's handler lives in the module of its group
(``demo``, ``prepare``, ``runs``, ``inputs``, ``churn``, ``outputs``).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence

from orchestration.cli.common import UserError
from orchestration.cli.parser import build_parser
from orchestration.cli.prepare import prepare_dbt
from warehouse.settings import SettingsError

__all__ = ["UserError", "main", "prepare_dbt"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.verbose:
        # Library deprecation and beta notices are for developers, not for someone running a date.
        warnings.simplefilter("ignore")
    try:
        return args.handler(args)
    except (UserError, SettingsError) as exc:
        print(f"kam: error: {exc}", file=sys.stderr)
        return 2
