"""The nightly job on DuckDB, on local Spark sessions and through a Spark Connect server, side
by side on one machine.

Generates the demo (``--lines`` order lines) once, then runs two nights on each engine in a
home of its own fed by the same landing folder: the go-live night (the demo's second-newest
business date: all history lands at once) and the incremental night after it. Each night is a
``kam run`` process; the script prints its wall time and the seconds of its slowest steps, as
kam run's step lines give them. ``spark-connect`` runs the Spark nights through a Spark Connect
server over its home (``kam spark-server``'s, started before the first night; its start is
reported apart).

    .venv/bin/python bench/engines.py --lines 1000000 --work /tmp/kam-engines

Needs Java 17 and the spark extra (``pip install -e '.[spark]'``). Leaves the homes in
``--work`` (a second call reuses the demo; remove the folder to start again).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from warehouse.spark.connect_server import ConnectServer  # noqa: E402

ENGINES = ("duckdb", "spark", "spark-connect")
# Settings of the engines' resources that reach the nights (and the server) from the caller.
TUNING = (
    "KAM_DUCKDB_MEMORY_LIMIT",
    "KAM_SPARK_DRIVER_MEMORY",
    "KAM_SPARK_MASTER",
    "KAM_SPARK_JAVA_OPTIONS",
)
# A step line of kam run: "  done    <step> <rows or checks> <seconds> s".
STEP = re.compile(r"^\s+(done|FAILED)\s+(?P<step>\S+).*?(?P<seconds>[\d.]+) s$")


def kam(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "orchestration.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False, cwd=REPO)


def night(home: Path, day: str, engine: str, env: dict[str, str]) -> dict:
    began = time.perf_counter()
    kam_engine = engine.removesuffix("-connect")
    done = kam("--home", str(home), "run", "--date", day, "--engine", kam_engine, env=env)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{engine} night {day} failed:\n{done.stdout}\n{done.stderr}")
    steps = {
        match["step"]: float(match["seconds"])
        for match in map(STEP.match, done.stdout.splitlines())
        if match
    }
    return {"engine": engine, "date": day, "seconds": round(seconds, 1), "steps": steps}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, required=True, help="folder for the demo and homes")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--engine", action="append", choices=ENGINES, help="only this engine (repeatable)"
    )
    args = parser.parse_args(argv)
    work = args.work.resolve()
    # The nights' homes and folders are the script's; the engines' tuning is the caller's.
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAM_") or k in TUNING}
    env["KAM_LANDING_DIR"] = str(work / "demo" / "landing")
    if not (work / "demo" / "landing").exists():
        made = kam("--home", str(work / "demo"), "demo", "--lines", str(args.lines), env=env)
        if made.returncode != 0:
            raise SystemExit(made.stdout + made.stderr)
    days = sorted(p.name for p in (work / "demo" / "landing" / "transactions").iterdir())[-2:]
    results, servers = [], {}
    for engine in args.engine or ENGINES:
        engine_env = env
        if engine == "spark-connect":
            home = work / engine
            server = ConnectServer(home / "warehouse" / "spark", home / "logs" / "server.log")
            began = time.perf_counter()
            server.start()
            servers[engine] = {"start_seconds": round(time.perf_counter() - began, 1)}
            print(f"{engine:7} server started in {servers[engine]['start_seconds']} s", flush=True)
            engine_env = {**env, "KAM_SPARK_REMOTE": server.url}
        try:
            for day in days:
                result = night(work / engine, day, engine, engine_env)
                results.append(result)
                slowest = sorted(result["steps"].items(), key=lambda item: -item[1])[:4]
                print(
                    f"{engine:7} {day} {'go-live' if day == days[0] else 'incremental':12} "
                    f"{result['seconds']:7.1f} s   "
                    + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in slowest),
                    flush=True,
                )
        finally:
            if engine == "spark-connect":
                server.stop()
    if args.json:
        report = {"lines": args.lines, "nights": results, "servers": servers}
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
