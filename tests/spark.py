"""Checks of Spark on YARN (roles/spark), as one of the cluster's users works on an edge node
(tests/edge.py: as_user): SparkPi in cluster mode; a PySpark job in client mode with its
executors on two workers and no Spark jars uploaded; the history server lists both; dynamic
allocation gives the executors back after the idle timeout."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import yaml

from .edge import as_user
from .sandbox import PROJECT

SPARK_PI = "/opt/spark/examples/src/main/python/pi.py"
HISTORY_PORT = yaml.safe_load((PROJECT / "roles/spark/defaults/main.yml").read_text())["spark_history_port"]
RM_WEB_PORT = yaml.safe_load((PROJECT / "roles/hadoop/vars/main.yml").read_text())["_hadoop_daemon_table"]["resourcemanager"]["web"]["port"]
# The hosts have Python 3 (Ansible needs it), not necessarily curl.
GET_JSON = "python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())'"

# A client-mode job: parquet written to and read back from HDFS; short tasks until executors
# run on two workers (three executors asked for at the start: a worker holds one per core,
# less the application master's share); then it lets go of its data, so that shuffle
# tracking frees the executors, and stays up for the idle-timeout check.
PARQUET_JOB = r'''
import gc, json, socket, sys, time
from pyspark.sql import SparkSession

path, stay = sys.argv[1], int(sys.argv[2])
spark = SparkSession.builder.appName("spark-check-parquet").getOrCreate()
sc = spark.sparkContext


def parquet_sum():
    spark.range(0, 1000000, numPartitions=8).write.mode("overwrite").parquet(path)
    return spark.read.parquet(path).groupBy().sum("id").collect()[0][0]


def worker_hosts():
    """Where tasks ran: the executors' hosts."""
    tasks = sc.parallelize(range(12), 12).map(lambda x: (time.sleep(2), socket.gethostname())[1])
    return set(tasks.collect())


total = parquet_sum()
hosts = worker_hosts()
deadline = time.monotonic() + 120
while len(hosts) < 2 and time.monotonic() < deadline:
    hosts |= worker_hosts()
print("RESULT " + json.dumps({"sum": total, "hosts": sorted(hosts), "app": sc.applicationId}), flush=True)
# Let go of the query's shuffle: Python's references first, then the driver's JVM, a few
# times (py4j detaches its objects from a thread of its own).
for _ in range(5):
    gc.collect()
    sc._jvm.System.gc()
    time.sleep(2)
time.sleep(stay)
spark.stop()
'''


def check_spark(inventory: Path, client: str, user: str, master: str) -> None:
    """As USER on CLIENT: SparkPi in cluster mode SUCCEEDED with its result in the driver's
    log; the parquet job in client mode with the right sum and executors on at least two
    workers, its staging directory without Spark's jars; after the idle timeout it holds no
    executors; the history server on MASTER lists both applications."""
    pi = as_user(inventory, client, user, f"spark-submit --master yarn --deploy-mode cluster {SPARK_PI} 10 2>&1", timeout=900)
    apps = re.findall(r"(application_\d+_\d+)", pi.stdout)
    assert pi.returncode == 0 and apps, pi.stdout[-4000:]
    app_pi = apps[-1]
    status = as_user(inventory, client, user, f"yarn application -status {app_pi}")
    assert "Final-State : SUCCEEDED" in status.stdout, status.stdout + status.stderr
    logs = subprocess.CompletedProcess([], 1, "", "")
    for _ in range(30):  # until the driver's log is aggregated
        logs = as_user(inventory, client, user, f"yarn logs -applicationId {app_pi} -log_files stdout")
        if "Pi is roughly 3.1" in logs.stdout:
            break
        time.sleep(3)
    assert "Pi is roughly 3.1" in logs.stdout, logs.stdout[-3000:] + logs.stderr[-3000:]

    written = as_user(inventory, client, user, "cat > spark-check-job.py", stdin=PARQUET_JOB)
    assert written.returncode == 0, written.stderr
    # In the background, detached from this SSH session: the job stays up for the
    # idle-timeout check, and says what it found in a file. An executor that holds shuffle
    # data the driver still references is kept past the idle timeout (shuffle tracking):
    # the job lets go of it, and at worst the tracking timeout frees it a minute later.
    submit = ("rm -f spark-check-job.out; setsid nohup spark-submit --master yarn --deploy-mode client"
              " --conf spark.yarn.preserve.staging.files=true --conf spark.dynamicAllocation.initialExecutors=3"
              " --conf spark.dynamicAllocation.shuffleTracking.timeout=60s"
              " spark-check-job.py spark-check.parquet 300 >spark-check-job.out 2>spark-check-job.err </dev/null &")
    started = as_user(inventory, client, user, submit)
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        out = subprocess.CompletedProcess([], 1, "", "")
        for _ in range(300):
            out = as_user(inventory, client, user, "cat spark-check-job.out; pgrep -u $USER -f '[s]park-check-job.py' >/dev/null")
            if "RESULT " in out.stdout or out.returncode != 0:
                break
            time.sleep(3)
        lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
        assert lines, out.stdout[-2000:] + as_user(inventory, client, user, "tail -80 spark-check-job.err").stdout
        result = json.loads(lines[0].removeprefix("RESULT "))
        assert result["sum"] == sum(range(1000000)), result
        assert len(result["hosts"]) >= 2, result  # executors on two workers at least
        app_py = result["app"]
        staging = as_user(inventory, client, user, f"hdfs dfs -ls .sparkStaging/{app_py}")
        assert staging.returncode == 0 and app_py in staging.stdout, staging.stdout + staging.stderr
        assert "__spark_libs__" not in staging.stdout and ".jar" not in staging.stdout, staging.stdout

        # Dynamic allocation: the idle timeout (spark_executor_idle_timeout) after the job's
        # last task, the application holds no executor (the driver's REST API, through
        # YARN's web proxy, which the driver's UI redirects every other caller to).
        executors: list | None = None  # None: the driver did not answer
        api = subprocess.CompletedProcess([], 1, "", "")
        for _ in range(40):
            api = as_user(inventory, client, user, f"{GET_JSON} 'http://{master}:{RM_WEB_PORT}/proxy/{app_py}/api/v1/applications/{app_py}/executors?user.name={user}'")
            if api.returncode == 0 and api.stdout.lstrip().startswith("["):  # (a page once the job ended)
                executors = [e["id"] for e in json.loads(api.stdout) if e["id"] != "driver"]
                if not executors:
                    break
            time.sleep(3)
        assert executors == [], f"executors held after the idle timeout: {executors} ({api.stderr[-1000:]})"
    finally:
        as_user(inventory, client, user, "pkill -u $USER -f '[s]park-check-job.py'; hdfs dfs -rm -r -f -skipTrash spark-check.parquet")

    listed: set = set()
    for _ in range(40):  # the history server reads the event logs every 10 s
        api = as_user(inventory, client, user, f"{GET_JSON} http://{master}:{HISTORY_PORT}/api/v1/applications")
        listed = {a["id"] for a in json.loads(api.stdout or "[]")}
        if {app_pi, app_py} <= listed:
            break
        time.sleep(3)
    assert {app_pi, app_py} <= listed, f"the history server lists {sorted(listed)}, not {app_pi} and {app_py}"
