"""Shared pytest configuration: tests marked `docker` need a Docker engine and the host image."""

from __future__ import annotations

import subprocess

import pytest


def _docker_ready() -> str | None:
    try:
        info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"docker is not usable: {exc}"
    if info.returncode != 0:
        return "the Docker engine does not answer (`docker info` failed)"
    image = subprocess.run(["docker", "image", "inspect", "hadoop-deploy/host:current"],
                           capture_output=True, text=True)
    if image.returncode != 0:
        return "the host image is missing: run `hadoop-deploy image build`"
    return None


# The longest tests, in the order they start. With --maxschedchunk 1 (pyproject.toml) xdist
# gives each of its two workers two items to begin with, in order: worker 1 runs the first
# two, worker 2 the next two, and the short tests then go to whichever worker is free.
LONGEST = (
    "test_molecule_scenario[nfs]",
    "test_molecule_scenario[docker]",
    "test_molecule_scenario[cluster]",
    "test_sandbox_cluster_from_up_to_down",
    "test_the_wheel_installs_and_runs_from_any_directory",
    "test_a_user_of_the_cluster_works_on_the_edge_node",
    "test_a_webhdfs_client_reaches_hdfs_through_httpfs_only",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: LONGEST.index(item.name) if item.name in LONGEST else len(LONGEST))
    # In CI a missing engine is an error, not a reason to skip: .ci/run starts it.
    import os

    if os.environ.get("CI"):
        return
    reason = None
    for item in items:
        if item.get_closest_marker("docker") is None:
            continue
        if reason is None:
            reason = _docker_ready() or ""
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
