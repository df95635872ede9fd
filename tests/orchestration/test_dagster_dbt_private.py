"""The upgrade guard of orchestration/dagster_dbt_private.py, kam's only use of a library's
private names: these tests fail, saying what to do, when an upgrade of dagster-dbt renames,
reshapes or stops calling the two DbtCliResource methods it overrides."""

from __future__ import annotations

import inspect
import sys
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

import pytest
from dagster_dbt import DbtCliResource

from orchestration.dagster_dbt_private import OVERRIDDEN, KamDbtCliResource
from orchestration.dbt_project import dbt_executable, dbt_project

UPGRADED = (
    f"dagster-dbt {version('dagster-dbt')} changed DbtCliResource.{{name}}, which "
    "orchestration/dagster_dbt_private.py overrides to save 1-3 s a night: adapt the "
    "override to the new dagster-dbt, or delete that module and use DbtCliResource "
    "(docs/performance.md)"
)


@pytest.mark.parametrize("name", OVERRIDDEN)
def test_dagster_dbt_still_has_each_private_method_kam_overrides(name: str) -> None:
    assert name in vars(DbtCliResource), UPGRADED.format(name=name)


def test_the_version_is_still_a_cached_property() -> None:
    name = "_cli_version"
    assert isinstance(vars(DbtCliResource).get(name), cached_property), UPGRADED.format(name=name)


def test_the_adapter_is_still_built_from_the_invocations_arguments_alone() -> None:
    name = "_initialize_dbt_core_adapter"
    method = vars(DbtCliResource).get(name)
    assert method is not None, UPGRADED.format(name=name)
    assert list(inspect.signature(method).parameters) == ["self", "args"], UPGRADED.format(
        name=name
    )


@pytest.mark.parametrize("name", OVERRIDDEN)
def test_dagster_dbt_still_uses_each_of_them_to_invoke_dbt(name: str) -> None:
    # An override dagster-dbt no longer calls saves nothing and hides what the upgrade changed.
    assert f"self.{name}" in inspect.getsource(DbtCliResource.cli), UPGRADED.format(name=name)


def _fake_dbt(folder: Path) -> Path:
    """A `dbt` that answers `--version` as dbt does, and leaves a mark that it was asked."""
    dbt = folder / "dbt"
    dbt.write_text(
        f"#!/bin/sh\ntouch {folder / 'asked'}\necho 'Core:'\necho '  - installed: 9.8.7'\n",
        encoding="utf-8",
    )
    dbt.chmod(0o755)
    return dbt


def test_the_dbt_beside_this_python_is_not_asked_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dbt = _fake_dbt(tmp_path)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    resource = KamDbtCliResource(project_dir=dbt_project, dbt_executable=str(dbt))
    assert str(resource._cli_version) == version("dbt-core")
    assert not (tmp_path / "asked").exists()


def test_any_other_dbt_is_asked_its_version(tmp_path: Path) -> None:
    dbt = _fake_dbt(tmp_path)
    resource = KamDbtCliResource(project_dir=dbt_project, dbt_executable=str(dbt))
    assert str(resource._cli_version) == "9.8.7"
    assert (tmp_path / "asked").exists()


def test_an_invocation_builds_no_dbt_adapter_where_dagster_dbt_builds_one(
    tmp_path: Path,
) -> None:
    invocations = {
        resource: resource(project_dir=dbt_project, dbt_executable=dbt_executable())
        .cli(["--version"], target_path=tmp_path / resource.__name__)
        .wait()
        for resource in (DbtCliResource, KamDbtCliResource)
    }
    assert invocations[DbtCliResource].adapter is not None
    assert invocations[KamDbtCliResource].adapter is None
