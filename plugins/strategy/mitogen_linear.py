"""The `linear` strategy run through Mitogen, the project's default (ansible.cfg).

Mitogen keeps one Python interpreter per host for the whole run and sends it each module
over that connection, instead of starting `docker exec`/SSH, a new Python and an unzipped
module payload for every task on every host. Measured on the 2-core sandbox: a no-op
site.yml run 130 s -> 56 s, with the controller using 49 CPU-s instead of 86.

On top of Mitogen, each a named patch (PATCH_NAMES) that `scripts/benchmark.py --patches`
measures by turning it off (HADOOP_DEPLOY_PATCHES_OFF=name,name or `all`):
- `cores`: on a machine with fewer than 4 cores, Mitogen does not pin processes to cores.
  Its policy there keeps one core for its connection multiplexer and puts the controller
  and every worker on the other, so they share one core while the first sits mostly idle;
- `full-names`: a connection named by its full name (`community.docker.docker`, as
  Molecule's docker driver and the sandbox's inventories write it; `ansible.builtin.ssh`)
  is taken over like its short name (Mitogen otherwise leaves such hosts to Ansible);
- `collection-dirs`: the installed collections' directories are listed once per run, in
  the controller before a play's workers fork, not once per task and host;
- `controller-skips`: a task whose `when` is false on a host is skipped by the controller,
  with the result a worker would have sent, instead of a worker forked to find it out. Where
  only a worker can tell (a loop, delegate_to, an include, a condition on a connection
  variable, one that fails or warns), the worker still decides. A no-op site.yml skips about
  two host-tasks in five.
Two more were taken out when the benchmark gave them no gain of their own: loading the
play's Jinja plugins before the workers fork, and caching Mitogen's scan of a module's imports.

Each patch assigns over names of Mitogen's (and Ansible's): they are checked when this file
loads, and a patch whose names are gone (a new Mitogen renamed them) is left out with a
warning; the run goes on with plain Mitogen for that part. Without Mitogen in the Python
running Ansible, the run goes on with Ansible's own linear strategy and says so once. An
ansible-core outside ANSIBLE_CORE (the series the project is tested with) stops the run.
"""

from __future__ import annotations

import functools
import os
import re
import types
from collections.abc import Callable

import ansible.release
from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.plugins.strategy.linear import StrategyModule as _Linear
from ansible.utils.display import Display

# The ansible-core release series the playbooks and these patches are tested with.
ANSIBLE_CORE = (2, 19)
PATCHES_OFF_ENV = "HADOOP_DEPLOY_PATCHES_OFF"


def _version_error(version: str) -> str | None:
    if tuple(int(part) for part in re.findall(r"\d+", version)[:2]) == ANSIBLE_CORE:
        return None
    try:  # the pin, from the installed hadoop-deploy's own requirements
        from importlib.metadata import requires

        pin = next((r for r in requires("hadoop-deploy") or [] if r.startswith("ansible-core")), "")
    except Exception:
        pin = ""
    series = ".".join(map(str, ANSIBLE_CORE))
    return (f"ansible-core {version} is not supported: hadoop-deploy is tested with ansible-core "
            f"{series}.x only. Install that in the Python that runs ansible-playbook: "
            + (f"pip install '{pin}'" if pin else "pip install the ansible-core pyproject.toml pins"))


_problem = _version_error(ansible.release.__version__)
if _problem:
    raise AnsibleError(_problem)

try:
    import ansible_mitogen.loaders  # noqa: F401  (checks the Ansible version first)
    import ansible_mitogen.strategy as _mitogen
except ImportError as exc:  # Mitogen missing: Ansible's own strategy.
    _mitogen = None
    _MISSING = str(exc)

# Full names Mitogen does not know, and the short names it takes over.
_FULL_NAMES = {
    "community.docker.docker": "docker",
    "ansible.builtin.ssh": "ssh",
    "ansible.builtin.local": "local",
}

class _Missing(Exception):
    """A name a patch assigns over or calls is not where the patch expects it."""


