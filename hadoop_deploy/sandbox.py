"""`hadoop-deploy up` / `down`: a whole cluster of systemd containers on this machine.

The hosts are created by playbooks/sandbox/create.yml, the same playbook every Molecule
scenario uses; this module only chooses the names, writes inventory/local/ and runs apply.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import yaml

from . import deploy, render, runner
from .errors import UserError
from .image import CURRENT_TAG, ImageError, ensure_image
from .paths import LOCAL_INVENTORY, PLAYBOOKS_DIR, display_path
from .tunnel import FACT_FILE, admin_user, as_user, web_uis

# Another name and private network, for a second sandbox beside this one (as CI's check of
# the wheel): HADOOP_DEPLOY_SANDBOX_NAME, HADOOP_DEPLOY_SANDBOX_CIDR (create.yml checks them).
NAME = os.environ.get("HADOOP_DEPLOY_SANDBOX_NAME") or "hd-local"
MASTER = f"{NAME}-master"
PRIVATE_CIDR = os.environ.get("HADOOP_DEPLOY_SANDBOX_CIDR") or "10.42.100.0/24"
# Where each node's named volume <node>-data is mounted: the Hadoop data lives there, so
# that `down` and `up` again find it (`down --purge` removes the volumes).
DATA_PATH = "/srv/hadoop"
MAX_WORKERS = 10
MAX_CLIENTS = 3
# What the sandbox's group_vars say beside its private network: Hadoop assembled from Maven
# Central (which a machine without other internet access reaches), and JVMs that start
# quickly on the few cores the nodes share (roles/hadoop/defaults/main.yml).
SETTINGS = {"hadoop_source": "maven", "hadoop_jvm_quick_start": True}
LABEL = "org.hadoop-deploy.sandbox"
CREATE = PLAYBOOKS_DIR / "sandbox" / "create.yml"
DESTROY = PLAYBOOKS_DIR / "sandbox" / "destroy.yml"
# The create/destroy playbooks run on this machine, with the Python that has the docker SDK.
_LOCALHOST = 'localhost ansible_connection=local ansible_python_interpreter="{{ ansible_playbook_python }}"\n'


@dataclass(frozen=True)
class Node:
    name: str
    group: str


def nodes(workers: int, clients: int = 0) -> list[Node]:
    """The master, the workers and the clients (edge nodes: on the private network, as the workers)."""
    return ([Node(MASTER, "master")] + [Node(f"{NAME}-worker{i}", "workers") for i in range(1, workers + 1)]
            + [Node(f"{NAME}-client{i}", "clients") for i in range(1, clients + 1)])


def _docker(*args: str) -> str:
    if shutil.which("docker") is None:
        raise UserError("the docker command is not installed", "apt-get install -y docker.io, then start dockerd")
    proc = subprocess.run(["docker", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise UserError(f"`docker {' '.join(args)}` failed: {proc.stderr.strip()}", "check that the Docker engine runs (docker info)")
    return proc.stdout


def containers() -> list[str]:
    """The sandbox's containers, running or not."""
    out = _docker("ps", "-a", "--filter", f"label={LABEL}={NAME}", "--format", "{{.Names}}")
    return sorted(line for line in out.splitlines() if line)


def data_volumes() -> list[str]:
    out = _docker("volume", "ls", "--format", "{{.Name}}")
    return sorted(v for v in out.splitlines() if re.fullmatch(rf"{re.escape(NAME)}-(master|worker\d+|client\d+)-data", v))


# How Ansible reaches sandbox hosts (playbooks/sandbox/create.yml sets them up for either).
# "ssh", the default, as users reach theirs: SSH as a non-root account with sudo, on a port
# other than 22, the master by its public address and the workers through it, host keys
# checked against the ones the create playbook made. "docker": `docker exec` as root, so
# that `become` runs no sudo (for tests of a single role, where SSH proves nothing more).
CONNECTIONS = ("ssh", "docker")
LOGIN_USER = "debian"
SSH_PORT = 2122
DOCKER_CONNECTION_VARS = {"ansible_connection": "community.docker.docker", "ansible_user": "root"}


def ssh_dir(inventory: Path) -> Path:
    """Where the create playbook leaves the login key, known_hosts and ssh_config. Hidden:
    Ansible reads every other file in an inventory directory as inventory, and refuses
    one it cannot parse (ansible.cfg: any_unparsed_is_failed)."""
    return inventory / ".ssh"


def hosts_dir(inventory: Path) -> Path:
    """Where each sandbox host's /etc/hosts lives (playbooks/sandbox/create.yml:
    sandbox_hosts_dir); hidden, as ssh_dir."""
    return inventory / ".etc-hosts"


