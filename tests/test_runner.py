"""The runs' artifacts (module arguments, diffs, events) stay private and bounded: the folder
is 0700 and only the newest KEEP_ARTIFACTS runs are kept."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from hadoop_deploy import runner, sandbox
from hadoop_deploy.paths import ARTIFACTS_DIR


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_old_runs_are_removed_and_the_folder_made_private(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir(mode=0o755)
    artifacts.chmod(0o755)  # as an older version of the command left it
    # 25 runs, oldest first (their folders' times one minute apart), and a stray file.
    names = [f"apply-{i:02d}" for i in range(25)]
    for i, name in enumerate(names):
        (artifacts / name / "job_events").mkdir(parents=True)
        (artifacts / name / "stdout").write_text("secret arguments\n")
        os.utime(artifacts / name, (1_700_000_000 + 60 * i,) * 2)
    (artifacts / "notes.txt").write_text("not a run\n")

    runner.prepare_artifacts(artifacts, keep=20)

    assert _mode(artifacts) == 0o700
    # Room for the run about to start: the 19 newest stay.
    assert sorted(p.name for p in artifacts.iterdir() if p.is_dir()) == names[-19:]
    assert (artifacts / "notes.txt").is_file()

    # Under the bound nothing goes.
    runner.prepare_artifacts(artifacts, keep=20)
    assert sorted(p.name for p in artifacts.iterdir() if p.is_dir()) == names[-19:]


def test_a_new_folder_is_private(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        runner.prepare_artifacts(tmp_path / "a" / "artifacts", keep=3)
    finally:
        os.umask(old_umask)
    assert _mode(tmp_path / "a" / "artifacts") == 0o700
    assert list((tmp_path / "a" / "artifacts").iterdir()) == []


def test_a_real_run_leaves_private_bounded_artifacts() -> None:
    """The real ansible-runner on localhost: the project's artifacts folder is 0700, the run's
    own folder is inside it and private too, and no more than KEEP_ARTIFACTS runs are there."""
    result = runner.run(
        "test", lambda e: None, inventory=sandbox._LOCALHOST,
        module="ansible.builtin.command", module_args="true", host_pattern="localhost",
    )
    assert result.rc == 0, result.status
    assert result.artifacts.parent.resolve() == ARTIFACTS_DIR.resolve()
    assert _mode(ARTIFACTS_DIR) == 0o700
    assert _mode(result.artifacts) & 0o077 == 0
    assert len([p for p in ARTIFACTS_DIR.iterdir() if p.is_dir()]) <= runner.KEEP_ARTIFACTS
