#!/usr/bin/python3
"""Ansible module: make sure an HDFS directory exists with an owner, group and mode."""

from __future__ import annotations

DOCUMENTATION = r"""
module: hdfs_path
short_description: HDFS directories with owner, group and mode, through WebHDFS
description:
  - Creates each directory if it is missing and sets its owner, group and permission,
    talking to the NameNode's WebHDFS REST API as the HDFS superuser (simple auth).
  - All directories in one module run, in the order given (list a parent before its children).
  - Reports changed only when something was created or changed; supports check mode.
options:
  directories:
    description: The directories.
    type: list
    elements: dict
    required: true
    suboptions:
      path: {description: Absolute HDFS path., type: str, required: true}
      owner: {description: Owner., type: str, required: true}
      group: {description: Group., type: str, required: true}
      mode: {description: Octal permission such as "1777" or "0755"., type: str, required: true}
  namenode_url: {description: "The NameNode's web address (http://host:port).", type: str, required: true}
  superuser: {description: The HDFS superuser to act as., type: str, default: hdfs}
"""

RETURN = r"""
actions:
  description: Per changed directory, what was (or in check mode would be) done.
  type: dict
  returned: always
  sample: {"/tmp": ["mode"], "/app-logs": ["mkdir", "owner", "mode"]}
"""

import json
import urllib.error
import urllib.parse
import urllib.request

from ansible.module_utils.basic import AnsibleModule


def _call(module, method, path, op, **params):
    query = urllib.parse.urlencode({"op": op, "user.name": module.params["superuser"], **params})
    url = f"{module.params['namenode_url'].rstrip('/')}/webhdfs/v1{urllib.parse.quote(path)}?{query}"
    req = urllib.request.Request(url, method=method, data=b"" if method == "PUT" else None)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = resp.read()
            return json.loads(body) if body else {}
    except urllib.error.HTTPError as exc:
        if exc.code == 404 and op == "GETFILESTATUS":
            return None
        detail = exc.read().decode(errors="replace")[:500]
        module.fail_json(msg=f"WebHDFS {op} {path} failed: HTTP {exc.code}: {detail}")
    except OSError as exc:
        module.fail_json(msg=f"cannot reach the NameNode at {module.params['namenode_url']}: {exc}")


def _directory(module, item):
    path, owner, group = item["path"], item["owner"], item["group"]
    try:
        mode = format(int(item["mode"], 8), "o")
    except ValueError:
        module.fail_json(msg=f"{path}: mode '{item['mode']}' is not an octal permission like 0755")
    if not path.startswith("/"):
        module.fail_json(msg=f"path '{path}' must be absolute")

    actions = []
    status = _call(module, "GET", path, "GETFILESTATUS")
    if status is None:
        actions = ["mkdir", "owner", "mode"]
    else:
        st = status["FileStatus"]
        if st["type"] != "DIRECTORY":
            module.fail_json(msg=f"{path} exists in HDFS and is not a directory")
        if st["owner"] != owner or st["group"] != group:
            actions.append("owner")
        if int(st["permission"], 8) != int(mode, 8):
            actions.append("mode")
    if actions and not module.check_mode:
        if "mkdir" in actions:
            _call(module, "PUT", path, "MKDIRS", permission=mode)
        if "owner" in actions:
            _call(module, "PUT", path, "SETOWNER", owner=owner, group=group)
        if "mode" in actions:
            _call(module, "PUT", path, "SETPERMISSION", permission=mode)
    return actions


def main():
    module = AnsibleModule(
        argument_spec=dict(
            directories=dict(type="list", elements="dict", required=True, options=dict(
                path=dict(type="str", required=True),
                owner=dict(type="str", required=True),
                group=dict(type="str", required=True),
                mode=dict(type="str", required=True),
            )),
            namenode_url=dict(type="str", required=True),
            superuser=dict(type="str", default="hdfs"),
        ),
        supports_check_mode=True,
    )
    actions = {}
    for item in module.params["directories"]:
        done = _directory(module, item)
        if done:
            actions[item["path"]] = done
    module.exit_json(changed=bool(actions), actions=actions)


if __name__ == "__main__":
    main()
