"""Spark on YARN on a sandbox of its own (hd-spark, 10.42.66.0/24, 2 workers, the master as
the client): SparkPi in cluster mode SUCCEEDED with its result in the driver log; a PySpark
job in client mode writes parquet to HDFS and reads the right sum back with executors on two
workers, and uploads no Spark jars; the history server lists both; dynamic allocation gives
the executors back after the idle timeout; a second run of the Spark play changes nothing."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .sandbox import PROJECT, VENV_BIN, ansible_env

# Unfinished (issue 20): it has not passed end to end yet (SparkPi in cluster mode has; the
# client-mode job had not), so it runs only with HADOOP_DEPLOY_TRY_SPARK=1 and site.yml does
# not import the play.
pytestmark = [pytest.mark.docker, pytest.mark.e2e,
              pytest.mark.skipif(not os.environ.get("HADOOP_DEPLOY_TRY_SPARK"),
                                 reason="unfinished: not passed end to end yet (issue 20); HADOOP_DEPLOY_TRY_SPARK=1 runs it")]

NAME, CIDR = "hd-spark", "10.42.66.0/24"
MASTER = f"{NAME}-master"
SPARK_VARS = ["-e", "spark_enabled=true", "-e", "spark_executor_idle_timeout=15s"]

JOB = r'''
import json, sys, time
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("spark-test-parquet").getOrCreate()
sc = spark.sparkContext
path = "/user/hdadmin/spark-test.parquet"
spark.range(0, 1000000, numPartitions=8).write.mode("overwrite").parquet(path)
total = spark.read.parquet(path).groupBy().sum("id").collect()[0][0]
hosts = set()
for _ in range(30):
    status = sc._jsc.sc().getExecutorMemoryStatus()
    it = status.keysIterator()
    while it.hasNext():
        hosts.add(str(it.next()).split(":")[0])
    if len(hosts) >= 3:
        break
    sc.parallelize(range(64), 64).map(lambda x: x).count()
    time.sleep(1)
print("RESULT " + json.dumps({"sum": total, "hosts": sorted(hosts), "app": sc.applicationId}), flush=True)
sys.stdout.flush()
# Stay alive for the idle-timeout check: the driver's UI on 4040 is read meanwhile.
time.sleep(int(sys.argv[1]))
spark.stop()
'''


def cli(env: dict[str, str], *args: str, timeout: int = 1800) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hadoop_deploy.cli", *args], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def spark_play(inventory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", str(inventory), str(PROJECT / "playbooks/spark.yml"),
                           *SPARK_VARS], cwd=PROJECT, env=ansible_env(), capture_output=True, text=True, timeout=1800)


def test_spark_on_yarn(tmp_path: Path) -> None:
    env = dict(os.environ, HADOOP_DEPLOY_SANDBOX_NAME=NAME, HADOOP_DEPLOY_SANDBOX_CIDR=CIDR,
               HADOOP_DEPLOY_DATA_DIR=str(tmp_path), XDG_DATA_HOME=str(tmp_path),
               PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    inventory = tmp_path / "inventory" / "local"
    ssh = ["ssh", "-F", str(inventory / ".ssh" / "ssh_config"), MASTER]

    def on_master(command: str, timeout: int = 600, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([*ssh, f"sudo -u hdadmin bash -lc {shlex.quote(command)}"], capture_output=True,
                              text=True, timeout=timeout, input=stdin)

    try:
        started = time.monotonic()
        up = cli(env, "up", "--workers", "2")
        assert up.returncode == 0, up.stdout[-4000:] + up.stderr[-3000:]
        print(f"up: {time.monotonic() - started:.0f} s")

        started = time.monotonic()
        first = spark_play(inventory)
        journal = "" if first.returncode == 0 else subprocess.run(
            [*ssh, "sudo journalctl -u spark-history --no-pager | tail -60"], capture_output=True, text=True).stdout
        assert first.returncode == 0, first.stdout[-6000:] + first.stderr[-3000:] + journal
        print(f"spark install: {time.monotonic() - started:.0f} s")

        # 1. SparkPi, cluster mode.
        pi = on_master("spark-submit --master yarn --deploy-mode cluster /opt/spark/examples/src/main/python/pi.py 10 2>&1")
        app_pi = re.findall(r"(application_\d+_\d+)", pi.stdout)
        assert pi.returncode == 0 and app_pi, pi.stdout[-4000:]
        app_pi = app_pi[-1]
        status = on_master(f"yarn application -status {app_pi}")
        assert re.search(r"Final-State : SUCCEEDED", status.stdout), status.stdout
        for _ in range(20):  # until the logs are aggregated
            logs = on_master(f"yarn logs -applicationId {app_pi} -log_files stdout")
            if "Pi is roughly 3.1" in logs.stdout:
                break
            time.sleep(3)
        assert "Pi is roughly 3.1" in logs.stdout, logs.stdout[-3000:]

        # 2. PySpark in client mode: parquet round trip, two workers, no jars uploaded.
        written = on_master("cat > /tmp/spark-test-job.py", stdin=JOB)
        assert written.returncode == 0, written.stderr
        job = subprocess.Popen([*ssh, "sudo -u hdadmin bash -lc 'spark-submit --master yarn --deploy-mode client "
                                "--conf spark.yarn.preserve.staging.files=true /tmp/spark-test-job.py 120 2>/tmp/spark-test-job.err'"],
                               stdout=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        assert job.stdout is not None
        line = ""
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            line = job.stdout.readline()
            if line.startswith("RESULT ") or not line:
                break
        assert line.startswith("RESULT "), on_master("tail -50 /tmp/spark-test-job.err").stdout
        result = json.loads(line[len("RESULT "):])
        assert result["sum"] == sum(range(1000000))
        assert len(set(result["hosts"])) >= 3, result  # the driver and executors on two workers
        app_py = result["app"]
        staging = on_master(f"hdfs dfs -ls /user/hdadmin/.sparkStaging/{app_py}")
        assert staging.returncode == 0, staging.stderr
        assert "__spark_libs__" not in staging.stdout, staging.stdout

        # 4. Dynamic allocation: after the 15 s idle timeout only the driver is left.
        executors: list = []
        for _ in range(40):
            api = on_master(f"curl -sf http://localhost:4040/api/v1/applications/{app_py}/executors")
            executors = [e for e in json.loads(api.stdout or "[]") if e["id"] != "driver"]
            if not executors:
                break
            time.sleep(3)
        assert executors == [], executors
        job.wait(timeout=300)

        # 3. The history server lists both.
        listed: set = set()
        for _ in range(30):
            api = on_master(f"curl -sf http://{MASTER}:18080/api/v1/applications")
            listed = {a["id"] for a in json.loads(api.stdout or "[]")}
            if {app_pi, app_py} <= listed:
                break
            time.sleep(2)
        assert {app_pi, app_py} <= listed, listed

        # 5. A second run changes nothing.
        second = spark_play(inventory)
        assert second.returncode == 0, second.stdout[-4000:]
        assert not re.search(r"changed=[1-9]", second.stdout), second.stdout[-4000:]
    finally:
        cli(env, "down", "--purge", "--yes", timeout=600)
