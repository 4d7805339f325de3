"""The verbs that run playbooks against an inventory: check it, apply or plan site.yml."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

import yaml

from . import checks, render, runner
from .errors import UserError
from .inventory import Inventory
from .paths import PLAYBOOKS_DIR, SITE_PLAYBOOK, display_path


def parse_extra_vars(pairs: list[str] | None) -> dict[str, Any]:
    """-e arguments as a dict, as ansible-playbook reads them: KEY=VALUE (the value stays a
    string) or a JSON/YAML mapping ('{"hadoop_http_anonymous": true}') for other types."""
    extra: dict[str, Any] = {}
    for pair in pairs or []:
        if pair.lstrip().startswith("{"):
            try:
                mapping = yaml.safe_load(pair)
            except yaml.YAMLError as exc:
                raise UserError(f"-e '{pair}' is not a JSON or YAML mapping: {exc}",
                                "write it as -e '{\"name\": value}', for example -e '{\"hadoop_http_anonymous\": true}'") from exc
            extra.update({str(k): v for k, v in mapping.items()})
            continue
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


def run_site(path: Path, *, plan: bool = False, **options: Any) -> int:
    """`apply` and `plan`: check the inventory, run site.yml with live progress, summarise.
    OPTIONS: run_playbook's (check, diff, limit, tags, extra_vars, out, err)."""
    return run_playbook(path, SITE_PLAYBOOK, "plan" if plan else "apply", plan=plan, **options)


# The day-2 verbs and their playbooks (each says what it does in its header).
DAY2_PLAYBOOKS = {name: PLAYBOOKS_DIR / f"{name}.yml" for name in ("restart", "decommission", "recommission")}


def run_day2(verb: str, path: Path, *, hosts: list[str] | None = None, services: list[str] | None = None,
             limit: str | None = None, extra_vars: dict[str, Any] | None = None,
             out: TextIO | None = None, err: TextIO | None = None) -> int:
    """`restart`, `decommission`, `recommission`: check the inventory, then run the verb's playbook."""
    extra = dict(extra_vars or {})
    if hosts is not None:
        extra["hadoop_decommission_hosts"] = hosts
    if services is not None:
        extra["hadoop_restart_services"] = services
    return run_playbook(path, DAY2_PLAYBOOKS[verb], verb, limit=limit, extra_vars=extra, out=out, err=err)


def run_playbook(
    path: Path,
    playbook: Path,
    verb: str,
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
    """Check the inventory, run PLAYBOOK with live progress, summarise."""
    out, err = out or sys.stdout, err or sys.stderr
    inventory = check_inventory(path, extra_vars, out=out, err=err)
    if inventory is None:
        return 1
    if not playbook.is_file():
        raise UserError(f"{display_path(playbook)} is missing",
                        "reinstall the package, or run hadoop-deploy from a complete checkout of the project")
    mode = " (check mode: nothing will change)" if check else ""
    out.write(f"Running {playbook.name} on {display_path(path)}{mode}\n")
    out.flush()
    progress = render.Progress(out)
    result = runner.run(
        verb,
        progress,
        inventory=str(path.absolute()),
        playbook=playbook,
        check=check,
        diff=diff,
        limit=limit,
        tags=tags,
        extravars=extra_vars,
    )
    out.write(render.summary(progress.tally, result.rc, result.seconds, result.artifacts_shown, plan=plan) + "\n")
    return result.rc
