"""A Spark Connect server over one Spark warehouse folder, started from pyspark's own Spark.

With a server, a night's Spark steps and dbt are its clients (``KAM_SPARK_REMOTE``): one Java
process holds the catalog and the session settings, instead of one started per step. The
server gets every setting of the ``spark`` target of ``dbt_project/profiles.yml`` (the tables'
folder, the catalog, memory, the SQL settings), so it serves exactly what a local session would.
On a cluster the server is the cluster's own (``start-connect-server.sh`` of its Spark, with the
same settings); kam's steps write Parquet files into the tables' folder, so it must be mounted
where kam runs (docs/spark.md).
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from warehouse.settings import SPARK_CONNECT_PORT
from warehouse.spark.session import WAREHOUSE_ENV, SparkSessionError, spark_settings

#: Spark's class of the server (in pyspark's jars since Spark 3.4).
SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"


def server_command(
    warehouse_dir: Path, port: int, environ: Mapping[str, str] | None = None
) -> list[str]:
    """``spark-submit`` of the server over ``warehouse_dir``, listening on ``port``."""
    try:
        import pyspark
    except ImportError:
        raise SparkSessionError(
            "a Spark Connect server needs pyspark: pip install -e '.[spark]' (and Java 17)"
        ) from None
    settings = spark_settings(
        {**(os.environ if environ is None else environ), WAREHOUSE_ENV: str(warehouse_dir)}
    )
    # What enableHiveSupport() sets for a local session: the catalog is the Hive metastore.
    settings["spark.sql.catalogImplementation"] = "hive"
    settings["spark.connect.grpc.binding.port"] = str(port)
    # At Spark's default (INFO) the server logs about 8 MB for one night of the small demo.
    settings.setdefault("spark.log.level", "WARN")
    command = [str(Path(pyspark.__file__).parent / "bin" / "spark-submit"), "--class", SERVER_CLASS]
    command += ["--name", f"kam Spark Connect server ({warehouse_dir})"]
    for key, value in settings.items():
        command += ["--conf", f"{key}={value}"]
    return command


class ConnectServer:
    """A Spark Connect server run by this process: :meth:`start` it (it returns once the
    server accepts connections), use :attr:`url`, :meth:`stop` it. Its command line, then
    its output, go to ``log_path``."""

    def __init__(self, warehouse_dir: Path, log_path: Path, port: int = SPARK_CONNECT_PORT) -> None:
        self.warehouse_dir = Path(warehouse_dir)
        self.log_path = Path(log_path)
        self.port = port
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The ``KAM_SPARK_REMOTE`` of this server."""
        return f"sc://localhost:{self.port}"

    def start(self, timeout: float = 300.0) -> None:
        """Start the server and wait until it accepts connections; raise SparkSessionError,
        naming the log, if it ends or does not listen within ``timeout`` seconds."""
        if listening(self.port):
            raise SparkSessionError(
                f"port {self.port} is already in use: stop what listens there, or start the "
                "server on another port (--port)"
            )
        self.warehouse_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = server_command(self.warehouse_dir, self.port)
        with self.log_path.open("wb") as log:
            # The server's settings, for whoever starts one on a cluster (docs/spark.md).
            log.write(f"{shlex.join(command)}\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while not listening(self.port):
            if self._process.poll() is not None:
                raise SparkSessionError(
                    f"the Spark Connect server ended (exit code {self._process.returncode}) "
                    f"before it listened on port {self.port}: see {self.log_path}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise SparkSessionError(
                    f"the Spark Connect server did not listen on port {self.port} within "
                    f"{timeout:.0f} s: see {self.log_path}"
                )
            time.sleep(0.5)

    def wait(self) -> int:
        """Wait until the server ends; its exit code."""
        assert self._process is not None, "start() the server first"
        return self._process.wait()

    def stop(self) -> None:
        """Stop the server (its Java process and the catalog it holds)."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def listening(port: int) -> bool:
    """Whether something on this machine accepts connections on ``port``."""
    try:
        with socket.create_connection(("localhost", port), timeout=1):
            return True
    except OSError:
        return False
