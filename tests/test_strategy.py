"""The project's default strategy (ansible.cfg: plugins/strategy/mitogen_linear.py), run for
real by ansible-playbook: modules run inside Mitogen's interpreter, a connection given by its
full name is taken over too, and without Mitogen the run still works, with a warning. What
the plugin caches gives what Mitogen's own code gives; a task skipped in the controller gives
what a worker's skip gives. A patch whose Mitogen name is gone is left out with a warning the
command shows; an untested ansible-core stops the run."""

from __future__ import annotations

import importlib.util
import io
import os
import types
from pathlib import Path

import pytest
import yaml

from hadoop_deploy import render, runner

from .sandbox import PROJECT, ansible_env, run_local_play

# Reports whether the module runs in a Python that Mitogen started (its core is loaded there),
# and the cores it may run on.
_PROBE = """\
import os, sys
from ansible.module_utils.basic import AnsibleModule
module = AnsibleModule(argument_spec={})
module.exit_json(changed=False, mitogen='mitogen.core' in sys.modules, cpus=sorted(os.sched_getaffinity(0)))
"""


def _probe(tmp_path: Path, connection: str, env: dict[str, str] | None = None):
    (tmp_path / "library").mkdir(exist_ok=True)
    (tmp_path / "library" / "probe.py").write_text(_PROBE)
    proc, result = run_local_play(tmp_path, {
        "connection": connection,
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "tasks": [{"name": "probe", "probe": {}, "register": "r"}],
    }, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return proc, result


@pytest.mark.parametrize("connection", ["local", "ansible.builtin.local"])
def test_modules_run_through_mitogen(tmp_path: Path, connection: str) -> None:
    proc, result = _probe(tmp_path, connection)
    assert result["mitogen"] is True, proc.stdout[-3000:]
    assert "Mitogen is not installed" not in proc.stdout + proc.stderr
    if (os.cpu_count() or 1) < 4:
        # Not pinned to one core (Mitogen's own policy on 2-3 cores): the module may use
        # every core this test may.
        assert result["cpus"] == sorted(os.sched_getaffinity(0))


def test_without_mitogen_the_run_goes_on_with_a_warning(tmp_path: Path) -> None:
    # A stand-in package on PYTHONPATH hides the installed Mitogen from ansible-playbook.
    hide = tmp_path / "hide" / "ansible_mitogen"
    hide.mkdir(parents=True)
    (hide / "__init__.py").write_text("raise ImportError('No module named ansible_mitogen (hidden by the test)')\n")
    env = ansible_env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hide.parent), env.get("PYTHONPATH")]))
    proc, result = _probe(tmp_path, "local", env)
    assert result["mitogen"] is False
    out = " ".join((proc.stdout + proc.stderr).split())
    assert "Mitogen is not installed in the Python that runs Ansible" in out
    assert "hidden by the test" in out
    assert out.count("Mitogen is not installed") == 1


# Runs in the forked worker, before any module: whether the collection directories Mitogen
# sends along with a module are the ones Ansible lists, and were listed before the fork.
_COLLECTIONS_PROBE = """\
import sys
from ansible.collections.list import list_collection_dirs
from ansible.plugins.action import ActionBase

class ActionModule(ActionBase):
    def run(self, tmp=None, task_vars=None):
        load = sys.modules['ansible_mitogen.planner']._load_collections
        cached = load.__globals__['_collection_dirs'].cache_info().currsize
        invocation = type('Invocation', (), {'_extra_sys_paths': set()})()
        load(invocation)
        return {'changed': False, 'cached_before': cached, 'collections': sorted(invocation._extra_sys_paths),
                'listed': sorted(path.decode() for path in list_collection_dirs())}
"""


