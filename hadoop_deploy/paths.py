"""Where the project's playbooks live and where it keeps its caches."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The playbooks, roles and inventories ship beside the package in the source tree.
PROJECT_DIR = PACKAGE_DIR.parent


def cache_dir() -> Path:
    """The per-user cache (downloads, assembled distributions, image recipes' .debs)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hadoop-deploy"

# The playbooks the CLI runs, and where it leaves each run's artifacts (gitignored).
SITE_PLAYBOOK = PROJECT_DIR / "site.yml"
PLAYBOOKS_DIR = PROJECT_DIR / "playbooks"
ANSIBLE_CFG = PROJECT_DIR / "ansible.cfg"
ARTIFACTS_DIR = PROJECT_DIR / "artifacts"
# The inventory `hadoop-deploy up` writes (gitignored).
LOCAL_INVENTORY = PROJECT_DIR / "inventory" / "local"
# The Hadoop role's known versions (hadoop_checksums) and its defaults (hadoop_version).
HADOOP_VARS = PROJECT_DIR / "roles" / "hadoop" / "vars" / "main.yml"
HADOOP_DEFAULTS = PROJECT_DIR / "roles" / "hadoop" / "defaults" / "main.yml"
# The cluster-wide defaults (cluster_admin_user, ...).
CLUSTER_DEFAULTS = PROJECT_DIR / "roles" / "cluster" / "defaults" / "main.yml"


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
