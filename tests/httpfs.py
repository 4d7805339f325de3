"""Checks of a cluster's HttpFS gateway as a laptop off the private network uses it: through
`hadoop-deploy ui`'s SSH tunnel to the master (its public SSH side, the inventory's login),
with a WebHDFS client no one here wrote (HdfsCLI, PyPI `hdfs`). Used by tests that share a
cluster."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import queue
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import hdfs
import requests

from hadoop_deploy import deploy, tunnel

PROJECT = Path(__file__).resolve().parent.parent
# `hadoop-deploy ui` prints one line per web UI: HttpFS's names the tunnel's local port.
_HTTPFS_LINE = re.compile(r"^\s*HttpFS\b.*?(http://127\.0\.0\.1:[0-9]+)/")


@contextmanager
def httpfs_tunnel(inventory: Path, timeout: float = 60) -> Iterator[str]:
    """`hadoop-deploy ui INVENTORY` running; yields HttpFS's local base URL (http://127.0.0.1:PORT)."""
    # This checkout's hadoop_deploy (the working directory is on a -m module's path).
    proc = subprocess.Popen([sys.executable, "-m", "hadoop_deploy.cli", "ui", str(inventory)], cwd=PROJECT,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # ui prints its lines once every forward is open (tunnel.CONNECT_SECONDS at most), then
        # waits for Ctrl-C: read them on a thread, until HttpFS's or the deadline.
        lines: queue.Queue[str] = queue.Queue()
        assert proc.stdout is not None
        threading.Thread(target=lambda out: [lines.put(line) for line in out], args=(proc.stdout,), daemon=True).start()
        shown: list[str] = []
        deadline = time.monotonic() + timeout
        base = None
        while base is None and time.monotonic() < deadline and (proc.poll() is None or not lines.empty()):
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            shown.append(line)
            found = _HTTPFS_LINE.match(line)
            base = found.group(1) if found else None
        if base is None:
            _stop(proc)
            raise AssertionError(f"`hadoop-deploy ui` named no HttpFS port within {timeout:.0f} s: {''.join(shown)}"
                                 f"{proc.stderr.read() if proc.stderr else ''}")
        yield base
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[str]) -> None:
    """Ctrl-C, as a user closes the tunnel: ui then ends its ssh (a SIGTERM would leave it running)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


def _public_side(inventory: Path) -> tuple[str, int]:
    """The address this machine's SSH reaches the master at (its public side), and HttpFS's
    port on the master (its local facts)."""
    checked = deploy.check_inventory(inventory, quiet=True)
    assert checked is not None, f"{inventory} does not pass `hadoop-deploy inventory check`"
    master = checked.hosts[checked.group_hosts("master")[0]]
    shown = subprocess.run(["ssh", "-G", *tunnel._login(master)], capture_output=True, text=True, check=True)
    public = next(line.split()[1] for line in shown.stdout.splitlines() if line.startswith("hostname "))
    port = next(port for label, _, port, _ in tunnel.web_uis(tunnel.master_fact(master), master.name) if "HttpFS" in label)
    return public, port


def _get(url: str) -> tuple[int, str]:
    """HTTP status and body of a GET of URL."""
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def check_httpfs(inventory: Path, user: str = "hdadmin", size: int = 5 * 2**20, directory: str | None = None,
                 superuser: str = "hdfs") -> None:
    """Through HttpFS only, as USER: write SIZE random bytes into DIRECTORY (default USER's
    HDFS home), read them back byte for byte, delete them; every request HdfsCLI made went to
    the tunnel (HttpFS never sends a client to a DataNode); a request that names no user is
    refused (401), and so is one that names SUPERUSER, the HDFS superuser (HttpFS may not act
    for it); the master's public address does not answer on HttpFS's port."""
    directory = directory or f"/user/{user}"
    path = f"{directory}/httpfs-check-{uuid.uuid4().hex[:12]}.bin"
    data = os.urandom(size)
    with httpfs_tunnel(inventory) as base:
        seen: list[str] = []
        session = requests.Session()
        session.hooks["response"].append(lambda answer, *_, **__: seen.append(answer.url))
        client = hdfs.InsecureClient(base, user=user, session=session, timeout=120)
        try:
            client.write(path, data=data, overwrite=False)
            status = client.status(path)
            with client.read(path) as reader:
                back = reader.read()
            removed = client.delete(path)
            gone = client.status(path, strict=False)
        except hdfs.HdfsError as exc:
            raise AssertionError(f"HttpFS at {base} refused {user}'s round trip of {path}: {exc}") from exc
        finally:
            session.close()
        assert status["length"] == size and status["type"] == "FILE", status
        assert len(back) == size and hashlib.sha256(back).digest() == hashlib.sha256(data).digest(), \
            f"read {len(back)} bytes back from {path}, not the {size} written"
        assert removed and gone is None, f"{path} is still there after the delete: {gone}"
        elsewhere = [url for url in seen if not url.startswith(base + "/")]
        assert seen and not elsewhere, f"HdfsCLI was sent past the tunnel: {elsewhere}"

        listing = f"{base}/webhdfs/v1{urllib.parse.quote(directory)}?op=LISTSTATUS"
        code, body = _get(listing)
        assert code == 401, f"HttpFS answered {listing} (no user.name) with {code}, not 401: {body[:300]}"
        # The NameNode refuses to let HttpFS act for it; HttpFS passes the refusal on as a
        # RemoteException (500 in 3.4.2's HttpFS).
        as_superuser = f"{listing}&user.name={superuser}"
        code, body = _get(as_superuser)
        assert code in (403, 500) and "is not allowed to impersonate" in body, \
            f"HttpFS acted for the HDFS superuser: {as_superuser} gave {code}: {body[:300]}"

    # Not from outside but through SSH: the master's public side does not answer on HttpFS's port.
    public, port = _public_side(inventory)
    try:
        socket.create_connection((public, port), timeout=5).close()
    except OSError:
        return
    raise AssertionError(f"the master's public address {public} answers on HttpFS's port {port}")
