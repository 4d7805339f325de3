"""Where the project's playbooks live, and where it keeps its caches and its own files."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# In a checkout the playbooks, roles and plugins sit beside the package; a wheel ships the
# same files as the package's data in hadoop_deploy/project/ (pyproject.toml).
_SHIPPED = PACKAGE_DIR / "project"
INSTALLED = (_SHIPPED / "site.yml").is_file()
PROJECT_DIR = _SHIPPED if INSTALLED else PACKAGE_DIR.parent


def cache_dir() -> Path:
    """The per-user cache (downloads, assembled distributions, image recipes' .debs)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hadoop-deploy"


def data_dir() -> Path:
    """What the command writes for itself: HADOOP_DEPLOY_DATA_DIR where it is set (a second
    sandbox beside the first), else the checkout when run from one (gitignored), else the
    per-user data directory, the same from any working directory."""
    if os.environ.get("HADOOP_DEPLOY_DATA_DIR"):
        return Path(os.environ["HADOOP_DEPLOY_DATA_DIR"]).resolve()
    if not INSTALLED:
        return PROJECT_DIR
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "hadoop-deploy"


# The playbooks the CLI runs, and where it leaves each run's artifacts.
SITE_PLAYBOOK = PROJECT_DIR / "site.yml"
PLAYBOOKS_DIR = PROJECT_DIR / "playbooks"
ANSIBLE_CFG = PROJECT_DIR / "ansible.cfg"
ARTIFACTS_DIR = data_dir() / "artifacts"
# The inventory `hadoop-deploy up` writes.
LOCAL_INVENTORY = data_dir() / "inventory" / "local"
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
