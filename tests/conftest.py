"""Shared test set-up: each test module starts from the environment the session started with.

An in-process nightly run exports its settings (KAM_HOME, KAM_LANDING_DIR, DAGSTER_HOME, …) and
the dbt step sets KAM_AS_OF_DATE, as a `kam run` process should; within one pytest process
they would otherwise leak into the next module (e.g. a CLI test would find another test's
landing folders).
"""

import os

import pytest

# The business-date partitions are built once per process, when the definitions are imported,
# from the oldest landed date (orchestration/partitions.py); one pytest process runs homes with
# different landing folders, so the suite fixes the start (tests/test_partitions.py checks the
# start taken from the landing folders, in a process of its own).
os.environ.setdefault("KAM_FIRST_BUSINESS_DATE", "2023-01-01")


@pytest.fixture(scope="module", autouse=True)
def _environment_per_module():
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
