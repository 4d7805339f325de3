"""The verbs that run playbooks against an inventory: check it, apply or plan site.yml."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

from . import checks, render, runner
from .errors import UserError
from .inventory import Inventory
from .paths import SITE_PLAYBOOK, display_path


def parse_extra_vars(pairs: list[str] | None) -> dict[str, str]:
    """-e KEY=VALUE arguments as a dict (values stay strings, as with ansible-playbook -e)."""
    extra: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            raise UserError(f"-e '{pair}' is not KEY=VALUE", "write it as -e name=value, for example -e hadoop_version=3.5.0")
        extra[key.strip()] = value
    return extra


def existing_inventory(text: str) -> Path:
    path = Path(text)
    if not path.exists():
        raise UserError(
            f"inventory '{text}' does not exist",
            "give the path of an inventory file or directory, for example inventory/prod (copy it to start one)",
        )
    if path.is_file() and not path.stat().st_mode & 0o444:
        raise UserError(f"inventory '{text}' cannot be read", "check its permissions")
    return path


def check_inventory(path: Path, extra_vars: dict[str, Any] | None = None, out: TextIO | None = None,
                    err: TextIO | None = None, quiet: bool = False) -> Inventory | None:
    """Check the inventory; print its problems. The Inventory when it has no errors, else None."""
    out, err = out or sys.stdout, err or sys.stderr
    inventory, problems = checks.check_path(path, extra_vars)
    found = checks.errors(problems)
    for problem in problems:
        err.write(f"{problem}\n")
    if found:
        err.write(
            f"\nThe inventory {display_path(path)} has {len(found)} error(s); nothing was run and no host was contacted.\n"
        )
        return None
    if not quiet:
        out.write(checks.summary(inventory) + "\n")
    return inventory


def run_site(
    path: Path,
    *,
    check: bool = False,
    diff: bool = False,
    limit: str | None = None,
    tags: str | None = None,
    extra_vars: dict[str, Any] | None = None,
    plan: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """`apply` and `plan`: check the inventory, run site.yml with live progress, summarise."""
    out, err = out or sys.stdout, err or sys.stderr
    inventory = check_inventory(path, extra_vars, out=out, err=err)
    if inventory is None:
        return 1
    if not SITE_PLAYBOOK.is_file():
        raise UserError(f"{display_path(SITE_PLAYBOOK)} is missing", "reinstall the package, or run hadoop-deploy from a complete checkout of the project")
    mode = " (check mode: nothing will change)" if check else ""
    out.write(f"Running {SITE_PLAYBOOK.name} on {display_path(path)}{mode}\n")
    out.flush()
    progress = render.Progress(out)
    result = runner.run(
        "plan" if plan else "apply",
        progress,
        inventory=str(path.absolute()),
        playbook=SITE_PLAYBOOK,
        check=check,
        diff=diff,
        limit=limit,
        tags=tags,
        extravars=extra_vars,
    )
    out.write(render.summary(progress.tally, result.rc, result.seconds, result.artifacts_shown, plan=plan) + "\n")
    return result.rc
