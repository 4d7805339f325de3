"""Test helpers: throwaway sandboxes made with the project's own host-creation playbook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from hadoop_deploy.sandbox import LABEL, connection_vars, create_vars

PROJECT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(os.environ.get("VIRTUAL_ENV", PROJECT / ".venv")) / "bin"


def ansible_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ANSIBLE_ROLES_PATH=str(PROJECT / "roles"),
        ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"),
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_STDOUT_CALLBACK="default",
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def run_playbook(playbook: str | Path, *args: str, inventory: Path | None = None,
                 extra_vars: dict | None = None, timeout: int = 1800,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ansible-playbook from the project directory (in `env`, ansible_env() by default);
    never raises on a failed play."""
    cmd = [str(VENV_BIN / "ansible-playbook")]
    if inventory is not None:
        cmd += ["-i", str(inventory)]
    for key, value in (extra_vars or {}).items():
        cmd += ["-e", yaml.safe_dump({key: value}, default_flow_style=True).strip()]
    cmd += [str(PROJECT / playbook), *args]
    return subprocess.run(cmd, cwd=PROJECT, env=env or ansible_env(), capture_output=True, text=True,
                          timeout=timeout)


def run_local_play(workdir: Path, play: dict, *args: str, env: dict[str, str] | None = None,
                   timeout: int = 300) -> tuple[subprocess.CompletedProcess[str], dict | None]:
    """Run `play` on localhost (connection local unless it says otherwise) from a playbook
    written in `workdir`, then write its registered variable `r` out as JSON; return the
    process and that result (None when the play stopped before it)."""
    result_file = workdir / "result.json"
    result_file.unlink(missing_ok=True)
    play = {"hosts": "localhost", "connection": "local", "gather_facts": False, **play}
    play["post_tasks"] = [*play.get("post_tasks", []), {
        "name": "result", "ansible.builtin.copy": {"content": "{{ r | to_json }}", "dest": str(result_file)},
        "check_mode": False, "diff": False}]
    playbook = workdir / "play.yml"
    playbook.write_text(yaml.safe_dump([play]))
    proc = run_playbook(playbook, "-i", "localhost,", *args, env=env, timeout=timeout)
    if not result_file.exists():
        return proc, None
    result = json.loads(result_file.read_text())
    result_file.unlink()
    return proc, result


def hadoop_deploy_cli(*args: str, env: dict[str, str], cwd: Path = PROJECT,
                      timeout: int = 3600) -> subprocess.CompletedProcess[str]:
    """The `hadoop-deploy` command of this checkout, as a user runs it (no stdin); prints how
    long it took; never raises on a failed command."""
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "hadoop_deploy.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    print(f"hadoop-deploy {' '.join(args)}: exit {proc.returncode} in {time.monotonic() - started:.0f} s")
    return proc


def sandbox_containers(name: str) -> list[str]:
    """The containers of the sandbox NAME, running or not."""
    out = subprocess.run(["docker", "ps", "-a", "--filter", f"label={LABEL}={name}", "--format", "{{.Names}}"],
                         capture_output=True, text=True, check=True).stdout
    return sorted(out.split())


@dataclass(frozen=True)
class OwnSandbox:
    """A sandbox a test makes with `hadoop-deploy up` under a name, private network and data
    directory of its own (HADOOP_DEPLOY_DATA_DIR), so that it runs beside hd-local and the
    other tests' sandboxes."""

    name: str
    cidr: str
    data: Path

    @property
    def inventory(self) -> Path:
        return self.data / "inventory" / "local"

    def env(self) -> dict[str, str]:
        return dict(os.environ, HADOOP_DEPLOY_SANDBOX_NAME=self.name, HADOOP_DEPLOY_SANDBOX_CIDR=self.cidr,
                    HADOOP_DEPLOY_DATA_DIR=str(self.data), PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")

    def cli(self, *args: str, timeout: int = 3600) -> subprocess.CompletedProcess[str]:
        return hadoop_deploy_cli(*args, env=self.env(), cwd=self.data, timeout=timeout)

    def remove(self) -> None:
        """`down --purge`, unless HADOOP_DEPLOY_KEEP_SANDBOX is set (to look at a failure;
        the next run removes it first)."""
        if os.environ.get("HADOOP_DEPLOY_KEEP_SANDBOX"):
            print(f"kept the sandbox {self.name}: HADOOP_DEPLOY_DATA_DIR={self.data} (HADOOP_DEPLOY_KEEP_SANDBOX)")
            return
        down = self.cli("down", "--purge", "--yes", timeout=600)
        assert down.returncode == 0, down.stdout + down.stderr

    def remove_leftover(self) -> None:
        """Hosts under this name are left only by an interrupted run of the same test (the
        name is the test's own): remove them, data and all, before starting again."""
        if sandbox_containers(self.name):
            down = self.cli("down", "--purge", "--yes", timeout=600)
            assert down.returncode == 0, down.stdout + down.stderr
        assert sandbox_containers(self.name) == []


@dataclass
class Sandbox:
    """A live sandbox: its name, its nodes and an inventory file that reaches them."""

    name: str
    nodes: list[dict]
    private_cidr: str
    inventory: Path

    def hosts(self, group: str) -> list[str]:
        return [n["name"] for n in self.nodes if group in n.get("groups", [])]

    def exec(self, host: str, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["docker", "exec", host, *command], capture_output=True, text=True)


def node_list(name: str, workers: int = 2, worker_networks: Sequence[str] | None = None) -> list[dict]:
    nodes: list[dict] = [{"name": f"{name}-master", "groups": ["master"]}]
    for i in range(1, workers + 1):
        node: dict = {"name": f"{name}-worker{i}", "groups": ["workers"]}
        if worker_networks is not None and i == 1:
            node["networks"] = list(worker_networks)
        nodes.append(node)
    return nodes


def write_inventory(path: Path, nodes: list[dict], group_vars: dict) -> None:
    groups: dict[str, dict] = {}
    for node in nodes:
        for group in node.get("groups", []):
            groups.setdefault(group, {"hosts": {}})["hosts"][node["name"]] = {}
    inventory = {
        "all": {
            "vars": {**connection_vars("docker", path.parent), **group_vars},
            "children": groups,
        }
    }
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))


@contextmanager
def sandbox(name: str, private_cidr: str, tmp_path: Path, nodes: list[dict] | None = None,
            group_vars: dict | None = None) -> Iterator[Sandbox]:
    """Create hosts with playbooks/sandbox/create.yml; always destroy them afterwards."""
    nodes = nodes if nodes is not None else node_list(name)
    inventory = tmp_path / f"{name}.yml"
    write_inventory(inventory, nodes, {"cluster_private_cidr": private_cidr, **(group_vars or {})})
    # Reached with docker exec as root (write_inventory): these tests prove one role each.
    box_vars = {"sandbox_name": name, "sandbox_nodes": nodes, "sandbox_private_cidr": private_cidr,
                **create_vars("docker", tmp_path)}
    try:
        created = run_playbook("playbooks/sandbox/create.yml", extra_vars=box_vars)
        assert created.returncode == 0, f"sandbox {name} could not be created:\n{created.stdout[-3000:]}\n{created.stderr[-3000:]}"
        yield Sandbox(name=name, nodes=nodes, private_cidr=private_cidr, inventory=inventory)
    finally:
        run_playbook("playbooks/sandbox/destroy.yml", extra_vars={**box_vars, "sandbox_purge": True})
