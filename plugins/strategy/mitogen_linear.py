"""The `linear` strategy run through Mitogen, the project's default (ansible.cfg).

Mitogen keeps one Python interpreter per host for the whole run and sends it each module
over that connection, instead of starting `docker exec`/SSH, a new Python and an unzipped
module payload for every task on every host. Measured on the 2-core sandbox: a no-op
site.yml run 130 s -> 56 s, with the controller using 49 CPU-s instead of 86.

Three things are added to Mitogen here:
- on a machine with fewer than 4 cores, Mitogen does not pin processes to cores. Its policy
  there keeps one core for its connection multiplexer and puts the controller and every
  worker on the other, so they share one core while the first sits mostly idle (and the
  sandbox's hosts compete for both). Measured on 2 cores, a no-op site.yml run: 47 s
  pinned, 32 s not. On 4 or more cores Mitogen's own policy stays (not measured here);
- a connection named by its full name (`community.docker.docker`, as Molecule's docker
  driver writes it; `ansible.builtin.ssh`) is taken over like its short name;
- without Mitogen in the Python running Ansible, the run goes on with Ansible's own linear
  strategy and says so once: the playbooks do not need Mitogen, they are only slower.
"""

from __future__ import annotations

import os

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

if _mitogen is not None:
    import ansible_mitogen.affinity

    if (os.cpu_count() or 1) < 4:
        # The base Policy's methods do nothing; Mitogen reads `policy` at each use.
        ansible_mitogen.affinity.policy = ansible_mitogen.affinity.Policy()

    _mitogen_get = _mitogen.wrap_connection_loader__get_with_context

    def _get_with_context(name, *args, **kwargs):
        return _mitogen_get(_FULL_NAMES.get(name, name), *args, **kwargs)

    # Mitogen installs this wrapper by its module-level name when a run starts, and
    # decides from the play's connection whether to take a host over.
    _mitogen.wrap_connection_loader__get_with_context = _get_with_context
    _mitogen.REDIRECTED_CONNECTION_PLUGINS = tuple(
        sorted(set(_mitogen.REDIRECTED_CONNECTION_PLUGINS) | set(_FULL_NAMES)))

    class StrategyModule(_mitogen.StrategyMixin, _Linear):
        pass

else:

    class StrategyModule(_Linear):
        def __init__(self, *args, **kwargs):
            Display().warning(
                f"Mitogen is not installed in the Python that runs Ansible ({_MISSING}); "
                "running with Ansible's own linear strategy, about twice as slow. "
                "Install it with `pip install mitogen` (pyproject.toml pins the tested "
                "version), or set ANSIBLE_STRATEGY=linear to silence this.")
            super().__init__(*args, **kwargs)
