"""ansible-lint (profile production, no skip_list) and yamllint over the whole tree, and a
rule of the hadoop role's templates."""

from __future__ import annotations

import subprocess

from .sandbox import PROJECT, VENV_BIN, ansible_env


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=PROJECT, env=ansible_env(), capture_output=True, text=True,
                          timeout=900)


def test_ansible_lint_production_profile() -> None:
    config = (PROJECT / ".ansible-lint").read_text()
    assert "profile: production" in config and "skip_list" not in config
    result = _run(str(VENV_BIN / "ansible-lint"), "--offline", "--nocolor")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def test_yamllint() -> None:
    result = _run(str(VENV_BIN / "yamllint"), "--strict", ".")
    assert result.returncode == 0, result.stdout[-6000:]


def test_hadoop_templates_end_with_one_newline() -> None:
    # hadoop-files.j2 includes them and gives each file back the final newline an include
    # drops, as a lookup of the template alone would for a template ending with one newline.
    templates = sorted((PROJECT / "roles" / "hadoop" / "templates").glob("*.j2"))
    assert len(templates) > 5
    for template in templates:
        text = template.read_text()
        assert text.endswith("\n") and not text.endswith("\n\n"), template.name


def test_no_variables_beside_the_playbooks() -> None:
    # Ansible reads group_vars/ and host_vars/ beside the playbook for every inventory: a value
    # there overrides each inventory's own group_vars/all.yml (the reference is docs/settings.yml).
    dirs = {PROJECT} | {p.parent for p in (PROJECT / "playbooks").rglob("*.yml")}
    found = sorted(str(d / sub) for d in dirs for sub in ("group_vars", "host_vars") if (d / sub).exists())
    assert found == [], f"variables in Ansible's load path for every inventory: {found}"
