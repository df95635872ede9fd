"""``kam spark-server``: a Spark Connect server over this home's Spark warehouse."""

from __future__ import annotations

import argparse
import signal

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
    # Stopped by Ctrl-C or by a service manager's SIGTERM: either way the server goes too (it
    # runs in a session of its own, which the terminal's Ctrl-C does not reach).
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.start()
        print(
            f"Spark Connect server over {settings.spark_warehouse_dir} at {server.url} "
            f"(log: {server.log_path}). Nights use it with KAM_SPARK_REMOTE={server.url} "
            "kam run --engine spark. Ctrl-C stops it.",
            flush=True,
        )
        code = server.wait()
    except SparkSessionError as exc:
        raise UserError(str(exc)) from None
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
    raise UserError(f"the Spark Connect server ended with exit code {code}: see {server.log_path}")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
