#!/usr/bin/python3
"""Ansible module: a set of directories and files, each with content, owner, group and mode,
made so in one module run."""

from __future__ import annotations

DOCUMENTATION = r"""
module: file_set
short_description: Directories and files with owner, group and mode, in one module run
description:
  - Makes each directory exist and each file hold the given content, with the given owner,
    group and mode, in a single run on the host. A template task per file costs two module
    runs on the host even when nothing changes; a role that writes twenty files pays forty.
  - Files are written atomically (a temporary file in the same directory, then a rename).
  - Reports changed when anything was created or changed, and lists the changed paths in
    C(changed_paths) so that handlers can restart only what reads them.
  - Supports check mode and diff mode (one diff per changed file's content).
options:
  directories:
    description: Directories, in order (create a parent before its children).
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: Absolute path., type: str, required: true}
      owner: {description: Owner., type: str, default: root}
      group: {description: Group., type: str, default: root}
      mode: {description: Octal mode such as "0755" or "1777"., type: str, required: true}
  files:
    description: Files; their parent directories must exist or be listed in I(directories).
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: Absolute path., type: str, required: true}
      content: {description: The file's whole content., type: str, required: true}
      owner: {description: Owner., type: str, default: root}
      group: {description: Group., type: str, default: root}
      mode: {description: Octal mode such as "0644"., type: str, required: true}
      quiet_properties:
        description:
          - For a Hadoop configuration file (C(<property><name>/<value>)): properties whose
            change alone does not list the file in C(changed_paths) (it is still written, and
            listed in C(quiet_paths)), so that a handler restarts no daemon for a setting
            the running daemons never need again, such as a client's default.
        type: list
        elements: str
        default: []
      secrets:
        description:
          - Placeholder -> secret value. Each placeholder in I(content) is replaced by its value
            on the host; the values are no_log (never in the task's events or artifacts), and a
            diff shows the placeholders, also in place of the values the file held before.
          - A placeholder names its property, as C(@@hadoop-secret:SITE:NAME@@); the value of
            the property NAME in the file before is what the diff hides.
        type: dict
        default: {}
"""

RETURN = r"""
changed_paths:
  description: The directories and files created or changed (or that would be, in check mode).
  type: list
  elements: str
  returned: always
quiet_paths:
  description: The files changed only in their I(quiet_properties).
  type: list
  elements: str
  returned: always
"""

import grp
import html
import os
import pwd
import re
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule


def _ids(module, item):
    try:
        uid = pwd.getpwnam(item["owner"]).pw_uid
        gid = grp.getgrnam(item["group"]).gr_gid
    except KeyError as exc:
        module.fail_json(msg=f"{item['path']}: no such user or group on this host: {exc.args[0]}")
    return uid, gid


def _mode(module, item):
    try:
        mode = int(item["mode"], 8)
    except ValueError:
        module.fail_json(msg=f"{item['path']}: mode must be octal digits such as 0644 (got {item['mode']!r})")
    if mode > 0o7777:
        module.fail_json(msg=f"{item['path']}: mode {item['mode']} is out of range")
    return mode


def _check_path(module, item):
    if not os.path.isabs(item["path"]) or item["path"] != os.path.normpath(item["path"]):
        module.fail_json(msg=f"{item['path']!r} must be an absolute, normalised path")


def _fix_attributes(path, st, uid, gid, mode, check):
    """Owner, group and mode; returns True when any differed."""
    changed = False
    if (st.st_uid, st.st_gid) != (uid, gid):
        changed = True
        if not check:
            os.chown(path, uid, gid, follow_symlinks=False)
    if stat.S_IMODE(st.st_mode) != mode:
        changed = True
        if not check:
            os.chmod(path, mode)
    return changed


def _directory(module, item, check):
    _check_path(module, item)
    path, mode = item["path"], _mode(module, item)
    uid, gid = _ids(module, item)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        if not check:
            os.mkdir(path, mode)
            os.chown(path, uid, gid)
            os.chmod(path, mode)  # mkdir's mode goes through the umask and drops sticky bits
        return True
    if not stat.S_ISDIR(st.st_mode):
        module.fail_json(msg=f"{path} exists and is not a directory: move it away, then re-run")
    return _fix_attributes(path, st, uid, gid, mode, check)


def _hide_secrets(text, secrets):
    """`text` (a site file as it was) with each secret property's value, whatever it was,
    replaced by that property's placeholder."""
    for placeholder in secrets:
        name = placeholder.strip("@").rsplit(":", 1)[-1]
        text = re.sub(rf"(<name>{re.escape(name)}</name>\s*<value>)[^<]*(</value>)",
                      lambda m, p=placeholder: m.group(1) + p + m.group(2), text)
    return text


_PROPERTY = re.compile(r"<name>([^<]*)</name>\s*<value>([^<]*)</value>")


def _only_quiet_changes(before, after, quiet):
    """Whether two Hadoop configuration files differ only in the properties `quiet`."""
    if before is None or not quiet:
        return False
    old, new = (dict(_PROPERTY.findall(text.decode(errors="replace"))) for text in (before, after))
    strip = lambda props: {k: v for k, v in props.items() if k not in quiet}  # noqa: E731
    return strip(old) == strip(new) and _PROPERTY.sub("", before.decode(errors="replace")) == _PROPERTY.sub("", after.decode())


def _file(module, item, check, diffs):
    """Make one file so; return None (unchanged), "changed" or "quiet" (changed only in its
    quiet_properties)."""
    _check_path(module, item)
    path, mode = item["path"], _mode(module, item)
    uid, gid = _ids(module, item)
    secrets = item["secrets"] or {}
    text = item["content"]
    for placeholder, value in secrets.items():
        text = text.replace(placeholder, html.escape(str(value)))
    content = text.encode()
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        module.fail_json(msg=f"{path} exists and is not a regular file: move it away, then re-run")
    before = None
    if st is not None:
        with open(path, "rb") as handle:
            before = handle.read()
    if before == content:
        return "changed" if _fix_attributes(path, st, uid, gid, mode, check) else None
    outcome = "quiet" if _only_quiet_changes(before, content, set(item["quiet_properties"])) else "changed"
    if module._diff:
        diffs.append({
            "before_header": path, "after_header": path,
            "before": "" if before is None else _hide_secrets(before.decode(errors="replace"), secrets),
            "after": item["content"],
        })
    if check:
        return outcome
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        module.fail_json(msg=f"{path}: its directory {directory} does not exist (list it in directories)")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chown(tmp, uid, gid)
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return outcome


def main():
    entry = dict(
        path=dict(type="str", required=True),
        owner=dict(type="str", default="root"),
        group=dict(type="str", default="root"),
        mode=dict(type="str", required=True),
    )
    module = AnsibleModule(
        argument_spec=dict(
            directories=dict(type="list", elements="dict", default=[], options=entry),
            files=dict(type="list", elements="dict", default=[],
                       options=dict(entry, content=dict(type="str", required=True),
                                    quiet_properties=dict(type="list", elements="str", default=[]),
                                    secrets=dict(type="dict", default={}, no_log=True))),
        ),
        supports_check_mode=True,
    )
    check = module.check_mode
    changed_paths, quiet_paths, diffs = [], [], []
    for item in module.params["directories"]:
        if _directory(module, item, check):
            changed_paths.append(item["path"])
    for item in module.params["files"]:
        outcome = _file(module, item, check, diffs)
        if outcome:
            (quiet_paths if outcome == "quiet" else changed_paths).append(item["path"])
    result = dict(changed=bool(changed_paths or quiet_paths), changed_paths=changed_paths, quiet_paths=quiet_paths)
    if diffs:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
