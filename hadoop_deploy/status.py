"""`hadoop-deploy status`: each node's services and the cluster's health, from playbooks/status.yml."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from . import deploy, render, runner
from .paths import PLAYBOOKS_DIR

STATUS_PLAYBOOK = PLAYBOOKS_DIR / "status.yml"
# Exit code when the run worked but the cluster is not healthy.
UNHEALTHY = 3


def report(tally: render.Tally, hosts: list[str], workers: list[str]) -> dict[str, Any]:
    """The status as data: the playbook's set_stats, plus the hosts it could not reach."""
    stats = tally.custom_stats
    reported: dict[str, Any] = stats.get("nodes") or {}
    nodes: dict[str, Any] = {}
    for host in hosts:
        failure = next((f for f in tally.failures if f.host == host), None)
        if host in reported:
            nodes[host] = {"reachable": True, **reported[host]}
        else:
            nodes[host] = {"reachable": False, "error": failure.message if failure else "no answer", "services": {}}
    cluster = stats.get("cluster") or {}
    hdfs = cluster.get("hdfs") or {"answered": False, "error": "the master did not report"}
    yarn = cluster.get("yarn") or {"answered": False, "error": "the master did not report"}
    problems = []
    # Decommissioned workers' daemons are stopped on purpose: expected of the others only.
    decommissioned = [h for h in hdfs.get("decommissioned") or [] if h in workers]
    in_service = [w for w in workers if w not in decommissioned]
    for host, node in nodes.items():
        if not node["reachable"]:
            problems.append(f"{host} is unreachable")
        for unit, state in (node.get("services") or {}).items():
            if state != "running" and host not in decommissioned:
                problems.append(f"{unit} on {host} is {'not installed' if state == 'absent' else state}")
    if not hdfs.get("answered"):
        problems.append(f"the NameNode does not answer ({hdfs.get('error') or 'no answer'})")
    else:
        live = _int(hdfs.get("live_datanodes")) - _int(hdfs.get("decommissioned_live"))
        if live < len(in_service):
            problems.append(f"{live} of {len(in_service)} DataNodes in service are live")
        dead = _int(hdfs.get("dead_datanodes")) - _int(hdfs.get("decommissioned_dead"))
        if dead > 0:
            problems.append(f"{dead} DataNode(s) are dead")
        if hdfs.get("safemode"):
            problems.append("HDFS is in safe mode")
    if not yarn.get("answered"):
        problems.append(f"the ResourceManager does not answer ({yarn.get('error') or 'no answer'})")
    elif _int(yarn.get("active_nodemanagers")) < len(in_service):
        problems.append(f"{_int(yarn.get('active_nodemanagers'))} of {len(in_service)} NodeManagers are running")
    return {"nodes": nodes, "cluster": {"hdfs": hdfs, "yarn": yarn}, "healthy": not problems, "problems": problems}


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _size(value: Any) -> str:
    number = float(_int(value))
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if number < 1024 or unit == "TiB":
            return f"{number:.1f} {unit}" if unit != "B" else f"{int(number)} B"
        number /= 1024
    return f"{number:.1f} TiB"


def render_text(data: dict[str, Any]) -> str:
    lines = []
    rows = []
    for host, node in data["nodes"].items():
        groups = ",".join(node.get("groups") or [])
        if not node["reachable"]:
            rows.append((host, groups, "-", f"UNREACHABLE: {node['error'].splitlines()[0]}"))
            continue
        services = node.get("services") or {}
        if not services:
            rows.append((host, groups, "-", "no Hadoop service expected"))
        for i, (unit, state) in enumerate(services.items()):
            rows.append((host if i == 0 else "", groups if i == 0 else "", unit, "not installed" if state == "absent" else state))
    widths = [max(len(r[i]) for r in rows + [("NODE", "GROUP", "SERVICE", "STATE")]) for i in range(3)]
    for row in [("NODE", "GROUP", "SERVICE", "STATE"), *rows]:
        lines.append(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}")
    hdfs, yarn = data["cluster"]["hdfs"], data["cluster"]["yarn"]
    lines.append("")
    if hdfs.get("answered"):
        used, total = _int(hdfs.get("capacity_used")), _int(hdfs.get("capacity_total"))
        share = f" ({100 * used / total:.1f} %)" if total else ""
        safemode = "ON: " + str(hdfs["safemode"]).split(".")[0] if hdfs.get("safemode") else "off"
        lines.append(
            f"HDFS  DataNodes live {_int(hdfs.get('live_datanodes'))}, dead {_int(hdfs.get('dead_datanodes'))}"
            f"{', decommissioned ' + ', '.join(hdfs['decommissioned']) if hdfs.get('decommissioned') else ''}; "
            f"capacity used {_size(used)} of {_size(total)}{share}; safe mode {safemode}"
        )
    else:
        lines.append(f"HDFS  the NameNode does not answer at {hdfs.get('url', '?')}: {hdfs.get('error') or 'no answer'}")
    if yarn.get("answered"):
        lines.append(
            f"YARN  NodeManagers running {_int(yarn.get('active_nodemanagers'))} "
            f"(lost {_int(yarn.get('lost_nodemanagers'))}, unhealthy {_int(yarn.get('unhealthy_nodemanagers'))})"
        )
    else:
        lines.append(f"YARN  the ResourceManager does not answer at {yarn.get('url', '?')}: {yarn.get('error') or 'no answer'}")
    lines.append("")
    if data["healthy"]:
        lines.append("Healthy.")
    else:
        lines.append("Not healthy:")
        lines.extend(f"  - {p}" for p in data["problems"])
    return "\n".join(lines)


def status(path: Path, as_json: bool = False, limit: str | None = None,
           out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    inventory = deploy.check_inventory(path, out=out, err=err, quiet=True)
    if inventory is None:
        return 1
    if not as_json:
        err.write(f"Asking {len(inventory.hosts)} node(s) for the state of their services...\n")
        err.flush()
    progress = _Silent()
    result = runner.run("status", progress, inventory=str(path.absolute()), playbook=STATUS_PLAYBOOK, limit=limit)
    tally = progress.tally
    if result.rc not in (0, 4) and not tally.custom_stats:
        err.write(render.summary(tally, result.rc, result.seconds, result.artifacts_shown) + "\n")
        return result.rc
    hosts = [h for h in inventory.hosts if h in tally.hosts] or list(inventory.hosts)
    data = report(tally, hosts, [h for h in inventory.group_hosts("workers") if h in hosts])
    data["artifacts"] = result.artifacts_shown
    if as_json:
        out.write(json.dumps(data, indent=2, sort_keys=False) + "\n")
    else:
        out.write(render_text(data) + "\n")
    return 0 if data["healthy"] else UNHEALTHY


class _Silent:
    """An event handler that only keeps the tally: status shows the result, not the run."""

    def __init__(self) -> None:
        self.tally = render.Tally()

    def __call__(self, event: render.Event) -> bool:
        self.tally.feed(event)
        return True
