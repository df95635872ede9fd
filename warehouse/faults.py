"""Fault injection for the crash-safety tests: die abruptly at a named point of a run.

Set ``KAM_FAULT_INJECT=<point>`` (ingestion, dbt, scoring, publishing) and the process group is
killed with SIGKILL when the run reaches that point — as a power cut or OOM killer would. Nothing
happens when the variable is unset, which is always the case outside the tests.
"""

from __future__ import annotations

import os
import signal

POINTS = ("ingestion", "dbt", "scoring", "publishing")


def crash_point(name: str) -> None:
    """Kill this process group with SIGKILL if fault injection asks for ``name``."""
    if os.environ.get("KAM_FAULT_INJECT") != name:
        return
    try:
        os.killpg(os.getpgid(0), signal.SIGKILL)
    finally:
        os.kill(os.getpid(), signal.SIGKILL)
