"""Integration: a real Spark standalone master and worker on 127.0.0.1, the ingest job submitted to it.

Uses the same spark-submit options as ``deploy/submit.sh`` (cxspark.core.deploy), then reads
the Delta output with the test session.  Both daemons are stopped by their pids.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cxspark.core.deploy import build_zip, submit_arguments
from cxspark.lake.io import read_table

from .conftest import REPO, make_settings

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"daemon exited early: {log.read_text()[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"port {port} not open after {seconds}s: {log.read_text()[-2000:]}")


def _wait_worker(master_log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if "Registering worker" in master_log.read_text(errors="replace"):
            return
        time.sleep(0.5)
    raise TimeoutError(f"no worker registered: {master_log.read_text()[-2000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_ingest_job_on_standalone_cluster(spark, tmp_path):
    import pyspark

    from cxspark.generate import GeneratorSettings, generate

    spark_home = Path(pyspark.__file__).parent
    settings = make_settings(tmp_path)
    generate(
        settings.lakehouse.landing_dir, GeneratorSettings(customers=150, seed=3, chunk_size=100), workers=1
    )

    env = {
        **os.environ,
        "SPARK_HOME": str(spark_home),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_DAEMON_MEMORY": "512m",
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "SPARK_WORKER_DIR": str(tmp_path / "work"),
        "SPARK_LOG_DIR": str(tmp_path / "logs"),
    }
    mport, mweb, wweb = _free_port(), _free_port(), _free_port()
    master_log, worker_log = tmp_path / "master.log", tmp_path / "worker.log"
    spark_class = str(spark_home / "bin" / "spark-class")
    master = subprocess.Popen(
        [
            spark_class,
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            str(mport),
            "--webui-port",
            str(mweb),
        ],
        env=env,
        stdout=master_log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = None
    try:
        _wait_port(mport, master, master_log)
        url = f"spark://127.0.0.1:{mport}"
        worker = subprocess.Popen(
            [
                spark_class,
                "org.apache.spark.deploy.worker.Worker",
                url,
                "--host",
                "127.0.0.1",
                "--cores",
                "1",
                "--memory",
                "1g",
                "--webui-port",
                str(wweb),
            ],
            env=env,
            stdout=worker_log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait_worker(master_log)
        zip_path = build_zip(tmp_path / "dist")
        submit = [
            str(spark_home / "bin" / "spark-submit"),
            "--master",
            url,
            "--conf",
            "spark.executor.memory=768m",
            "--conf",
            "spark.driver.memory=1g",
            *submit_arguments(settings, zip_path),
            str(REPO / "jobs" / "ingest.py"),
            "--env",
            "test",
            "--conf-dir",
            str(REPO / "conf"),
            "--lakehouse",
            settings.lakehouse.root,
            "--json",
        ]
        done = subprocess.run(submit, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        assert '"job": "ingest"' in done.stdout
    finally:
        for proc in (worker, master):
            if proc is not None:
                _stop(proc)
    assert master.poll() is not None and (worker is None or worker.poll() is not None)

    # the job ran on the cluster: its executor ran on the worker
    assert any((tmp_path / "work").rglob("stderr")), "no executor ran on the worker"
    for source in ("calls", "web", "tickets", "chats", "surveys", "billing", "crm", "engagement"):
        assert read_table(spark, settings, f"bronze.{source}").count() > 0, source
    run = read_table(spark, settings, "audit.runs").first()
    assert run["status"] == "succeeded" and run["job"] == "ingest"
    assert (
        run["row_counts"]["rows_read"]
        == run["row_counts"]["rows_written"] + run["row_counts"]["rows_quarantined"]
    )
