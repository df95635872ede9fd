"""What BI readers get from a publication: renewed snapshots for pooled connections, a file format
older DuckDB releases read, descriptions on every table and column, and a publication that
recovers from a damaged previous copy or a killed one."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import pytest
from test_publish import TABLES, _writer

from warehouse.publish import PublishedTable, StorageVersionError, publish

REPO = Path(__file__).resolve().parents[2]


def _publish(writer: Path, pub: Path, run: str, **kwargs) -> None:
    publish(writer, pub, kwargs.pop("tables", TABLES), run, metadata={"run_id": run}, **kwargs)


def _storage_number(path: Path) -> int:
    """The storage version number in a DuckDB file's header (docs: internals/storage)."""
    with open(path, "rb") as file:
        magic, number = struct.Struct("<8x4sQ").unpack(file.read(20))
    assert magic == b"DUCK"
    return number


def test_a_reader_reconnecting_per_read_sees_every_publication_while_a_pool_holds_one(
    tmp_path: Path,
) -> None:
    writer, pub = _writer(tmp_path / "w.duckdb", [("c1", 0), ("c2", 0)]), tmp_path / "pub"
    _publish(writer, pub, "run-0")
    path = str(pub / "kam.duckdb")
    # A BI tool's connection pool keeps a connection open the whole time.
    pooled = duckdb.connect(path, read_only=True)
    seen: list[tuple[str, int, int]] = []
    problems: list[str] = []
    stop = threading.Event()

    def reconnect_per_read() -> None:
        while not stop.is_set():
            try:
                with duckdb.connect(path, read_only=True) as con:
                    run = con.execute(
                        "select value from publication where key = 'run_id'"
                    ).fetchall()[0][0]
                    seen.append(
                        (
                            run,
                            *con.execute(
                                "select count(*), sum(score) from customer_scores"
                            ).fetchall()[0],
                        )
                    )
            except duckdb.Error as exc:
                problems.append(repr(exc))

    def wait_for(run: str) -> None:
        deadline = time.monotonic() + 10
        while not any(s[0] == run for s in seen) and time.monotonic() < deadline:
            time.sleep(0.005)

    thread = threading.Thread(target=reconnect_per_read)
    thread.start()
    try:
        wait_for("run-0")
        for i in range(1, 5):
            _writer(writer, [("c1", i), ("c2", i), *[(f"n{j}", i) for j in range(i)]])
            _publish(writer, pub, f"run-{i}")
            wait_for(f"run-{i}")
    finally:
        stop.set()
        thread.join()

    assert problems == []
    # Every publication was seen, each one whole: run i holds 2 + i rows of score i.
    assert sorted(set(seen)) == [(f"run-{i}", 2 + i, i * (2 + i)) for i in range(5)], (
        f"{len(seen)} reads saw {sorted({s[0] for s in seen})}"
    )
    # The pooled connection keeps the snapshot it opened.
    assert pooled.execute("select sum(score) from customer_scores").fetchall() == [(0,)]
    pooled.close()
    # Only the current file and the one it replaced are kept.
    assert sorted(p.name for p in (pub / "versions").iterdir()) == ["run-3.duckdb", "run-4.duckdb"]


# A DuckDB 1.x reader holding a connection to the link (a pool), asked for new connections after
# the parent publishes the next run: through the link, then through the file it points to, then
# through the link once the held connection has closed.
POOLED_1X_READER = textwrap.dedent(
    """
    import os, sys
    import duckdb

    link = sys.argv[1]

    def run(path):
        with duckdb.connect(path, read_only=True) as con:
            query = "select value from publication where key = 'run_id'"
            return con.execute(query).fetchall()[0][0]

    pooled = duckdb.connect(link, read_only=True)
    print(duckdb.__version__, run(link), flush=True)
    sys.stdin.readline()
    print(run(link), run(os.path.realpath(link)), flush=True)
    pooled.close()
    print(run(link), flush=True)
    """
)


