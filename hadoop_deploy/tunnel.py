"""`hadoop-deploy ui INVENTORY`: the cluster's web UIs through an SSH tunnel to the master.

The master's public side answers SSH only (role nat's firewall), so the web UIs are reached
the way the playbooks reach the master: one `ssh -L` per UI to the address the master's
daemon answers at, with the inventory's login (ansible_host, ansible_port, ansible_user, the
SSH arguments). The addresses come from the master's local facts (the hadoop role writes
them from the effective configuration), so a user's port for a UI is followed. HttpFS's port
goes through too, where the master runs it: WebHDFS clients on this machine then read and
write HDFS at that local port. Prints a local URL per UI and keeps the tunnel open until Ctrl-C.
"""

from __future__ import annotations

import json
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import TextIO

import yaml

from . import deploy
from .errors import UserError
from .inventory import Host
from .paths import CLUSTER_DEFAULTS

# The master's web UIs, by the daemon that serves them (the hadoop role's daemon table), and
# the page to open: HttpFS has no UI, its REST API lists HDFS's root.
WEB_UIS = {"namenode": ("HDFS NameNode", "/"), "resourcemanager": ("YARN ResourceManager", "/"),
           "jobhistoryserver": ("MapReduce JobHistory", "/"), "httpfs": ("HttpFS (WebHDFS API)", "/webhdfs/v1/?op=LISTSTATUS")}
# Those a master may run without (hadoop_httpfs_enabled: false).
OPTIONAL_UIS = frozenset({"httpfs"})
# Where the hadoop role writes each node's local facts (ansible_local.hadoop).
FACT_FILE = "/etc/ansible/facts.d/hadoop.fact"
# How long the tunnel may take to come up.
CONNECT_SECONDS = 30


def admin_user(host: Host | None = None) -> str:
    """The admin account: the web endpoints refuse requests that name no user."""
    value = host.get("cluster_admin_user") if host else None
    return str(value.value) if value else str(yaml.safe_load(CLUSTER_DEFAULTS.read_text())["cluster_admin_user"])


def as_user(page: str, user: str) -> str:
    """PAGE with the query parameter that names the user (the web endpoints refuse requests without)."""
    return f"{page}{'&' if '?' in page else '?'}{urllib.parse.urlencode({'user.name': user})}"


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


def web_uis(fact_text: str, where: str) -> list[tuple[str, str, int, str]]:
    """(label, host, port, page) of each web UI the master runs, from its hadoop.fact."""
    try:
        web = json.loads(fact_text)["web"]
        return [(label, urllib.parse.urlsplit(web[daemon]["url"]).hostname or "", int(web[daemon]["port"]), page)
                for daemon, (label, page) in WEB_UIS.items() if daemon in web or daemon not in OPTIONAL_UIS]
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{where}: {FACT_FILE} does not say where the web UIs answer ({exc!r})",
                        "run `hadoop-deploy apply INVENTORY` first (the hadoop role writes it)") from exc


def _login(host: Host) -> list[str]:
    """ssh's options and destination to log in to `host` as Ansible does."""

    def var(name: str) -> str:
        value = host.get(name)
        text = "" if value is None or value.value is None else str(value.value)
        if "{{" in text:
            raise UserError(f"{name} of {host.name} is a template ({text!r})",
                            "give it as a plain value in the inventory to use `hadoop-deploy ui`")
        return text

    cmd = ["-o", "BatchMode=yes"]
    if var("ansible_port"):
        cmd += ["-p", var("ansible_port")]
    if var("ansible_user"):
        cmd += ["-l", var("ansible_user")]
    if var("ansible_ssh_private_key_file"):
        cmd += ["-i", var("ansible_ssh_private_key_file")]
    cmd += shlex.split(var("ansible_ssh_common_args")) + shlex.split(var("ansible_ssh_extra_args"))
    return cmd + [var("ansible_host") or host.name]


def ssh_command(host: Host, forwards: dict[int, tuple[str, int]]) -> list[str]:
    """ssh to the master as Ansible logs in, forwarding local port -> (host, port) seen from the master."""
    cmd = ["ssh", "-N", "-o", "ExitOnForwardFailure=yes"]
    for local, (remote_host, remote_port) in forwards.items():
        cmd += ["-L", f"127.0.0.1:{local}:{remote_host}:{remote_port}"]
    return cmd + _login(host)


def master_fact(host: Host) -> str:
    """The master's hadoop.fact, read over SSH as Ansible logs in."""
    read = subprocess.run(["ssh", *_login(host), "cat", FACT_FILE], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=CONNECT_SECONDS, check=False)
    if read.returncode != 0:
        raise UserError(f"cannot read {FACT_FILE} on {host.name}: {read.stderr.strip() or f'ssh exited {read.returncode}'}",
                        "check that `hadoop-deploy exec INVENTORY --limit master -- true` works, and that apply has run")
    return read.stdout


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


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def ui(path: Path, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    # A SIGTERM (kill, a service manager) closes the tunnel as Ctrl-C does: by default Python
    # would end at once and leave its ssh running, the local ports still forwarded.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    inventory = deploy.check_inventory(path, quiet=True)
    if inventory is None:
        return 2
    master = inventory.hosts[inventory.group_hosts("master")[0]]
    uis = web_uis(master_fact(master), master.name)
    forwards = {_free_port(port): (remote, port) for _, remote, port, _ in uis}
    proc = subprocess.Popen(ssh_command(master, forwards), stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_until_open(proc, list(forwards))
        user = admin_user(master)
        out.write(f"Web UIs of {master.name}, through SSH (Ctrl-C closes the tunnel):\n")
        for (label, _, _, page), local in zip(uis, forwards):
            out.write(f"  {label:<22} http://127.0.0.1:{local}{as_user(page, user)}\n")
        out.flush()
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
