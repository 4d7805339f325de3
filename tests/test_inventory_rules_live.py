"""Every bad input of the corpus (tests/bad_inputs.py) through `ansible-playbook -i INV
site.yml`, without the hadoop-deploy command, against live sandbox hosts: each is refused in
the first play (or by Ansible itself, for a file it cannot read), and the hosts are left
exactly as they were. The same hosts with a good inventory are then changed by site.yml's
NAT play, so the snapshot of the hosts is shown to see a change."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from hadoop_deploy.sandbox import DOCKER_CONNECTION_VARS

from .bad_inputs import ANSIBLE_REFUSES_ITSELF, BadInput, bad_inputs
from .sandbox import Sandbox, node_list, run_playbook, sandbox

NAME = "hd-rules"
CIDR = "10.42.77.0/24"
MARKER = "/var/tmp/hd-rules-marker"
FIRST_PLAY = "Check the inventory"


def _state(box: Sandbox) -> dict[str, str]:
    """What site.yml's plays change first: NAT rules, routes, resolver, forwarding, accounts,
    packages, the files under /etc and /opt; and a marker file."""
    probe = (f"cat {MARKER}; iptables-save 2>/dev/null | grep -v '^#'; ip -4 route; cat /etc/resolv.conf;"
             " sysctl -n net.ipv4.ip_forward; getent passwd | cut -d: -f1; dpkg-query -W -f '${Package}\\n' | md5sum;"
             f" find /etc /opt /srv -newer {MARKER} -not -path '/etc/hosts*' -not -name resolv.conf -not -name hostname")
    return {host["name"]: box.exec(host["name"], "sh", "-c", probe).stdout for host in box.nodes}


def _connect_file(box: Sandbox, directory: Path) -> Path:
    """-e values that send a case's hosts to the sandbox: its master host to the master, every
    other host to the worker (the inventories' own addresses are left as they are)."""
    master, worker = box.hosts("master")[0], box.hosts("workers")[0]
    path = directory / "connect.yml"
    path.write_text(yaml.safe_dump({
        **DOCKER_CONNECTION_VARS,
        "ansible_docker_host": f"{{{{ '{master}' if inventory_hostname in (groups['master'] | default([]))[:1] else '{worker}' }}}}",
    }))
    return path


def _refusal(case: BadInput, directory: Path, connect: Path) -> str:
    """'' when site.yml refused CASE before its second play, else why not."""
    inventory = case.copy_to(directory)
    extra = [arg for pair in case.extra_vars for arg in ("-e", pair)]
    result = run_playbook("site.yml", *extra, "-e", f"@{connect}", inventory=inventory, timeout=300)
    out = " ".join((result.stdout + result.stderr).split())
    plays = re.findall(r"^PLAY \[(.*?)\]", result.stdout, re.M)
    if result.returncode == 0:
        return f"{case.name}: accepted"
    if plays not in ([], [FIRST_PLAY]):
        return f"{case.name}: reached the plays {plays}"
    if case.name in ANSIBLE_REFUSES_ITSELF:
        expected = ANSIBLE_REFUSES_ITSELF[case.name].format(inventory=inventory)
        return "" if expected in out else f"{case.name}: no message {expected!r} from Ansible in: {out[-800:]}"
    if case.what not in out:
        return f"{case.name}: no message {case.what!r} in: {out[-800:]}"
    return ""


@pytest.mark.docker
def test_site_yml_refuses_every_bad_input_before_any_host_changes(tmp_path: Path) -> None:
    with sandbox(NAME, CIDR, tmp_path, nodes=node_list(NAME, workers=1)) as box:
        for host in box.nodes:
            box.exec(host["name"], "sh", "-c", f"echo untouched > {MARKER}; touch -d '1 minute ago' {MARKER}")
        before = _state(box)
        connect = _connect_file(box, tmp_path)
        cases = bad_inputs()
        assert len(cases) >= 60
        started = time.monotonic()
        # Two at a time: the machine has two cores, and each run is mostly Ansible starting up.
        with ThreadPoolExecutor(max_workers=2) as pool:
            failures = [why for why in pool.map(lambda c: _refusal(c, tmp_path / "cases", connect), cases) if why]
        seconds = time.monotonic() - started
        assert failures == [], "\n".join(failures)
        assert _state(box) == before, "a refused run changed a host"
        print(f"{len(cases)} bad inputs refused by site.yml in {seconds:.0f} s; hosts unchanged")

        # The same hosts, a good inventory: site.yml goes past its first play and changes
        # them (the NAT play), until a rule that needs the host's facts stops it (a locale the
        # distribution cannot generate): the snapshot above does see a change.
        applied = run_playbook("site.yml", "-e", "locale_default=xx_XX.UTF-8", inventory=box.inventory)
        assert applied.returncode != 0, applied.stdout[-3000:]
        assert "PLAY [Route the workers through the master]" in applied.stdout, applied.stdout[-3000:]
        assert "'xx_XX.UTF-8' (in locale_default) is not a locale" in " ".join(applied.stdout.split()), applied.stdout[-3000:]
        after = _state(box)
        assert after != before
        assert "MASQUERADE" in after[box.hosts("master")[0]]
