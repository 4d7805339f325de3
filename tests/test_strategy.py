"""The project's default strategy (ansible.cfg: plugins/strategy/mitogen_linear.py), run for
real by ansible-playbook: modules run inside Mitogen's interpreter, a connection given by its
full name is taken over too, and without Mitogen the run still works, with a warning."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from .sandbox import ansible_env, run_playbook

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
    result_file = tmp_path / "result.json"
    play = [{
        "hosts": "localhost", "connection": connection, "gather_facts": False,
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "tasks": [
            {"name": "probe", "probe": {}, "register": "r"},
            {"name": "result", "ansible.builtin.copy": {"content": "{{ r | to_json }}", "dest": str(result_file)}},
        ],
    }]
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(play))
    proc = run_playbook(playbook, "-i", "localhost,", env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return proc, json.loads(result_file.read_text())


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
