"""The shipped config/scoring.yaml, and the error one changed line of it gives: for the tests of
configuration messages (test_churn_config, test_config_choices, test_config_ranges)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring.config import DEFAULT_CONFIG_PATH, ScoringConfigError, load_scoring_config

SHIPPED = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")


def config_error(tmp_path: Path, old: str, new: str) -> str:
    """The message of loading the shipped file with its one occurrence of ``old`` as ``new``."""
    assert SHIPPED.count(old) == 1, old
    path = tmp_path / "scoring.yaml"
    path.write_text(SHIPPED.replace(old, new), encoding="utf-8")
    with pytest.raises(ScoringConfigError) as info:
        load_scoring_config(path)
    return str(info.value)
