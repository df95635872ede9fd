"""Read what the report shows from the published DuckDB copy, read-only.

Every query names the columns it needs and asks the copy which of them exist, so a column that
a newer or older kam does not publish is reported as missing (:attr:`ReportData.missing`)
instead of failing the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from scoring.labels import MIGRATING_SCHEMES

# Facts shown next to the scores (fct_customer_facts, same customer and business date).
FACT_COLUMNS = (
    "customer_name",
    "account_manager",
    "revenue_trailing",
    "revenue_share_trailing",
    "days_since_last_order",
    "days_since_last_contact",
    "last_order_date",
    "last_contact_date",
)
# Credit columns of the latest quarter graded by the business date (credit_grades).
CREDIT_COLUMNS = ("credit_grade", "credit_grade_zh", "credit_score", "credit_quarter")


class ReportDataError(ValueError):
    """The published copy cannot give a report (missing file, table or business date)."""


@dataclass
class ReportData:
    """Everything one report shows, for one business date."""

    business_date: date
    publication: dict[str, str]
    # One row per customer scored on the business date: scores, facts and credit grade.
    customers: pl.DataFrame
    # scheme -> [(label, label_zh)] in sort order (score_labels).
    labels: dict[str, list[tuple[str, str]]]
    # score_migrations rows of the business date.
    migrations: pl.DataFrame
    # Moves between the newest date held a month or more before the business date and the
    # business date, shaped like score_migrations (empty when no such date is held).
    monthly_migrations: pl.DataFrame
    # credit_grade_migrations rows of the latest quarter graded by the business date.
    credit_migrations: pl.DataFrame
    # One row per business date held up to this one, per pyramid tier: revenue, key accounts,
    # churn-flagged value (see :func:`_trends`).
    trends: pl.DataFrame
    # Ingestion of the business date: files, rows loaded and quarantined, rejected files.
    ingestion: dict[str, int]
    # Business dates held in the score history (up to this one), and the newest of all.
    dates_held: list[date]
    newest_date: date
    # The run that scored the business date (customer_score_history.run_id), if recorded.
    scoring_run_id: str | None = None
    # "table.column" names the report looked for and did not find.
    missing: list[str] = field(default_factory=list)

    def has(self, column: str) -> bool:
        return column in self.customers.columns

    def label_zh(self, scheme: str, label: str | None) -> str:
        return dict(self.labels.get(scheme, [])).get(label or "", label or "")


def load_report_data(published_path: Path, business_date: date | None = None) -> ReportData:
    """Read the report's data for ``business_date`` (default: the newest scored date)."""
    if not Path(published_path).exists():
        raise ReportDataError(
            f"no published warehouse at {published_path}; run `kam run --date D` first "
            "(the report reads the published copy)"
        )
    con = duckdb.connect(str(published_path), read_only=True)
    try:
        return _load(con, business_date)
    finally:
        con.close()


def _load(con: duckdb.DuckDBPyConnection, business_date: date | None) -> ReportData:
    tables = _columns_by_table(con)
    missing: list[str] = []
    if "customer_score_history" not in tables:
        raise ReportDataError(
            "the published warehouse has no customer_score_history table; it was published by "
            "a run that did not score customers: run `kam run --date D` again"
        )
    dates = [
        row[0]
        for row in con.execute(
            "select distinct as_of_date from customer_score_history order by 1"
        ).fetchall()
    ]
    if business_date is None:
        business_date = dates[-1] if dates else None
    if business_date not in dates:
        held = f"{dates[0]} … {dates[-1]}" if dates else "none"
        raise ReportDataError(
            f"business date {business_date} was not scored in the published warehouse "
            f"(dates held: {held}); run `kam run --date {business_date}` or pick a date held"
        )
    customers = _customers(con, tables, business_date, missing)
    return ReportData(
        business_date=business_date,
        publication=_publication(con, tables),
        customers=customers,
        labels=_labels(con, tables, missing),
        migrations=_migrations(con, tables, business_date, missing),
        credit_migrations=_credit_migrations(con, tables, business_date, missing),
        monthly_migrations=_monthly_migrations(con, tables, business_date),
        trends=_trends(con, tables, business_date, missing),
        ingestion=_ingestion(con, tables, business_date, missing),
        dates_held=[d for d in dates if d <= business_date],
        newest_date=dates[-1],
        scoring_run_id=_scoring_run_id(customers),
        missing=missing,
    )