def test_the_collection_dirs_are_ansibles_listed_in_the_controller_before_the_fork(tmp_path: Path) -> None:
    (tmp_path / "action_plugins").mkdir()
    (tmp_path / "action_plugins" / "collections_probe.py").write_text(_COLLECTIONS_PROBE)
    proc, result = run_local_play(tmp_path, {
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "tasks": [{"name": "probe", "collections_probe": {}, "register": "r"}],
    })
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert result["cached_before"] == 1
    assert result["collections"] == result["listed"] != []


# Records which process evaluates a task's `when` (the Python the lookup runs in, the pipe's
# parent), then says false.
_WHO_EVALUATES = "lookup('ansible.builtin.pipe', 'echo $PPID >> {file}; echo no') == 'yes'"


@pytest.mark.parametrize("patch_on", [True, False])
def test_a_false_when_is_skipped_by_the_controller_with_what_a_worker_would_send(
        tmp_path: Path, patch_on: bool) -> None:
    controller, evaluated = tmp_path / "controller", tmp_path / "evaluated-by"
    condition = _WHO_EVALUATES.format(file=evaluated)
    env = ansible_env()
    env["HADOOP_DEPLOY_PATCHES_OFF"] = "" if patch_on else "controller-skips"
    proc, result = run_local_play(tmp_path, {"tasks": [
        # The controller: the parent of the worker that templates this task.
        {"name": "controller", "ansible.builtin.debug": {
            "msg": f"{{{{ lookup('ansible.builtin.pipe', 'ps -o ppid= -p $PPID | tee {controller}') }}}}"}},
        {"name": "skipped", "ansible.builtin.command": "false", "register": "r", "when": condition},
        # Where only a worker can tell: a loop, a condition that fails.
        {"name": "loop", "ansible.builtin.command": "false", "loop": [1], "register": "looped",
         "when": "item == 2"},
        {"name": "fails", "ansible.builtin.debug": {"msg": "x"}, "when": "undefined_variable",
         "ignore_errors": True, "register": "failed_when"},
        {"name": "registered", "ansible.builtin.assert": {"that": [
            "r is skipped", "r is not changed", "looped.results[0] is skipped", "failed_when is failed"]}},
    ]}, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert result == {"changed": False, "skipped": True, "skip_reason": "Conditional result was False",
                      "false_condition": condition}
    assert "ok=4 " in proc.stdout and "skipped=2 " in proc.stdout and "ignored=1" in proc.stdout, proc.stdout[-1500:]
    main_pid, evaluators = controller.read_text().split(), evaluated.read_text().split()
    assert len(main_pid) == 1 and len(evaluators) == 1
    # With the patch the controller evaluated the condition; without it, a worker did.
    assert (evaluators == main_pid) is patch_on, (evaluators, main_pid)


def _load_plugin() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        "mitogen_linear_under_test", PROJECT / "plugins" / "strategy" / "mitogen_linear.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# On PYTHONPATH as sitecustomize: before Ansible starts, does what a new Mitogen or Ansible
# would: renames one name (HD_RENAME=module.name) in its module and in the code that reads
# it, or (HD_ANSIBLE_VERSION) reports another ansible-core version. Only in the first
# Python (ansible-playbook): the variables are taken out of the environment its children get.
_SITECUSTOMIZE = """\
import importlib, os, types
rename, version = os.environ.pop("HD_RENAME", ""), os.environ.pop("HD_ANSIBLE_VERSION", "")

def _renamed(code, old, new):
    consts = tuple(_renamed(c, old, new) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return code.replace(co_names=tuple(new if n == old else n for n in code.co_names), co_consts=consts)

if rename:
    where, _, old = rename.rpartition(".")
    module = importlib.import_module(where)
    setattr(module, old + "_renamed", getattr(module, old))
    delattr(module, old)
    for value in list(vars(module).values()):
        for function in [value, *vars(value).values()] if isinstance(value, type) else [value]:
            if isinstance(function, types.FunctionType) and function.__module__ == where:
                function.__code__ = _renamed(function.__code__, old, old + "_renamed")
if version:
    import ansible.release
    ansible.release.__version__ = version
"""

# For each of Mitogen's patches, a name of Mitogen's it assigns over or relies on (the names
# `controller-skips` needs are Ansible's own, which its other modules read too: it is tested
# above, on and off).
_PATCHED_NAMES = {
    "cores": "ansible_mitogen.affinity.Policy",
    "full-names": "ansible_mitogen.strategy.REDIRECTED_CONNECTION_PLUGINS",
    "collection-dirs": "ansible_mitogen.planner._load_collections",
}


def _with_sitecustomize(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])))
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def _cli_run(tmp_path: Path, play: dict) -> tuple[runner.RunResult, render.Progress, str]:
    """Run PLAY on localhost the way `hadoop-deploy apply` runs site.yml; its summary too."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, **play}]))
    progress = render.Progress(io.StringIO(), live=False)
    result = runner.run("test", progress, playbook=playbook,
                        inventory='localhost ansible_connection=local ansible_python_interpreter="{{ ansible_playbook_python }}"\n')
    return result, progress, render.summary(progress.tally, result.rc, result.seconds, result.artifacts_shown)


@pytest.mark.parametrize("patch", sorted(_PATCHED_NAMES))
def test_a_patch_whose_name_is_gone_is_left_out_with_a_warning_the_cli_shows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, patch: str) -> None:
    _with_sitecustomize(tmp_path, monkeypatch, HD_RENAME=_PATCHED_NAMES[patch])
    result, progress, summary = _cli_run(tmp_path, {"tasks": [
        # A collection's module under Mitogen (collection-dirs), templating a collection's filter.
        {"name": "module", "community.general.read_csv": {"path": "/dev/null"}},
        {"name": "filter", "ansible.builtin.debug": {"msg": "{{ '10.0.0.1' | ansible.utils.ipaddr }}"}},
    ]})
    assert result.rc == 0, summary
    assert progress.tally.final_counts()["localhost"].ok == 2
    warning = f"the strategy plugin's `{patch}` patch is left out"
    assert [w for w in progress.tally.warnings if warning in w], progress.tally.warnings
    assert f"Warnings:\n  - {warning}" in summary
    assert sum(warning in w for w in progress.tally.warnings) == 1


def test_every_patch_is_applied_and_each_can_be_turned_off_by_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = _load_plugin()
    assert plugin.APPLIED == set(plugin.PATCH_NAMES) == {*_PATCHED_NAMES, "controller-skips"}
    for name in plugin.PATCH_NAMES:  # what scripts/benchmark.py --patches does
        monkeypatch.setenv(plugin.PATCHES_OFF_ENV, name)
        assert _load_plugin().APPLIED == set(plugin.PATCH_NAMES) - {name}
    monkeypatch.setenv(plugin.PATCHES_OFF_ENV, "all")
    assert _load_plugin().APPLIED == set()
    # A name that is no patch is said, in the summary the command prints.
    monkeypatch.setenv(plugin.PATCHES_OFF_ENV, "cores,bogus")
    result, progress, summary = _cli_run(tmp_path, {"tasks": [{"name": "ping", "ansible.builtin.ping": {}}]})
    assert result.rc == 0, summary
    assert progress.tally.warnings == [
        f"{plugin.PATCHES_OFF_ENV} names no patch bogus (known: {', '.join(plugin.PATCH_NAMES)}, all)"]


def test_an_ansible_core_outside_the_tested_range_stops_the_run_with_a_clear_message(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _with_sitecustomize(tmp_path, monkeypatch, HD_ANSIBLE_VERSION="2.20.1")
    result, progress, summary = _cli_run(tmp_path, {"tasks": [{"name": "ping", "ansible.builtin.ping": {}}]})
    assert result.rc != 0
    assert not progress.tally.hosts
    message = " ".join(" ".join(progress.tally.errors).split())
    assert "ansible-core 2.20.1 is not supported: hadoop-deploy is tested with ansible-core 2.19.x only" in message
    assert "pip install 'ansible-core==" in message, message