def create_vars(connection: str, inventory: Path) -> dict[str, object]:
    """The create playbook's variables that choose the connection."""
    if connection == "docker":
        return {"sandbox_connection": "docker"}
    return {"sandbox_connection": "ssh", "sandbox_login_user": LOGIN_USER, "sandbox_ssh_port": SSH_PORT,
            "sandbox_ssh_dir": str(ssh_dir(inventory).resolve())}


def connection_vars(connection: str, inventory: Path) -> dict[str, object]:
    """The inventory variables that reach hosts made with create_vars(connection, inventory)."""
    if connection == "docker":
        return dict(DOCKER_CONNECTION_VARS)
    return {"ansible_connection": "ssh", "ansible_user": LOGIN_USER, "ansible_port": SSH_PORT,
            "ansible_ssh_common_args": f"-F {ssh_dir(inventory).resolve() / 'ssh_config'}"}


def write_inventory(members: list[Node], connection: str = "ssh", *, directory: Path = LOCAL_INVENTORY) -> Path:
    """inventory/local/: the sandbox's hosts, how they are reached, and its group_vars."""
    groups: dict[str, dict[str, dict[str, None]]] = {}
    for node in members:
        groups.setdefault(node.group, {"hosts": {}})["hosts"][node.name] = None
    hosts = {"all": {"vars": connection_vars(connection, directory), "children": groups}}
    group_vars = {"cluster_private_cidr": PRIVATE_CIDR, **SETTINGS}
    (directory / "group_vars").mkdir(parents=True, exist_ok=True)
    header = "---\n# Written by `hadoop-deploy up`; rewritten by each `up`, removed by `down`.\n"
    (directory / "hosts.yml").write_text(header + yaml.safe_dump(hosts, sort_keys=False).replace(": null", ":"))
    (directory / "group_vars" / "all.yml").write_text(
        header
        + "# The sandbox's private network (playbooks/sandbox/create.yml makes it), Hadoop assembled\n"
        + "# from Maven Central, and JVMs that start quickly (hadoop_jvm_quick_start: for a sandbox).\n"
        + yaml.safe_dump(group_vars)
    )
    return directory


def address(container: str = MASTER, network: str = "public") -> str:
    """The container's address on the sandbox's "public" or "private" network ('' if none)."""
    out = _docker("inspect", "--format", "{{json .NetworkSettings.Networks}}", container)
    networks = json.loads(out or "{}")
    return str((networks.get(f"{NAME}-{network}") or {}).get("IPAddress") or "")


def _run_playbook(verb: str, playbook: Path, extravars: dict[str, object], out: TextIO) -> runner.RunResult:
    progress = render.Progress(out)
    result = runner.run(verb, progress, inventory=_LOCALHOST, playbook=playbook, extravars=extravars)
    if result.rc != 0:
        out.write(render.summary(progress.tally, result.rc, result.seconds, result.artifacts_shown) + "\n")
    return result


def up(workers: int, connection: str = "ssh", out: TextIO | None = None, err: TextIO | None = None,
       clients: int = 0) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    if not 1 <= workers <= MAX_WORKERS:
        raise UserError(f"--workers {workers} is out of range", f"give a number from 1 to {MAX_WORKERS}")
    if not 0 <= clients <= MAX_CLIENTS:
        raise UserError(f"--clients {clients} is out of range", f"give a number from 0 to {MAX_CLIENTS}")
    if connection not in CONNECTIONS:
        raise UserError(f"--connection {connection} is not known", f"give one of {', '.join(CONNECTIONS)}")
    members = nodes(workers, clients)
    have = containers()
    extra = sorted(set(have) - {n.name for n in members})
    if extra:
        raise UserError(
            f"the sandbox already has hosts that --workers {workers} --clients {clients} leaves out: {', '.join(extra)}",
            f"run `hadoop-deploy up --workers {sum('-worker' in h for h in have)} --clients {sum('-client' in h for h in have)}`,"
            " or `hadoop-deploy down` first to resize it",
        )
    started = time.monotonic()
    out.write(f"Host image {CURRENT_TAG}: ")
    out.flush()
    try:
        image = ensure_image()
    except ImageError as exc:
        raise UserError(str(exc), "see the message above; `hadoop-deploy image build` retries the build") from exc
    out.write(f"{'built' if image.built else 'present'} ({image.ref})\n")
    reach = f"SSH as {LOGIN_USER} on port {SSH_PORT}" if connection == "ssh" else "docker exec as root"
    hosts = f"{workers} worker(s)" + (f" and {clients} client(s)" if clients else "")
    out.write(f"Starting {MASTER} and {hosts} on {PRIVATE_CIDR}, reached by {reach}\n")
    out.flush()
    created = _run_playbook(
        "up",
        CREATE,
        {
            "sandbox_name": NAME,
            "sandbox_nodes": [{"name": n.name, "groups": [n.group]} for n in members],
            "sandbox_private_cidr": PRIVATE_CIDR,
            "sandbox_data_path": DATA_PATH,
            # Each host keeps its /etc/hosts across restarts (a reboot), as a server does.
            "sandbox_hosts_dir": str(hosts_dir(LOCAL_INVENTORY).resolve()),
            **create_vars(connection, LOCAL_INVENTORY),
        },
        out,
    )
    if created.rc != 0:
        err.write("hadoop-deploy: the sandbox hosts could not be created (see above)\n")
        return created.rc
    inventory = write_inventory(members, connection)
    out.write(f"Hosts up in {created.seconds:.0f} s; inventory written to {display_path(inventory)}\n\n")
    rc = deploy.run_site(inventory, out=out, err=err)
    if rc != 0:
        err.write(
            f"hadoop-deploy: the sandbox hosts are up but apply failed; fix the cause, then run "
            f"`hadoop-deploy apply {display_path(inventory)}` (or `hadoop-deploy down`)\n"
        )
        return rc
    out.write(_welcome(members, connection, time.monotonic() - started))
    return 0


