"""Action plugin inventory_check: the project's inventory rules (hadoop_deploy.checks), inside Ansible.

The same code as `hadoop-deploy inventory check`, so that `ansible-playbook site.yml` without
the command refuses the same inputs, with the same messages, before any host changes. Runs
on the controller and contacts no host.

    - inventory_check:          # the whole inventory and the -e values, as ansible-playbook reads them
    - inventory_check:
        role: nat               # the variables of role nat, as that role is about to use them
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ansible.plugins.action import ActionBase
from ansible.utils.vars import load_extra_vars

# The checkout this plugin belongs to comes first: its rules, not those of another installed copy.
_CHECKOUT = Path(__file__).resolve().parents[2]
if (_CHECKOUT / "hadoop_deploy" / "checks.py").is_file() and str(_CHECKOUT) not in sys.path:
    sys.path.insert(0, str(_CHECKOUT))

from hadoop_deploy import checks, inventory, variables  # noqa: E402


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _requires_connection = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        role = self._task.args.get("role")
        if role:
            problems = self._role_problems(str(role), task_vars)
        else:
            problems = self._inventory_problems(task_vars)
        found = checks.errors(problems)
        result["problems"] = [str(p) for p in problems]
        result["changed"] = False
        if found:
            result["failed"] = True
            result["msg"] = (f"{len(found)} error(s) in the inventory or the variables; nothing was changed:\n"
                             + "\n".join(str(p) for p in found))
        else:
            result["msg"] = f"the inventory rules pass ({len(problems)} warning(s))"
            if not role:  # the roles' dependency (role cluster) need not check the inventory again
                result["ansible_facts"] = {"inventory_check_passed": True}
        return result

    def _inventory_problems(self, task_vars: dict[str, Any]) -> list[inventory.Problem]:
        """The whole inventory, read again from the run's sources, with the run's -e values."""
        sources = [Path(str(s)) for s in task_vars.get("ansible_inventory_sources", []) if Path(str(s)).exists()]
        if not sources:
            return []  # an inventory given inline (-i 'a,b,') has no files to check
        extra_vars = load_extra_vars(self._loader)
        loaded = inventory.load(sources, extra_vars, Path(str(task_vars.get("playbook_dir", "."))))
        return checks.check(loaded)

    def _role_problems(self, role: str, task_vars: dict[str, Any]) -> list[inventory.Problem]:
        """The role's own variables, resolved as the role will use them (defaults, role
        parameters, inventory, -e): their types and ranges, for this host."""
        host = str(task_vars.get("inventory_hostname", "?"))
        names = [n for n, spec in variables.specs().items() if spec.role == role and n in task_vars]
        names += [n for n in variables.RULES if n.startswith(f"{role}_") and n in task_vars and n not in names]
        extra_vars = load_extra_vars(self._loader)
        values = {name: inventory.Value(inventory.plain(self._templar.template(task_vars[name])),
                                        inventory.EXTRA_VARS if name in extra_vars
                                        else inventory.origin(task_vars[name]) or f"the variables of role {role}")
                  for name in names}
        context = {name: value.value for name, value in values.items()}
        problems = []
        for name, value in values.items():
            if name not in checks.CHECKED_ELSEWHERE:
                problems += checks.variable_problems(name, value, context, f"host {host}")
        if role == "hadoop":
            catalog = checks.HadoopCatalog(checksums=dict(task_vars.get("hadoop_checksums") or {}),
                                           default_version=str(context.get("hadoop_version", "")),
                                           source="roles/hadoop/vars/main.yml")
            problems += checks.hadoop_problems(values, catalog)
        if role == "users" and "users_admin_name" in values:
            accounts = tuple(str(self._templar.template(task_vars[n])) for n in checks.SERVICE_ACCOUNT_VARIABLES if n in task_vars)
            # Which accounts are the system's, the node tells (the role's next check).
            problems += checks.admin_problems("users_admin_name", values["users_admin_name"], accounts, frozenset())
        return problems
