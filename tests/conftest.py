"""Shared test set-up.

kam writes the process environment only inside ``warehouse.settings.environment`` blocks, which
put it back when they end, so one test module cannot leak settings into the next; tests set
variables with ``monkeypatch``.
"""

import os

# The business-date partitions are built once per process, when the definitions are imported,
# from the oldest landed date (orchestration/partitions.py); one pytest process runs homes with
# different landing folders, so the suite fixes the start (tests/orchestration/test_partitions.py
# checks the start taken from the landing folders, in a process of its own).
os.environ.setdefault("KAM_FIRST_BUSINESS_DATE", "2023-01-01")
