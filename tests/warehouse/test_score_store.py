"""Writing scores back: a history written by an earlier kam takes the columns a newer one adds."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from warehouse import score_store


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


def _day(day: date, tiers: dict[str, str], *, with_new_schemes: bool = True) -> pl.DataFrame:
    n = len(tiers)
    frame = pl.DataFrame(
        {
            "as_of_date": [day] * n,
            "customer_id": list(tiers),
            "pyramid_tier": list(tiers.values()),
            "abc_class": ["A"] * n,
            "ladder_tier": ["D"] * n,
            "churn_risk_level": ["none"] * n,
        }
    )
    if with_new_schemes:
        frame = frame.with_columns(
            key_account_status=pl.lit("other"), lifecycle_stage=pl.lit("stable")
        )
    return frame


def _moves(con: duckdb.DuckDBPyConnection, day: date, scheme: str) -> dict[tuple, int]:
    rows = con.execute(
        f"select from_level, to_level, customers, previous_as_of_date from "
        f"{score_store.MIGRATIONS} where as_of_date = ? and scheme = ? and customers > 0",
        [day, scheme],
    ).fetchall()
    return {(f, t, p): n for f, t, n, p in rows}


def test_a_backfilled_date_recounts_the_moves_of_the_next_date(tmp_path: Path) -> None:
    from scoring.config import default_config
    from scoring.labels import label_table

    labels = label_table(default_config())
    levels = score_store.scheme_levels(labels)
    d29, d30, d31 = date(2025, 12, 29), date(2025, 12, 30), date(2025, 12, 31)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("create schema scores")
        # The newest date first: every customer is new to it.
        score_store._replace_daily_scores(
            con, _day(d31, {"a": "vip", "b": "small"}), d31, "r1", levels, labels
        )
        assert _moves(con, d31, "pyramid_tier") == {
            ("new", "vip", None): 1,
            ("new", "small", None): 1,
        }
        # Backfilling 12-30 makes it 12-31's predecessor: 12-31's moves are counted from it.
        score_store._replace_daily_scores(
            con, _day(d30, {"a": "major", "b": "small"}), d30, "r2", levels, labels
        )
        assert _moves(con, d31, "pyramid_tier") == {
            ("major", "vip", d30): 1,
            ("small", "small", d30): 1,
        }
        assert _moves(con, d30, "pyramid_tier") == {
            ("new", "major", None): 1,
            ("new", "small", None): 1,
        }
        # 12-29 is before 12-30: 12-30's moves are recounted, 12-31's stay.
        score_store._replace_daily_scores(con, _day(d29, {"a": "major"}), d29, "r3", levels, labels)
        assert _moves(con, d30, "pyramid_tier") == {
            ("major", "major", d29): 1,
            ("new", "small", d29): 1,
        }
        assert _moves(con, d31, "pyramid_tier") == {
            ("major", "vip", d30): 1,
            ("small", "small", d30): 1,
        }


def test_a_date_scored_before_a_scheme_existed_counts_its_customers_as_new(
    tmp_path: Path,
) -> None:
    from scoring.config import default_config
    from scoring.labels import label_table

    labels = label_table(default_config())
    levels = score_store.scheme_levels(labels)
    d30, d31 = date(2025, 12, 30), date(2025, 12, 31)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("create schema scores")
        old = _day(d30, {"a": "vip"}, with_new_schemes=False)
        score_store._replace_rows(con, score_store.HISTORY, old, "as_of_date", d30)
        score_store._replace_daily_scores(con, _day(d31, {"a": "vip"}), d31, "r", levels, labels)
        assert _moves(con, d31, "pyramid_tier") == {("vip", "vip", d30): 1}
        assert _moves(con, d31, "key_account_status") == {("new", "other", d30): 1}
