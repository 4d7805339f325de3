"""Day-2 operations on the running sandbox, as its users would run them (the end-to-end test
calls `check_day2` on its sandbox): grow 2 -> 3 workers without restarting anything, rolling
restarts under load and with a worker that cannot come back, a reboot, decommissioning with
a job running and its refusal, recommissioning.

Each step checks its acceptance point of issue #18. The hosts are reached over SSH with the
sandbox's ssh_config (as the debian account, then sudo), the web endpoints from this machine
on the private network; `docker` only restarts or stops a container (a reboot, a lost node).
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hadoop_deploy import sandbox

PROJECT = Path(__file__).resolve().parent.parent
LOCAL = "inventory/local"
MASTER = sandbox.MASTER
WORKERS = [f"{sandbox.NAME}-worker{i}" for i in (1, 2, 3)]
SERVICES = {MASTER: ("namenode", "resourcemanager", "jobhistoryserver", "httpfs")} | {w: ("datanode", "nodemanager") for w in WORKERS}
SLEEP_JAR = "/opt/hadoop/share/hadoop/mapreduce/hadoop-mapreduce-client-jobclient-3.5.0-tests.jar"
# Every file this test writes has 2 copies (a job's too): 3 workers less 1 decommissioned.
REPLICATION = "-Ddfs.replication=2"
ADMIN = "hdadmin"

Run = Callable[..., subprocess.CompletedProcess[str]]


def on(host: str, command: str, *, as_user: str = "root", timeout: int = 600) -> subprocess.CompletedProcess[str]:
    """COMMAND (a shell line) on HOST over SSH, through sudo as AS_USER."""
    ssh_config = sandbox.ssh_dir(PROJECT / LOCAL) / "ssh_config"
    return subprocess.run(["ssh", "-F", str(ssh_config), host, f"sudo -u {as_user} -H bash -c {shlex.quote(command)}"],
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def web(host: str, port: int, path: str) -> dict:
    url = f"http://{sandbox.address(host, 'private')}:{port}{path}{'&' if '?' in path else '?'}user.name={ADMIN}"
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": "application/json"}), timeout=10) as r:
        return json.load(r)


def pids(hosts: list[str] | None = None) -> dict[str, str]:
    """'host daemon' -> the daemon's main PID (0: not running), on HOSTS (default all)."""
    found = {}
    for host in hosts or list(SERVICES):
        daemons = SERVICES[host]
        shown = on(host, "systemctl show -p MainPID --value " + " ".join(f"hadoop-{d}" for d in daemons))
        assert shown.returncode == 0, shown.stderr
        found.update({f"{host} {d}": pid for d, pid in zip(daemons, shown.stdout.split(), strict=True)})
    return found


def nodes() -> tuple[dict[str, str], dict[str, str]]:
    """HDFS's admin state of each live DataNode, and YARN's state of each NodeManager."""
    info = web(MASTER, 9870, "/jmx?qry=Hadoop:service=NameNode,name=NameNodeInfo")["beans"][0]
    hdfs = {k.rsplit(":", 1)[0]: v["adminState"] for k, v in json.loads(info["LiveNodes"]).items()}
    yarn = {n["nodeHostName"]: n["state"] for n in web(MASTER, 8088, "/ws/v1/cluster/nodes")["nodes"]["node"]}
    return hdfs, yarn


def exclude_list() -> str:
    return on(MASTER, "cat /etc/hadoop/workers.exclude").stdout


