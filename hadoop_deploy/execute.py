"""`hadoop-deploy exec`: run one shell command on the nodes; show each node's output and exit code."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any, TextIO

from . import deploy, render, runner
from .errors import UserError


def command_line(words: list[str]) -> str:
    """The words after `--` as one shell command: a single word is taken as written."""
    if words and words[0] == "--":
        words = words[1:]
    if not words:
        raise UserError("no command given", "put the command after --, for example: hadoop-deploy exec inventory/local -- hostname")
    return words[0] if len(words) == 1 else shlex.join(words)


def node_outputs(tally: render.Tally, hosts: list[str]) -> list[dict[str, Any]]:
    """Per node, in inventory order: its exit code, stdout and stderr (or why it was not run)."""
    failures = {f.host: f for f in tally.failures}
    rows = []
    for host in hosts:
        result = tally.results.get(host)
        if result is None:
            continue
        unreachable = host in failures and failures[host].unreachable
        rows.append(
            {
                "host": host,
                "rc": None if unreachable else result.get("rc"),
                "stdout": str(result.get("stdout") or ""),
                "stderr": str(result.get("stderr") or ""),
                "error": failures[host].message if host in failures and ("rc" not in result or unreachable) else "",
            }
        )
    return rows


def render_outputs(rows: list[dict[str, Any]]) -> str:
    lines = []
    for row in rows:
        if row["rc"] is None:
            lines.append(f"== {row['host']}: not run: {row['error']}")
            continue
        lines.append(f"== {row['host']} (exit {row['rc']})")
        if row["stdout"]:
            lines.append(row["stdout"])
        if row["stderr"]:
            lines.extend(f"[stderr] {line}" for line in row["stderr"].splitlines())
        if row["error"] and not row["stdout"] and not row["stderr"]:
            lines.append(row["error"])
    return "\n".join(lines)


def execute(path: Path, words: list[str], limit: str | None = None,
            out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    command = command_line(words)
    inventory = deploy.check_inventory(path, out=out, err=err, quiet=True)
    if inventory is None:
        return 1
    tally = render.Tally()

    def handler(event: render.Event) -> bool:
        tally.feed(event)
        return True

    result = runner.run(
        "exec",
        handler,
        inventory=str(path.absolute()),
        module="ansible.builtin.shell",
        module_args=command,
        host_pattern=limit or "all",
    )
    rows = node_outputs(tally, list(inventory.hosts))
    if not rows:
        if limit and not tally.hosts:
            err.write(f"hadoop-deploy: --limit '{limit}' matches no host of {path}: give host or group names from it\n")
        else:
            err.write(render.summary(tally, result.rc, result.seconds, result.artifacts_shown) + "\n")
        return result.rc or 1
    out.write(render_outputs(rows) + "\n")
    for warning in tally.warnings:
        err.write(f"warning: {warning}\n")
    return result.rc
