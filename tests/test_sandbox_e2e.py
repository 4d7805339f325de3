"""End to end, as a newcomer would: `up --workers 2` (hosts reached over SSH as a non-root
account, from a controller whose sudo always fails), then status shows 2 live DataNodes and
2 running NodeManagers, exec runs on the 3 nodes, plan reports no changes, the printed web
UIs answer (directly and through `hadoop-deploy ui`), the NAT play fails without become; a
copy of inventory/prod with the sandbox's names and addresses and two secrets put in passes
`inventory check`, `apply`, verify and `plan`, the secrets in no output, artifact or journal;
the day-2 operations (tests/day2.py: grow to 3 workers, rolling restarts, a reboot,
decommission and recommission); down removes the hosts and keeps the data volumes, down
--purge removes those too."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from hadoop_deploy import sandbox

from . import day2
from .sandbox import hadoop_deploy_cli

PROJECT = Path(__file__).resolve().parent.parent
LOCAL = "inventory/local"
# A sudo that always fails, first on PATH: nothing on the controller may need sudo.
NO_SUDO = PROJECT / "molecule" / "shared" / "controller-without-sudo"
VENV_BIN = Path(sys.executable).parent
S3A_SECRET = "e2e-s3a-s3cr3t-b5f1"
PROXY_SECRET = "e2e-proxy-s3cr3t-7c2a"

pytestmark = [pytest.mark.docker, pytest.mark.e2e]


def controller_env(**extra: str) -> dict[str, str]:
    return dict(os.environ, PATH=f"{NO_SUDO}{os.pathsep}{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra)


def hadoop_deploy(*args: str, timeout: int = 3600, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return hadoop_deploy_cli(*args, env=env or controller_env(), timeout=timeout)


def volumes() -> list[str]:
    return sandbox.data_volumes()


def replace_once(path: Path, old: str, new: str) -> None:
    """Edit the copied example as a user would; fail loudly when the example no longer has `old`."""
    text = path.read_text()
    assert text.count(old) == 1, f"{path.name} should hold {old!r} once: the example changed, update this test"
    path.write_text(text.replace(old, new))


def prod_copy_for_sandbox(where: Path) -> Path:
    """inventory/prod copied, with the sandbox's names and addresses put in where the
    example has its own, the port and the jump host uncommented."""
    lab = where / "mylab"
    shutil.copytree(PROJECT / "inventory" / "prod", lab)
    hosts, group_vars = lab / "hosts.yml", lab / "group_vars" / "all.yml"
    master_public = sandbox.address(sandbox.MASTER, "public")
    for example, ours in (("hadoop-master", sandbox.MASTER), ("hadoop-worker1:", f"{sandbox.NAME}-worker1:"),
                          ("hadoop-worker2:", f"{sandbox.NAME}-worker2:"),
                          ("ansible_host: 192.0.2.10", f"ansible_host: {master_public}"),
                          ("private_ip: 10.42.0.10", f"private_ip: {sandbox.address(sandbox.MASTER, 'private')}"),
                          ("ansible_host: 10.42.0.11", f"ansible_host: {sandbox.address(sandbox.NAME + '-worker1', 'private')}"),
                          ("ansible_host: 10.42.0.12", f"ansible_host: {sandbox.address(sandbox.NAME + '-worker2', 'private')}"),
                          ("      # vars:\n      #   ansible_ssh_common_args: \"-o ProxyJump=debian@192.0.2.10:2122\"",
                           f"      vars:\n        ansible_ssh_common_args: \"-o ProxyJump={sandbox.LOGIN_USER}@{master_public}:{sandbox.SSH_PORT}\""),
                          ("    # ansible_port: 2122", f"    ansible_port: {sandbox.SSH_PORT}")):
        replace_once(hosts, example, ours)
    replace_once(group_vars, "cluster_private_cidr: 10.42.0.0/24", f"cluster_private_cidr: {sandbox.PRIVATE_CIDR}")
    # The tarball cannot be downloaded on the test machines.
    replace_once(group_vars, "# hadoop_source: apache", f"hadoop_source: {sandbox.SETTINGS['hadoop_source']}")
    # Secrets, as a user would keep them in the inventory: a cloud store's key, and the Docker
    # daemon's proxy with a password (an address of the sandbox's, where nothing listens:
    # nothing in this test pulls an image).
    proxy = f"http://e2e:{PROXY_SECRET}@{sandbox.address(sandbox.MASTER, 'private')}:3128"
    with group_vars.open("a") as extra:
        extra.write(f"hadoop_core_site:\n  fs.s3a.secret.key: {S3A_SECRET}\n"
                    f"docker_http_proxy: \"{proxy}\"\ndocker_https_proxy: \"{proxy}\"\n")
    return lab


QUICK_JIT = "-XX:TieredStopAtLevel=1"


def java_command_lines(node: str) -> dict[str, str]:
    """The command line of each Hadoop daemon running on NODE, by daemon (-Dproc_NAME)."""
    ps = subprocess.run(["docker", "exec", node, "ps", "-o", "args=", "-C", "java"], capture_output=True, text=True)
    return {m.group(1): line for line in ps.stdout.splitlines() if (m := re.search(r"-Dproc_(\w+)", line))}


def files_holding(root: Path, needle: str) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def test_sandbox_cluster_from_up_to_down(tmp_path: Path) -> None:
    if sandbox.containers():
        # The name is the user's sandbox's too: only CI, whose machine runs nothing else,
        # takes hosts left under it for an interrupted run's and removes them.
        if not os.environ.get("CI"):
            pytest.skip(f"a sandbox {sandbox.NAME} is running here: this test would remove it (hadoop-deploy down first)")
        left = hadoop_deploy("down", "--purge", "--yes", timeout=600)
        assert left.returncode == 0 and not sandbox.containers(), left.stdout + left.stderr
    try:
        up = hadoop_deploy("up", "--workers", "2")
        assert up.returncode == 0, up.stdout[-4000:] + up.stderr[-4000:]
        assert "The sandbox cluster is ready" in up.stdout
        # The sandbox's JVMs start with the JIT's first tier only (sandbox.SETTINGS).
        daemons = {**java_command_lines(sandbox.MASTER), **java_command_lines(f"{sandbox.NAME}-worker1")}
        assert sorted(daemons) == ["datanode", "httpfs", "jobhistoryserver", "namenode", "nodemanager", "resourcemanager"]
        assert all(QUICK_JIT in line for line in daemons.values()), daemons
        urls = re.findall(r"http://[0-9.]+:[0-9]+/\S*", up.stdout)
        assert [url.split(":")[2].split("/")[0] for url in urls] == ["9870", "8088", "19888", "14000"], up.stdout
        for url in urls:  # each printed web UI answers from this machine
            with urllib.request.urlopen(url, timeout=20) as page:
                assert page.status == 200, url
        # As from outside the private network: the web UIs through an SSH tunnel to the master.
        tunnel = subprocess.Popen([sys.executable, "-m", "hadoop_deploy.cli", "ui", LOCAL], cwd=PROJECT,
                                  env=controller_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            shown = "".join(tunnel.stdout.readline() for _ in range(5)) if tunnel.stdout else ""
            local_urls = re.findall(r"http://127\.0\.0\.1:[0-9]+/\S*", shown)
            assert len(local_urls) == 4, shown + (tunnel.stderr.read() if tunnel.poll() is not None and tunnel.stderr else "")
            for url in local_urls:
                with urllib.request.urlopen(url, timeout=20) as page:
                    assert page.status == 200, url
        finally:
            tunnel.terminate()
            tunnel.wait(timeout=20)
        for url in local_urls:  # a SIGTERM closed the tunnel: its ssh is gone with it
            port = int(url.split(":")[2].split("/")[0])
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
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

        # The path covers privilege: the NAT play with become taken away fails on the hosts.
        no_become = subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", LOCAL, "playbooks/nat.yml",
                                    "-e", "ansible_become=false"], cwd=PROJECT, env=controller_env(),
                                   capture_output=True, text=True, timeout=600)
        assert no_become.returncode != 0 and "Permission denied" in no_become.stdout, no_become.stdout[-3000:]

        # The example inventory, as a user fills it in. What the user's ~/.ssh would hold (the
        # key the hosts accept, their host keys) comes from an ssh_config given to every ssh
        # Ansible starts, the jump to the master included.
        lab = prod_copy_for_sandbox(tmp_path)
        user_ssh = tmp_path / "user-ssh-config"
        keys = sandbox.ssh_dir(PROJECT / LOCAL)
        user_ssh.write_text(f"Host *\n  IdentityFile {keys / 'id_ed25519'}\n  IdentitiesOnly yes\n"
                            f"  UserKnownHostsFile {keys / 'known_hosts'}\n  StrictHostKeyChecking yes\n")
        as_user = controller_env(ANSIBLE_SSH_ARGS=f"-F {user_ssh}")
        check = hadoop_deploy("inventory", "check", str(lab), env=as_user)
        assert check.returncode == 0, check.stdout + check.stderr
        applied = hadoop_deploy("apply", str(lab), env=as_user)
        assert applied.returncode == 0, applied.stdout[-4000:] + applied.stderr[-2000:]
        verify = subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", str(lab), "playbooks/verify.yml"],
                                cwd=PROJECT, env=as_user, capture_output=True, text=True, timeout=1800)
        assert verify.returncode == 0, verify.stdout[-4000:] + verify.stderr[-2000:]
        # The example inventory leaves hadoop_jvm_quick_start off: the daemons were restarted
        # with the JIT's every tier.
        daemons = {**java_command_lines(sandbox.MASTER), **java_command_lines(f"{sandbox.NAME}-worker1")}
        assert len(daemons) == 6 and not any(QUICK_JIT in line for line in daemons.values()), daemons
        # The secrets are where they are used (core-site.xml 0640 root:hadoop, the Docker
        # daemon's 0600 environment file) and nowhere the runs left anything.
        replan = hadoop_deploy("plan", str(lab), env=as_user)
        assert replan.returncode == 0 and "Plan: no changes." in replan.stdout, replan.stdout[-3000:]
        for secret in (S3A_SECRET, PROXY_SECRET):
            assert secret not in applied.stdout + applied.stderr + replan.stdout + replan.stderr
            assert files_holding(PROJECT / "artifacts", secret) == []
        master = ["docker", "exec", sandbox.MASTER]
        shown = subprocess.run([*master, "systemctl", "show", "docker"], capture_output=True, text=True)
        assert shown.returncode == 0 and "EnvironmentFile" in shown.stdout and PROXY_SECRET not in shown.stdout
        mode = subprocess.run([*master, "stat", "-c", "%a %U %G", "/etc/hadoop/core-site.xml"],
                              capture_output=True, text=True).stdout.split()
        assert mode == ["640", "root", "hadoop"]
        held = subprocess.run([*master, "grep", "-c", S3A_SECRET, "/etc/hadoop/core-site.xml"], capture_output=True, text=True)
        assert held.stdout.strip() == "1"
        journal = subprocess.run([*master, "journalctl", "--no-pager", "-o", "cat"], capture_output=True, text=True)
        assert journal.returncode == 0 and journal.stdout
        assert S3A_SECRET not in journal.stdout and PROXY_SECRET not in journal.stdout

        # Back to the sandbox's own inventory, then the day-2 operations on it (tests/day2.py).
        back = hadoop_deploy("apply", LOCAL)
        assert back.returncode == 0, back.stdout[-4000:]
        day2.check_day2(hadoop_deploy, tmp_path)

        down = hadoop_deploy("down")
        assert down.returncode == 0, down.stdout + down.stderr
        assert sandbox.containers() == []
        assert not (PROJECT / LOCAL).exists()
        assert volumes() == ["hd-local-master-data", "hd-local-worker1-data", "hd-local-worker2-data", "hd-local-worker3-data"]
    finally:
        purge = hadoop_deploy("down", "--purge", "--yes")
        assert purge.returncode == 0, purge.stdout + purge.stderr
    assert volumes() == []
