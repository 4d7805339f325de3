"""`hadoop-deploy inventory check`: a corpus of bad inventories, each with its own message.

Every case runs through the command line (as a user would) and through `apply`, with
ansible-runner and every network connection made to fail: bad input must be stopped
before any host is contacted.

Files that are broken on purpose are kept as NAME.broken (so that the project's linters
pass) and get their real name in the copy each test checks.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import Any

import pytest

from hadoop_deploy import checks, cli, runner
from hadoop_deploy.inventory import load

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "fixtures" / "inventories"

# case -> (the file the message names, what the message says)
BAD: dict[str, tuple[str, str]] = {
    "no_master": ("hosts.yml", "no host is in group 'master'"),
    "two_masters": ("hosts.yml", "2 hosts are in group 'master' (nn1, nn2)"),
    "no_workers": ("hosts.yml", "no host is in group 'workers'"),
    "duplicate_names": ("hosts.yml:11", "host 'dn1' is listed twice in the same group (lines 9 and 11)"),
    "duplicate_names_ini": ("hosts.ini:6", "host 'dn1' is listed twice in [workers] (lines 4 and 6)"),
    "duplicate_names_case": ("hosts.yml", "hosts 'dn1' and 'DN1' have the same name"),
    "duplicate_addresses": ("hosts.yml (host dn2)", "hosts dn1, dn2 share the same ansible_host '192.0.2.11'"),
    "duplicate_private_ips": ("hosts.yml (host dn2)", "hosts nn1, dn2 share the same private_ip '10.42.0.10'"),
    "bad_address": ("hosts.yml (host nn1)", "ansible_host '192.0.2.300' of host 'nn1' is not a valid IP address"),
    "bad_private_ip": ("host_vars/dn1.yml", "private_ip 'dn1.lab.internal' of host 'dn1' is not a valid IP address"),
    "private_ip_outside": ("hosts.yml (host nn1)", "private_ip 10.43.0.10 of host 'nn1' is outside cluster_private_cidr 10.42.0.0/24"),
    "bad_cidr": ("group_vars/all.yml", "cluster_private_cidr '10.42.0.0/33' is not an IPv4 network in CIDR form"),
    "cidr_host_bits": ("group_vars/all.yml", "cluster_private_cidr '10.42.0.1/24' has host bits set"),
    "unknown_hadoop_version": ("group_vars/all.yml", "hadoop_version '3.9.9' has no known checksum"),
    "hadoop_version_number": ("group_vars/all.yml", "hadoop_version 3.5 is a number, not a string"),
    "bad_checksum": ("group_vars/all.yml", "hadoop_checksum is not 'sha512:' followed by 128 lower-case hex digits"),
    "bad_hadoop_source": ("group_vars/all.yml", "hadoop_source 'ftp' is not one of apache, url, maven"),
    "url_without_hadoop_url": ("group_vars/all.yml", "hadoop_source is 'url' but hadoop_url is not set"),
    "bad_admin_user": ("group_vars/all.yml", "cluster_admin_user 'Hadoop Admin' is not a valid Linux user name"),
    "admin_user_root": ("group_vars/all.yml", "cluster_admin_user 'root' is root: the admin must be an account of its own"),
    "admin_user_hdfs": ("group_vars/all.yml", "cluster_admin_user 'hdfs' is a Hadoop service account (hdfs, yarn, mapred)"),
    "admin_user_nobody": ("group_vars/all.yml", "cluster_admin_user 'nobody' is a Debian system account"),
    "missing_required_variable": ("group_vars/all.yml", "required variable cluster_private_cidr"),
    "yaml_syntax_error": ("hosts.yml:7:12", "is not valid YAML"),
    "group_vars_syntax_error": ("group_vars/all.yml:3:17", "is not valid YAML: mapping values are not allowed here"),
    "host_in_no_group": ("hosts.yml", "host 'stray' is in no group"),
    "host_in_other_group": ("hosts", "host 'gateway1' is in group(s) edge but in neither 'master' nor 'workers'"),
    "empty_file": ("hosts.yml", "is empty: it lists no hosts"),
    "not_an_inventory": ("hosts.yml", "is not an inventory: its top level is a list"),
}


@pytest.fixture
def no_hosts(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Make ansible-runner and every outgoing connection fail loudly; record any attempt."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append((args, kwargs))
        raise AssertionError("a host would have been contacted")

    import ansible_runner

    monkeypatch.setattr(ansible_runner, "run", refuse)
    monkeypatch.setattr(ansible_runner, "run_async", refuse)
    monkeypatch.setattr(runner, "run", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def test_the_corpus_is_complete() -> None:
    assert sorted(p.name for p in (CORPUS / "bad").iterdir()) == sorted(BAD)
    assert len(BAD) >= 12


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_inventory_is_refused_with_its_own_message(
    case: str, no_hosts: list[Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    where, what = BAD[case]
    shutil.copytree(CORPUS / "bad" / case, tmp_path / case)
    for broken in (tmp_path / case).rglob("*.broken"):
        broken.rename(broken.with_suffix(""))
    monkeypatch.chdir(tmp_path)
    path = Path(case)
    assert cli.main(["inventory", "check", str(path)]) == 1
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert first.startswith(f"error: {case}/{where}: "), err
    assert what in first, err
    assert "\n  fix: " in err
    assert "Traceback" not in err
    # Other rules do not pile up on the same mistake: one error per case.
    assert err.count("error: ") == 1, err
    # apply stops at the same place, before Ansible starts.
    assert cli.main(["apply", str(path)]) == 1
    assert what in capsys.readouterr().err
    assert no_hosts == []


@pytest.mark.parametrize("case", ["yaml", "ini"])
def test_good_inventories_pass(case: str, no_hosts: list[Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["inventory", "check", str(CORPUS / "good" / case)]) == 0
    out = capsys.readouterr().out
    assert "OK: master nn1; 2 worker(s) dn1, dn2; private network 10.42.0.0/24" in out


def test_the_example_inventory_passes(no_hosts: list[Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["inventory", "check", str(PROJECT / "inventory" / "prod")]) == 0
    assert "master hadoop-master" in capsys.readouterr().out


def test_variables_keep_ansible_precedence_and_their_source() -> None:
    inventory = load(CORPUS / "good" / "yaml")
    assert list(inventory.hosts) == ["nn1", "dn1", "dn2"]
    assert inventory.group_hosts("workers") == ["dn1", "dn2"]  # the range dn[1:2]
    dn1 = inventory.hosts["dn1"]
    assert dn1.vars["private_ip"].value == "10.42.0.11"
    assert dn1.vars["private_ip"].source.endswith("good/yaml/host_vars/dn1.yml")
    assert dn1.vars["cluster_private_cidr"].source.endswith("good/yaml/group_vars/all.yml")
    assert dn1.vars["hadoop_version"].source.endswith("good/yaml/hosts.yml (group all)")


def test_extra_vars_override_the_inventory(no_hosts: list[Any], capsys: pytest.CaptureFixture[str]) -> None:
    path = str(CORPUS / "good" / "yaml")
    assert cli.main(["inventory", "check", path, "-e", "cluster_private_cidr=10.42.0.7/24"]) == 1
    assert "error: -e on the command line: cluster_private_cidr '10.42.0.7/24' has host bits set" in capsys.readouterr().err


def test_a_vars_file_for_a_group_that_does_not_exist_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = CORPUS / "good" / "yaml"
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "hosts.yml").write_text((source / "hosts.yml").read_text())
    (tmp_path / "group_vars" / "all.yml").write_text("cluster_private_cidr: 10.42.0.0/24\n")
    (tmp_path / "group_vars" / "worker.yml").write_text("x: 1\n")
    assert cli.main(["inventory", "check", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "warning: " in err and "is for group 'worker', which the inventory does not have" in err


def test_a_missing_inventory_is_a_user_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["inventory", "check", "no/such/inventory"]) == 1
    err = capsys.readouterr().err
    assert "inventory 'no/such/inventory' does not exist" in err and "fix:" in err


def test_hadoop_catalog_without_the_role_file(tmp_path: Path) -> None:
    catalog = checks.hadoop_catalog(tmp_path / "missing.yml", tmp_path / "missing-defaults.yml")
    assert catalog.checksums == {} and catalog.default_version == "3.5.0"
    inventory = load(CORPUS / "good" / "yaml")
    problems = checks.check(inventory, catalog)
    assert [p.what for p in problems] == [
        "hadoop_version '3.5.0' has no known checksum (known versions: none yet, from "
        f"{catalog.source})"
    ]


def test_hadoop_catalog_reads_the_role(tmp_path: Path) -> None:
    (tmp_path / "vars.yml").write_text('hadoop_checksums:\n  "3.5.0": "sha512:abc"\n  "3.6.0": "sha512:def"\n')
    (tmp_path / "defaults.yml").write_text('hadoop_version: "3.6.0"\n')
    catalog = checks.hadoop_catalog(tmp_path / "vars.yml", tmp_path / "defaults.yml")
    assert sorted(catalog.checksums) == ["3.5.0", "3.6.0"] and catalog.default_version == "3.6.0"
