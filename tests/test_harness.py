"""The harness's own checks: the default scenario's verify must fail on a wrong topology."""

from __future__ import annotations

from pathlib import Path

import pytest

from .sandbox import node_list, run_playbook, sandbox


@pytest.mark.docker
def test_verify_fails_when_a_worker_is_on_the_public_network(tmp_path: Path) -> None:
    name = "hd-wrongtopo"
    cidr = "10.42.50.0/24"
    # worker1 is wrongly on the public network as well as the private one.
    nodes = node_list(name, workers=2, worker_networks=["private", "public"])
    with sandbox(name, cidr, tmp_path, nodes=nodes) as box:
        result = run_playbook(
            "molecule/default/verify.yml",
            inventory=box.inventory,
            extra_vars={"verify_public_network": f"{name}-public"},
        )
    out = result.stdout
    assert result.returncode != 0, out[-3000:]
    assert f"worker {name}-worker1 has an address on the public network" in out, out[-3000:]
    # The same checks pass for the worker that is where it should be.
    assert f"worker {name}-worker2 has an address" not in out
    assert f"fatal: [{name}-worker2]" not in out and f"failed: [{name}-worker2]" not in out
