"""Checks of a sandbox's edge node (group clients), as one of the cluster's users works on it:
logged in over SSH as the login account, then `sudo -iu USER`, a member of the users group
(cluster_users_group) that is not the admin. Used by tests that share a cluster."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

from hadoop_deploy import sandbox

EXAMPLES_JAR = "/opt/hadoop/share/hadoop/mapreduce/hadoop-mapreduce-examples-*.jar"


def as_user(inventory: Path, host: str, user: str, command: str, timeout: int = 600,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """COMMAND (one line: `sudo -i` mangles newlines) in a login shell of USER on HOST,
    reached as the users reach theirs; STDIN, when given, is its input."""
    ssh_config = sandbox.ssh_dir(inventory) / "ssh_config"
    return subprocess.run(["ssh", "-F", str(ssh_config), host, f"sudo -iu {user} bash -c {shlex.quote(command)}"],
                          capture_output=True, text=True, timeout=timeout,
                          **({"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}))


def check_edge_node(inventory: Path, client: str, user: str, users_group: str = "hadoop-users") -> None:
    """On CLIENT as USER: no Hadoop daemon runs there; an HDFS round trip in the user's own
    HDFS home; `yarn application -list`; a MapReduce job (pi) that succeeds."""
    daemons = as_user(inventory, client, user, "systemctl list-units --no-legend 'hadoop-*' | wc -l")
    assert daemons.returncode == 0 and daemons.stdout.strip() == "0", daemons.stdout + daemons.stderr

    home = as_user(inventory, client, user, "hdfs dfs -stat '%u:%g %a' /user/$USER")
    assert home.returncode == 0 and home.stdout.split() == [f"{user}:{users_group}", "750"], \
        home.stdout + home.stderr

    payload = f"edge node round trip by {user}"
    trip = as_user(inventory, client, user,
                   f"echo {shlex.quote(payload)} > edge.txt && hdfs dfs -put -f edge.txt && hdfs dfs -cat edge.txt"
                   " && hdfs dfs -rm -skipTrash edge.txt")
    assert trip.returncode == 0 and trip.stdout.splitlines()[0] == payload, trip.stdout + trip.stderr

    apps = as_user(inventory, client, user, "yarn application -list -appStates ALL")
    assert apps.returncode == 0 and "Total number of applications" in apps.stdout + apps.stderr, apps.stdout + apps.stderr

    job = as_user(inventory, client, user, f"yarn jar {EXAMPLES_JAR} pi 2 20", timeout=900)
    assert job.returncode == 0 and "Estimated value of Pi is" in job.stdout, job.stdout[-3000:] + job.stderr[-3000:]
    finished = as_user(inventory, client, user, "yarn application -list -appStates FINISHED")
    assert re.search(rf"\bQuasiMonteCarlo\s+MAPREDUCE\s+{user}\s+\S+\s+FINISHED\s+SUCCEEDED", finished.stdout), \
        finished.stdout + finished.stderr
