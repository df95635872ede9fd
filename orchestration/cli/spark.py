"""``kam spark-server``: a Spark Connect server over this home's Spark warehouse."""

from __future__ import annotations

import argparse

from orchestration.cli.common import UserError, settings_of
from orchestration.engine import SPARK_INSTALL, missing_for
from warehouse.spark.connect_server import ConnectServer
from warehouse.spark.session import SparkSessionError


def cmd_spark_server(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    missing = missing_for("spark")
    if missing:
        raise UserError(
            f"a Spark Connect server needs {', '.join(missing)}, which this machine lacks — "
            f"fix: {SPARK_INSTALL}, and install a Java 17 runtime"
        )
    server = ConnectServer(
        settings.spark_warehouse_dir,
        settings.home / "logs" / "spark-connect-server.log",
        port=args.port,
    )
    try:
        server.start()
    except SparkSessionError as exc:
        raise UserError(str(exc)) from None
    print(
        f"Spark Connect server over {settings.spark_warehouse_dir} at {server.url} "
        f"(log: {server.log_path}). Nights use it with KAM_SPARK_REMOTE={server.url} "
        "kam run --engine spark. Ctrl-C stops it.",
        flush=True,
    )
    try:
        code = server.wait()
    except KeyboardInterrupt:
        server.stop()
        return 0
    if code != 0:
        raise UserError(
            f"the Spark Connect server ended with exit code {code}: see {server.log_path}"
        )
    return 0
