"""The cluster in use, on a sandbox of its own (hd-edge: 2 workers and an edge node): after
`up` (Spark off, the default) nothing of Spark is on the hosts; then an apply that adds one
of the cluster's users (users_cluster_users, a member of cluster_users_group) and turns
Spark on, and that user works on the edge node: an HDFS round trip in the HDFS home the
hadoop role made, `yarn application -list`, a MapReduce job (tests/edge.py); SparkPi and a
PySpark job on YARN, the history server, dynamic allocation (tests/spark.py); from this
machine, through the SSH tunnel to the master only, a WebHDFS client writes, reads back and
deletes 5 MiB through HttpFS (tests/httpfs.py); a re-run of the same apply changes nothing."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from hadoop_deploy import sandbox

from . import edge, httpfs, spark
from .sandbox import OwnSandbox

NAME = "hd-edge"
CIDR = "10.42.66.0/24"
USER = "analyst"
MASTER, CLIENT = f"{NAME}-master", f"{NAME}-client1"
# The settings of the apply under test: the user, and Spark with a short idle timeout.
SETTINGS = json.dumps({"users_cluster_users": [USER], "spark_enabled": True, "spark_executor_idle_timeout": "15s"})
# What the Spark role puts on a host; none of it with spark_enabled false.
HISTORY_UNIT = "/etc/systemd/system/spark-history.service"
SPARK_PATHS = ["/opt/spark", "/etc/spark", HISTORY_UNIT, "/usr/local/bin/spark-submit"]

pytestmark = [pytest.mark.docker, pytest.mark.e2e]


def spark_files(inventory: Path, host: str) -> list[str]:
    ssh_config = sandbox.ssh_dir(inventory) / "ssh_config"
    listed = subprocess.run(["ssh", "-F", str(ssh_config), host, f"ls -d {' '.join(SPARK_PATHS)} 2>/dev/null; true"],
                            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert listed.returncode == 0, listed.stderr
    return sorted(listed.stdout.split())


def test_an_edge_node_user_runs_hadoop_and_spark_jobs(tmp_path: Path) -> None:
    box = OwnSandbox(NAME, CIDR, tmp_path / "data")
    box.data.mkdir()
    inventory = box.inventory
    box.remove_leftover()
    try:
        up = box.cli("up", "--workers", "2", "--clients", "1")
        assert up.returncode == 0, up.stdout[-4000:] + up.stderr[-3000:]
        assert f"clients (edge nodes) {CLIENT}" in up.stdout
        assert "HttpFS (WebHDFS API)" in up.stdout, up.stdout[-2000:]
        for host in (MASTER, CLIENT, f"{NAME}-worker1"):
            assert spark_files(inventory, host) == [], f"Spark is off by default, yet {host} has some of it"

        applied = box.cli("apply", str(inventory), "-e", SETTINGS)
        assert applied.returncode == 0, applied.stdout[-4000:] + applied.stderr[-3000:]
        # The check above can fail: Spark everywhere it is run from, the history server's
        # unit on the master only.
        assert spark_files(inventory, MASTER) == sorted(SPARK_PATHS)
        assert spark_files(inventory, CLIENT) == sorted(set(SPARK_PATHS) - {HISTORY_UNIT})
        edge.check_edge_node(inventory, CLIENT, USER)
        # The check can fail: the admin's HDFS home is not the users group's.
        with pytest.raises(AssertionError):
            edge.check_edge_node(inventory, CLIENT, "hdadmin")
        spark.check_spark(inventory, CLIENT, USER, MASTER)
        # HDFS from outside, as from a laptop that reaches only the master's SSH.
        httpfs.check_httpfs(inventory, user=USER)
        # The check can fail: HttpFS does not act for the HDFS superuser, so its write is refused.
        with pytest.raises(AssertionError, match="refused hdfs's round trip"):
            httpfs.check_httpfs(inventory, user="hdfs", size=1024, directory="/tmp")

        # Idempotent with all of it on: the same apply again changes nothing on any host.
        again = box.cli("apply", str(inventory), "-e", SETTINGS)
        assert again.returncode == 0, again.stdout[-4000:] + again.stderr[-3000:]
        assert "changed 0" in again.stdout and not re.search(r"\bchanged [1-9]", again.stdout), again.stdout[-4000:]
    finally:
        box.remove()