@dataclass
class Sampler:
    """Counts, every second while it runs, the DataNodes the NameNode has live and those that
    answer on their own web port: a rolling restart may take away one at a time."""

    seen_live: list[int] = field(default_factory=list)
    seen_answering: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _answering(self) -> int:
        count = 0
        for worker in WORKERS:
            try:
                web(worker, 9864, "/jmx?qry=Hadoop:service=DataNode,name=DataNodeInfo")
                count += 1
            except OSError:
                pass
        return count

    def _run(self) -> None:
        while not self._stop.wait(1):
            try:
                fsns = web(MASTER, 9870, "/jmx?qry=Hadoop:service=NameNode,name=FSNamesystemState")["beans"][0]
                self.seen_live.append(fsns["NumLiveDataNodes"])
            except OSError:
                self.seen_live.append(0)
            self.seen_answering.append(self._answering())

    def __enter__(self) -> Sampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def client_loop(seconds_file: str) -> subprocess.Popen[str]:
    """On the master, as the admin account: write a file and read it back, again and again,
    until SECONDS_FILE exists; prints `ok N` or `FAIL N` per round."""
    loop = (f"hdfs dfs -mkdir -p /user/{ADMIN}/loop; i=0; while [ ! -e {seconds_file} ]; do i=$((i+1)); "
            "head -c 1000000 /dev/urandom > /tmp/loop.$i; want=$(md5sum < /tmp/loop.$i); "
            f"if hdfs dfs {REPLICATION} -put /tmp/loop.$i /user/{ADMIN}/loop/$i "
            f"&& [ \"$(hdfs dfs -cat /user/{ADMIN}/loop/$i | md5sum)\" = \"$want\" ]; "
            "then echo ok $i; else echo FAIL $i; fi; rm -f /tmp/loop.$i; done")
    ssh_config = sandbox.ssh_dir(PROJECT / LOCAL) / "ssh_config"
    return subprocess.Popen(["ssh", "-F", str(ssh_config), MASTER, f"sudo -u {ADMIN} -H bash -c {shlex.quote(loop)}"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)


def sleep_job(maps: int, map_ms: int) -> subprocess.Popen[str]:
    """A MapReduce sleep job submitted on the master as the admin account (it runs until done)."""
    job = (f"HADOOP_CLASSPATH={SLEEP_JAR} HADOOP_ROOT_LOGGER=INFO,console hadoop org.apache.hadoop.mapreduce.SleepJob "
           f"{REPLICATION} -Dmapreduce.client.submit.file.replication=2 -m {maps} -r 1 -mt {map_ms} -rt 1000")
    ssh_config = sandbox.ssh_dir(PROJECT / LOCAL) / "ssh_config"
    return subprocess.Popen(["ssh", "-F", str(ssh_config), MASTER, f"sudo -u {ADMIN} -H bash -c {shlex.quote(job)}"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)


def wait_for(what: str, test: Callable[[], bool], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not test():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(2)


def containers_on(host: str) -> int:
    listed = web(MASTER, 8088, "/ws/v1/cluster/nodes")["nodes"]["node"]
    return sum(n["numContainers"] for n in listed if n["nodeHostName"] == host)


def finished_job(job: subprocess.Popen[str]) -> dict:
    """The job's history (JobHistoryServer REST), once its client has exited 0."""
    out, _ = job.communicate(timeout=1200)
    assert job.returncode == 0, out[-3000:]
    job_id = next(word for line in out.splitlines() if "Running job:" in line for word in line.split() if word.startswith("job_"))
    return web(MASTER, 19888, f"/ws/v1/history/mapreduce/jobs/{job_id}")["job"]


def check_day2(hadoop_deploy: Run, tmp_path: Path) -> None:
    # 1. Grow 2 -> 3 workers: the new one joins, no daemon restarts, a re-run changes nothing.
    old_hosts = [MASTER, *WORKERS[:2]]
    before = pids(old_hosts)
    assert "0" not in before.values(), before
    grown = hadoop_deploy("up", "--workers", "3")
    assert grown.returncode == 0, grown.stdout[-4000:] + grown.stderr[-2000:]
    hdfs, yarn = nodes()
    assert hdfs == dict.fromkeys(WORKERS, "In Service") and yarn == dict.fromkeys(WORKERS, "RUNNING"), (hdfs, yarn)
    assert pids(old_hosts) == before, "a daemon restarted when the cluster grew"
    replan = hadoop_deploy("plan", LOCAL)
    assert replan.returncode == 0 and "Plan: no changes." in replan.stdout, replan.stdout[-3000:]

    # Files with 2 copies each, and their checksums.
    written = on(MASTER, f"hdfs dfs -mkdir -p /user/{ADMIN}/kept && for i in 1 2 3 4 5 6; do "
                 f"head -c 2000000 /dev/urandom | tee /tmp/kept.$i | hdfs dfs {REPLICATION} -put - /user/{ADMIN}/kept/$i; "
                 "md5sum < /tmp/kept.$i; rm /tmp/kept.$i; done", as_user=ADMIN)
    assert written.returncode == 0, written.stderr
    checksums = written.stdout.split()[::2]
    assert len(checksums) == 6

    # 5. A rolling DataNode restart while a client writes and reads: no failed operation,
    # never two DataNodes away at once.
    stop_file = "/tmp/day2-loop-stop"
    on(MASTER, f"rm -f {stop_file}", as_user=ADMIN)
    loop = client_loop(stop_file)
    with Sampler() as sampler:
        time.sleep(8)
        restart = hadoop_deploy("restart", LOCAL, "--service", "datanode")
        time.sleep(5)
    on(MASTER, f"touch {stop_file}", as_user=ADMIN)
    rounds, _ = loop.communicate(timeout=300)
    assert restart.returncode == 0, restart.stdout[-4000:]
    results = [line for line in rounds.splitlines() if line.startswith(("ok ", "FAIL "))]
    assert len(results) >= 3 and not [r for r in results if r.startswith("FAIL")], rounds[-3000:]
    assert min(sampler.seen_live) >= 2 and min(sampler.seen_answering) == 2, (sampler.seen_live, sampler.seen_answering)
    print(f"rolling DataNode restart: {len(results)} write+read rounds, none failed; DataNodes answering: "
          f"{sampler.seen_answering}")

    # 6. A sleep job runs through a rolling restart of every NodeManager: one attempt per task.
    job = sleep_job(maps=4, map_ms=60000)
    wait_for("the sleep job's containers", lambda: sum(containers_on(w) for w in WORKERS) >= 4)
    restart = hadoop_deploy("restart", LOCAL, "--service", "nodemanager")
    assert restart.returncode == 0, restart.stdout[-4000:]
    history = finished_job(job)
    assert history["state"] == "SUCCEEDED", history
    assert (history["successfulMapAttempts"], history["failedMapAttempts"], history["killedMapAttempts"]) == (4, 0, 0), history
    assert (history["successfulReduceAttempts"], history["failedReduceAttempts"], history["killedReduceAttempts"]) == (1, 0, 0)

    # 7. A DataNode that cannot start (its data directory taken away): the restart stops
    # there, names the host, and the next worker's DataNode is not touched.
    broken = WORKERS[1]
    on(broken, "chown root:root /srv/hadoop/hdfs/data && chmod 700 /srv/hadoop/hdfs/data")
    untouched = pids()[f"{WORKERS[2]} datanode"]
    stopped = hadoop_deploy("restart", LOCAL, "--service", "datanode")
    assert stopped.returncode != 0 and f"the datanode on {broken} did not come back" in stopped.stdout, stopped.stdout[-3000:]
    assert pids()[f"{WORKERS[2]} datanode"] == untouched
    on(broken, "chown hdfs:hadoop /srv/hadoop/hdfs/data")
    repaired = hadoop_deploy("restart", LOCAL, "--service", "datanode", "--limit", broken)
    assert repaired.returncode == 0, repaired.stdout[-3000:]

    # 9. A reboot: the worker's daemons start at boot and register again; apply changes nothing.
    rebooted = WORKERS[0]
    was = pids([rebooted])
    subprocess.run(["docker", "restart", rebooted], check=True, capture_output=True)

    def started_again() -> bool:
        try:
            now = pids([rebooted])
        except AssertionError:  # sshd not up yet
            return False
        return all(now[k] not in ("0", was[k]) for k in was)

    wait_for(f"{rebooted}'s daemons after the reboot", started_again)
    check = "/usr/local/sbin/hadoop-cluster-check"
    wait_for(f"{rebooted} registered again", lambda: on(MASTER, f"{check} datanode-back {rebooted} && "
                                                       f"{check} nodemanager-back {rebooted}").returncode == 0)
    replan = hadoop_deploy("plan", LOCAL)
    assert replan.returncode == 0 and "Plan: no changes." in replan.stdout, replan.stdout[-3000:]

    leaving = WORKERS[2]
    # With 3 workers the daemons' own files (aggregated logs, job history) have 3 copies, and
    # decommissioning one is refused (as asked, shown below with 2): do what the refusal says.
    lowered = on(MASTER, "hdfs dfs -setrep -R 2 /", as_user="hdfs")
    assert lowered.returncode == 0, lowered.stderr[-2000:]
    # A decommission that runs out of time: non-zero, the host back in service (YARN had let
    # its NodeManager go at once: it held nothing), the exclude list as before.
    listed = exclude_list()
    timed_out = hadoop_deploy("decommission", LOCAL, leaving, "-e", '{"hadoop_decommission_timeout": 3}')
    assert timed_out.returncode != 0, timed_out.stdout[-3000:]
    assert f"{leaving} not decommissioned within 3 s" in timed_out.stdout and "back in service" in timed_out.stdout
    hdfs, yarn = nodes()
    assert hdfs[leaving] == "In Service" and yarn[leaving] == "RUNNING" and exclude_list() == listed, (hdfs, yarn)

    # 4 and 2. Decommission a worker that runs a job's containers: the job succeeds, the
    # command returns once the worker is Decommissioned, HDFS is healthy without it.
    job = sleep_job(maps=6, map_ms=40000)
    wait_for(f"a container on {leaving}", lambda: containers_on(leaving) > 0)
    gone = hadoop_deploy("decommission", LOCAL, leaving)
    assert gone.returncode == 0, gone.stdout[-4000:]
    assert "blocks left to copy" in gone.stdout  # its progress
    hdfs, yarn = nodes()
    assert hdfs.get(leaving) == "Decommissioned" and yarn[leaving] in ("DECOMMISSIONED", "SHUTDOWN"), (hdfs, yarn)
    assert finished_job(job)["state"] == "SUCCEEDED"
    status = hadoop_deploy("status", LOCAL, "--json")
    report = json.loads(status.stdout)
    assert status.returncode == 0 and report["cluster"]["hdfs"]["decommissioned"] == [leaving], report
    fsck = on(MASTER, "hdfs fsck /", as_user=ADMIN)
    assert fsck.returncode == 0 and "is HEALTHY" in fsck.stdout, fsck.stdout[-2000:] + fsck.stderr[-2000:]
    assert re.search(r"^ Missing blocks:\s+0\b", fsck.stdout, re.MULTILINE), fsck.stdout[-2000:]
    # The job's logs, aggregated into HDFS as it ended, may have their second copy still on
    # its way: the NameNode's redundancy monitor makes it within seconds.
    def fully_replicated() -> bool:
        nonlocal fsck
        fsck = on(MASTER, "hdfs fsck /", as_user=ADMIN)
        return bool(re.search(r"^ Under-replicated blocks:\s+0\b", fsck.stdout, re.MULTILINE))
    try:
        wait_for("every block with its copies", fully_replicated, timeout=120)
    except AssertionError as late:
        raise AssertionError(f"{late}: {fsck.stdout[-2000:]}") from None
    subprocess.run(["docker", "stop", leaving], check=True, capture_output=True)
    read = on(MASTER, f"for i in 1 2 3 4 5 6; do hdfs dfs -cat /user/{ADMIN}/kept/$i | md5sum; done", as_user=ADMIN)
    assert read.stdout.split()[::2] == checksums, read.stdout + read.stderr

    # 3. Two DataNodes in service and files with 2 copies: decommissioning one more is refused,
    # with the numbers, and changes nothing.
    listed = exclude_list()
    refused = hadoop_deploy("decommission", LOCAL, WORKERS[1])
    assert refused.returncode != 0, refused.stdout[-3000:]
    assert "2 DataNodes are in service" in refused.stdout and "leaves 1" in refused.stdout, refused.stdout[-3000:]
    assert "highest replication of any file is 2" in refused.stdout and "nothing was changed" in refused.stdout
    assert exclude_list() == listed and nodes()[0][WORKERS[1]] == "In Service"

    # 8. Recommission: back In Service, its NodeManager RUNNING; apply changes nothing.
    subprocess.run(["docker", "start", leaving], check=True, capture_output=True)
    back = hadoop_deploy("recommission", LOCAL, leaving)
    assert back.returncode == 0, back.stdout[-4000:]
    hdfs, yarn = nodes()
    assert hdfs[leaving] == "In Service" and yarn[leaving] == "RUNNING", (hdfs, yarn)
    replan = hadoop_deploy("plan", LOCAL)
    assert replan.returncode == 0 and "Plan: no changes." in replan.stdout, replan.stdout[-3000:]

    # A worker dropped from the inventory without being decommissioned: apply refuses, and
    # the master's node lists still hold it.
    hosts_file = PROJECT / LOCAL / "hosts.yml"
    inventory = hosts_file.read_text()
    line = f"        {WORKERS[1]}:\n"
    assert inventory.count(line) == 1, inventory
    hosts_file.write_text(inventory.replace(line, ""))
    try:
        dropped = hadoop_deploy("apply", LOCAL)
    finally:
        hosts_file.write_text(inventory)
    assert dropped.returncode != 0 and f"{WORKERS[1]}: in the cluster now" in dropped.stdout, dropped.stdout[-3000:]
    assert WORKERS[1] in on(MASTER, "cat /etc/hadoop/workers").stdout.split()
