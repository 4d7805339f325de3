"""The nat role on a throwaway sandbox: `--check --diff` on fresh hosts changes nothing, and
bad input (a private subnet that is not a CIDR, a public interface the master does not have,
a port to open that is out of range) stops the play with a clear message before any rule,
route or file changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from .sandbox import Sandbox, node_list, run_playbook, sandbox

NAME = "hd-nat-neg"
CIDR = "10.42.16.0/24"


def _state(box: Sandbox) -> dict[str, str]:
    """What the role may change: the master's rules, forwarding, files and packages; the
    worker's route, resolver and units."""
    master = box.hosts("master")[0]
    worker = box.hosts("workers")[0]
    probes = {
        "master rules": (master, "iptables-save 2>/dev/null | grep -v '^#' || echo 'no iptables'"),
        "master forwarding": (master, "sysctl -n net.ipv4.ip_forward"),
        "master files": (master, "cat /etc/nat/rules.v4 /etc/dnsmasq.d/nat.conf 2>&1"),
        "master units": (master, "ls /etc/systemd/system /usr/local/sbin"),
        "master packages": (master, "dpkg-query -W -f '${Package} ${Status}\\n' iptables dnsmasq 2>&1"),
        "worker route": (worker, "ip -4 route"),
        "worker resolver": (worker, "cat /etc/resolv.conf"),
        "worker units": (worker, "ls /etc/systemd/system"),
    }
    return {name: box.exec(host, "sh", "-c", command).stdout for name, (host, command) in probes.items()}


def _nat(box: Sandbox, *args: str, **extra_vars: str):
    return run_playbook("playbooks/nat.yml", *args, inventory=box.inventory, extra_vars=extra_vars)


@pytest.mark.docker
def test_check_mode_and_bad_input_change_nothing(tmp_path: Path) -> None:
    with sandbox(NAME, CIDR, tmp_path, nodes=node_list(NAME, workers=1)) as box:
        fresh = _state(box)

        # --check --diff on fresh hosts runs through and leaves them as they were.
        checked = _nat(box, "--check", "--diff")
        assert checked.returncode == 0, checked.stdout[-4000:]
        assert "changed=" in checked.stdout
        assert _state(box) == fresh

        # A real run, so that there are rules that bad input must leave alone.
        applied = _nat(box)
        assert applied.returncode == 0, applied.stdout[-4000:]
        converged = _state(box)
        assert converged != fresh
        assert "-j MASQUERADE" in converged["master rules"]

        bad_inputs = [
            ({"nat_private_cidr": "10.42.16.0/33"},
             "nat_private_cidr '10.42.16.0/33' is not an IPv4 network in CIDR form"),
            ({"nat_private_cidr": "private-net"},
             "nat_private_cidr 'private-net' is not an IPv4 network in CIDR form"),
            ({"nat_public_interface": "eth9"},
             f"the master {NAME}-master has no usable public interface 'eth9'"),
            ({"nat_public_open_ports": [8088, 70000]},
             "nat_public_open_ports [8088, 70000]: 70000 is not a TCP port"),
        ]
        for extra_vars, message in bad_inputs:
            result = _nat(box, **extra_vars)
            out = " ".join(result.stdout.split())  # fail_msg is folded over lines
            assert result.returncode != 0, out[-3000:]
            assert message in out, out[-3000:]
            # Stopped in the preflight checks: no task after them ran on any host.
            assert "TASK [nat : Create the DNS forwarder's configuration directory]" not in result.stdout
            assert "TASK [nat : Create the client's configuration directory]" not in result.stdout
            assert _state(box) == converged, f"{extra_vars} changed the hosts"
