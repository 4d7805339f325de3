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
