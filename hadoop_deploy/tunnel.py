"""`hadoop-deploy ui INVENTORY`: the cluster's web UIs through an SSH tunnel to the master.

The master's public side answers SSH only (role nat's firewall), so the web UIs are reached
the way the playbooks reach the master: one `ssh -L` per UI to the master's own loopback,
with the inventory's login (ansible_host, ansible_port, ansible_user, the SSH arguments).
Prints a local URL per UI and keeps the tunnel open until Ctrl-C.
"""

from __future__ import annotations

import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

import yaml

from . import deploy
from .errors import UserError
from .inventory import Host
from .paths import CLUSTER_DEFAULTS

# The master's web UIs: (what, port).
WEB_UIS = (("HDFS NameNode", 9870), ("YARN ResourceManager", 8088), ("MapReduce JobHistory", 19888))
# How long the tunnel may take to come up.
CONNECT_SECONDS = 30


def admin_user(host: Host | None = None) -> str:
    """The admin account: the web endpoints refuse requests that name no user."""
    value = host.get("cluster_admin_user") if host else None
    return str(value.value) if value else str(yaml.safe_load(CLUSTER_DEFAULTS.read_text())["cluster_admin_user"])


def _free_port(preferred: int) -> int:
    """`preferred` when nothing on this machine's loopback uses it, else a free one."""
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise UserError("no free local port for the tunnel", "free a port on 127.0.0.1")


def ssh_command(host: Host, forwards: dict[int, int]) -> list[str]:
    """ssh to the master as Ansible logs in, forwarding local port -> the master's port."""

    def var(name: str) -> str:
        value = host.get(name)
        text = "" if value is None or value.value is None else str(value.value)
        if "{{" in text:
            raise UserError(f"{name} of {host.name} is a template ({text!r})",
                            "give it as a plain value in the inventory to use `hadoop-deploy ui`")
        return text

    cmd = ["ssh", "-N", "-o", "ExitOnForwardFailure=yes", "-o", "BatchMode=yes"]
    if var("ansible_port"):
        cmd += ["-p", var("ansible_port")]
    if var("ansible_user"):
        cmd += ["-l", var("ansible_user")]
    if var("ansible_ssh_private_key_file"):
        cmd += ["-i", var("ansible_ssh_private_key_file")]
    cmd += shlex.split(var("ansible_ssh_common_args")) + shlex.split(var("ansible_ssh_extra_args"))
    for local, remote in forwards.items():
        cmd += ["-L", f"127.0.0.1:{local}:127.0.0.1:{remote}"]
    return cmd + [var("ansible_host") or host.name]


def _wait_until_open(proc: subprocess.Popen[str], ports: list[int]) -> None:
    deadline = time.monotonic() + CONNECT_SECONDS
    waiting = list(ports)
    while waiting and time.monotonic() < deadline:
        if proc.poll() is not None:
            raise UserError(f"ssh to the master exited ({proc.returncode}): {(proc.stderr.read() if proc.stderr else '').strip()}",
                            "check that `hadoop-deploy exec INVENTORY --limit master -- true` works")
        try:
            socket.create_connection(("127.0.0.1", waiting[0]), timeout=1).close()
            waiting.pop(0)
        except OSError:
            time.sleep(0.3)
    if waiting:
        proc.terminate()
        raise UserError(f"the tunnel did not open within {CONNECT_SECONDS} s", "check the master's SSH login")


def ui(path: Path, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    inventory = deploy.check_inventory(path, quiet=True)
    if inventory is None:
        return 2
    master = inventory.hosts[inventory.group_hosts("master")[0]]
    forwards = {_free_port(port): port for _, port in WEB_UIS}
    proc = subprocess.Popen(ssh_command(master, forwards), stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_until_open(proc, list(forwards))
        user = admin_user(master)
        out.write(f"Web UIs of {master.name}, through SSH (Ctrl-C closes the tunnel):\n")
        for (label, _), local in zip(WEB_UIS, forwards):
            out.write(f"  {label:<22} http://127.0.0.1:{local}/?user.name={user}\n")
        out.flush()
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
