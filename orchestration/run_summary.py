"""What one run did, as the user reads it: the outcome and its summary, with the counts read
from the published copy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from warehouse import churn_quality
from warehouse.settings import Settings

#: How a failure of the report step (after publishing) starts in :attr:`RunOutcome.failures`.
REPORT_STEP = "step published__report"


@dataclass
class RunOutcome:
    """What one run did, for the user and for tests."""

    business_date: date
    run_id: str
    success: bool
    failures: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    customers: int = 0
    customers_derived: bool = False  # no master landed: derived from the transactions
    key_accounts: dict[str, int] = field(default_factory=dict)
    churn: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    published_path: Path | None = None
    log_path: Path | None = None

    def report(self) -> str:
        if not self.success:
            lines = [f"kam run for {self.business_date} FAILED (run {self.run_id}):"]
            lines += [f"  - {failure}" for failure in self.failures]
            if self.failures and all(f.startswith(REPORT_STEP) for f in self.failures):
                lines.append(
                    "The warehouse was published; only the report failed: fix the cause and run "
                    f"`kam report --date {self.business_date}`."
                )
            else:
                lines.append("The published warehouse was left as it was.")
            if self.log_path:
                lines.append(f"dbt output: {self.log_path}")
            return "\n".join(lines)
        return "\n".join(
            [
                f"kam run for {self.business_date} succeeded (run {self.run_id})",
                (
                    f"  rows read {self.rows_read:,}, loaded {self.rows_loaded:,}, "
                    f"quarantined {self.rows_quarantined:,}"
                    if self.rows_read
                    else "  no new or changed landing files (everything landed was loaded before)"
                ),
                f"  customers {self.customers:,}"
                + (
                    " (no customer master landed: derived from the transactions, first seen "
                    "date only)"
                    if self.customers_derived
                    else ""
                ),
                *self._key_account_lines(),
                *self.churn,
                *self.notices,
                f"  published warehouse: {self.published_path}",
            ]
        )

    def _key_account_lines(self) -> list[str]:
        counts = self.key_accounts
        if not counts.get("scored"):
            return []
        share = counts["key_accounts"] / counts["scored"]
        return [
            f"  key accounts {counts['key_accounts']:,} of {counts['scored']:,} customers "
            f"({share:.1%}): by revenue share {counts['revenue_share']:,}, strategic "
            f"{counts['strategic']:,}, by score {counts['score']:,} of {counts['candidates']:,} "
            f"candidates; one-off buyers {counts['one_off']:,}"
        ]


def fill_counts(outcome: RunOutcome, settings: Settings) -> None:
    published = settings.published_path
    outcome.published_path = published
    with duckdb.connect(str(published), read_only=True) as con:
        outcome.rows_read, outcome.rows_loaded, outcome.rows_quarantined = con.execute(
            "select coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0), "
            "coalesce(sum(rows_quarantined), 0) from ingestion_ledger where run_id = ? "
            # A kept (archived) file's row repeats the rows it still holds: not read again.
            "and status in ('loaded', 'replaced', 'rejected')",
            [outcome.run_id],
        ).fetchall()[0]
        # The run's own date: after a backfilled date the dimensions stay the newest date's.
        [(outcome.customers,)] = con.execute(
            "select count(*) from fct_customer_facts where as_of_date = ?",
            [outcome.business_date],
        ).fetchall()
        [(outcome.customers_derived,)] = con.execute(
            "select coalesce(bool_or(is_derived_from_transactions), false) from dim_customers"
        ).fetchall()
        stale = dict(con.execute("select key, value from publication").fetchall()).get(
            "stale_business_dates"
        )
        if stale:
            from orchestration.assets.publishing import stale_notice

            outcome.notices.append(
                "  " + stale_notice([date.fromisoformat(d) for d in stale.split(",")])
            )
        outcome.key_accounts = _key_account_counts(con, outcome.business_date)
        outcome.churn = _churn_lines(con, outcome.business_date)
        quality = churn_quality.summary_line(con)
        outcome.churn.append(
            quality
            or "  churn quality: no past business date with its outcome in the history yet "
            "(needs facts as of a date and as of its horizon later)"
        )


def _churn_lines(con: duckdb.DuckDBPyConnection, business_date: date) -> list[str]:
    """Which churn model scored the run's date (a fallback says why) and the call list."""
    columns = {
        row[0]
        for row in con.execute(
            "select column_name from duckdb_columns() where table_name = 'customer_score_history'"
        ).fetchall()
    }
    if not {"churn_model", "churn_model_status", "is_churn_risk"} <= columns:
        return []
    note = "any_value(churn_model_note)" if "churn_model_note" in columns else "null"
    models = con.execute(
        f"""
        select churn_model, churn_model_status, count(*), {note}
        from customer_score_history
        where as_of_date = ? and churn_model is not null
        group by all order by 3 desc
        """,
        [business_date],
    ).fetchall()
    flagged = con.execute(
        "select count(*) filter (where is_churn_risk) from customer_score_history "
        "where as_of_date = ?",
        [business_date],
    ).fetchall()[0][0]
    described = "; ".join(
        f"{model} ({status}{': ' + why if why and status != 'fitted' else ''}) for {n:,}"
        for model, status, n, why in models
    )
    return [f"  churn model {described or 'none'}; call list {flagged:,} customers"]


def _key_account_counts(con: duckdb.DuckDBPyConnection, business_date: date) -> dict[str, int]:
    """Key accounts of the run's date and why, from the published score history."""
    row = con.execute(
        """
        select
            count(*),
            count(*) filter (where is_key_account),
            count(*) filter (where key_account_reasons like '%revenue_share%'),
            count(*) filter (where key_account_reasons like '%strategic%'),
            count(*) filter (where key_account_reasons like '%score%'),
            count(*) filter (where is_key_account_candidate),
            count(*) filter (where is_one_off_buyer)
        from customer_score_history
        where as_of_date = ?
        """,
        [business_date],
    ).fetchall()[0]
    names = (
        "scored",
        "key_accounts",
        "revenue_share",
        "strategic",
        "score",
        "candidates",
        "one_off",
    )
    return dict(zip(names, row, strict=True))
