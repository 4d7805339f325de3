"""The package as users get it: a wheel built from this tree, installed (not editable) in a
fresh virtualenv, run from an empty directory: --version, inventory check on a copy of
inventory/prod, and a sandbox made with `up` (its own name and network, so that it runs
beside the sandbox hd-local) and removed again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .sandbox import PROJECT, sandbox_containers

pytestmark = [pytest.mark.docker, pytest.mark.e2e]

NAME = "hd-wheel"
CIDR = "10.42.88.0/24"


def _run(*cmd: str | Path, cwd: Path, env: dict[str, str], timeout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def test_the_wheel_installs_and_runs_from_any_directory(tmp_path: Path) -> None:
    started = time.monotonic()
    # Nothing of this checkout's environment: the installed package must find its own files.
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME") and not k.startswith("ANSIBLE_")}
    dist, venv, work, data = (tmp_path / d for d in ("dist", "venv", "work", "data"))
    work.mkdir()
    # Built from a copy of the files git has or would add: a build in the tree leaves build/
    # there (a second copy of every playbook for the linters) and packs stray files.
    files = _run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard",
                 cwd=PROJECT, env=env, timeout=60)
    assert files.returncode == 0, files.stderr
    source = tmp_path / "source"
    for name in filter(None, files.stdout.split("\0")):
        if (PROJECT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT / name, source / name)
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, source,
                 cwd=tmp_path, env=env, timeout=600)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    wheel = next(dist.glob("hadoop_deploy-*.whl"))
    made = _run(sys.executable, "-m", "venv", venv, cwd=tmp_path, env=env, timeout=120)
    assert made.returncode == 0, made.stderr
    installed = _run(venv / "bin" / "pip", "install", "-q", wheel, cwd=tmp_path, env=env, timeout=1200)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    print(f"wheel built and installed in {time.monotonic() - started:.0f} s")

    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", XDG_DATA_HOME=str(data),
               HADOOP_DEPLOY_SANDBOX_NAME=NAME, HADOOP_DEPLOY_SANDBOX_CIDR=CIDR)
    where = _run(venv / "bin" / "python", "-c", "import hadoop_deploy.paths as p; print(p.PROJECT_DIR)",
                 cwd=work, env=env, timeout=60)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout + where.stderr

    def hadoop_deploy(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
        return _run(venv / "bin" / "hadoop-deploy", *args, cwd=work, env=env, timeout=timeout)

    version = hadoop_deploy("--version")
    assert version.returncode == 0 and version.stdout.startswith("hadoop-deploy "), version.stdout + version.stderr
    shutil.copytree(PROJECT / "inventory" / "prod", work / "prod")
    check = hadoop_deploy("inventory", "check", "prod")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "prod/hosts.yml: OK: master hadoop-master" in check.stdout

    if sandbox_containers(NAME):  # the test's own name: left by an interrupted run of it
        left = hadoop_deploy("down", "--purge", "--yes", timeout=600)
        assert left.returncode == 0, left.stdout + left.stderr
    assert sandbox_containers(NAME) == []
    up_started = time.monotonic()
    try:
        up = hadoop_deploy("up", "--workers", "1", timeout=1800)
        assert up.returncode == 0, up.stdout[-6000:] + up.stderr[-3000:]
        print(f"up --workers 1 in {time.monotonic() - up_started:.0f} s")
        assert f"Starting {NAME}-master and 1 worker(s) on {CIDR}" in up.stdout
        assert "The sandbox cluster is ready" in up.stdout
        inventory = data / "hadoop-deploy" / "inventory" / "local"
        assert (inventory / "hosts.yml").is_file() and any((data / "hadoop-deploy" / "artifacts").iterdir())
        status = hadoop_deploy("status", str(inventory), timeout=600)
        assert status.returncode == 0, status.stdout[-3000:] + status.stderr[-3000:]
        assert sorted(p.name for p in work.iterdir()) == ["prod"]  # nothing written where it runs
    finally:
        down = hadoop_deploy("down", "--purge", "--yes", timeout=600)
    assert down.returncode == 0, down.stdout + down.stderr
    assert sandbox_containers(NAME) == []
    print(f"the whole check took {time.monotonic() - started:.0f} s")