def _welcome(members: list[Node], connection: str, seconds: float) -> str:
    # The private address: this machine holds the private bridge's first address, so it
    # reaches the master there as a host on the private network would; the public side of a
    # real master is no place for web UIs without authentication.
    master = address(MASTER, "private")
    admin = admin_user()
    inv = display_path(LOCAL_INVENTORY)
    workers = [n.name for n in members if n.group == "workers"]
    clients = [n.name for n in members if n.group == "clients"]
    lines = [
        "",
        f"The sandbox cluster is ready in {seconds:.0f} s: master {MASTER}, workers {', '.join(workers)}"
        + (f", clients (edge nodes) {', '.join(clients)}." if clients else "."),
        "",
        "Web UIs (from this machine):",
        *[f"  {label:<22} http://{master or MASTER}:{port}{as_user(page, admin)}"
          for label, _, port, page in web_uis(_docker("exec", MASTER, "cat", FACT_FILE), MASTER)],
        "",
        "Use it:",
        f"  hadoop-deploy status {inv}              the services and the cluster's health",
        f"  hadoop-deploy exec {inv} -- hostname    a command on every node (--limit master for one)",
        (f"  ssh -F {display_path(ssh_dir(LOCAL_INVENTORY) / 'ssh_config')} {MASTER}"
         f"    a shell on the master (as {LOGIN_USER}, with sudo)" if connection == "ssh" else
         f"  docker exec -it {MASTER} bash          a shell on the master"),
        f"  hadoop-deploy plan {inv}                what apply would change (nothing, right after up)",
        f"  hadoop-deploy ui {inv}                  the web UIs through SSH, as from outside the private network",
        "  hadoop-deploy down                          remove the hosts, keep HDFS data (--purge removes it)",
        "",
    ]
    return "\n".join(lines)


def down(purge: bool, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    names = set(containers()) | set(_inventory_hosts())
    if purge:
        names |= {v.removesuffix("-data") for v in data_volumes()}
    if not names:
        out.write(f"No sandbox named {NAME} here: nothing to remove.\n")
        return 0
    out.write(f"Removing the sandbox {NAME} ({', '.join(sorted(names))}){' and its data' if purge else ''}\n")
    out.flush()
    result = _run_playbook(
        "down",
        DESTROY,
        {"sandbox_name": NAME, "sandbox_nodes": [{"name": n} for n in sorted(names)], "sandbox_purge": purge},
        out,
    )
    if result.rc != 0:
        err.write("hadoop-deploy: the sandbox could not be removed completely (see above); run down again\n")
        return result.rc
    if LOCAL_INVENTORY.is_dir():
        shutil.rmtree(LOCAL_INVENTORY)
    kept = data_volumes()
    out.write(f"Removed in {result.seconds:.0f} s.")
    if kept:
        out.write(f" Data kept in volumes {', '.join(kept)}: `hadoop-deploy up` finds it again; `down --purge` removes it.")
    out.write("\n")
    return 0


def _inventory_hosts() -> list[str]:
    hosts_file = LOCAL_INVENTORY / "hosts.yml"
    if not hosts_file.is_file():
        return []
    try:
        content = yaml.safe_load(hosts_file.read_text()) or {}
        groups = content["all"]["children"].values()
        return [str(h) for g in groups for h in (g.get("hosts") or {})]
    except (yaml.YAMLError, KeyError, AttributeError, TypeError):
        return []