def _names_read(module: types.ModuleType) -> set[str]:
    """Every global and attribute name the functions and methods of MODULE read (as they
    are now, nested functions included)."""
    todo: list[types.CodeType] = []
    for value in vars(module).values():
        if getattr(value, "__module__", None) != module.__name__:
            continue
        if isinstance(value, type):
            todo.extend(v.__code__ for v in vars(value).values() if isinstance(v, types.FunctionType))
        while isinstance(value, types.FunctionType):  # a wrapper, and what it wraps
            todo.append(value.__code__)
            value = getattr(value, "__wrapped__", None)
    names: set[str] = set()
    while todo:
        code = todo.pop()
        names.update(code.co_names)
        todo.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return names


def _need(owner: object, *names: str) -> None:
    """Each NAME is an attribute of OWNER (a module or class)."""
    for name in names:
        if not hasattr(owner, name):
            raise _Missing(f"{getattr(owner, '__name__', owner)} has no `{name}`")


def _need_read(module: types.ModuleType, *names: str) -> None:
    """The code of MODULE reads each NAME by name: assigning over it changes what it does."""
    found = _names_read(module)
    for name in names:
        if name not in found:
            raise _Missing(f"{module.__name__} no longer reads `{name}`")


# Every patch by name, in the order they are applied (those of Mitogen only with Mitogen).
PATCH_NAMES = ("cores", "full-names", "collection-dirs", "controller-skips")
PATCHES: dict[str, Callable[[], None]] = {}


