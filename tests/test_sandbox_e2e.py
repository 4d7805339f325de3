"""End to end, as a newcomer would: `up --workers 2`, then status shows 2 live DataNodes and
2 running NodeManagers, exec runs on the 3 nodes, plan reports no changes, down removes the
hosts and keeps the data volumes, down --purge removes those too."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hadoop_deploy import sandbox

PROJECT = Path(__file__).resolve().parent.parent
LOCAL = "inventory/local"

pytestmark = [pytest.mark.docker, pytest.mark.e2e]


def hadoop_deploy(*args: str, timeout: int = 3600) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "hadoop_deploy.cli", *args], cwd=PROJECT,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    print(f"hadoop-deploy {' '.join(args)}: exit {proc.returncode} in {time.monotonic() - started:.0f} s")
    return proc


def volumes() -> list[str]:
    return sandbox.data_volumes()


def test_sandbox_cluster_from_up_to_down() -> None:
    if sandbox.containers():
        pytest.skip(f"a sandbox {sandbox.NAME} is running here: this test would remove it (hadoop-deploy down first)")
    try:
        up = hadoop_deploy("up", "--workers", "2")
        assert up.returncode == 0, up.stdout[-4000:] + up.stderr[-4000:]
        assert "The sandbox cluster is ready" in up.stdout
        assert ":9870" in up.stdout and ":8088" in up.stdout
        assert (PROJECT / LOCAL / "hosts.yml").is_file()

        status = hadoop_deploy("status", LOCAL, "--json")
        data = json.loads(status.stdout)
        assert list(data["nodes"]) == ["hd-local-master", "hd-local-worker1", "hd-local-worker2"]
        assert status.returncode == 0, data["problems"]
        assert data["cluster"]["hdfs"]["live_datanodes"] == 2
        assert data["cluster"]["hdfs"]["dead_datanodes"] == 0
        assert data["cluster"]["yarn"]["active_nodemanagers"] == 2
        text = hadoop_deploy("status", LOCAL)
        assert "hd-local-worker2" in text.stdout and "HDFS" in text.stdout

        run = hadoop_deploy("exec", LOCAL, "--", "hostname")
        assert run.returncode == 0, run.stderr
        names = [line for line in run.stdout.splitlines() if not line.startswith("==")]
        assert names == ["hd-local-master", "hd-local-worker1", "hd-local-worker2"]

        plan = hadoop_deploy("plan", LOCAL)
        assert plan.returncode == 0, plan.stdout[-4000:]
        assert "Plan: no changes." in plan.stdout

        down = hadoop_deploy("down")
        assert down.returncode == 0, down.stdout + down.stderr
        assert sandbox.containers() == []
        assert not (PROJECT / LOCAL).exists()
        assert volumes() == ["hd-local-master-data", "hd-local-worker1-data", "hd-local-worker2-data"]
    finally:
        purge = hadoop_deploy("down", "--purge", "--yes")
        assert purge.returncode == 0, purge.stdout + purge.stderr
    assert volumes() == []
