"""The documented variables' types and ranges: one rule per variable, checked without any host.

The types come from the roles' meta/argument_specs.yml (so a variable documented there is
checked as it is documented); the rules below add what a type cannot say (a port's range,
a timeout of 0, a data directory that is `/`, an NFS export to every client, a Hadoop
property's name and value). `checks` applies them to every host's inventory values, and the
`inventory_check` action plugin to the values a role is about to use.
"""

from __future__ import annotations

import ipaddress
import json
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .paths import PROJECT_DIR

ROLES_DIR = PROJECT_DIR / "roles"
# Directories a data directory, an NFS export or a mount must not be: the system's own.
SYSTEM_DIRS = frozenset({"/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/root", "/run", "/sbin",
                         "/sys", "/usr", "/var"})
USER_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
# An XML name without a namespace prefix's rules: what a Hadoop property name may be.
XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]*$")
_SIZE = re.compile(r"^[0-9]+[kmgtpeKMGTPE]?$")
_NFS_OPTIONS = re.compile(r"^[A-Za-z0-9_=,:./-]+$")
_PUBLIC_KEY_TYPES = ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
                     "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")
HADOOP_PROPERTY_VARIABLES = ("hadoop_core_site", "hadoop_hdfs_site", "hadoop_yarn_site", "hadoop_mapred_site",
                             "hadoop_capacity_scheduler", "hadoop_httpfs_site")
# Well-known Hadoop properties and what their value must be (Hadoop reads them as text and
# falls back to its default, without a word, on a value it cannot parse).
HADOOP_PROPERTY_KINDS = {
    "dfs.replication": "count", "dfs.namenode.handler.count": "count", "dfs.datanode.handler.count": "count",
    "yarn.nodemanager.resource.memory-mb": "count", "yarn.nodemanager.resource.cpu-vcores": "count",
    "yarn.scheduler.minimum-allocation-mb": "count", "yarn.scheduler.maximum-allocation-mb": "count",
    "mapreduce.map.memory.mb": "count", "mapreduce.reduce.memory.mb": "count",
    "yarn.app.mapreduce.am.resource.mb": "count", "io.file.buffer.size": "count", "mapreduce.job.reduces": "count",
    "fs.trash.interval": "whole", "dfs.namenode.safemode.min.datanodes": "whole",
    "dfs.permissions.enabled": "boolean", "dfs.webhdfs.enabled": "boolean", "dfs.namenode.acls.enabled": "boolean",
    "yarn.log-aggregation-enable": "boolean", "yarn.acl.enable": "boolean", "hadoop.security.authorization": "boolean",
    "yarn.nodemanager.vmem-check-enabled": "boolean", "yarn.nodemanager.pmem-check-enabled": "boolean",
    "mapreduce.map.speculative": "boolean", "mapreduce.reduce.speculative": "boolean",
    "dfs.blocksize": "size", "dfs.datanode.du.reserved": "size",
}
# Variables documented outside the roles' argument specs (group_vars/all.yml, Ansible's own).
EXTRA_SPECS = {
    "ansible_port": {"type": "int"},
    "nfs_exports": {"type": "list", "elements": "dict"},
}

# why VALUE of a variable is wrong ('' when it is right), given the host's other values.
Check = Callable[[Any, Mapping[str, Any]], str]


def templated(value: Any) -> bool:
    """A Jinja2 expression (or a vaulted value) cannot be judged before Ansible resolves it."""
    from .inventory import Opaque

    if isinstance(value, Opaque) or (isinstance(value, str) and "{{" in value):
        return True
    if isinstance(value, dict):
        return any(templated(v) for v in value.values())
    if isinstance(value, list):
        return any(templated(v) for v in value)
    return False


