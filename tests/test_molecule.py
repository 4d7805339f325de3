"""Every Molecule scenario, run in full (`molecule test -s NAME`): create, converge,
idempotence, side effects, verify, destroy."""

from __future__ import annotations

import subprocess
import time

import pytest

from .sandbox import PROJECT, VENV_BIN, ansible_env

# The slowest first (see LONGEST in conftest.py), so that the long ones start at once.
ORDER = ["nfs", "cluster", "docker", "nat", "apt_cache", "locale", "ssh_trust", "users", "etc_hosts", "default"]


def _scenarios() -> list[str]:
    found = {p.parent.name for p in (PROJECT / "molecule").glob("*/molecule.yml")}
    return [s for s in ORDER if s in found] + sorted(found - set(ORDER))


@pytest.mark.docker
@pytest.mark.parametrize("scenario", _scenarios())
def test_molecule_scenario(scenario: str) -> None:
    env = ansible_env()
    env.pop("ANSIBLE_CONFIG", None)  # Molecule writes its own ansible.cfg
    started = time.monotonic()
    result = subprocess.run(
        [str(VENV_BIN / "molecule"), "test", "-s", scenario],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=3600,
    )
    seconds = time.monotonic() - started
    print(f"molecule test -s {scenario}: {seconds:.0f} s")
    log = PROJECT / ".cache" / "molecule-logs" / f"{scenario}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(result.stdout + result.stderr)
    assert result.returncode == 0, f"see {log}\n" + (result.stdout + result.stderr)[-8000:]
