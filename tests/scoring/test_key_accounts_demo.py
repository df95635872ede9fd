"""Key accounts on the demo company, end to end: the nightly job for the newest business date
finds a small, explainable set of key accounts (docs/scoring.md, "Key account"). The home is
the one the report's tests read (the nights of the demo's last two dates), built once."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from demo_homes import LAST_TWO_DATES, night_summary, shared_demo_home

from warehouse.settings import load_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The summary of the night of the demo's newest business date, and the published copy."""
    home = shared_demo_home(tmp_path_factory, LAST_TWO_DATES)
    summary = night_summary(home, LAST_TWO_DATES[-1])
    return summary, load_settings({"KAM_HOME": str(home)}).published_path


def _rows(published: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(published), read_only=True) as con:
        return con.execute(sql).fetchall()


JOINED = """
    from customer_scores as s
    join fct_customer_facts as f using (customer_id, as_of_date)
"""


def test_key_accounts_are_at_most_a_tenth_of_customers(run) -> None:
    _, published = run
    [(customers, key_accounts)] = _rows(
        published, "select count(*), count(*) filter (where is_key_account) from customer_scores"
    )
    assert customers == 300
    assert 0 < key_accounts <= 30


def test_every_strategic_customer_is_a_key_account(run) -> None:
    _, published = run
    strategic = _rows(
        published, f"select s.customer_id, s.is_key_account {JOINED} where f.is_strategic"
    )
    assert strategic, "the demo plants strategic customers; without them this test proves nothing"
    assert all(is_key for _, is_key in strategic), strategic


def test_every_steady_customer_with_five_percent_of_revenue_is_a_key_account(run) -> None:
    _, published = run
    large = _rows(
        published,
        f"""select s.customer_id, s.is_key_account, s.key_account_reasons {JOINED}
            where f.revenue_share_trailing >= 0.05 and not s.is_one_off_buyer""",
    )
    assert large, "300 demo customers include some with 5 % of revenue"
    assert all(is_key and "revenue_share" in reasons for _, is_key, reasons in large), large


def test_score_reason_only_for_candidates_at_or_above_their_mean(run) -> None:
    _, published = run
    wrong = _rows(
        published,
        """select customer_id from customer_scores
           where (key_account_reasons like '%score%')
             and not (is_key_account_candidate
                      and multi_criteria_score >= key_account_score_threshold - 1e-9)""",
    )
    assert wrong == []
    [(candidates, scored)] = _rows(
        published,
        """select count(*) filter (where is_key_account_candidate),
                  count(*) filter (where multi_criteria_score is not null)
           from customer_scores""",
    )
    # The pyramid's VIP and major levels are 5 % of 300 customers, less one-off buyers.
    assert 0 < candidates == scored <= 15


def test_summary_names_the_key_accounts_and_their_share(run) -> None:
    summary, published = run
    [(key_accounts,)] = _rows(
        published, "select count(*) filter (where is_key_account) from customer_scores"
    )
    share = key_accounts / 300
    assert f"key accounts {key_accounts} of 300 customers ({share:.1%})" in summary


def test_summary_names_the_churn_model_and_the_call_list(run) -> None:
    summary, published = run
    [(flagged,)] = _rows(
        published, "select count(*) filter (where is_churn_risk) from customer_scores"
    )
    [(model,)] = _rows(
        published,
        "select churn_model from customer_scores where churn_model is not null "
        "group by 1 order by count(*) desc limit 1",
    )
    line = next(x for x in summary.splitlines() if x.startswith("  churn model "))
    assert line.startswith(f"  churn model {model} (")
    assert line.endswith(f"; call list {flagged:,} customers")