def test_duckdb_1x_pools_see_a_new_publication_once_every_connection_closed(
    tmp_path: Path, install_reader
) -> None:
    # What docs/bi-tables.md tells users of BI tools bundling DuckDB 1.x.
    writer, pub = _writer(tmp_path / "w.duckdb", [("c1", 0)]), tmp_path / "pub"
    _publish(writer, pub, "run-0")
    reader = subprocess.Popen(
        [sys.executable, "-c", POOLED_1X_READER, str(pub / "kam.duckdb")],
        env={**os.environ, "PYTHONPATH": str(install_reader("duckdb==1.4.*"))},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        version, first = reader.stdout.readline().split()
        _publish(writer, pub, "run-1")
        out, err = reader.communicate("next\n", timeout=60)
    finally:
        reader.kill()
    assert reader.returncode == 0, err
    assert version.startswith("1.4.")
    assert first == "run-0"
    # Through the link a new connection still gets the held run; the resolved file is the new
    # one; once the held connection closed, the link gives the new run.
    assert out.split("\n")[:2] == ["run-0 run-1", "run-1"]


def test_published_file_is_written_in_the_configured_storage_version(tmp_path: Path) -> None:
    writer, pub = _writer(tmp_path / "w.duckdb", [("c1", 1)]), tmp_path / "pub"
    _publish(writer, pub, "run-1")
    # v1.0.0 is storage version 64, which DuckDB 0.10 to 2.x read; DuckDB 2.0's own format is
    # stored as 999 and refused by DuckDB 1.x ("can only read versions between 64 and 67").
    assert _storage_number(pub / "kam.duckdb") == 64

    _publish(writer, pub, "run-2", storage_version="latest")
    assert _storage_number(pub / "kam.duckdb") == 999
    _publish(writer, pub, "run-3", storage_version="v1.4.0")
    assert _storage_number(pub / "kam.duckdb") == 67
    with duckdb.connect(str(pub / "kam.duckdb"), read_only=True) as con:
        assert con.execute("select * from customer_scores").fetchall() == [("c1", 1)]


def test_an_unknown_storage_version_is_refused_by_name(tmp_path: Path) -> None:
    writer, pub = _writer(tmp_path / "w.duckdb", [("c1", 1)]), tmp_path / "pub"
    with pytest.raises(StorageVersionError, match=r"'v9\.9' is not a DuckDB release.*'v1\.0\.0'"):
        _publish(writer, pub, "run-1", storage_version="v9.9")
    assert not (pub / "kam.duckdb").exists()
    assert [p.name for p in pub.iterdir() if p.name.startswith(".")] == []


def test_tables_and_columns_carry_their_descriptions(tmp_path: Path) -> None:
    writer, pub = _writer(tmp_path / "w.duckdb", [("c1", 1)]), tmp_path / "pub"
    described = PublishedTable(
        "main",
        "scores",
        "customer_scores",
        comment="One row per customer.",
        column_comments=(("customer_id", "Customer key (客户编号)."), ("score", "It's 0-100.")),
    )
    _publish(writer, pub, "run-1", tables=[described])

    def comments() -> dict[str, str | None]:
        with duckdb.connect(str(pub / "kam.duckdb"), read_only=True) as con:
            found = dict(
                con.execute(
                    "select table_name, comment from duckdb_tables() "
                    "where database_name = current_database() order by all"
                ).fetchall()
            )
            found |= dict(
                con.execute(
                    "select table_name || '.' || column_name, comment from duckdb_columns() "
                    "where database_name = current_database() order by all"
                ).fetchall()
            )
            return found

    assert comments() == {
        "customer_scores": "One row per customer.",
        "customer_scores.customer_id": "Customer key (客户编号).",
        "customer_scores.score": "It's 0-100.",
        "publication": (
            "Which run and business date this copy holds: run_id, business_date, published_at, "
            "the row count of every table (rows.<table>) and kam's own bookkeeping for the next "
            "publication."
        ),
        "publication.key": (
            "Name of the fact (run_id, business_date, run_business_date, published_at, "
            "rows.<table>, ...)."
        ),
        "publication.value": "Its value, as text.",
    }

    # The table is reused from the previous copy; a description taken away is taken away there.
    fewer = PublishedTable(
        "main", "scores", "customer_scores", column_comments=(("score", "Score."),)
    )
    _publish(writer, pub, "run-2", tables=[fewer])
    found = comments()
    assert (found["customer_scores"], found["customer_scores.customer_id"]) == (None, None)
    assert found["customer_scores.score"] == "Score."


@pytest.mark.parametrize("damage", ["truncated", "checksum"])
def test_a_damaged_previous_copy_is_rebuilt_and_said_so(tmp_path: Path, damage: str) -> None:
    writer, pub = tmp_path / "w.duckdb", tmp_path / "pub"
    with duckdb.connect(str(writer)) as con:
        con.execute("create table scores (customer_id varchar, score integer)")
        con.execute("insert into scores select 'c' || range, range::integer from range(50_000)")
    _publish(writer, pub, "run-1")
    damaged = (pub / "kam.duckdb").resolve()
    if damage == "truncated":
        os.truncate(damaged, 20_000)
    else:  # one data block overwritten
        with open(damaged, "r+b") as file:
            file.seek(12_288)
            file.write(b"\xff" * 4096)

    result = publish(writer, pub, TABLES, "run-2")

    assert result.rebuilt is not None
    assert "could not be read" in result.rebuilt and "built in full" in result.rebuilt
    with duckdb.connect(str(pub / "kam.duckdb"), read_only=True) as con:
        assert con.execute("select count(*), sum(score) from customer_scores").fetchall() == [
            (50_000, sum(range(50_000)))
        ]


KILLED_PUBLICATION = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from warehouse.publish import publication as p

    write_publication_table = p._write_publication_table

    def then_die(*args):  # the staging file is written, its write-ahead log not yet merged
        write_publication_table(*args)
        os.kill(os.getpid(), signal.SIGKILL)

    p._write_publication_table = then_die
    p.publish(Path(sys.argv[1]), Path(sys.argv[2]),
              [p.PublishedTable("main", "scores", "customer_scores")], "killed")
    """
)


def test_a_publication_killed_while_writing_leaves_nothing_after_the_next(tmp_path: Path) -> None:
    writer, pub = _writer(tmp_path / "w.duckdb", [("c1", 1)]), tmp_path / "pub"
    _publish(writer, pub, "run-1")
    _writer(writer, [("c1", 2)])

    killed = subprocess.run(
        [sys.executable, "-c", KILLED_PUBLICATION, str(writer), str(pub)], cwd=REPO, timeout=120
    )

    assert killed.returncode == -signal.SIGKILL
    left = sorted(p.name for p in pub.iterdir() if p.name.startswith("."))
    assert left == [".kam.duckdb.killed.tmp", ".kam.duckdb.killed.tmp.wal"]
    with duckdb.connect(str(pub / "kam.duckdb"), read_only=True) as con:
        assert con.execute("select score from customer_scores").fetchall() == [(1,)]

    _publish(writer, pub, "run-2")

    assert sorted(p.name for p in pub.iterdir()) == ["kam.duckdb", "parquet", "versions"]
    assert sorted(p.name for p in (pub / "parquet").iterdir()) == ["current", "run-1", "run-2"]
    with duckdb.connect(str(pub / "kam.duckdb"), read_only=True) as con:
        assert con.execute("select score from customer_scores").fetchall() == [(2,)]
