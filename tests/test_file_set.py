"""The hadoop role's file_set module (a set of directories and files in one module run),
run for real by ansible-playbook on this machine's own file system."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .sandbox import PROJECT, run_local_play


def _apply(tmp_path: Path, directories: list[dict], files: list[dict], *args: str):
    """Run file_set once on localhost; return (completed process, the module's result)."""
    # Ansible looks for modules in a library/ folder beside the playbook.
    library = tmp_path / "library"
    if not library.exists():
        library.symlink_to(PROJECT / "roles" / "hadoop" / "library")
    task = {"name": "file_set", "file_set": {"directories": directories, "files": files}, "register": "r"}
    return run_local_play(tmp_path, {"tasks": [task]}, *args, timeout=1800)


def test_creates_keeps_repairs_and_checks(tmp_path: Path) -> None:
    root = tmp_path / "t"
    dirs = [
        {"path": str(root), "mode": "0755"},
        {"path": str(root / "tmp"), "mode": "1777"},
        {"path": str(root / "data"), "owner": "nobody", "group": "nogroup", "mode": "0700"},
    ]
    files = [
        {"path": str(root / "a.xml"), "content": "<a>&amp;</a>\n", "mode": "0644"},
        {"path": str(root / "run.sh"), "content": "#!/bin/sh\necho hi\n", "mode": "0755"},
    ]

    proc, result = _apply(tmp_path, dirs, files)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert result["changed"] is True
    assert result["changed_paths"] == [d["path"] for d in dirs] + [f["path"] for f in files]
    assert stat.S_IMODE((root / "tmp").stat().st_mode) == 0o1777
    assert (root / "data").stat().st_uid != 0 and stat.S_IMODE((root / "data").stat().st_mode) == 0o700
    assert (root / "a.xml").read_text() == "<a>&amp;</a>\n"
    assert stat.S_IMODE((root / "run.sh").stat().st_mode) == 0o755

    # The same again changes nothing.
    proc, result = _apply(tmp_path, dirs, files)
    assert proc.returncode == 0 and result["changed"] is False and result["changed_paths"] == []

    # Drift: a file's content and a directory's mode; only those two are reported and fixed.
    (root / "a.xml").write_text("edited by hand\n")
    os.chmod(root / "tmp", 0o755)
    # --check --diff shows the content change and changes nothing.
    proc, result = _apply(tmp_path, dirs, files, "--check", "--diff")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert result["changed_paths"] == [str(root / "tmp"), str(root / "a.xml")]
    assert "-edited by hand" in proc.stdout and "+<a>&amp;</a>" in proc.stdout
    assert (root / "a.xml").read_text() == "edited by hand\n"
    assert stat.S_IMODE((root / "tmp").stat().st_mode) == 0o755

    proc, result = _apply(tmp_path, dirs, files)
    assert result["changed_paths"] == [str(root / "tmp"), str(root / "a.xml")]
    assert (root / "a.xml").read_text() == "<a>&amp;</a>\n"
    assert stat.S_IMODE((root / "tmp").stat().st_mode) == 0o1777
    assert not [p.name for p in root.iterdir() if p.name.startswith(".")], "a temporary file was left behind"


def test_bad_input_fails_with_a_clear_message_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "conf").mkdir()
    cases = [
        ([], [{"path": str(tmp_path / "t" / "conf"), "content": "x", "mode": "0644"}],
         "exists and is not a regular file"),
        ([{"path": str(tmp_path / "t" / "x"), "owner": "no-such-user", "mode": "0755"}], [],
         "no such user or group on this host: getpwnam(): name not found: 'no-such-user'"),
        ([{"path": str(tmp_path / "t" / "y"), "mode": "rwx"}], [], "mode must be octal digits"),
        ([], [{"path": "relative/file", "content": "x", "mode": "0644"}], "must be an absolute, normalised path"),
        ([], [{"path": str(tmp_path / "t" / "missing" / "f"), "content": "x", "mode": "0644"}],
         "its directory " + str(tmp_path / "t" / "missing") + " does not exist"),
    ]
    for directories, files, message in cases:
        proc, _ = _apply(tmp_path, directories, files)
        assert proc.returncode != 0
        assert message in proc.stdout, proc.stdout[-2000:]
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["conf"]