def _patch(name: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    def register(function: Callable[[], None]) -> Callable[[], None]:
        PATCHES[name] = function
        return function
    return register


APPLIED: set[str] = set()


def _apply_patches() -> list[str]:
    """Apply every patch not turned off; the warnings for those whose names are gone."""
    off = {word.strip() for word in os.environ.get(PATCHES_OFF_ENV, "").split(",") if word.strip()}
    unknown = off - set(PATCH_NAMES) - {"all"}
    warnings = [f"{PATCHES_OFF_ENV} names no patch {', '.join(sorted(unknown))} "
                f"(known: {', '.join(PATCH_NAMES)}, all)"] if unknown else []
    for name in PATCH_NAMES:
        patch = PATCHES.get(name)
        if patch is None or "all" in off or name in off:
            continue
        try:
            patch()  # checks its names before it changes anything
        except _Missing as exc:
            warnings.append(
                f"the strategy plugin's `{name}` patch is left out: {exc} (a Mitogen or Ansible "
                f"other than the tested ones? pyproject.toml pins them); the run goes on without "
                f"it, slower.")
        else:
            APPLIED.add(name)
    return warnings


import ansible.executor.task_result as _task_result
import ansible.playbook.task as _playbook_task
from ansible._internal import _display_utils
from ansible._internal._templating._engine import TemplateEngine

# The variables a worker adds to a task's variables before it evaluates `when` (PlayContext.update_vars):
# the controller does not have them, so a condition that names one is left to the worker.
_CONNECTION_VARS = frozenset(name for names in C.MAGIC_VARIABLE_MAPPING.values() for name in names)


@_patch("controller-skips")
def _patch_controller_skips() -> None:
    # What _skip_result uses, as TaskExecutor._execute_internal and WorkerProcess._run do.
    _need(_playbook_task.Task, "_resolve_conditional", "update_result_no_log", "dump_attrs", "loop", "loop_with")
    _need(_task_result, "_RawTaskResult")
    _need(_display_utils, "DeferredWarningContext")
    _need(C, "_ACTION_ALL_INCLUDES")


def _skip_result(task, task_vars, loader) -> dict | None:
    """The result a worker would send for TASK on the host of TASK_VARS when its `when` is
    false there; None where only a worker can tell, or the task runs."""
    conditions = task.when  # its blocks' and role's too: each read walks the parents
    if (not conditions or task.loop is not None or task.loop_with or task.delegate_to
            or task.action in C._ACTION_ALL_INCLUDES):
        return None
    if any(name in str(condition) for condition in conditions for name in _CONNECTION_VARS):
        return None
    why: dict = {}
    try:
        with _display_utils.DeferredWarningContext(variables=task_vars) as said:
            holds = task._resolve_conditional(conditions, task_vars, result_context=why)
    except Exception:  # the worker reports it, as it would without this patch
        return None
    if holds or said.get_warnings() or said.get_deprecation_warnings():
        return None
    result = dict(changed=False, skipped=True, skip_reason="Conditional result was False") | why
    task.update_result_no_log(TemplateEngine(loader=loader, variables=task_vars), result)
    return result


class _ControllerSkips:
    """The `controller-skips` patch, in the strategy's _queue_task."""

    def _queue_task(self, host, task, task_vars, play_context):
        result = _skip_result(task, task_vars, self._loader) if "controller-skips" in APPLIED else None
        if result is None:
            return super()._queue_task(host, task, task_vars, play_context)
        # What StrategyBase._queue_task and the worker would have done, without the fork.
        self._queued_task_cache[(host.name, task._uuid)] = {
            "host": host, "task": task, "task_vars": task_vars, "play_context": play_context}
        self._tqm.send_callback("v2_runner_on_start", host, task)
        self._pending_results += 1
        self._final_q.send_task_result(_task_result._RawTaskResult(
            host=host, task=task, return_data=result, task_fields=task.dump_attrs()))


if _mitogen is not None:
    import ansible_mitogen.affinity
    import ansible_mitogen.process

    @_patch("cores")
    def _patch_cores() -> None:
        _need(ansible_mitogen.affinity, "policy", "Policy")
        _need_read(ansible_mitogen.process, "policy")
        if (os.cpu_count() or 1) < 4:
            # The base Policy's methods do nothing; Mitogen reads `policy` at each use.
            ansible_mitogen.affinity.policy = ansible_mitogen.affinity.Policy()

    @_patch("full-names")
    def _patch_full_names() -> None:
        # Mitogen installs this wrapper by its module-level name when a run starts, and
        # decides from the play's connection whether to take a host over.
        names = ("wrap_connection_loader__get_with_context", "REDIRECTED_CONNECTION_PLUGINS")
        _need(_mitogen, *names)
        _need_read(_mitogen, *names)
        mitogen_get = _mitogen.wrap_connection_loader__get_with_context

        @functools.wraps(mitogen_get)
        def get_with_context(name, *args, **kwargs):
            return mitogen_get(_FULL_NAMES.get(name, name), *args, **kwargs)

        _mitogen.wrap_connection_loader__get_with_context = get_with_context
        _mitogen.REDIRECTED_CONNECTION_PLUGINS = tuple(
            sorted(set(_mitogen.REDIRECTED_CONNECTION_PLUGINS) | set(_FULL_NAMES)))

    import ansible.collections.list
    import ansible_mitogen.planner as _planner

    @functools.lru_cache(maxsize=None)
    def _collection_dirs() -> tuple[str, ...]:
        return tuple(path.decode() for path in ansible.collections.list.list_collection_dirs())

    @_patch("collection-dirs")
    def _patch_collection_dirs() -> None:
        # Mitogen lists the installed collections' directories again for every task on
        # every host (to send their code along); they do not change during a run.
        _need(ansible.collections.list, "list_collection_dirs")
        _need(_planner, "_load_collections")
        _need_read(_planner, "_load_collections")

        def load_collections(invocation):
            invocation._extra_sys_paths.update(_collection_dirs())

        _planner._load_collections = load_collections

    for _warning in _apply_patches():
        Display().warning(_warning)

    class StrategyModule(_ControllerSkips, _mitogen.StrategyMixin, _Linear):
        def run(self, iterator, play_context):
            if "collection-dirs" in APPLIED:
                _collection_dirs()  # in the controller: every forked worker has it then
            return super().run(iterator, play_context)

else:
    for _warning in _apply_patches():
        Display().warning(_warning)

    class StrategyModule(_ControllerSkips, _Linear):
        def __init__(self, *args, **kwargs):
            Display().warning(
                f"Mitogen is not installed in the Python that runs Ansible ({_MISSING}); "
                "running with Ansible's own linear strategy, about twice as slow. "
                "Install it with `pip install mitogen` (pyproject.toml pins the tested "
                "version), or set ANSIBLE_STRATEGY=linear to silence this.")
            super().__init__(*args, **kwargs)
