"""`hadoop-deploy inventory check`: a corpus of bad inventories and variable sets, each with its own message.

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
import yaml

from hadoop_deploy import checks, cli, runner
from hadoop_deploy.inventory import load

from .bad_inputs import BAD_INVENTORIES, BAD_VARIABLES, CORPUS, EXTRA_VARS_WHERE, bad_inputs
from .sandbox import run_local_play, run_playbook

PROJECT = Path(__file__).resolve().parent.parent

BAD = {case.name: case for case in bad_inputs()}


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
    assert sorted(p.name for p in (CORPUS / "bad").iterdir()) == sorted(BAD_INVENTORIES)
    assert not set(BAD_INVENTORIES) & set(BAD_VARIABLES)
    assert len(BAD) >= 60
    # Each case has its own message (the same mistake in a file and in -e differ by where).
    assert len({(case.where, case.what) for case in BAD.values()}) == len(BAD)


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_refused_with_its_own_message(
    case: str, no_hosts: list[Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bad = BAD[case]
    path = bad.copy_to(tmp_path).relative_to(tmp_path)
    extra = [arg for pair in bad.extra_vars for arg in ("-e", pair)]
    monkeypatch.chdir(tmp_path)
    assert cli.main(["inventory", "check", str(path), *extra]) == 1
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    where = bad.where if bad.where == EXTRA_VARS_WHERE else f"{case}/{bad.where}"
    assert first.startswith(f"error: {where}: "), err
    assert bad.what in first, err
    assert "\n  fix: " in err
    assert "Traceback" not in err
    assert "user:secret" not in err  # a proxy's password is never shown
    # Other rules do not pile up on the same mistake: one error per case.
    assert err.count("error: ") == 1, err
    # apply stops at the same place, before Ansible starts.
    assert cli.main(["apply", str(path), *extra]) == 1
    assert bad.what in capsys.readouterr().err
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
    # Each value names the file and line Ansible read it from.
    assert dn1.vars["private_ip"].source.endswith("good/yaml/host_vars/dn1.yml:2")
    assert dn1.vars["cluster_private_cidr"].source.endswith("good/yaml/group_vars/all.yml:2")
    assert dn1.vars["hadoop_version"].source.endswith("good/yaml/hosts.yml:11")
    assert inventory.hosts["nn1"].vars["private_ip"].source.endswith("good/yaml/hosts.yml:6")


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


# --------------------------------------------------------------------------- the same rules in Ansible


def _preflight(inventory: Path, *args: str) -> tuple[int, str]:
    """site.yml's first play on INVENTORY (it contacts no host): exit code and output."""
    result = run_playbook("playbooks/preflight.yml", *args, inventory=inventory, timeout=300)
    return result.returncode, " ".join((result.stdout + result.stderr).split())


def _with_group_vars(tmp_path: Path, **values: Any) -> Path:
    target = tmp_path / "inventory"
    shutil.copytree(CORPUS / "good" / "yaml", target)
    (target / "group_vars" / "all.yml").write_text(
        yaml.safe_dump({"cluster_private_cidr": "10.42.0.0/24", **values}, sort_keys=False))
    return target


def test_hosts_on_one_address_differ_by_port_in_both_checks(capsys: pytest.CaptureFixture[str]) -> None:
    # The project's VMs share one address, each with its own SSH port: accepted by both.
    shared = CORPUS / "good" / "shared_address"
    assert cli.main(["inventory", "check", str(shared)]) == 0
    assert _preflight(shared)[0] == 0
    # The same address and the same port: refused by both, with the same words.
    same = CORPUS / "bad" / "duplicate_address_and_port"
    message = "hosts dn1, dn2 share the same ansible_host and ansible_port '192.0.2.10:2202'"
    assert cli.main(["inventory", "check", str(same)]) == 1
    assert message in capsys.readouterr().err
    rc, out = _preflight(same)
    assert rc != 0 and message in out, out[-2000:]


UPPER_CASE_CHECKSUM = "sha512:" + "0123456789ABCDEF" * 8


def test_an_upper_case_checksum_is_accepted_everywhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # One rule: the hex digits in either case (get_url and the role compare them in lower case).
    inventory = _with_group_vars(tmp_path, hadoop_version="3.4.2", hadoop_checksum=UPPER_CASE_CHECKSUM)
    assert cli.main(["inventory", "check", str(inventory)]) == 0
    assert _preflight(inventory)[0] == 0
    # ... and in the hadoop role's own preflight (the plugin's role mode), which can refuse.
    for checksum, refused in ((UPPER_CASE_CHECKSUM, False), (UPPER_CASE_CHECKSUM[:-1], True)):
        play = {"vars": {"hadoop_version": "3.4.2", "hadoop_source": "apache", "hadoop_checksum": checksum},
                "tasks": [{"name": "check", "inventory_check": {"role": "hadoop"}, "register": "r", "failed_when": False}]}
        proc, result = run_local_play(tmp_path, play)
        assert result is not None, proc.stdout[-2000:]
        assert any("hadoop_checksum is not 'sha512:' followed by 128 hex digits" in p for p in result["problems"]) == refused
    # A checksum of the wrong form is refused by both.
    bad = _with_group_vars(tmp_path / "bad", hadoop_version="3.4.2", hadoop_checksum=UPPER_CASE_CHECKSUM + "0")
    assert cli.main(["inventory", "check", str(bad)]) == 1
    assert "hadoop_checksum is not 'sha512:' followed by 128 hex digits" in capsys.readouterr().err
    rc, out = _preflight(bad)
    assert rc != 0 and "hadoop_checksum is not 'sha512:' followed by 128 hex digits" in out


