"""The sandbox host image: built here from Debian packages, tagged with its recipe's hash."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .paths import PACKAGE_DIR, cache_dir

RECIPE_DIR = PACKAGE_DIR / "images" / "host"
REPOSITORY = "hadoop-deploy/host"
# The tag every consumer (Molecule scenarios, the local sandbox) uses; it always points
# at the image built from the current recipe.
CURRENT_TAG = f"{REPOSITORY}:current"


class ImageError(RuntimeError):
    """The image could not be built; the message says why and what to do."""


def recipe_hash(recipe_dir: Path = RECIPE_DIR) -> str:
    """A short hash of every file in the recipe: the image is rebuilt when it changes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in recipe_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(recipe_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def _docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    if shutil.which("docker") is None:
        raise ImageError("the docker client is not installed: apt-get install -y docker.io")
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check)


def image_exists(ref: str) -> bool:
    return _docker("image", "inspect", ref, check=False).returncode == 0


@dataclass
class BuildResult:
    ref: str
    built: bool
    seconds: float


def ensure_image(force: bool = False) -> BuildResult:
    """Build the host image unless one from the same recipe exists; tag it as current."""
    started = time.monotonic()
    info = _docker("info", "--format", "{{.ServerVersion}}", check=False)
    if info.returncode != 0:
        raise ImageError(
            "the Docker engine does not answer (`docker info` failed): start dockerd, "
            "or run as a user in the docker group"
        )
    ref = f"{REPOSITORY}:{recipe_hash()}"
    built = False
    if force or not image_exists(ref):
        proc = subprocess.run(
            ["bash", str(RECIPE_DIR / "build.sh"), ref, str(cache_dir())],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise ImageError(f"building {ref} failed:\n{proc.stderr.strip()}")
        built = True
    _docker("tag", ref, CURRENT_TAG)
    return BuildResult(ref=ref, built=built, seconds=time.monotonic() - started)