def shown(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else repr(value)


def _whole(value: Any) -> int | None:
    """VALUE as a whole number (an int, or the digits a -e or INI value arrives as), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
        return int(value)
    return None


# --------------------------------------------------------------------------- types


def type_problem(value: Any, kind: str, elements: str = "") -> str:
    """Why VALUE is not of the argument-spec type KIND ('' when it is)."""
    if value is None or kind in ("", "raw"):
        return ""
    if kind == "bool":
        if isinstance(value, bool):
            return ""
        if isinstance(value, str):
            return f"is the string {value!r}, not a boolean"
        return "is not a boolean (true or false)"
    if kind == "int":
        return "" if _whole(value) is not None else "is not a whole number"
    if kind == "float":
        if isinstance(value, bool):
            return "is not a number"
        try:
            float(value)
        except (TypeError, ValueError):
            return "is not a number"
        return ""
    if kind in ("str", "path"):
        return "" if not isinstance(value, (bool, list, dict)) else f"is a {_type_name(value)}, not a string"
    if kind == "list":
        if not isinstance(value, list):
            return f"is a {_type_name(value)}, not a list"
        for item in value:
            why = type_problem(item, elements)
            if why:
                return f"has an item {shown(item)} that {why}"
        return ""
    if kind == "dict":
        return "" if isinstance(value, dict) else f"is a {_type_name(value)}, not a mapping"
    return ""


def _type_name(value: Any) -> str:
    return {bool: "boolean", list: "list", dict: "mapping", str: "string", int: "number", float: "number"}.get(
        type(value), type(value).__name__)


def _type_fix(name: str, kind: str, value: Any, from_command_line: bool) -> str:
    if kind == "bool" and from_command_line:
        word = "true" if str(value).strip().lower() in ("true", "yes", "on", "1") else "false"
        return f"-e name=value always gives a string: pass a boolean as JSON, -e '{{\"{name}\": {word}}}'"
    if kind == "bool":
        return f"write {name}: true or {name}: false, without quotes"
    examples = {"int": "a whole number such as 300", "float": "a number such as 0.75", "list": "a YAML list ([a, b])",
                "dict": "a YAML mapping (name: value lines)", "str": "a string (quote it)", "path": "a path (quote it)"}
    return f"set {name} to {examples.get(kind, kind)}, as documented in the role's meta/argument_specs.yml"


# --------------------------------------------------------------------------- ranges and forms


def port_problem(value: Any) -> str:
    number = _whole(value)
    if number is None or not 1 <= number <= 65535:
        return f"{shown(value)} is not a TCP port (a whole number from 1 to 65535)"
    return ""


def _at_least(minimum: int, what: str) -> Check:
    def check(value: Any, _: Mapping[str, Any]) -> str:
        number = _whole(value)
        return "" if number is None or number >= minimum else f"is {number}: {what} must be at least {minimum}"
    return check


def _port(value: Any, _: Mapping[str, Any]) -> str:
    return port_problem(value)


def _ports(value: Any, _: Mapping[str, Any]) -> str:
    return next((port_problem(item) for item in value if port_problem(item)), "") if isinstance(value, list) else ""


def _fraction(value: Any, _: Mapping[str, Any]) -> str:
    return "" if 0 < float(value) <= 1 else "must be more than 0 and at most 1 (a share of the worker's memory)"


def directory_problem(value: Any, system_dirs_too: bool = True) -> str:
    text = str(value).strip()
    if not text.startswith("/"):
        return "is a relative path: it must be absolute (start with /)"
    if re.search(r"\s", text):
        return "has a space in it"
    normal = posixpath.normpath(text)
    if normal == "/" or (system_dirs_too and normal in SYSTEM_DIRS):
        return f"is the system directory {normal}, which the role would take over"
    return ""


def _directory(system_dirs_too: bool) -> Check:
    def check(value: Any, _: Mapping[str, Any]) -> str:
        return directory_problem(value, system_dirs_too)
    return check


def cidr_problem(value: Any) -> str:
    """Why VALUE is not a usable private network ('' when it is)."""
    text = str(value).strip()
    try:
        network = ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        return "is not an IPv4 network in CIDR form"
    if "/" not in text:
        return "has no prefix length"
    if str(network) != text:
        return f"has host bits set (the network is {network})"
    if network.prefixlen < 8:
        return "is wider than a /8: it would take in addresses outside the cluster (the whole Internet for /0)"
    if network.overlaps(DOCKER_BRIDGE):
        return f"overlaps Docker's default bridge {DOCKER_BRIDGE}, which every node's docker0 holds"
    return ""


DOCKER_BRIDGE = ipaddress.IPv4Network("172.17.0.0/16")


def _cidr(value: Any, _: Mapping[str, Any]) -> str:
    return cidr_problem(value)


# What a node's name may be: it becomes its host name, which systemd refuses at boot and
# Hadoop in URIs with '_', and which must not look like an address.
_NODE_NAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
NODE_NAME_FIX = ("use letters, digits and '-' (no '_'), in labels of at most 63 characters separated by '.', not an "
                 "IP address: rename the host in the inventory (and give its address with ansible_host)")


def node_name_problem(name: str) -> str:
    """Why NAME cannot be a node's host name ('' when it can)."""
    if _NODE_NAME.match(name) and not name.split(".")[-1].isdigit():
        return ""
    return f"'{name}' is not a valid host name: systemd refuses it at boot and Hadoop in URIs"


def _node_names(value: Any, _: Mapping[str, Any]) -> str:
    return next((node_name_problem(str(n)) for n in value if node_name_problem(str(n))), "") if isinstance(value, list) else ""


def _account(value: Any, _: Mapping[str, Any]) -> str:
    return "" if USER_NAME.match(str(value)) else "is not a valid Linux user or group name"


def _accounts(value: Any, settings: Mapping[str, Any]) -> str:
    bad = [str(n) for n in value if _account(n, settings) or str(n) == "root"] if isinstance(value, list) else []
    return f"has {', '.join(map(repr, bad))}, not a valid Linux user name for a user of the cluster" if bad else ""


def _spark_checksum(value: Any, _: Mapping[str, Any]) -> str:
    text = str(value).strip()
    if text == "" or re.fullmatch(r"(sha512:)?[0-9a-fA-F]{128}|sha256:[0-9a-fA-F]{64}", text):
        return ""
    return "is not a checksum: sha512: and 128 hex digits (or the digits alone), or sha256: and 64"


def _plain_file_name(value: Any, _: Mapping[str, Any]) -> str:
    return "" if re.fullmatch(r"[A-Za-z0-9_-]+", str(value)) else "must be letters, digits, '_' or '-' only"


def _key_file_name(value: Any, _: Mapping[str, Any]) -> str:
    return "" if re.fullmatch(r"[A-Za-z0-9_.-]+", str(value)) else "must be a plain file name"


def _public_keys(value: Any, _: Mapping[str, Any]) -> str:
    for item in value if isinstance(value, list) else []:
        parts = str(item).split()
        if ("\n" in str(item) or len(parts) < 2 or parts[0] not in _PUBLIC_KEY_TYPES
                or not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", parts[1])):
            return f"has {str(item)[:40]!r}, which is not an OpenSSH public key line (type, base64 key, comment)"
    return ""


def _nfs_clients_problem(clients: Any) -> str:
    for client in [clients] if isinstance(clients, str) else clients if isinstance(clients, list) else [clients]:
        text = str(client).strip()
        if text in ("", "*") or text.startswith("0.0.0.0/") or text == "0.0.0.0":
            return f"exports to every client ({shown(client)}): name the private network (the default) or hosts"
    return ""


def _nfs_exports(value: Any, context: Mapping[str, Any]) -> str:
    if not isinstance(value, list):
        return ""
    paths = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            return f"has an item {shown(item)} without a path (each item is a mapping with path: /an/absolute/dir)"
        why = directory_problem(item["path"]) or _nfs_clients_problem(item.get("clients", "10.0.0.0/8"))
        if not why and "options" in item and not _NFS_OPTIONS.match(str(item["options"])):
            why = f"has options {shown(item['options'])}: comma-separated, such as rw,sync,no_subtree_check,root_squash"
        if why:
            return f"has path {item['path']!r}, which {why}" if why.startswith("is ") else f"has path {item['path']!r}: {why}"
        paths.append(posixpath.normpath(item["path"]))
    twice = sorted({p for p in paths if paths.count(p) > 1})
    return f"lists {twice[0]} twice: give each directory once, with all its clients" if twice else ""


def _nfs_mounts(value: Any, _: Mapping[str, Any]) -> str:
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            return f"has an item {shown(item)} without a path (the directory the master exports)"
        mount_point = item.get("mount_point", item["path"])
        why = directory_problem(mount_point)
        if why:
            return f"has mount point {mount_point!r}, which {why}"
    return ""


def _exports_file(value: Any, _: Mapping[str, Any]) -> str:
    return "" if re.fullmatch(r"/etc/exports\.d/[^/]+\.exports", str(value)) else "must be a *.exports file in /etc/exports.d/"


def _port_forwards(value: Any, context: Mapping[str, Any]) -> str:
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict):
            return f"has an item {shown(item)} that is not a mapping (port, to_host, to_port, protocol)"
        why = port_problem(item.get("port")) or port_problem(item.get("to_port") or item.get("port"))
        if not why and item.get("protocol", "tcp") not in ("tcp", "udp"):
            why = f"protocol {shown(item.get('protocol'))} is neither tcp nor udp"
        network = context.get("nat_private_cidr", context.get("cluster_private_cidr"))
        if not why and isinstance(network, str) and not templated(network) and not cidr_problem(network):
            try:
                inside = ipaddress.ip_address(str(item.get("to_host"))) in ipaddress.IPv4Network(network)
            except ValueError:
                inside = False
            why = "" if inside else f"to_host {shown(item.get('to_host'))} is not an address inside {network}"
        if why:
            return f"has an item {shown(item)}: {why}"
    return ""


def _dns_forwarder(value: Any, context: Mapping[str, Any]) -> str:
    nameservers = context.get("nat_worker_nameservers")
    if value is False and not nameservers and not templated(nameservers):
        return "is false and nat_worker_nameservers is empty: the workers would have no name server"
    return ""


# The docker role's forms: a host name or IPv4 address, a TCP port, an IPv4 CIDR.
_HOST = r"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
_PORT = r"([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
_CIDR = r"([0-9]{1,3}\.){3}[0-9]{1,3}/([0-9]|[12][0-9]|3[0-2])"
_REGISTRY_MIRROR = re.compile(rf"^https?://{_HOST}(:{_PORT})?(/[^\s]*)?$")
_REGISTRY = re.compile(rf"^{_HOST}(:{_PORT})?$|^{_CIDR}$")
_PROXY = re.compile(rf"^(https?|socks5h?)://([^\s/@]+@)?{_HOST}(:{_PORT})?/?$")
_LOG_SIZE = re.compile(r"^[1-9][0-9]*[kmg]?$")


def redacted(url: str) -> str:
    """A proxy URL without its user:password@ (a secret)."""
    return re.sub(r"//[^/@]*@", "//***@", url)


def _items_not_matching(pattern: re.Pattern[str], what: str) -> Check:
    def check(value: Any, _: Mapping[str, Any]) -> str:
        bad = [item for item in value if not pattern.match(str(item))] if isinstance(value, list) else []
        return f"has {shown(bad[0])}, which is not {what}" if bad else ""
    return check


def _registry_host(value: Any, _: Mapping[str, Any]) -> str:
    return "" if value == "" or re.fullmatch(_HOST, str(value)) else "is not a host name or an IPv4 address (no scheme, port or path)"


def _proxy(value: Any, _: Mapping[str, Any]) -> str:
    return "" if _PROXY.match(str(value)) else "does not parse as scheme://[user:password@]host[:port] (http, https or socks5)"


def _no_proxy(value: Any, _: Mapping[str, Any]) -> str:
    bad = [item for item in value if re.search(r"[ ,]", str(item))] if isinstance(value, list) else []
    return f"has {shown(bad[0])}, with a space or a comma: give one host, domain, address or CIDR per item" if bad else ""


def _addresses(value: Any, _: Mapping[str, Any]) -> str:
    for item in value if isinstance(value, list) else []:
        try:
            ipaddress.ip_address(str(item))
        except ValueError:
            return f"has {shown(item)}, which is not an IP address"
    return ""


def _log_size(value: Any, _: Mapping[str, Any]) -> str:
    return "" if _LOG_SIZE.match(str(value)) else "is not a size such as 10m or 500k"


def _docker_source(value: Any, context: Mapping[str, Any]) -> str:
    if value == "docker" and not (context.get("docker_apt_repository_url") and context.get("docker_apt_key_url")):
        return "needs docker_apt_repository_url (Docker's apt repository, or your mirror of it) and docker_apt_key_url (its key)"
    return ""


def _heap(value: Any, _: Mapping[str, Any]) -> str:
    for daemon, megabytes in value.items() if isinstance(value, dict) else []:
        number = _whole(megabytes)
        if number is None or number < 1:
            return f"gives {daemon} {shown(megabytes)}: each daemon's heap is a whole number of MB, at least 1"
    return ""


def property_problem(name: Any, value: Any) -> str:
    """Why Hadoop property NAME=VALUE cannot be rendered or read ('' when it can)."""
    if not isinstance(name, str) or not XML_NAME.match(name):
        return f"has the property name {shown(name)}, which is not a valid XML name (letters, digits, '.', '-', '_', ':')"
    kind = HADOOP_PROPERTY_KINDS.get(name)
    if value is None or kind is None or templated(value):
        return ""
    number = _whole(value)
    if kind == "count" and (number is None or number < 1):
        return f"sets {name} to {shown(value)}: it must be a whole number of at least 1"
    if kind == "whole" and (number is None or number < 0):
        return f"sets {name} to {shown(value)}: it must be a whole number"
    if kind == "boolean" and not (isinstance(value, bool) or str(value).lower() in ("true", "false")):
        return f"sets {name} to {shown(value)}: it must be true or false"
    if kind == "size" and (isinstance(value, bool) or not _SIZE.match(str(value))):
        return f"sets {name} to {shown(value)}: it must be a size in bytes, or with a suffix such as 128m or 1g"
    return ""


def _properties(value: Any, _: Mapping[str, Any]) -> str:
    for name, item in value.items() if isinstance(value, dict) else []:
        why = property_problem(name, item)
        if why:
            return why
    return ""


# Rules beyond the type: variable -> (check, how to fix).
RULES: dict[str, tuple[Check, str]] = {
    "ansible_port": (_port, "set ansible_port to the port sshd listens on (1-65535)"),
    "nat_public_ssh_port": (_port, "set nat_public_ssh_port to a port from 1 to 65535"),
    "nat_public_open_ports": (_ports, "list TCP ports from 1 to 65535 in nat_public_open_ports"),
    "ssh_trust_port": (_port, "set ssh_trust_port to the port sshd listens on (1-65535)"),
    "docker_registry_port": (_port, "set docker_registry_port to a port from 1 to 65535"),
    "apt_cache_port": (_port, "set apt_cache_port to a port from 1 to 65535"),
    "apt_cache_upstream_proxy": (_proxy, "give the proxy as a URL, for example http://proxy.example.org:3128, or leave it empty"),
    "nat_dns_forwarder": (_dns_forwarder, "turn the forwarder on, or list name servers the workers reach in nat_worker_nameservers"),
    "nat_port_forwards": (_port_forwards, "give each forward port, to_host, optional to_port (1-65535) and protocol tcp or udp"),
    "cluster_private_cidr": (_cidr, "set it to the nodes' private network as address/prefix, for example 10.42.0.0/24"),
    "nat_private_cidr": (_cidr, "set it (or cluster_private_cidr) to the private network, for example 10.42.0.0/24"),
    "hadoop_wait_timeout": (_at_least(1, "a timeout"), "set hadoop_wait_timeout to the seconds to wait, such as 300"),
    "docker_restart_timeout": (_at_least(1, "a timeout"), "set docker_restart_timeout to the seconds to wait, such as 90"),
    "docker_registry_cert_days": (_at_least(1, "a certificate's life"), "set docker_registry_cert_days to days, such as 3650"),
    "hadoop_mapreduce_task_mb": (_at_least(1, "a container's size"), "set hadoop_mapreduce_task_mb to MB, such as 512"),
    "hadoop_yarn_memory_reserved_mb": (_at_least(0, "reserved memory"), "set it to MB, such as 1024"),
    "hadoop_yarn_memory_max_mb": (_at_least(0, "a bound"), "set it to MB (0: no bound)"),
    "hadoop_yarn_memory_fraction": (_fraction, "set hadoop_yarn_memory_fraction to a share such as 0.75"),
    "hadoop_heap_mb": (_heap, "give each daemon's heap in MB, such as namenode: 512"),
    "hadoop_data_dir": (_directory(True), "set hadoop_data_dir to a directory of its own, such as /srv/hadoop"),
    "hadoop_log_dir": (_directory(True), "set hadoop_log_dir to a directory of its own, such as /var/log/hadoop"),
    "hadoop_conf_dir": (_directory(True), "set hadoop_conf_dir to a directory of its own, such as /etc/hadoop"),
    "hadoop_home": (_directory(True), "set hadoop_home to a directory of its own, such as /opt/hadoop"),
    "hadoop_install_prefix": (_directory(False), "set hadoop_install_prefix to an absolute directory, such as /opt"),
    "docker_registry_data_dir": (_directory(True), "set it to a directory of its own, such as /var/lib/docker-registry"),
    "docker_install_source": (_docker_source, "set both URLs, or use docker_install_source: debian for Debian's docker.io"),
    "docker_registry_mirrors": (_items_not_matching(_REGISTRY_MIRROR, "an http(s) URL"),
                                "list URLs such as https://mirror.example.org or http://10.0.0.5:5000"),
    "docker_insecure_registries": (_items_not_matching(_REGISTRY, "host[:port] or an IPv4 CIDR"),
                                   "list entries such as 10.0.0.5:5000, registry.example.org or 10.0.0.0/24 (no scheme, no path)"),
    "docker_registry_host": (_registry_host, "set docker_registry_host to a name or address without scheme, port or path (empty: the master's private address)"),
    "docker_http_proxy": (_proxy, "give the proxy as a URL, for example http://proxy.example.org:3128, or leave it empty"),
    "docker_https_proxy": (_proxy, "give the proxy as a URL, for example http://proxy.example.org:3128, or leave it empty"),
    "docker_no_proxy": (_no_proxy, "list one host, domain, address or CIDR per item"),
    "docker_dns": (_addresses, "list the name servers' IP addresses"),
    "docker_dns_search": (_items_not_matching(re.compile(rf"^{_HOST}$"), "a domain name"), "list domain names"),
    "docker_log_max_size": (_log_size, "set docker_log_max_size to a size such as 10m or 500k"),
    "docker_log_max_file": (_at_least(1, "the number of log files"), "set docker_log_max_file to a whole number such as 3"),
    "docker_data_root": (_directory(True), "leave docker_data_root empty or give a directory of its own"),
    "nfs_exports": (_nfs_exports, "give each export an absolute path that is not a system directory, and clients on the private network"),
    "nfs_server_exports": (_nfs_exports, "give each export an absolute path that is not a system directory, and clients on the private network"),
    "nfs_client_mounts": (_nfs_mounts, "give each mount the exported path and an absolute mount_point that is not a system directory"),
    "nfs_server_exports_file": (_exports_file, "use the default, /etc/exports.d/hadoop-deploy.exports"),
    "etc_hosts_nodes": (_node_names, NODE_NAME_FIX),
    **{name: (_account, "use lower-case letters, digits, '_' or '-', starting with a letter")
       for name in ("cluster_hdfs_user", "cluster_yarn_user", "cluster_mapred_user", "cluster_httpfs_user", "cluster_hadoop_group",
                    "cluster_users_group")},
    "users_cluster_users": (_accounts, "list lower-case names (letters, digits, '_' or '-', starting with a letter), not root"),
    "users_sudoers_file": (_plain_file_name, "sudo skips files in /etc/sudoers.d whose name has a '.' or ends in '~': use the default"),
    "users_admin_authorized_keys": (_public_keys, "give whole lines of ~/.ssh/id_ed25519.pub files"),
    "ssh_trust_key_file": (_key_file_name, "use a file name such as id_ed25519, without a directory"),
    "spark_history_port": (_port, "set spark_history_port to a port from 1 to 65535"),
    "spark_executor_cores": (_at_least(1, "an executor's cores"), "set spark_executor_cores to a whole number such as 1"),
    "spark_executor_memory_mb": (_at_least(0, "an executor's memory"), "set it to MB, or 0 to size the executors from the workers"),
    "spark_history_heap_mb": (_at_least(128, "the history server's heap"), "set spark_history_heap_mb to MB, such as 512"),
    "spark_wait_timeout": (_at_least(1, "a timeout"), "set spark_wait_timeout to the seconds to wait, such as 120"),
    "spark_install_prefix": (_directory(False), "set spark_install_prefix to an absolute directory, such as /opt"),
    "spark_conf_dir": (_directory(True), "set spark_conf_dir to a directory of its own, such as /etc/spark"),
    "spark_tmp_dir": (_directory(False), "set spark_tmp_dir to an absolute directory that allows running files, such as /var/tmp"),
    "spark_user": (_account, "use lower-case letters, digits, '_' or '-', starting with a letter"),
    "spark_checksum": (_spark_checksum, "copy it from the release's .sha512 file (or PyPI's sha256 of the sdist), as sha512:<digits>"),
    **{name: (_properties, "use the property's documented name and a value of its kind (see Hadoop's *-default.xml)")
       for name in HADOOP_PROPERTY_VARIABLES},
}


@dataclass(frozen=True)
class Spec:
    type: str
    elements: str
    choices: tuple[Any, ...]
    role: str


@cache
def specs(roles_dir: Path = ROLES_DIR) -> dict[str, Spec]:
    """Every documented variable's type, from the roles' meta/argument_specs.yml."""
    found: dict[str, Spec] = {name: Spec(s["type"], s.get("elements", ""), (), "") for name, s in EXTRA_SPECS.items()}
    for spec_file in sorted(roles_dir.glob("*/meta/argument_specs.yml")):
        content = yaml.safe_load(spec_file.read_text(encoding="utf-8")) or {}
        for entry in (content.get("argument_specs") or {}).values():
            for name, option in (entry.get("options") or {}).items():
                found.setdefault(name, Spec(str(option.get("type", "str")), str(option.get("elements", "")),
                                            tuple(option.get("choices") or ()), spec_file.parent.parent.name))
    return found


def variable_problem(name: str, value: Any, context: Mapping[str, Any], from_command_line: bool = False) -> tuple[str, str]:
    """(what is wrong, how to fix it) for variable NAME=VALUE; ('', '') when nothing is."""
    if templated(value):
        return "", ""
    if name in SECRET_URLS and isinstance(value, str):
        value_shown = redacted(value)
        what, fix = _problem(name, value, context, from_command_line)
        return what.replace(shown(value), repr(value_shown)), fix
    return _problem(name, value, context, from_command_line)


# Variables whose value may hold a password (user:password@host): messages show them redacted.
SECRET_URLS = frozenset({"docker_http_proxy", "docker_https_proxy", "apt_cache_upstream_proxy"})


def _problem(name: str, value: Any, context: Mapping[str, Any], from_command_line: bool) -> tuple[str, str]:
    spec = specs().get(name)
    if spec is not None:
        why = type_problem(value, spec.type, spec.elements)
        if why:
            return f"{name} {shown(value)} {why}", _type_fix(name, spec.type, value, from_command_line)
        if spec.choices and value not in spec.choices:
            choices = ", ".join(map(str, spec.choices))
            return f"{name} {shown(value)} is not one of {choices}", f"set {name} to one of {choices}"
    rule = RULES.get(name)
    if rule is not None and value is not None and not (value == "" and name in EMPTY_MEANS_UNSET):
        why = rule[0](value, context)
        if why:
            joined = " " if why.split()[0] in _VERBS else ": "
            return f"{name} {shown(value)}{joined}{why}", rule[1]
    return "", ""


# An empty value of these means "not set": another rule reports it when it must be set.
EMPTY_MEANS_UNSET = frozenset({"cluster_private_cidr", "nat_private_cidr", "docker_data_root", "docker_registry_host",
                               "docker_http_proxy", "docker_https_proxy", "apt_cache_upstream_proxy"})
_VERBS = frozenset({"is", "has", "must", "lists", "gives", "sets", "exports", "does", "needs"})