def _scoring_run_id(customers: pl.DataFrame) -> str | None:
    if "run_id" not in customers.columns:
        return None
    return customers["run_id"].drop_nulls().max()


def _columns_by_table(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = con.execute(
        "select table_name, column_name from duckdb_columns() "
        "where database_name = current_database() and schema_name = 'main' "
        "order by table_name, column_index"
    ).fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def _present(
    tables: dict[str, list[str]], table: str, wanted: tuple[str, ...], missing: list[str]
) -> list[str]:
    have = set(tables.get(table, []))
    missing.extend(f"{table}.{c}" for c in wanted if c not in have)
    return [c for c in wanted if c in have]


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _customers(
    con: duckdb.DuckDBPyConnection, tables: dict[str, list[str]], day: date, missing: list[str]
) -> pl.DataFrame:
    facts = (
        _present(tables, "fct_customer_facts", FACT_COLUMNS, missing)
        if "fct_customer_facts" in tables
        else _missing_table("fct_customer_facts", missing)
    )
    fact_select = "".join(f", f.{_quoted(c)}" for c in facts)
    fact_join = "left join fct_customer_facts as f using (customer_id, as_of_date)" if facts else ""
    credit_select, credit_join = "", ""
    if "credit_grades" in tables and "credit_quarter_end_date" in tables["credit_grades"]:
        credit = _present(tables, "credit_grades", CREDIT_COLUMNS, missing)
        credit_select = "".join(f", c.{_quoted(x)}" for x in credit)
        credit_join = """
            left join (
                select * from credit_grades where credit_quarter = (
                    select max(credit_quarter) from credit_grades
                    where credit_quarter_end_date <= $d
                )
            ) as c using (customer_id)"""
    else:
        missing.append("credit_grades")
    frame = con.sql(
        f"""select h.*{fact_select}{credit_select}
            from customer_score_history as h {fact_join} {credit_join}
            where h.as_of_date = $d order by h.customer_id""",
        params={"d": day},
    ).pl()
    return frame.with_columns(pl.col(pl.Decimal).cast(pl.Float64))


def _missing_table(table: str, missing: list[str]) -> list[str]:
    missing.append(table)
    return []


def _publication(con: duckdb.DuckDBPyConnection, tables: dict[str, list[str]]) -> dict[str, str]:
    if "publication" not in tables:
        return {}
    return dict(con.execute("select key, value from publication").fetchall())


def _labels(
    con: duckdb.DuckDBPyConnection, tables: dict[str, list[str]], missing: list[str]
) -> dict[str, list[tuple[str, str]]]:
    if "score_labels" not in tables:
        missing.append("score_labels")
        return {}
    labels: dict[str, list[tuple[str, str]]] = {}
    for scheme, label, label_zh in con.execute(
        "select scheme, label, label_zh from score_labels order by scheme, sort_order"
    ).fetchall():
        labels.setdefault(scheme, []).append((label, label_zh))
    return labels


def _migrations(
    con: duckdb.DuckDBPyConnection, tables: dict[str, list[str]], day: date, missing: list[str]
) -> pl.DataFrame:
    if "score_migrations" not in tables:
        missing.append("score_migrations")
        return pl.DataFrame()
    return con.sql("select * from score_migrations where as_of_date = $d", params={"d": day}).pl()


# Daily schemes compared month over month: those score_migrations tracks.
MONTHLY_SCHEMES = MIGRATING_SCHEMES


def _monthly_migrations(
    con: duckdb.DuckDBPyConnection, tables: dict[str, list[str]], day: date
) -> pl.DataFrame:
    """Customers per (from level, to level) between the newest scored date at least a month
    before ``day`` and ``day``: 'new' if not scored then, 'gone' if not scored now."""
    [(previous,)] = con.execute(
        "select max(as_of_date) from customer_score_history "
        "where as_of_date <= $d - interval 1 month",
        {"d": day},
    ).fetchall()
    schemes = [s for s in MONTHLY_SCHEMES if s in tables["customer_score_history"]]
    if previous is None or not schemes:
        return pl.DataFrame()
    parts = [
        f"""select '{scheme}' as scheme,
                   case when p.customer_id is null then 'new' else p.{scheme} end as from_level,
                   case when c.customer_id is null then 'gone' else c.{scheme} end as to_level,
                   count(*) as customers
            from (select * from customer_score_history where as_of_date = $p) as p
            full join (select * from customer_score_history where as_of_date = $d) as c
                using (customer_id)
            group by all"""
        for scheme in schemes
    ]
    return (
        con.sql(" union all ".join(parts), params={"p": previous, "d": day})
        .pl()
        .with_columns(as_of_date=pl.lit(day), previous_as_of_date=pl.lit(previous, dtype=pl.Date))
    )


def _credit_migrations(
    con: duckdb.DuckDBPyConnection, tables: dict[str, list[str]], day: date, missing: list[str]
) -> pl.DataFrame:
    if "credit_grade_migrations" not in tables or "credit_grades" not in tables:
        missing.append("credit_grade_migrations")
        return pl.DataFrame()
    return con.sql(
        """select * from credit_grade_migrations where credit_quarter = (
               select max(credit_quarter) from credit_grades where credit_quarter_end_date <= $d
           )""",
        params={"d": day},
    ).pl()


def _trends(
    con: duckdb.DuckDBPyConnection, tables: dict[str, list[str]], day: date, missing: list[str]
) -> pl.DataFrame:
    """Per business date held and pyramid tier: customers, trailing revenue, key accounts,
    churn-flagged customers and their value at risk (columns absent are left out)."""
    history = set(tables["customer_score_history"])
    facts = set(tables.get("fct_customer_facts", []))
    measures = ["count(*) as customers"]
    join = ""
    if "revenue_trailing" in facts:
        join = "left join fct_customer_facts as f using (customer_id, as_of_date)"
        measures.append("sum(f.revenue_trailing)::double as revenue_trailing")
    if "is_key_account" in history:
        measures.append("count(*) filter (where h.is_key_account) as key_accounts")
    if "is_churn_risk" in history:
        measures.append("count(*) filter (where h.is_churn_risk) as churn_flagged")
        if "value_at_risk" in history:
            measures.append(
                "coalesce(sum(h.value_at_risk) filter (where h.is_churn_risk), 0)::double "
                "as churn_flagged_value"
            )
    tier = "h.pyramid_tier" if "pyramid_tier" in history else "'all'"
    return con.sql(
        f"""select h.as_of_date, {tier} as pyramid_tier, {", ".join(measures)}
            from customer_score_history as h {join}
            where h.as_of_date <= $d group by all order by all""",
        params={"d": day},
    ).pl()


def _ingestion(
    con: duckdb.DuckDBPyConnection, tables: dict[str, list[str]], day: date, missing: list[str]
) -> dict[str, int]:
    if "ingestion_ledger" not in tables:
        missing.append("ingestion_ledger")
        return {}
    files, loaded, quarantined, rejected = con.execute(
        """select count(*), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_quarantined), 0),
                  count(*) filter (where status = 'rejected')
           from ingestion_ledger
           where business_date = $d and status in ('loaded', 'replaced', 'rejected')""",
        {"d": day},
    ).fetchall()[0]
    return {
        "files": files,
        "rows_loaded": int(loaded),
        "rows_quarantined": int(quarantined),
        "files_rejected": rejected,
    }
