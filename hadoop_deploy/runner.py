"""Run a playbook or a module through ansible-runner, with the project's configuration."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .paths import ANSIBLE_CFG, ARTIFACTS_DIR, PROJECT_DIR, display_path

EventHandler = Callable[[dict[str, Any]], Any]
# How many runs keep their artifacts: the oldest beyond that are removed before a run. They
# hold module arguments and diffs, so the folder is the user's only (0700).
KEEP_ARTIFACTS = 20


@dataclass
class RunResult:
    rc: int
    status: str
    artifacts: Path
    seconds: float

    @property
    def artifacts_shown(self) -> str:
        return display_path(self.artifacts)


def _env() -> dict[str, str]:
    env = {
        "ANSIBLE_CONFIG": str(ANSIBLE_CFG),
        "ANSIBLE_NOCOLOR": "1",
        # ansible.cfg turns pipelining on for SSH only; the sandbox's docker connection
        # needs it too (one `docker exec` per task instead of four).
        "ANSIBLE_PIPELINING": os.environ.get("ANSIBLE_PIPELINING", "True"),
        # ansible-runner turns host key checking off unless told; keep the project's choice.
        "ANSIBLE_HOST_KEY_CHECKING": os.environ.get("ANSIBLE_HOST_KEY_CHECKING", "True"),
        # ansible-playbook from the same environment as this command, activated or not.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    return env


def prepare_artifacts(directory: Path = ARTIFACTS_DIR, keep: int = KEEP_ARTIFACTS) -> None:
    """Make DIRECTORY private (0700, also when it already exists) and remove the oldest runs'
    artifacts so that, with the run about to start, at most KEEP runs are there."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)
    runs = sorted((p for p in directory.iterdir() if p.is_dir() and not p.is_symlink()), key=lambda p: p.stat().st_mtime)
    for old in runs[: max(len(runs) - (keep - 1), 0)]:
        shutil.rmtree(old)


def _ident(verb: str) -> str:
    return f"{verb}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"


def run(
    verb: str,
    handler: EventHandler,
    *,
    inventory: str,
    playbook: Path | None = None,
    module: str | None = None,
    module_args: str | None = None,
    host_pattern: str = "all",
    check: bool = False,
    diff: bool = False,
    limit: str | None = None,
    tags: str | None = None,
    extravars: dict[str, Any] | None = None,
) -> RunResult:
    """Run PLAYBOOK (or MODULE ad hoc) and hand every event to HANDLER as it happens."""
    import ansible_runner

    def on_event(event: dict[str, Any]) -> bool:
        handler(event)
        return True  # without this ansible-runner drops the event and runner.stats stays empty

    cmdline = " ".join(flag for flag, wanted in (("--check", check), ("--diff", diff)) if wanted)
    prepare_artifacts()
    kwargs: dict[str, Any] = {
        "project_dir": str(PROJECT_DIR),
        "artifact_dir": str(ARTIFACTS_DIR),
        "ident": _ident(verb),
        "inventory": inventory,
        "envvars": _env(),
        "extravars": extravars or {},
        "quiet": True,
        "suppress_env_files": True,
        "event_handler": on_event,
    }
    if playbook is not None:
        kwargs["playbook"] = str(playbook)
    else:
        kwargs.update(module=module, module_args=module_args, host_pattern=host_pattern)
    if cmdline:
        kwargs["cmdline"] = cmdline
    if limit:
        kwargs["limit"] = limit
    if tags:
        kwargs["tags"] = tags
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hadoop-deploy-") as private_data_dir:
        result = ansible_runner.run(private_data_dir=private_data_dir, **kwargs)
    rc = result.rc if isinstance(result.rc, int) else 1
    if rc == 0 and result.status != "successful":
        rc = 1
    return RunResult(rc=rc, status=str(result.status), artifacts=Path(result.config.artifact_dir), seconds=time.monotonic() - started)
