"""The docker role on a throwaway sandbox: `--check --diff` of playbooks/docker.yml on fresh
hosts runs through, shows what it would do, and changes nothing.

(The other acceptance points, bad input included, are checked by the Molecule scenario
`docker` on a converged cluster: molecule/docker/side_effect.yml and verify.yml.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .sandbox import Sandbox, node_list, run_playbook, sandbox

NAME = "hd-docker-neg"
CIDR = "10.42.17.0/24"

# What the role may change on a node: packages, accounts, files and units.
PROBES = [
    "dpkg-query -W -f '${Package} ${Status}\\n' docker.io docker-registry python3-cryptography 2>&1",
    "getent group docker docker-registry; getent passwd docker-registry; id hdadmin 2>&1",
    "ls -lR /etc/docker 2>&1",
    "ls /etc/systemd/system /etc/apt/sources.list.d 2>&1",
    "systemctl is-active docker.service docker-registry.service 2>&1",
]


def _state(box: Sandbox) -> dict[str, str]:
    state = {}
    for host in box.hosts("master") + box.hosts("workers"):
        for probe in PROBES:
            state[f"{host}: {probe}"] = box.exec(host, "sh", "-c", probe).stdout
    return state


def _task_output(out: str, task: str) -> str:
    """The lines ansible-playbook printed for one task (up to the next task)."""
    start = out.find(f"TASK [{task}]")
    assert start >= 0, f"task {task!r} did not run:\n{out[-3000:]}"
    end = out.find("TASK [", start + 1)
    return out[start:end if end > 0 else len(out)]


@pytest.mark.docker
def test_check_mode_on_fresh_hosts_changes_nothing(tmp_path: Path) -> None:
    # The worker is on the public network too, so that it reaches the Debian mirror without
    # the nat role: this test is about the docker role alone.
    nodes = node_list(NAME, workers=1, worker_networks=["public", "private"])
    with sandbox(NAME, CIDR, tmp_path, nodes=nodes) as box:
        # A real Debian server has package lists; the sandbox image has none.
        for host in box.hosts("master") + box.hosts("workers"):
            updated = box.exec(host, "apt-get", "update", "-qq")
            assert updated.returncode == 0, updated.stderr[-2000:]
        fresh = _state(box)

        checked = run_playbook("playbooks/docker.yml", "--check", "--diff", inventory=box.inventory)
        out = checked.stdout
        assert checked.returncode == 0, out[-5000:] + checked.stderr[-2000:]
        # It shows what it would do (install the engine, and the registry on the master)...
        recap = out.split("PLAY RECAP", 1)[-1]
        for host in box.hosts("master") + box.hosts("workers"):
            assert re.search(rf"{host}\s+: ok=\d+\s+changed=[1-9]\d*\s+unreachable=0\s+failed=0", recap), recap
        engine = _task_output(out, "docker : Install the engine's packages")
        for host in box.hosts("master") + box.hosts("workers"):
            assert f"changed: [{host}]" in engine, engine
        registry = _task_output(out, "docker : Install the registry")
        assert f"changed: [{box.hosts('master')[0]}]" in registry, registry
        # ...and does none of it.
        assert _state(box) == fresh