def test_the_maven_source_is_not_asked_for_a_checksum(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 3.4.2 has no known checksum: maven (which downloads no tarball) needs none ...
    maven = _with_group_vars(tmp_path / "maven", hadoop_source="maven", hadoop_version="3.4.2")
    assert cli.main(["inventory", "check", str(maven)]) == 0
    assert _preflight(maven)[0] == 0
    # ... while the Apache tarball of the same version is refused without one, by both.
    apache = _with_group_vars(tmp_path / "apache", hadoop_source="apache", hadoop_version="3.4.2")
    assert cli.main(["inventory", "check", str(apache)]) == 1
    assert "hadoop_version '3.4.2' has no known checksum" in capsys.readouterr().err
    rc, out = _preflight(apache)
    assert rc != 0 and "hadoop_version '3.4.2' has no known checksum" in out


def test_a_boolean_given_as_json_on_the_command_line_passes(no_hosts: list[Any], capsys: pytest.CaptureFixture[str]) -> None:
    path = str(CORPUS / "good" / "yaml")
    assert cli.main(["inventory", "check", path, "-e", '{"hadoop_http_anonymous": true, "hadoop_wait_timeout": 600}']) == 0
    # The same as KEY=VALUE is a string (bad_variables.yml: e_boolean_as_a_string).
    assert cli.main(["inventory", "check", path, "-e", "hadoop_http_anonymous=true"]) == 1
    assert "-e '{\"hadoop_http_anonymous\": true}'" in capsys.readouterr().err


def test_group_vars_beside_the_playbook_count_as_in_ansible_playbook(tmp_path: Path) -> None:
    # ansible-playbook site.yml reads group_vars/ beside site.yml too, over the inventory's.
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "all.yml").write_text("hadoop_wait_timeout: 0\n")
    inventory = load(CORPUS / "good" / "yaml", playbook_dir=tmp_path)
    assert inventory.hosts["dn1"].vars["hadoop_wait_timeout"].source.endswith("group_vars/all.yml:1")
    assert [p.what for p in checks.check(inventory)] == ["hadoop_wait_timeout 0 is 0: a timeout must be at least 1 (for every host)"]


@pytest.mark.parametrize(("role", "values", "message"), [
    # As molecule/etc_hosts/prepare.yml, molecule/docker/side_effect.yml and test_nat.py give them to the roles.
    ("docker", {"docker_http_proxy": "http//10.42.7.1:3128"}, "docker_http_proxy 'http//10.42.7.1:3128' does not parse"),
    ("docker", {"docker_registry_host": "registry:5000"}, "docker_registry_host 'registry:5000' is not a host name"),
    ("docker", {"docker_insecure_registries": ["bad host:5000"]}, "has 'bad host:5000', which is not host[:port]"),
    ("etc_hosts", {"etc_hosts_nodes": ["nn1", "data_node1"]}, "'data_node1' is not a valid host name"),
    ("nat", {"nat_public_open_ports": [8088, 70000]}, "nat_public_open_ports [8088, 70000]: 70000 is not a TCP port"),
    ("apt_cache", {"apt_cache_port": 70000}, "apt_cache_port 70000: 70000 is not a TCP port"),
    ("apt_cache", {"apt_cache_upstream_proxy": "proxy:3128"}, "apt_cache_upstream_proxy 'proxy:3128' does not parse"),
    ("users", {"users_admin_name": "root", "cluster_hdfs_user": "hdfs"}, "users_admin_name 'root' is root"),
    ("nfs_server", {"nfs_server_exports": [{"path": "/etc"}]}, "has path '/etc', which is the system directory /etc"),
    ("spark", {"spark_executor_cores": 0}, "spark_executor_cores 0 is 0: an executor's cores must be at least 1"),
])
def test_the_roles_check_their_own_variables_with_the_same_rules(tmp_path: Path, role: str, values: dict, message: str) -> None:
    play = {"vars": values,
            "tasks": [{"name": "check", "inventory_check": {"role": role}, "register": "r", "failed_when": False}]}
    proc, result = run_local_play(tmp_path, play)
    assert result is not None, proc.stdout[-2000:]
    assert any(message in p for p in result["problems"]), result
    assert "nothing was changed" in result["msg"] and "fix:" in result["msg"]
