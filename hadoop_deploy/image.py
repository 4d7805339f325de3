"""The images built here from Debian packages, each named by its recipe's hash: the sandbox
host image (a Docker image) and the VM image (a qcow2 disk with its kernel, for the NFS tests)."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .paths import PACKAGE_DIR, cache_dir

IMAGES_DIR = PACKAGE_DIR / "images"
RECIPE_DIR = IMAGES_DIR / "host"
VM_RECIPE_DIR = IMAGES_DIR / "vm"
REPOSITORY = "hadoop-deploy/host"
# The tag every consumer (Molecule scenarios, the local sandbox) uses; it always points
# at the image built from the current recipe.
CURRENT_TAG = f"{REPOSITORY}:current"


class ImageError(RuntimeError):
    """The image could not be built; the message says why and what to do."""


def recipe_hash(recipe_dir: Path = RECIPE_DIR) -> str:
    """A short hash of the recipe (its directory, the shared script and, for the VM, the host
    package list it extends): the image is rebuilt when any of them changes."""
    files = sorted(p for p in recipe_dir.rglob("*") if p.is_file()) + [IMAGES_DIR / "common.sh"]
    if recipe_dir == VM_RECIPE_DIR:
        files.append(RECIPE_DIR / "packages.txt")
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(IMAGES_DIR).as_posix().encode())
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


def _run_recipe(recipe_dir: Path, target: str) -> None:
    """Run a recipe's build.sh TARGET CACHE_DIR; its error output becomes the ImageError."""
    proc = subprocess.run(["bash", str(recipe_dir / "build.sh"), target, str(cache_dir())],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise ImageError(f"building {target} failed:\n{proc.stderr.strip()}")


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
        _run_recipe(RECIPE_DIR, ref)
        built = True
    _docker("tag", ref, CURRENT_TAG)
    return BuildResult(ref=ref, built=built, seconds=time.monotonic() - started)


VM_FILES = ("disk.qcow2", "vmlinuz", "initrd.img")


def ensure_vm_image(force: bool = False) -> BuildResult:
    """Build the VM image unless one from the same recipe is cached; `ref` is its directory
    (disk.qcow2, vmlinuz, initrd.img), which VMs use as the backing file of their own disk."""
    started = time.monotonic()
    out = cache_dir() / "vm-images" / recipe_hash(VM_RECIPE_DIR)
    built = False
    if force or not all((out / name).is_file() for name in VM_FILES):
        shutil.rmtree(out, ignore_errors=True)
        try:
            _run_recipe(VM_RECIPE_DIR, str(out))
        except ImageError:
            shutil.rmtree(out, ignore_errors=True)
            raise
        built = True
        # Images of older recipes are 700+ MB each and nothing uses them any more.
        for old in out.parent.iterdir():
            if old != out and old.is_dir() and re.fullmatch(r"[0-9a-f]{12}", old.name):
                shutil.rmtree(old, ignore_errors=True)
    return BuildResult(ref=str(out), built=built, seconds=time.monotonic() - started)
