"""Progress and summary rendering, driven by event streams recorded from real runs.

The fixtures under tests/fixtures/events/ are ansible-runner's job_events of real runs on
a sandbox (recorded with tests/fixtures/record_events.py):
  apply_ok        site.yml on a master and two workers, all green
  apply_failed    the same with a ghost worker (unreachable) and a wrong private network
                  (-e cluster_private_cidr=10.42.200.0/24), so a role's task fails on both
  plan_nochange   `plan` right after `up`
  sandbox_create  playbooks/sandbox/create.yml (changes on localhost)
  status_absent   playbooks/status.yml before Hadoop is installed
  exec_hostname   `exec -- hostname` (ad hoc)
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from hadoop_deploy import execute, render, status

EVENTS = Path(__file__).resolve().parent / "fixtures" / "events"


def events(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (EVENTS / f"{name}.jsonl").read_text().splitlines() if line]


def tally_of(name: str) -> render.Tally:
    tally = render.Tally()
    for event in events(name):
        tally.feed(event)
    return tally


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_successful_apply() -> None:
    tally = tally_of("apply_ok")
    counts = tally.final_counts()
    assert list(counts) == ["hd-local-master", "hd-local-worker1", "hd-local-worker2"]
    assert counts["hd-local-master"] == render.HostCounts(ok=16, skipped=2)
    assert counts["hd-local-worker2"] == render.HostCounts(ok=12, skipped=2)
    assert tally.failures == []
    text = render.summary(tally, 0, 34.2, "artifacts/apply-1")
    assert text.splitlines()[1:5] == [
        "HOST              OK  CHANGED  FAILED  UNREACHABLE  SKIPPED  RESCUED  IGNORED",
        "hd-local-master   16        0       0            0        2        0        0",
        "hd-local-worker1  12        0       0            0        2        0        0",
        "hd-local-worker2  12        0       0            0        2        0        0",
    ]
    assert text.endswith("Run succeeded in 34 s. Artifacts: artifacts/apply-1")
    assert "Failures" not in text


def test_failures_name_the_host_the_task_and_the_modules_message() -> None:
    tally = tally_of("apply_failed")
    assert [(f.host, f.task, f.unreachable) for f in tally.failures] == [
        ("hd-local-worker9", "Gathering Facts", True),
        ("hd-local-master", "cluster : Check that this node has an address on the private network", False),
        ("hd-local-worker1", "cluster : Check that this node has an address on the private network", False),
    ]
    counts = tally.final_counts()
    assert counts["hd-local-worker9"].unreachable == 1 and counts["hd-local-master"].failed == 1
    text = render.summary(tally, 4, 33, "artifacts/apply-2")
    assert "- hd-local-worker9 unreachable at task 'Gathering Facts':" in text
    assert "- hd-local-master failed at task 'cluster : Check that this node has an address on the private network':" in text
    assert "Failed to create temporary directory" in text  # the connection's own words
    assert "Traceback" not in text and "traceback unavailable" not in text
    assert text.endswith("Run FAILED (exit code 4) in 33 s. Artifacts: artifacts/apply-2")


def test_log_progress_shows_plays_tasks_failures_and_counters() -> None:
    out = io.StringIO()
    progress = render.Progress(out, live=False)
    assert all(progress(event) is True for event in events("apply_failed"))
    lines = out.getvalue().splitlines()
    assert lines[0] == "PLAY  Check the inventory"
    assert "  TASK  cluster : Find this node's address on the private network" in lines
    assert any(line.startswith("    UNREACHABLE: hd-local-worker9: ") for line in lines)
    assert any(line.startswith("    FAILED: hd-local-master: ") for line in lines)
    # each play ends with the per-host counters
    assert "  hd-local-worker9  ok 6   changed 0   failed 0  unreachable 1" in lines
    assert "  hd-local-master   ok 14  changed 0   failed 1  unreachable 0" in lines


def test_live_progress_redraws_play_task_and_counters_in_place() -> None:
    out = _Terminal()
    progress = render.Progress(out)
    assert progress.live
    stream = events("sandbox_create")
    midway = next(i for i, e in enumerate(stream) if e["event"] == "runner_on_ok" and e["event_data"]["res"].get("changed"))
    for event in stream[: midway + 1]:
        progress(event)
    assert render.progress_lines(progress.tally) == [
        "PLAY  Create the sandbox hosts",
        "TASK  Create the public network",
        "  localhost  ok 3   changed 1   failed 0  unreachable 0",
    ]
    for event in stream[midway + 1 :]:
        progress(event)
    text = out.getvalue()
    assert "\x1b[3F\x1b[J" in text  # the block is erased and redrawn, not appended
    assert text.endswith("\x1b[3F\x1b[J")  # and cleared at the end, for the summary


def test_plan_reports_no_changes() -> None:
    tally = tally_of("plan_nochange")
    assert "Plan: no changes. The hosts match the inventory." in render.summary(tally, 0, 29, "a", plan=True)


def test_plan_lists_what_would_change() -> None:
    tally = tally_of("sandbox_create")
    text = render.summary(tally, 0, 80, "a", plan=True)
    assert "Plan: 5 change(s) would be made:" in text
    assert "  localhost:\n    - Create the public network\n" in text


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ({"msg": "the assertion failed"}, "the assertion failed"),
        ({"cmd": ["false"], "rc": 1, "stderr": "boom\nreally", "stdout": "", "msg": ""}, "`false` exited with 1\nboom\nreally"),
        ({"msg": "MODULE FAILURE\nSee stdout/stderr", "module_stderr": "line1\nKeyError: x"}, "the module failed on the host\nline1\nKeyError: x"),
        ({"results": [{"failed": True, "msg": "nope", "_ansible_item_label": "dn1"}, {"failed": False}]}, "item dn1: nope"),
        ({}, "failed with no message (rc=?)"),
    ],
)
def test_failure_message(result: dict[str, Any], expected: str) -> None:
    assert render.failure_message(result) == expected


def test_status_before_hadoop_is_installed() -> None:
    tally = tally_of("status_absent")
    data = status.report(tally, ["hd-local-master", "hd-local-worker1", "hd-local-worker2"],
                         ["hd-local-worker1", "hd-local-worker2"])
    assert data["nodes"]["hd-local-master"]["services"] == {
        "hadoop-namenode": "absent", "hadoop-resourcemanager": "absent", "hadoop-jobhistoryserver": "absent"}
    assert data["nodes"]["hd-local-worker1"]["services"] == {"hadoop-datanode": "absent", "hadoop-nodemanager": "absent"}
    assert data["healthy"] is False
    text = status.render_text(data)
    assert "hd-local-worker1  workers  hadoop-datanode          not installed" in text
    assert "HDFS  the NameNode does not answer at http://127.0.0.1:9870: " in text
    assert "  - hadoop-nodemanager on hd-local-worker1 is not installed" in text


def test_status_of_a_healthy_cluster() -> None:
    tally = tally_of("status_absent")
    for node in tally.custom_stats["nodes"].values():
        node["services"] = {unit: "running" for unit in node["services"]}
    tally.custom_stats["cluster"] = {
        "hdfs": {"answered": True, "live_datanodes": 1, "dead_datanodes": 0, "capacity_used": 3 * 2**20,
                 "capacity_total": 100 * 2**30, "safemode": "", "url": "u", "error": ""},
        "yarn": {"answered": True, "active_nodemanagers": 1, "lost_nodemanagers": 0, "unhealthy_nodemanagers": 0, "url": "u", "error": ""},
    }
    data = status.report(tally, ["hd-local-master", "hd-local-worker1"], ["hd-local-worker1"])
    assert data["healthy"] is True, data["problems"]
    text = status.render_text(data)
    assert "HDFS  DataNodes live 1, dead 0; capacity used 3.0 MiB of 100.0 GiB (0.0 %); safe mode off" in text
    assert "YARN  NodeManagers running 1 (lost 0, unhealthy 0)" in text
    assert text.endswith("Healthy.")


def test_exec_shows_each_nodes_output_and_exit_code() -> None:
    tally = tally_of("exec_hostname")
    rows = execute.node_outputs(tally, ["hd-local-master", "hd-local-worker1", "hd-local-worker2"])
    assert execute.render_outputs(rows) == (
        "== hd-local-master (exit 0)\nhd-local-master\n== hd-local-worker1 (exit 0)\nhd-local-worker1\n"
        "== hd-local-worker2 (exit 0)\nhd-local-worker2"
    )
