"""Small expressions every scoring module uses: per-date windows and ``;``-joined codes.

Facts may hold one business date or several (``as_of_date``); rankings, shares and means are
taken per date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl


def date_keys(schema: pl.Schema) -> list[str]:
    """``["as_of_date"]`` when the frame holds business dates, else ``[]``."""
    return ["as_of_date"] if "as_of_date" in schema else []


def per_date(expr: pl.Expr, keys: Sequence[str]) -> pl.Expr:
    """``expr`` computed within each business date (over the whole frame without one)."""
    return expr.over(keys) if keys else expr


def as_float(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.Float64)


def joined(parts: Sequence[pl.Expr]) -> pl.Expr:
    """The non-null parts joined by ";", null when none is set.

    ``concat_str`` skipping nulls is a flat string kernel; a list built per row with
    ``concat_list().list.join()`` is ~30× slower at 100,000 customers.
    """
    text = pl.concat_str(parts, separator=";", ignore_nulls=True)
    return pl.when(text != "").then(text)


def codes_fired(rules: Mapping[str, pl.Expr], names: Mapping[str, str] | None = None) -> pl.Expr:
    """The codes (or their ``names``) of the rules that hold, in order, joined by ";"; null
    when none holds. A rule that is null does not hold."""
    return joined(
        [pl.when(rule).then(pl.lit(names[code] if names else code)) for code, rule in rules.items()]
    )
