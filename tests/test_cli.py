"""The command line: arguments, what each verb hands to ansible-runner, exit codes, errors.

ansible-runner is replaced by a replay of recorded events (tests/fixtures/events/), except
in the last test, which runs the real thing on localhost.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hadoop_deploy import cli, runner, sandbox, tunnel
from hadoop_deploy.errors import UserError
from hadoop_deploy.paths import PROJECT_DIR as PROJECT

HERE = Path(__file__).resolve().parent
EVENTS = HERE / "fixtures" / "events"
GOOD = HERE / "fixtures" / "inventories" / "good" / "yaml"


class Replay:
    """Stands in for runner.run: feeds a recorded stream to the handler, records the call."""

    def __init__(self, fixture: str, rc: int) -> None:
        self.fixture = fixture
        self.rc = rc
        self.calls: list[dict[str, Any]] = []

    def __call__(self, verb: str, handler: Any, **kwargs: Any) -> runner.RunResult:
        self.calls.append({"verb": verb, **kwargs})
        for line in (EVENTS / f"{self.fixture}.jsonl").read_text().splitlines():
            assert handler(json.loads(line)) is not False
        return runner.RunResult(rc=self.rc, status="successful" if self.rc == 0 else "failed",
                                artifacts=Path("artifacts") / f"{verb}-x", seconds=12.0)


@pytest.fixture
def replay(monkeypatch: pytest.MonkeyPatch) -> Any:
    def install(fixture: str, rc: int = 0) -> Replay:
        fake = Replay(fixture, rc)
        monkeypatch.setattr(runner, "run", fake)
        return fake

    return install


def test_apply_passes_its_options_and_returns_ansibles_exit_code(replay: Any, capsys: pytest.CaptureFixture[str]) -> None:
    fake = replay("apply_failed", rc=4)
    code = cli.main(["apply", str(GOOD), "--limit", "workers", "--tags", "hdfs", "-e", "hadoop_source=maven", "--diff"])
    assert code == 4
    call = fake.calls[0]
    assert call["verb"] == "apply" and call["playbook"].name == "site.yml"
    assert (call["check"], call["diff"], call["limit"], call["tags"]) == (False, True, "workers", "hdfs")
    assert call["extravars"] == {"hadoop_source": "maven"}
    assert call["inventory"] == str(GOOD.absolute())
    out = capsys.readouterr().out
    assert "OK: master nn1" in out  # the inventory check ran first
    assert "Failures:" in out and "hd-local-worker9 unreachable at task 'Gathering Facts'" in out
    assert "Artifacts: artifacts/apply-x" in out


def test_plan_is_apply_in_check_and_diff_mode(replay: Any, capsys: pytest.CaptureFixture[str]) -> None:
    fake = replay("plan_nochange")
    assert cli.main(["plan", str(GOOD)]) == 0
    assert (fake.calls[0]["check"], fake.calls[0]["diff"], fake.calls[0]["verb"]) == (True, True, "plan")
    out = capsys.readouterr().out
    assert "check mode: nothing will change" in out and "Plan: no changes." in out


def test_status_renders_and_exits_3_when_unhealthy(replay: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fake = replay("status_absent")
    inventory = _sandbox_like_inventory(tmp_path)
    assert cli.main(["status", str(inventory)]) == 3
    assert fake.calls[0]["playbook"].name == "status.yml"
    captured = capsys.readouterr()
    assert "hadoop-namenode          not installed" in captured.out
    assert "Not healthy:" in captured.out
    assert cli.main(["status", str(inventory), "--json"]) == 3
    data = json.loads(capsys.readouterr().out)
    assert data["healthy"] is False
    assert data["nodes"]["hd-local-worker1"]["services"]["hadoop-datanode"] == "absent"
    assert data["cluster"]["hdfs"]["answered"] is False


def test_exec_runs_the_command_after_the_double_dash(replay: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fake = replay("exec_hostname")
    inventory = _sandbox_like_inventory(tmp_path)
    assert cli.main(["exec", str(inventory), "--limit", "all", "--", "hostname"]) == 0
    call = fake.calls[0]
    assert (call["module"], call["module_args"], call["host_pattern"]) == ("ansible.builtin.shell", "hostname", "all")
    assert capsys.readouterr().out.splitlines() == [
        "== hd-local-master (exit 0)", "hd-local-master", "== hd-local-worker1 (exit 0)", "hd-local-worker1",
        "== hd-local-worker2 (exit 0)", "hd-local-worker2"]
    cli.main(["exec", str(inventory), "--", "ls", "-l", "/a b"])
    assert fake.calls[1]["module_args"] == "ls -l '/a b'"


def test_exec_without_a_command_says_how(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["exec", str(GOOD)]) == 1
    err = capsys.readouterr().err
    assert "no command given" in err and "-- hostname" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["apply", "missing/inventory"], "inventory 'missing/inventory' does not exist"),
        (["apply", str(GOOD), "-e", "novalue"], "-e 'novalue' is not KEY=VALUE"),
        (["up", "--workers", "0"], "--workers 0 is out of range"),
        (["up", "--clients", "4"], "--clients 4 is out of range"),
        (["down", "--purge"], "--purge deletes the sandbox's HDFS data and needs confirmation"),
    ],
)
def test_user_errors_say_what_and_how_to_fix(argv: list[str], message: str, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    monkeypatch.setattr(runner, "run", lambda *a, **k: pytest.fail("nothing may run"))
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and "fix: " in err and "Traceback" not in err


def test_the_sandbox_inventory(tmp_path: Path) -> None:
    sandbox.write_inventory(sandbox.nodes(2, clients=1), directory=tmp_path)
    hosts = (tmp_path / "hosts.yml").read_text()
    # By default as users reach their hosts: SSH as the non-root account, through the
    # ssh_config the create playbook leaves beside the inventory.
    assert "ansible_connection: ssh\n" in hosts and "ansible_user: debian\n" in hosts
    assert "ansible_port: 2122\n" in hosts
    assert f"ansible_ssh_common_args: -F {sandbox.ssh_dir(tmp_path).resolve() / 'ssh_config'}\n" in hosts
    assert "    master:\n      hosts:\n        hd-local-master:\n" in hosts
    assert "        hd-local-worker1:\n        hd-local-worker2:\n" in hosts
    assert "    clients:\n      hosts:\n        hd-local-client1:\n" in hosts
    group_vars = (tmp_path / "group_vars" / "all.yml").read_text()
    assert "cluster_private_cidr: 10.42.100.0/24" in group_vars and "hadoop_source: maven" in group_vars
    # The create playbook's files beside it are no inventory to Ansible (which refuses what it
    # cannot parse): a known_hosts line is not an inventory line.
    for directory in (sandbox.ssh_dir(tmp_path), sandbox.hosts_dir(tmp_path)):
        directory.mkdir()
    (sandbox.ssh_dir(tmp_path) / "known_hosts").write_text("[hd-local-master]:2122 ssh-ed25519 AAAAC3Nza\n")
    (sandbox.hosts_dir(tmp_path) / "hd-local-master").write_text("127.0.0.1 localhost\n")
    listed = subprocess.run([str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(tmp_path), "--graph"],
                            capture_output=True, text=True, env=dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg")))
    assert listed.returncode == 0 and "hd-local-worker2" in listed.stdout, listed.stderr[-2000:]
    assert cli.main(["inventory", "check", str(tmp_path)]) == 0
    sandbox.write_inventory(sandbox.nodes(2), "docker", directory=tmp_path)
    hosts = (tmp_path / "hosts.yml").read_text()
    assert "ansible_connection: community.docker.docker" in hosts and "ansible_user: root" in hosts


def test_runner_delivers_real_events_and_stats(tmp_path: Path) -> None:
    """The real ansible-runner, on localhost: events reach the handler, the exit code is Ansible's."""
    seen: list[str] = []
    result = runner.run(
        "test", lambda e: seen.append(e["event"]), inventory=sandbox._LOCALHOST,
        module="ansible.builtin.command", module_args="echo hello", host_pattern="localhost",
    )
    assert result.rc == 0 and result.status == "successful"
    assert "runner_on_ok" in seen and (result.artifacts / "job_events").is_dir()
    failed = runner.run(
        "test", lambda e: None, inventory=sandbox._LOCALHOST,
        module="ansible.builtin.command", module_args="false", host_pattern="localhost",
    )
    assert failed.rc == 2