def test_secret_values_reach_the_file_and_nothing_else(tmp_path: Path) -> None:
    root = tmp_path / "s"
    placeholder = "@@hadoop-secret:core-site:fs.s3a.secret.key@@"
    site = ("<configuration>\n  <property>\n    <name>fs.s3a.secret.key</name>\n"
            f"    <value>{placeholder}</value>\n  </property>\n</configuration>\n")

    def files(value: str) -> list[dict]:
        return [{"path": str(root / "core-site.xml"), "content": site, "mode": "0640",
                 "secrets": {placeholder: value}}]

    dirs = [{"path": str(root), "mode": "0755"}]
    proc, result = _apply(tmp_path, dirs, files("first-s3cr3t&<"), "-vvv", "--diff")
    assert proc.returncode == 0, proc.stdout[-3000:]
    written = (root / "core-site.xml").read_text()
    assert "<value>first-s3cr3t&amp;&lt;</value>" in written and placeholder not in written
    assert stat.S_IMODE((root / "core-site.xml").stat().st_mode) == 0o640
    assert "first-s3cr3t" not in proc.stdout + proc.stderr and placeholder in proc.stdout

    proc, result = _apply(tmp_path, dirs, files("first-s3cr3t&<"))
    assert proc.returncode == 0 and result["changed"] is False

    # A new value: the diff shows the placeholder for the old value and for the new one.
    proc, result = _apply(tmp_path, dirs, files("second-s3cr3t"), "-vvv", "--check", "--diff")
    assert proc.returncode == 0 and result["changed"] is True, proc.stdout[-3000:]
    output = proc.stdout + proc.stderr
    assert "first-s3cr3t" not in output and "second-s3cr3t" not in output, output[-3000:]
    assert "first-s3cr3t" in (root / "core-site.xml").read_text()


def _site(**properties: str) -> str:
    body = "".join(f"  <property>\n    <name>{k}</name>\n    <value>{v}</value>\n  </property>\n" for k, v in properties.items())
    return f"<?xml version=\"1.0\"?>\n<configuration>\n{body}</configuration>\n"


def test_a_change_of_quiet_properties_only_is_written_but_not_listed_as_changed(tmp_path: Path) -> None:
    site = tmp_path / "hdfs-site.xml"
    quiet = ["dfs.replication"]

    def write(**properties: str):
        item = {"path": str(site), "content": _site(**properties), "mode": "0644", "quiet_properties": quiet}
        proc, result = _apply(tmp_path, [], [item])
        assert proc.returncode == 0, proc.stdout[-3000:]
        return result

    write(**{"dfs.replication": "2", "dfs.namenode.handler.count": "10"})
    # Only the quiet property differs: written, changed, in quiet_paths (a handler restarts nothing).
    result = write(**{"dfs.replication": "3", "dfs.namenode.handler.count": "10"})
    assert (result["changed"], result["changed_paths"], result["quiet_paths"]) == (True, [], [str(site)])
    assert "<value>3</value>" in site.read_text()
    # Any other property with it: a change like any other.
    result = write(**{"dfs.replication": "2", "dfs.namenode.handler.count": "12"})
    assert (result["changed_paths"], result["quiet_paths"]) == ([str(site)], [])
    # A property added, even next to a quiet one: not quiet.
    result = write(**{"dfs.replication": "3", "dfs.namenode.handler.count": "12", "dfs.blocksize": "64m"})
    assert (result["changed_paths"], result["quiet_paths"]) == ([str(site)], [])
    assert write(**{"dfs.replication": "3", "dfs.namenode.handler.count": "12", "dfs.blocksize": "64m"})["changed"] is False
