"""Writing scores back: a history written by an earlier kam takes the columns a newer one adds."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from orchestration import score_store


def test_a_new_score_column_is_added_to_an_existing_history(tmp_path: Path) -> None:
    day_1, day_2 = date(2025, 12, 30), date(2025, 12, 31)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("create schema scores")
        old = pl.DataFrame({"as_of_date": [day_1], "customer_id": ["a"], "pyramid_tier": ["vip"]})
        score_store._replace_rows(con, score_store.HISTORY, old, "as_of_date", day_1)
        new = old.with_columns(
            as_of_date=pl.lit(day_2), is_one_off_buyer=pl.lit(True), revenue_rank=pl.lit(1)
        )
        score_store._replace_rows(con, score_store.HISTORY, new, "as_of_date", day_2)
        rows = con.execute(
            f"select as_of_date, pyramid_tier, is_one_off_buyer, revenue_rank "
            f"from {score_store.HISTORY} order by as_of_date"
        ).fetchall()
    assert rows == [(day_1, "vip", None, None), (day_2, "vip", True, 1)]
