#!/usr/bin/env python3
"""Benchmark: seconds from fresh hosts to a verified cluster, and of a no-op re-run.

For each connection (--connections, default both: SSH as the non-root account, as users'
hosts are reached, and docker exec as root), creates a throwaway sandbox (a master and N
workers, playbooks/sandbox/create.yml), runs site.yml then playbooks/verify.yml on it,
runs site.yml again (which must change nothing), removes the sandbox; then prints the
figures of each side by side. Not a test: it asserts nothing about speed.

--workers takes a comma-separated list (2,6: one sandbox of each size, side by side, and the
ratio of the largest's fresh -> verified time to the smallest's). --repeat N measures each
N times and prints the medians.

Bytes from outside: before site.yml, byte counters go into the master's network namespace
(iptables' mangle table, from this machine with nsenter: the hosts need no iptables of their
own yet): what arrives on the master's public interface for the master itself (its own
fetches, its apt cache's; this machine's own SSH and copies left out) and what the master
forwards to each worker. Printed per node after the fresh site.yml, with the apt cache's
own statistics (its log: fetched from outside, served to each node): with the cache, the
package bytes from outside do not grow with the number of workers.

CPU: the CPU-seconds each node used during the fresh site.yml (its container's cgroup, which
counts every process it ran, those already gone too) and what the rest of this machine used
(Ansible, SSH, Docker: /proc/stat's busy time less the nodes'), beside what the cores could
give in that time: where the two are close, the run is bound by CPU, and only less work (not
more overlap) makes it faster.

With --patches, also runs the no-op re-run with each of the strategy plugin's patches
turned off in turn (HADOOP_DEPLOY_PATCHES_OFF, plugins/strategy/mitogen_linear.py), and
with all of them off (plain Mitogen), --rounds times interleaved, and prints the medians;
--patches a,b only those (and every patch on), without the all-off variant.

Usage: .venv/bin/python scripts/benchmark.py [--workers N[,N...]] [--repeat N] [--connections ssh,docker]
                                             [--keep] [--patches [LIST] [--rounds N]]
Targets on a 2-core machine (issue #21): fresh -> verified <= 150 s, no-op re-run <= 15 s, 6 workers
at most 1.6x the time of 2.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
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
    # Bytes from outside during the fresh site.yml, per node (master first).
    outside: dict[str, int] = field(default_factory=dict)
    # The apt cache's log: bytes it fetched from outside, and served per client address.
    cache_fetched: int = 0
    cache_served: dict[str, int] = field(default_factory=dict)
    # CPU-seconds during the fresh site.yml, per node and for the rest of this machine (CPU_REST).
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def fresh(self) -> float:
        return self.create + self.site + self.verify


def _run(*cmd: str) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark: `{' '.join(cmd)}` failed: {proc.stderr.strip()}")
    return proc.stdout


class Counters:
    """Byte counters in the master's network namespace (mangle table, chains HD-BENCH-*),
    set from this machine with nsenter before any role runs; the nat role and Docker leave
    the mangle table alone. INPUT: what reaches the master itself on its public interface,
    except from this machine (the public bridge's gateway: SSH, copies of the distribution).
    FORWARD: what the master routes from its public interface to each worker."""

    def __init__(self, master: str, workers: list[str]) -> None:
        info = json.loads(_run("docker", "inspect", master))[0]
        self.pid = str(info["State"]["Pid"])
        public = info["NetworkSettings"]["Networks"][f"{NAME}-public"]
        addresses = json.loads(self._ns("ip", "-j", "-4", "addr", "show"))
        self.interface = next(a["ifname"] for a in addresses
                              for i in a.get("addr_info", []) if i["local"] == public["IPAddress"])
        self.nodes = {master: ""}
        for worker in workers:
            networks = json.loads(_run("docker", "inspect", "--format", "{{json .NetworkSettings.Networks}}", worker))
            self.nodes[worker] = networks[f"{NAME}-private"]["IPAddress"]
        rules = ["*mangle", ":HD-BENCH-IN - [0:0]", ":HD-BENCH-FWD - [0:0]",
                 "-I INPUT 1 -j HD-BENCH-IN", "-I FORWARD 1 -j HD-BENCH-FWD",
                 f"-A HD-BENCH-IN -i {self.interface} ! -s {public['Gateway']}/32 -j RETURN"]
        rules += [f"-A HD-BENCH-FWD -i {self.interface} -d {ip}/32 -j RETURN" for ip in self.nodes.values() if ip]
        subprocess.run(["nsenter", "-t", self.pid, "-n", "iptables-restore", "-w", "--noflush"],
                       input="\n".join(rules + ["COMMIT", ""]), text=True, check=True)

    def _ns(self, *cmd: str) -> str:
        return _run("nsenter", "-t", self.pid, "-n", *cmd)

    def read(self) -> dict[str, int]:
        """Bytes so far, per node."""
        saved = self._ns("iptables-save", "-c", "-t", "mangle")
        found: dict[str, int] = {}
        for node, ip in self.nodes.items():
            chain, match = ("HD-BENCH-FWD", f"-d {ip}/32 ") if ip else ("HD-BENCH-IN", f"-i {self.interface} ")
            line = next(x for x in saved.splitlines() if f"-A {chain} " in x and match in x)
            found[node] = int(re.match(r"\[\d+:(\d+)\]", line).group(1))
        return found


CPU_REST = "this machine (Ansible, SSH, Docker)"


class CpuClock:
    """CPU-seconds used so far by each node (its container's cgroup: cgroup v1's cpuacct or
    v2's cpu.stat, where Docker's cgroupfs driver puts them) and by the whole machine
    (/proc/stat's busy time)."""

    def __init__(self, containers: list[str]) -> None:
        self.files: dict[str, Path] = {}
        for name in containers:
            cid = _run("docker", "inspect", "--format", "{{.Id}}", name).strip()
            found = [p for p in (Path(f"/sys/fs/cgroup/cpuacct/docker/{cid}/cpuacct.usage"),
                                 Path(f"/sys/fs/cgroup/docker/{cid}/cpu.stat"),
                                 Path(f"/sys/fs/cgroup/system.slice/docker-{cid}.scope/cpu.stat")) if p.exists()]
            if found:
                self.files[name] = found[0]

    def read(self) -> dict[str, float]:
        used = {}
        for name, path in self.files.items():
            text = path.read_text()
            if path.name == "cpu.stat":  # usage_usec N
                used[name] = int(re.search(r"^usage_usec (\d+)", text, re.M).group(1)) / 1e6
            else:  # nanoseconds
                used[name] = int(text) / 1e9
        ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        # user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
        used[CPU_REST] = sum(ticks[i] for i in (0, 1, 2, 5, 6, 7)) / os.sysconf("SC_CLK_TCK")
        return used

    @staticmethod
    def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        """Per node, then the machine's rest (its busy time less the nodes')."""
        nodes = {k: after[k] - before[k] for k in after if k != CPU_REST and k in before}
        return {**nodes, CPU_REST: after[CPU_REST] - before[CPU_REST] - sum(nodes.values())}


def cache_statistics(master: str) -> tuple[int, dict[str, int]]:
    """apt-cacher-ng's log (time|I or O|bytes|client|path): bytes fetched from outside (I),
    and bytes served (O) per client address. (0, {}) without a cache."""
    proc = subprocess.run(["docker", "exec", master, "cat", "/var/log/apt-cacher-ng/apt-cacher.log"],
                          capture_output=True, text=True)
    fetched, served = 0, {}
    for line in proc.stdout.splitlines() if proc.returncode == 0 else []:
        fields = line.split("|")
        if len(fields) >= 4 and fields[2].isdigit():
            if fields[1] == "I":
                fetched += int(fields[2])
            elif fields[1] == "O":
                served[fields[3]] = served.get(fields[3], 0) + int(fields[2])
    return fetched, served


def measure(connection: str, workers: int, strategy: str | None, keep: bool,
            log: Callable[[str], Path | None], variants: tuple[str, ...] = (), rounds: int = 0) -> Figures:
    """One sandbox reached by `connection`: fresh hosts -> verified, then a no-op re-run."""
    nodes = [{"name": f"{NAME}-master", "groups": ["master"]}] + [
        {"name": f"{NAME}-worker{i}", "groups": ["workers"]} for i in range(1, workers + 1)
    ]
    # A kept sandbox keeps its inventory and SSH keys too, to be reached after the run.
    workdir = contextlib.nullcontext(tempfile.mkdtemp(prefix=f"{NAME}-")) if keep else tempfile.TemporaryDirectory()
    with workdir as tmp:
        where = Path(tmp)
        box = {"sandbox_name": NAME, "sandbox_nodes": nodes, "sandbox_private_cidr": CIDR,
               **sandbox.create_vars(connection, where)}
        box_file = where / "sandbox.yml"
        box_file.write_text(yaml.safe_dump(box))
        inventory = where / "hosts.yml"
        inventory.write_text(yaml.safe_dump({"all": {
            "vars": {**sandbox.connection_vars(connection, where),
                     "cluster_private_cidr": CIDR, **sandbox.SETTINGS},
            "children": {
                "master": {"hosts": {nodes[0]["name"]: {}}},
                "workers": {"hosts": {n["name"]: {} for n in nodes[1:]}},
            }}}))
        playbook("playbooks/sandbox/destroy.yml", "-e", f"@{box_file}", "-e", "sandbox_purge=true")
        timed = functools.partial(playbook, inventory=inventory, strategy=strategy)
        try:
            create_s, _ = playbook("playbooks/sandbox/create.yml", "-e", f"@{box_file}")
            counters = Counters(nodes[0]["name"], [n["name"] for n in nodes[1:]])
            clock = CpuClock([n["name"] for n in nodes])
            cpu_before = clock.read()
            site_s, _ = timed("site.yml", log=log(f"{connection}-{workers}-1-site-fresh"))
            cpu = clock.spent(cpu_before, clock.read())
            outside = counters.read()
            cache_fetched, cache_served = cache_statistics(nodes[0]["name"])
            master_ip = sandbox_address(nodes[0]["name"], "private")
            served = {name: cache_served.get(ip or master_ip, 0) for name, ip in counters.nodes.items()}
            verify_s, _ = timed("playbooks/verify.yml", log=log(f"{connection}-{workers}-2-verify"))
            rerun_s, rerun_out = timed("site.yml", log=log(f"{connection}-{workers}-3-site-rerun"))
            # Interleaved, so that the machine's drift spreads over every variant alike.
            without: dict[str, list[float]] = {off: [] for off in variants}
            for n in range(1, rounds + 1):
                for off in without:
                    seconds, out = timed("site.yml", patches_off=off,
                                         log=log(f"{connection}-{workers}-4-rerun-{n}-without-{off or 'none'}"))
                    if changed_total(out):
                        raise SystemExit(f"benchmark: the no-op re-run without {off or 'no patch'} changed something")
                    without[off].append(seconds)
        finally:
            if keep:
                print(f"[benchmark] kept: ansible-playbook -i {inventory} site.yml", flush=True)
            else:
                playbook("playbooks/sandbox/destroy.yml", "-e", f"@{box_file}", "-e", "sandbox_purge=true")
    return Figures(create_s, site_s, verify_s, rerun_s, changed_total(rerun_out), without,
                   outside, cache_fetched, served, cpu)


def sandbox_address(container: str, network: str) -> str:
    networks = json.loads(_run("docker", "inspect", "--format", "{{json .NetworkSettings.Networks}}", container))
    return str((networks.get(f"{NAME}-{network}") or {}).get("IPAddress") or "")


def median_figures(runs: list[Figures]) -> Figures:
    """Each figure's median over the runs (the bytes of the median run by fresh time)."""
    def med(attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in runs)
    middle = sorted(runs, key=lambda r: r.fresh)[(len(runs) - 1) // 2]
    without = {off: [s for r in runs for s in r.without[off]] for off in runs[0].without}
    return Figures(med("create"), med("site"), med("verify"), med("rerun"), max(r.rerun_changed for r in runs),
                   without, middle.outside, middle.cache_fetched, middle.cache_served, middle.cpu)


def megabytes(n: int) -> str:
    return f"{n / 1e6:11.1f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="2", metavar="N[,N...]",
                        help="workers per sandbox; a comma-separated list measures each size (2,6)")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="measure each sandbox N times and print the medians (default 1)")
    parser.add_argument("--connections", default=",".join(sandbox.CONNECTIONS), metavar="LIST",
                        help="comma-separated: ssh (non-root account over SSH), docker (docker exec as root)")
    parser.add_argument("--keep", action="store_true", help="leave the (last) sandbox running, and its inventory")
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
    try:
        sizes = [int(n) for n in args.workers.split(",") if n]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1 or max(sizes) > sandbox.MAX_WORKERS:
        parser.error(f"--workers takes numbers from 1 to {sandbox.MAX_WORKERS}, comma-separated (got {args.workers!r})")
    if args.repeat < 1:
        parser.error("--repeat takes a number of at least 1")
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

    # One column per connection and size; the last sandbox measured may be kept.
    columns = [(c, w) for w in sizes for c in connections]
    figures = {}
    for c, w in columns:
        runs = []
        for n in range(1, args.repeat + 1):
            runs.append(measure(c, w, args.strategy, args.keep and (c, w) == columns[-1] and n == args.repeat, log,
                                variants, args.rounds))
            # As each sandbox is done, so that a long run's figures so far are not lost.
            r = runs[-1]
            print(f"[benchmark] {c}, {w} workers, run {n}: fresh -> verified {r.fresh:.1f} s "
                  f"(site.yml {r.site:.1f} s, verify {r.verify:.1f} s), no-op re-run {r.rerun:.1f} s "
                  f"changed={r.rerun_changed}; from outside {sum(r.outside.values()) / 1e6:.1f} MB "
                  f"({', '.join(f'{k} {v / 1e6:.1f}' for k, v in r.outside.items())})", file=sys.stderr, flush=True)
        figures[c, w] = median_figures(runs)

    repeat = f", median of {args.repeat} runs" if args.repeat > 1 else ""
    print(f"hosts: 1 master + {args.workers} workers, {os.cpu_count()} cores, "
          f"strategy {args.strategy or 'from ansible.cfg'}{repeat}")
    print(f"{'':36}" + "".join(f"{f'{c}, {w} workers':>20}" for c, w in columns))
    rows = [
        ("create fresh hosts", "create", ""),
        ("site.yml on fresh hosts", "site", ""),
        ("verify (HDFS round trip, MR job)", "verify", ""),
        ("fresh hosts -> verified cluster", "fresh", "  (target 150 s)"),
        ("no-op re-run of site.yml", "rerun", "  (target 15 s)"),
    ]
    for label, attr, target in rows:
        print(f"{label + ':':36}" + "".join(f"{getattr(figures[k], attr):18.1f} s" for k in columns) + target)
    print(f"{'changed in the no-op re-run:':36}" + "".join(f"{figures[k].rerun_changed:20d}" for k in columns))
    if len(sizes) > 1:
        for c in connections:
            low, high = figures[c, min(sizes)], figures[c, max(sizes)]
            print(f"fresh -> verified, {max(sizes)} workers / {min(sizes)} workers ({c}): "
                  f"{high.fresh / low.fresh:.2f}  (target <= 1.6)")

    print("\nbytes from outside during the fresh site.yml (the master's public interface: to the master "
          "itself, and routed to each worker), and what the apt cache on the master served each node:")
    for c, w in columns:
        f = figures[c, w]
        print(f"  {c}, {w} workers:")
        print(f"    {'':28}{'from outside':>14}   {'from the cache':>14}")
        for node, count in f.outside.items():
            print(f"    {node + ':':28}{megabytes(count)}   {megabytes(f.cache_served.get(node, 0))}")
        print(f"    {'all nodes:':28}{megabytes(sum(f.outside.values()))}   {megabytes(sum(f.cache_served.values()))}"
              f"   (the cache fetched {f.cache_fetched / 1e6:.1f} MB from outside)")
    if len(sizes) > 1:
        for c in connections:
            low, high = figures[c, min(sizes)], figures[c, max(sizes)]
            print(f"bytes from outside, {max(sizes)} workers / {min(sizes)} workers ({c}): "
                  f"{sum(high.outside.values()) / max(1, sum(low.outside.values())):.2f}"
                  f"  (packages once per cluster: about 1)")

    print("\nCPU-seconds during the fresh site.yml, per node and for the rest of this machine, against what "
          "its cores could give in that time:")
    for c, w in columns:
        f = figures[c, w]
        print(f"  {c}, {w} workers:")
        for node, seconds in f.cpu.items():
            print(f"    {node + ':':40}{seconds:8.1f} s")
        available = (os.cpu_count() or 1) * f.site
        print(f"    {'all:':40}{sum(f.cpu.values()):8.1f} s of {available:.1f} s ({os.cpu_count()} cores x "
              f"{f.site:.1f} s): {sum(f.cpu.values()) / available:.0%} busy")

    if variants:
        print(f"\nno-op re-run, median of {args.rounds} (each round's runs in order, one after another):")
        for k in columns:
            print(f"  {k[0]}, {k[1]} workers:")
            for off in figures[k].without:
                label = {"": "every patch (the default)", "all": "no patch (plain Mitogen)"}.get(off, f"without {off}")
                times = figures[k].without[off]
                print(f"{label + ':':36}{statistics.median(times):14.1f} s  (" + ", ".join(f"{s:.1f}" for s in times) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
