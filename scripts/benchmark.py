#!/usr/bin/env python3
"""Benchmark: seconds from fresh hosts to a verified cluster, and of a no-op re-run.

For each connection (--connections, default both: SSH as the non-root account, as users'
hosts are reached, and docker exec as root), creates a throwaway sandbox (a master and N
workers, playbooks/sandbox/create.yml), runs site.yml then playbooks/verify.yml on it,
runs site.yml again (which must change nothing), removes the sandbox; then prints the
figures of each side by side. Not a test: it asserts nothing about speed.

With --patches, also runs the no-op re-run with each of the strategy plugin's patches
turned off in turn (HADOOP_DEPLOY_PATCHES_OFF, plugins/strategy/mitogen_linear.py), and
with all of them off (plain Mitogen), --rounds times interleaved, and prints the medians;
--patches a,b only those (and every patch on), without the all-off variant.

Usage: .venv/bin/python scripts/benchmark.py [--workers N] [--connections ssh,docker] [--keep]
                                             [--patches [LIST] [--rounds N]]
Targets on a 2-core machine: fresh -> verified <= 300 s, no-op re-run <= 30 s.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from hadoop_deploy import sandbox

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NAME = "hd-bench"
CIDR = "10.42.90.0/24"


def patch_names() -> tuple[str, ...]:
    """The strategy plugin's patches, by the names HADOOP_DEPLOY_PATCHES_OFF takes."""
    spec = importlib.util.spec_from_file_location("mitogen_linear", PROJECT / "plugins" / "strategy" / "mitogen_linear.py")
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    return plugin.PATCH_NAMES


def playbook(path: str, *args: str, inventory: Path | None = None,
             log: Path | None = None, strategy: str | None = None,
             patches_off: str = "") -> tuple[float, str]:
    """Run one playbook; return its seconds and output (also written to `log` when given)."""
    cmd = [str(BIN / "ansible-playbook"), *(["-i", str(inventory)] if inventory else []), path, *args]
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               PROFILE_TASKS_TASK_OUTPUT_LIMIT="all")
    if strategy:
        env["ANSIBLE_STRATEGY"] = strategy
    if patches_off:
        env["HADOOP_DEPLOY_PATCHES_OFF"] = patches_off
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=PROJECT, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if log:
        log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-5000:] + proc.stderr[-2000:])
        raise SystemExit(f"benchmark: {path} failed (exit {proc.returncode})")
    return seconds, proc.stdout


def changed_total(output: str) -> int:
    return sum(int(n) for n in re.findall(r"\bchanged=(\d+)", output))


@dataclass
class Figures:
    create: float
    site: float
    verify: float
    rerun: float
    rerun_changed: int
    # --patches: the no-op re-run's seconds per round with each patch off ("" = none off).
    without: dict[str, list[float]]

    @property
    def fresh(self) -> float:
        return self.create + self.site + self.verify


