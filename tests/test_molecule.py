"""Every Molecule scenario, run in full (`molecule test -s NAME`): create, converge,
idempotence, side effects, verify, destroy."""

from __future__ import annotations

import subprocess
import time

import pytest

from .sandbox import PROJECT, VENV_BIN, ansible_env

# The slowest first, so that with two pytest workers the long ones start at once.
ORDER = ["nfs", "cluster", "docker", "nat", "locale", "ssh_trust", "users", "etc_hosts", "default"]
# Scenarios known not to pass yet, with the reason. cluster: its converge, verify and
# side_effect pass, but the second converge of site.yml reports ssh_trust's authorized key
# and known_hosts block as changed after the hadoop role has run (not yet understood).
PENDING = {"cluster": "ssh_trust not idempotent after the hadoop role in site.yml"}


def _scenarios() -> list:
    found = {p.parent.name for p in (PROJECT / "molecule").glob("*/molecule.yml")}
    names = [s for s in ORDER if s in found] + sorted(found - set(ORDER))
    return [pytest.param(n, marks=pytest.mark.pending) if n in PENDING else n for n in names]


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
