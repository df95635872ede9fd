"""What every command shares: its settings, the error a user can fix, reading a date argument."""

from __future__ import annotations

import argparse
import os
from datetime import date
from pathlib import Path

from warehouse.settings import Settings, load_settings


class UserError(Exception):
    """A problem the user can fix; printed without a traceback."""


def is_iso_date(name: str) -> bool:
    try:
        date.fromisoformat(name)
    except ValueError:
        return False
    return len(name) == 10


def parse_date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(
            f"{what} {value!r} is not a date; use YYYY-MM-DD, e.g. 2025-12-31"
        ) from None


def environ_of(args: argparse.Namespace) -> dict[str, str]:
    """The ``KAM_*`` settings a command runs with: the process environment, with ``--home`` in
    place of ``KAM_HOME``, and ``--engine`` and ``--spark-remote`` (run, backfill) in place of
    ``KAM_ENGINE`` and ``KAM_SPARK_REMOTE``."""
    environ = dict(os.environ)
    if args.home:
        environ["KAM_HOME"] = str(Path(args.home).resolve())
    if getattr(args, "engine", None):
        environ["KAM_ENGINE"] = args.engine
    if getattr(args, "spark_remote", None):
        environ["KAM_SPARK_REMOTE"] = args.spark_remote
    return environ


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings a command runs with (:func:`environ_of`)."""
    return load_settings(environ_of(args))
