"""The `linear` strategy run through Mitogen, the project's default (ansible.cfg).

Mitogen keeps one Python interpreter per host for the whole run and sends it each module
over that connection, instead of starting `docker exec`/SSH, a new Python and an unzipped
module payload for every task on every host. Measured on the 2-core sandbox: a no-op
site.yml run 130 s -> 56 s, with the controller using 49 CPU-s instead of 86.

Six things are added to Mitogen here:
- on a machine with fewer than 4 cores, Mitogen does not pin processes to cores. Its policy
  there keeps one core for its connection multiplexer and puts the controller and every
  worker on the other, so they share one core while the first sits mostly idle (and the
  sandbox's hosts compete for both). Measured on 2 cores, a no-op site.yml run: 47 s
  pinned, 32 s not. On 4 or more cores Mitogen's own policy stays (not measured here);
- a connection named by its full name (`community.docker.docker`, as Molecule's docker
  driver writes it; `ansible.builtin.ssh`) is taken over like its short name;
- the scan of a module's imports (which module_utils to send with it) compiles each file
  once per run, not once per module that imports it: Mitogen compiles basic.py and its
  ~45 companions again for every module a run uses, ~0.1 s each, one scan at a time;
- before a play's workers fork, the controller loads Ansible's own Jinja filters and tests
  and those the play's roles name by collection (`ansible.utils.ipaddr`): each worker
  otherwise loads them again for the one task it templates (netaddr included);
- the installed collections' directories are listed once per run, not once per task and
  host;
- without Mitogen in the Python running Ansible, the run goes on with Ansible's own linear
  strategy and says so once: the playbooks do not need Mitogen, they are only slower.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from ansible.plugins.loader import filter_loader, test_loader
from ansible.plugins.strategy.linear import StrategyModule as _Linear
from ansible.utils.display import Display

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

# A collection filter or test named in a role: `| ansible.utils.ipaddr(...)`, `is a.b.c`,
# `map('community.general.dict_kv', ...)`, `select('a.b.c')`.
_FQCN = re.compile(r"""(?:\|\s*|\bis(?:\s+not)?\s+|\b(?:map|select|reject)\s*\(\s*['"])"""
                   r"([a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+)\b")


def _play_plugin_names(play) -> set[str]:
    """The filters and tests the play's file and roles (dependencies included) name by FQCN."""
    files = {Path(play.get_path().rpartition(":")[0])}
    roles = list(play.get_roles())
    for role in list(roles):
        roles.extend(role.get_all_dependencies())
    for path in {role.get_role_path() for role in roles}:
        for child in ("tasks", "handlers", "vars", "defaults", "templates"):
            files.update(Path(path, child).rglob("*"))
    names = set()
    for file in files:
        if file.is_file():
            names.update(_FQCN.findall(file.read_text(errors="replace")))
    return names


class _WarmTemplatePlugins:
    """Load in the controller what every forked worker would load again for its one task."""

    def run(self, iterator, play_context):
        # Ansible's own filters and tests come all together with any one of them.
        names = {"ansible.builtin.bool"} | _play_plugin_names(iterator._play)
        for loader in (filter_loader, test_loader):
            for name in sorted(names):
                try:
                    loader.get(name)
                except Exception:  # not a plugin of this kind, or missing: a worker will say so
                    pass
        if _mitogen is not None:
            _collection_dirs()
        return super().run(iterator, play_context)


if _mitogen is not None:
    import ansible_mitogen.affinity

    if (os.cpu_count() or 1) < 4:
        # The base Policy's methods do nothing; Mitogen reads `policy` at each use.
        ansible_mitogen.affinity.policy = ansible_mitogen.affinity.Policy()

    import ansible_mitogen.module_finder as _finder

    # The scan reads each file and calls `compile` and `walk_imports` by their module-level
    # names: the same source gives the same code object, whose imports are listed once.
    _finder.compile = functools.lru_cache(maxsize=None)(compile)
    _walk_imports = _finder.walk_imports
    _finder.walk_imports = functools.lru_cache(maxsize=None)(
        lambda code, prefix=None: tuple(_walk_imports(code, prefix)))

    import ansible.collections.list
    import ansible_mitogen.planner

    # Mitogen lists the installed collections' directories again for every task on every
    # host (to send their code along); they do not change during a run.
    @functools.lru_cache(maxsize=None)
    def _collection_dirs() -> tuple[str, ...]:
        return tuple(path.decode() for path in ansible.collections.list.list_collection_dirs())

    def _load_collections(invocation):
        invocation._extra_sys_paths.update(_collection_dirs())

    ansible_mitogen.planner._load_collections = _load_collections

    _mitogen_get = _mitogen.wrap_connection_loader__get_with_context

    def _get_with_context(name, *args, **kwargs):
        return _mitogen_get(_FULL_NAMES.get(name, name), *args, **kwargs)

    # Mitogen installs this wrapper by its module-level name when a run starts, and
    # decides from the play's connection whether to take a host over.
    _mitogen.wrap_connection_loader__get_with_context = _get_with_context
    _mitogen.REDIRECTED_CONNECTION_PLUGINS = tuple(
        sorted(set(_mitogen.REDIRECTED_CONNECTION_PLUGINS) | set(_FULL_NAMES)))

    class StrategyModule(_WarmTemplatePlugins, _mitogen.StrategyMixin, _Linear):
        pass

else:

    class StrategyModule(_WarmTemplatePlugins, _Linear):
        def __init__(self, *args, **kwargs):
            Display().warning(
                f"Mitogen is not installed in the Python that runs Ansible ({_MISSING}); "
                "running with Ansible's own linear strategy, about twice as slow. "
                "Install it with `pip install mitogen` (pyproject.toml pins the tested "
                "version), or set ANSIBLE_STRATEGY=linear to silence this.")
            super().__init__(*args, **kwargs)