def _sandbox_like_inventory(tmp_path: Path) -> Path:
    directory = tmp_path / "local"
    sandbox.write_inventory(sandbox.nodes(2), directory=directory)
    return directory


def test_web_uis_follow_the_masters_local_facts() -> None:
    # What the hadoop role writes into /etc/ansible/facts.d/hadoop.fact, with moved ports.
    fact = json.dumps({"web": {"namenode": {"url": "http://m.lab:9871", "port": 9871},
                               "resourcemanager": {"url": "http://m.lab:8089", "port": 8089},
                               "jobhistoryserver": {"url": "http://m.lab:19888", "port": 19888}}})
    assert tunnel.web_uis(fact, "m.lab") == [("HDFS NameNode", "m.lab", 9871, "/"), ("YARN ResourceManager", "m.lab", 8089, "/"),
                                             ("MapReduce JobHistory", "m.lab", 19888, "/")]
    # HttpFS where the master runs it (hadoop_httpfs_enabled): its REST API, at its private address.
    with_httpfs = json.dumps({"web": {**json.loads(fact)["web"], "httpfs": {"url": "http://10.0.0.2:14000", "port": 14000}}})
    assert tunnel.web_uis(with_httpfs, "m.lab")[-1] == ("HttpFS (WebHDFS API)", "10.0.0.2", 14000, "/webhdfs/v1/?op=LISTSTATUS")
    assert tunnel.as_user("/webhdfs/v1/?op=LISTSTATUS", "hdadmin") == "/webhdfs/v1/?op=LISTSTATUS&user.name=hdadmin"
    assert tunnel.as_user("/", "hdadmin") == "/?user.name=hdadmin"
    # A master the role never configured: a message that says what to run, no traceback.
    with pytest.raises(UserError, match="hadoop.fact does not say where the web UIs answer"):
        tunnel.web_uis('{"web": {"namenode": {"url": "http://m.lab:9870", "port": 9870}}}', "m.lab")
    with pytest.raises(UserError, match="run `hadoop-deploy apply INVENTORY` first"):
        tunnel.web_uis("", "m.lab")