def measure(connection: str, workers: int, strategy: str | None, keep: bool,
            log: Callable[[str], Path | None], variants: tuple[str, ...] = (), rounds: int = 0) -> Figures:
    """One sandbox reached by `connection`: fresh hosts -> verified, then a no-op re-run."""
    nodes = [{"name": f"{NAME}-master", "groups": ["master"]}] + [
        {"name": f"{NAME}-worker{i}", "groups": ["workers"]} for i in range(1, workers + 1)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        box = {"sandbox_name": NAME, "sandbox_nodes": nodes, "sandbox_private_cidr": CIDR,
               **sandbox.create_vars(connection, where)}
        box_file = where / "sandbox.yml"
        box_file.write_text(yaml.safe_dump(box))
        inventory = where / "hosts.yml"
        inventory.write_text(yaml.safe_dump({"all": {
            "vars": {**sandbox.connection_vars(connection, where),
                     "cluster_private_cidr": CIDR, "hadoop_source": "maven"},
            "children": {
                "master": {"hosts": {nodes[0]["name"]: {}}},
                "workers": {"hosts": {n["name"]: {} for n in nodes[1:]}},
            }}}))
        playbook("playbooks/sandbox/destroy.yml", "-e", f"@{box_file}", "-e", "sandbox_purge=true")
        timed = functools.partial(playbook, inventory=inventory, strategy=strategy)
        try:
            create_s, _ = playbook("playbooks/sandbox/create.yml", "-e", f"@{box_file}")
            site_s, _ = timed("site.yml", log=log(f"{connection}-1-site-fresh"))
            verify_s, _ = timed("playbooks/verify.yml", log=log(f"{connection}-2-verify"))
            rerun_s, rerun_out = timed("site.yml", log=log(f"{connection}-3-site-rerun"))
            # Interleaved, so that the machine's drift spreads over every variant alike.
            without: dict[str, list[float]] = {off: [] for off in variants}
            for n in range(1, rounds + 1):
                for off in without:
                    seconds, out = timed("site.yml", patches_off=off,
                                         log=log(f"{connection}-4-rerun-{n}-without-{off or 'none'}"))
                    if changed_total(out):
                        raise SystemExit(f"benchmark: the no-op re-run without {off or 'no patch'} changed something")
                    without[off].append(seconds)
        finally:
            if not keep:
                playbook("playbooks/sandbox/destroy.yml", "-e", f"@{box_file}", "-e", "sandbox_purge=true")
    return Figures(create_s, site_s, verify_s, rerun_s, changed_total(rerun_out), without)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", default=",".join(sandbox.CONNECTIONS), metavar="LIST",
                        help="comma-separated: ssh (non-root account over SSH), docker (docker exec as root)")
    parser.add_argument("--keep", action="store_true", help="leave the (last) sandbox running")
    parser.add_argument("--strategy", metavar="NAME",
                        help="run site.yml and verify with this strategy instead of ansible.cfg's "
                             "(linear: without Mitogen)")
    parser.add_argument("--patches", nargs="?", const="", metavar="LIST",
                        help="also time the no-op re-run with each strategy-plugin patch off (or those "
                             "in the comma-separated LIST), and all off")
    parser.add_argument("--rounds", type=int, default=3, metavar="N",
                        help="with --patches: no-op re-runs per variant (default 3; medians printed)")
    parser.add_argument("--log-dir", type=Path, metavar="DIR",
                        help="keep each playbook's output (with its per-task times) in DIR")
    args = parser.parse_args()
    connections = [c for c in args.connections.split(",") if c]
    unknown = set(connections) - set(sandbox.CONNECTIONS)
    if unknown or not connections:
        parser.error(f"--connections takes {', '.join(sandbox.CONNECTIONS)} (got {args.connections!r})")
    variants: tuple[str, ...] = ()  # HADOOP_DEPLOY_PATCHES_OFF of each no-op variant
    if args.patches is not None:
        if args.strategy or args.rounds < 1:
            parser.error("--patches measures the default strategy's patches: no --strategy, --rounds >= 1")
        known = patch_names()
        chosen = tuple(p for p in args.patches.split(",") if p)
        if set(chosen) - set(known):
            parser.error(f"--patches takes names from {', '.join(known)} (got {args.patches!r})")
        variants = ("", *chosen) if chosen else ("", *known, "all")
    if args.log_dir:
        args.log_dir.mkdir(parents=True, exist_ok=True)

    def log(name: str) -> Path | None:
        return args.log_dir / f"{name}.log" if args.log_dir else None

    figures = {c: measure(c, args.workers, args.strategy, args.keep and c == connections[-1], log,
                          variants, args.rounds) for c in connections}

    print(f"hosts: 1 master + {args.workers} workers, {os.cpu_count()} cores, "
          f"strategy {args.strategy or 'from ansible.cfg'}")
    print(f"{'':36}" + "".join(f"{c:>16}" for c in connections))
    rows = [
        ("create fresh hosts", "create", ""),
        ("site.yml on fresh hosts", "site", ""),
        ("verify (HDFS round trip, MR job)", "verify", ""),
        ("fresh hosts -> verified cluster", "fresh", "  (target 300 s)"),
        ("no-op re-run of site.yml", "rerun", "  (target 30 s)"),
    ]
    for label, attr, target in rows:
        print(f"{label + ':':36}" + "".join(f"{getattr(figures[c], attr):14.1f} s" for c in connections) + target)
    print(f"{'changed in the no-op re-run:':36}" + "".join(f"{figures[c].rerun_changed:16d}" for c in connections))
    if variants:
        print(f"\nno-op re-run, median of {args.rounds} (each round's runs in order, one after another):")
        for off in figures[connections[0]].without:
            label = {"": "every patch (the default)", "all": "no patch (plain Mitogen)"}.get(off, f"without {off}")
            print(f"{label + ':':36}" + "".join(
                f"{statistics.median(figures[c].without[off]):14.1f} s  ("
                + ", ".join(f"{s:.1f}" for s in figures[c].without[off]) + ")" for c in connections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
