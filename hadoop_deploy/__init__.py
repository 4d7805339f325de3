"""hadoop-deploy: Ansible roles and a thin CLI that build a verified Apache Hadoop cluster."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hadoop-deploy")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
