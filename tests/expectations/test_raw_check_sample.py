"""Which raw rows a partition's quality check validates: all of a small partition, a fixed
sample of exactly RAW_SAMPLE_ROWS rows of a large one, never rows of other dates."""

from datetime import date

import duckdb
import pytest

from orchestration.checks import RAW_SAMPLE_ROWS, raw_partition_query

BIG_NIGHT = date(2025, 1, 1)
OTHER_NIGHT = date(2025, 1, 2)
SMALL_NIGHT = date(2025, 1, 3)


@pytest.fixture(scope="module")
def con():
    """raw.transactions with 250,000 rows on BIG_NIGHT, 1,000,000 on OTHER_NIGHT (written
    first, so most of the table's rows precede the big night's) and 1,000 on SMALL_NIGHT."""
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("""create table raw.transactions as
        select date '2025-01-02' as _business_date, i as _source_line from range(1000000) t(i)
        union all
        select date '2025-01-01', i from range(250000) t(i)
        union all
        select date '2025-01-03', i from range(1000) t(i)""")
    yield con
    con.close()


def rows_of(con, night: date, partition_rows: int) -> tuple[list[tuple], bool]:
    query, sampled = raw_partition_query("transactions", partition_rows)
    return con.execute(query, {"d": night}).fetchall(), sampled


def test_a_large_partition_is_checked_on_a_sample_of_its_own_rows(con):
    rows, sampled = rows_of(con, BIG_NIGHT, 250_000)
    assert sampled
    # Sampling the whole table (1,251,000 rows) before filtering would have left about
    # 200,000 × 250,000 / 1,251,000 ≈ 40,000 rows of the night.
    assert len(rows) == RAW_SAMPLE_ROWS == 200_000
    assert {night for night, _ in rows} == {BIG_NIGHT}
    assert len({line for _, line in rows}) == 200_000


def test_the_sample_is_the_same_every_time(con):
    first, _ = rows_of(con, BIG_NIGHT, 250_000)
    second, _ = rows_of(con, BIG_NIGHT, 250_000)
    assert sorted(first) == sorted(second)


def test_a_small_partition_is_checked_whole(con):
    rows, sampled = rows_of(con, SMALL_NIGHT, 1_000)
    assert not sampled
    assert sorted(rows) == [(SMALL_NIGHT, i) for i in range(1000)]
