"""Migration matrices: how many customers moved from each level to each other level."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

NEW = "new"
GONE = "gone"


def _levels_of(frame: pl.DataFrame, column: str, levels: Sequence[str], name: str) -> pl.DataFrame:
    for needed in ("customer_id", column):
        if needed not in frame.columns:
            raise ValueError(
                f"{name} frame has no column '{needed}' (columns: {', '.join(frame.columns)})"
            )
    out = frame.select("customer_id", pl.col(column).cast(pl.String).alias("level"))
    duplicated = out.filter(pl.col("customer_id").is_duplicated())
    if duplicated.height:
        raise ValueError(
            f"{name} frame holds customer '{duplicated['customer_id'][0]}' more than once — "
            "pass one business date (one row per customer)"
        )
    unknown = out.filter(~pl.col("level").is_in(list(levels)).fill_null(False))
    if unknown.height:
        customer, value = unknown.row(0)
        raise ValueError(
            f"{name} frame: customer '{customer}' has {column} = {value!r}, not one of "
            f"{', '.join(levels)} — pass every level of the scheme in `levels`"
        )
    return out


def migration_matrix(
    previous: pl.DataFrame, current: pl.DataFrame, column: str, *, levels: list[str]
) -> pl.DataFrame:
    """Customers per (from_level, to_level) between two score snapshots, long format.

    ``from_level`` is the level in ``previous`` or ``'new'`` for customers only in ``current``;
    ``to_level`` is the level in ``current`` or ``'gone'`` for customers only in ``previous``.
    Every pair is present (0 when no customer moved that way) except the impossible new → gone,
    ordered by ``levels`` with new and gone last.
    """
    if len(set(levels)) != len(levels) or {NEW, GONE} & set(levels):
        raise ValueError(f"levels must be distinct and not '{NEW}' or '{GONE}', got {levels}")
    before = _levels_of(previous, column, levels, "previous")
    after = _levels_of(current, column, levels, "current")
    moves = (
        before.join(after, on="customer_id", how="full", coalesce=True, suffix="_to")
        .select(
            from_level=pl.col("level").fill_null(NEW),
            to_level=pl.col("level_to").fill_null(GONE),
        )
        .group_by("from_level", "to_level")
        .agg(customers=pl.len().cast(pl.Int64))
    )
    from_levels = [*levels, NEW]
    to_levels = [*levels, GONE]
    grid = pl.DataFrame(
        [
            {"from_level": f, "to_level": t}
            for f in from_levels
            for t in to_levels
            if (f, t) != (NEW, GONE)
        ],
        schema={"from_level": pl.String, "to_level": pl.String},
    )
    return grid.join(
        moves, on=["from_level", "to_level"], how="left", maintain_order="left"
    ).select("from_level", "to_level", pl.col("customers").fill_null(0))
