"""Repeat-buying churn model: BG/NBD and MBG/NBD fitted by maximum likelihood.

Inputs per customer (the "RFM summary", see `summarise_transactions`):
`frequency` = repeat purchase occasions, `recency` = time from first to last purchase,
`T` = time from first purchase to the end of the calibration period, all in one time unit.

- `fit_bgnbd` / `fit_mbgnbd` fit the models and return a `BgNbdFit`.
- `probability_alive_expr` / `expected_purchases_expr` are Polars expressions that score
  customers with a fit; `score_customers` adds both columns to a frame.
- `bgnbd_summary_json` backs the `kam bgnbd --summary FILE.csv` command.

See docs/churn-model.md for the model choice, measured accuracy and limits.

Modules: :mod:`~scoring.bgnbd.inputs` (the summary and its checks),
:mod:`~scoring.bgnbd.summary` (the summary from purchases), :mod:`~scoring.bgnbd.fitting`,
:mod:`~scoring.bgnbd.predict`, :mod:`~scoring.bgnbd.summary_csv` (the CLI backend) and
:mod:`~scoring.bgnbd.results` (the models and the fit); the formulas are in
``scoring/_bgnbd_math.py``. The public names are importable from here.
"""

from scoring.bgnbd.fitting import fit_bgnbd, fit_mbgnbd, fit_model
from scoring.bgnbd.inputs import SUMMARY_COLUMNS, BgNbdInputError, validate_summary
from scoring.bgnbd.predict import (
    expected_purchases,
    expected_purchases_expr,
    probability_alive,
    probability_alive_expr,
    score_customers,
)
from scoring.bgnbd.results import DEFAULT_MODEL, MODELS, PARAMETER_BOUNDS, BgNbdFit
from scoring.bgnbd.summary import summarise_transactions
from scoring.bgnbd.summary_csv import bgnbd_summary_json

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "PARAMETER_BOUNDS",
    "SUMMARY_COLUMNS",
    "BgNbdFit",
    "BgNbdInputError",
    "bgnbd_summary_json",
    "expected_purchases",
    "expected_purchases_expr",
    "fit_bgnbd",
    "fit_mbgnbd",
    "fit_model",
    "probability_alive",
    "probability_alive_expr",
    "score_customers",
    "summarise_transactions",
    "validate_summary",
]
