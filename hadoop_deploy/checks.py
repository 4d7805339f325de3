"""The inventory rules: every rule that needs no host, checked before any host is contacted.

The one home of these rules: `hadoop-deploy inventory check` (and apply) runs them, and so
does the first play of site.yml (playbooks/preflight.yml, through the inventory_check action
plugin), so that `ansible-playbook site.yml` refuses the same inputs. The roles' preflight
tasks check only what needs a host's facts.
"""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import inventory as inv
from . import variables
from .inventory import EXTRA_VARS, Host, Inventory, Problem, Value
from .paths import HADOOP_DEFAULTS, HADOOP_VARS, PROJECT_DIR, display_path
from .variables import USER_NAME, templated as _templated

DEFAULT_HADOOP_VERSION = "3.5.0"
HADOOP_SOURCES = ("apache", "url", "maven")
# Variables every inventory must set: (what it is, an example line).
REQUIRED = {
    "cluster_private_cidr": ("the private network the nodes share", "cluster_private_cidr: 10.42.0.0/24"),
}
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")
_HADOOP_VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$")
_LOOKS_NUMERIC = re.compile(r"^[0-9.]+$|^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$")
# Either case: Ansible's get_url and the role compare the digits in lower case.
_CHECKSUM = re.compile(r"^sha512:[0-9a-fA-F]{128}$")
# The cluster role's defaults name the Hadoop service accounts (the users role creates them).
CLUSTER_DEFAULTS_FILE = PROJECT_DIR / "roles" / "cluster" / "defaults" / "main.yml"
SERVICE_ACCOUNT_VARIABLES = ("cluster_hdfs_user", "cluster_yarn_user", "cluster_mapred_user", "cluster_httpfs_user")
# Accounts a Debian 12 server has (base-passwd's static ones, and those its usual packages
# and this project's roles add): none of them may become the passwordless-sudo admin. The
# users role also refuses, on each host, any existing account outside uids 1000-59999.
SYSTEM_ACCOUNTS = frozenset({
    "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy",
    "www-data", "backup", "list", "irc", "gnats", "nobody", "_apt", "messagebus", "sshd",
    "systemd-network", "systemd-resolve", "systemd-timesync", "systemd-coredump", "polkitd",
    "statd", "_rpc", "tss", "uuidd", "avahi", "ntp", "_chrony", "postfix", "Debian-exim",
    "dnsmasq", "docker-registry", "tcpdump", "usbmux", "rtkit", "colord", "sddm", "lightdm",
})


@dataclass
class HadoopCatalog:
    """The Hadoop versions the role knows a checksum for, and its default version."""

    checksums: dict[str, str]
    default_version: str
    source: str  # where the checksums come from, for messages


def hadoop_catalog(vars_file: Path = HADOOP_VARS, defaults_file: Path = HADOOP_DEFAULTS) -> HadoopCatalog:
    checksums: dict[str, str] = {}
    if vars_file.is_file():
        content, _ = inv.read_yaml(vars_file)
        if isinstance(content, dict) and isinstance(content.get("hadoop_checksums"), dict):
            checksums = {str(k): str(v) for k, v in content["hadoop_checksums"].items()}
    default = DEFAULT_HADOOP_VERSION
    if defaults_file.is_file():
        content, _ = inv.read_yaml(defaults_file)
        if isinstance(content, dict) and isinstance(content.get("hadoop_version"), str) and "{{" not in content["hadoop_version"]:
            default = content["hadoop_version"]
    return HadoopCatalog(checksums=checksums, default_version=default, source=display_path(vars_file))


def _is_set(value: Value | None) -> bool:
    return value is not None and value.value not in (None, "")


def _address_problem(text: str, allow_names: bool) -> str:
    """Why TEXT is not a usable address ('' when it is)."""
    if _LOOKS_NUMERIC.match(text) or not allow_names:
        try:
            ipaddress.ip_address(text)
            return ""
        except ValueError:
            return "is not a valid IP address"
    return "" if _HOSTNAME.match(text) else "is neither an IP address nor a valid host name"


def _check_groups(inventory: Inventory) -> list[Problem]:
    problems = []
    where = inventory.where
    masters = inventory.group_hosts("master")
    workers = inventory.group_hosts("workers")
    if not masters:
        problems.append(
            Problem(where, "no host is in group 'master': a cluster needs exactly one", "add a group 'master' with one host (see inventory/prod/hosts.yml)")
        )
    elif len(masters) > 1:
        problems.append(
            Problem(
                where,
                f"{len(masters)} hosts are in group 'master' ({', '.join(masters)}): a cluster has exactly one master",
                f"keep one host in 'master' and move the others ({', '.join(masters[1:])}) to 'workers'",
            )
        )
    if not workers:
        problems.append(
            Problem(where, "no host is in group 'workers': a cluster needs at least one", "add a group 'workers' with the DataNode/NodeManager hosts")
        )
    for host in inventory.hosts.values():
        why = variables.node_name_problem(host.name)
        if why:
            problems.append(Problem(host.source, f"host name {why}", variables.NODE_NAME_FIX))
        if "master" in host.groups and "workers" in host.groups:
            problems.append(Problem(
                host.source, f"host '{host.name}' is in both 'master' and 'workers'",
                f"keep '{host.name}' in one of them: the master runs the NameNode and ResourceManager, the workers the rest"))
        # A client (edge node) runs no daemon: the master is one already, a worker is not one.
        if "clients" in host.groups and ("master" in host.groups or "workers" in host.groups):
            problems.append(Problem(
                host.source, f"host '{host.name}' is in 'clients' and in '{'master' if 'master' in host.groups else 'workers'}'",
                f"keep '{host.name}' in one group: the clients are edge nodes that run no daemon (the master is a client already)"))
        if {"master", "workers", "clients"} & set(host.groups):
            continue
        if not host.groups:
            what = f"host '{host.name}' is in no group"
        else:
            what = f"host '{host.name}' is in group(s) {', '.join(host.groups)} but in none of 'master', 'workers', 'clients'"
        problems.append(Problem(f"{host.source}", what, f"put '{host.name}' under 'master', 'workers' or 'clients', or remove it"))
    seen: dict[str, str] = {}
    for name in inventory.hosts:
        key = name.lower().rstrip(".")
        if key in seen:
            problems.append(
                Problem(
                    inventory.hosts[name].source,
                    f"hosts '{seen[key]}' and '{name}' have the same name (host names are not case-sensitive)",
                    "give every host a distinct name",
                )
            )
        else:
            seen[key] = name
    return problems


def _check_addresses(inventory: Inventory) -> list[Problem]:
    problems = []
    by_address: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for host in inventory.hosts.values():
        for name, allow_names in (("ansible_host", True), ("private_ip", False)):
            value = host.get(name)
            if not _is_set(value) or value is None or _templated(value.value):
                continue
            text = str(value.value).strip()
            why = _address_problem(text, allow_names)
            if why:
                kind = "an IP address or a DNS name" if allow_names else "an IP address such as 10.42.0.11"
                problems.append(Problem(value.source, f"{name} '{text}' of host '{host.name}' {why}", f"set {name} for '{host.name}' to {kind}"))
                continue
            # Hosts behind one address (NAT, the project's VMs) differ by their SSH port.
            port = host.get("ansible_port") if name == "ansible_host" else None
            key = f"{text}:{port.value}" if port is not None and _is_set(port) else text
            by_address[(name, key.lower())].append((host.name, value.source))
    for (name, address), users in sorted(by_address.items()):
        if len(users) > 1:
            hosts = ", ".join(h for h, _ in users)
            if name == "ansible_host" and ":" in address and not address.count(":") > 1:
                what, fix = f"ansible_host and ansible_port '{address}'", f"give each of {hosts} its own ansible_host or ansible_port"
            else:
                what, fix = f"{name} '{address}'", f"give each of {hosts} a distinct {name}"
            problems.append(Problem(users[-1][1], f"hosts {hosts} share the same {what}: each node needs its own", fix))
    return problems


def _one_value_per_source(inventory: Inventory, name: str) -> list[tuple[Value | None, list[Host]]]:
    """The distinct settings of variable NAME across hosts, each with the hosts that see it."""
    groups: dict[tuple[str, str], tuple[Value | None, list[Host]]] = {}
    for host in inventory.hosts.values():
        value = host.get(name)
        key = (repr(value.value), value.source) if value is not None else ("", "")
        groups.setdefault(key, (value, []))[1].append(host)
    return list(groups.values())


def _check_required(inventory: Inventory) -> list[Problem]:
    problems = []
    group_vars = display_path((inventory.path if inventory.path.is_dir() else inventory.path.parent) / "group_vars" / "all.yml")
    for name, (meaning, example) in REQUIRED.items():
        missing = [h.name for h in inventory.hosts.values() if not _is_set(h.get(name))]
        if missing:
            who = "any host" if len(missing) == len(inventory.hosts) else ", ".join(missing)
            problems.append(
                Problem(group_vars, f"required variable {name} ({meaning}) is not set for {who}", f"add a line such as '{example}' to {group_vars}")
            )
    return problems


def _check_cidr(inventory: Inventory) -> list[Problem]:
    problems = []
    settings = [(v, hosts) for v, hosts in _one_value_per_source(inventory, "cluster_private_cidr") if _is_set(v)]
    for value, hosts in settings:
        assert value is not None
        if _templated(value.value):
            continue
        text = str(value.value).strip()
        why = variables.cidr_problem(text)
        if why:
            problems.append(Problem(value.source, f"cluster_private_cidr '{text}' {why}",
                                    variables.RULES["cluster_private_cidr"][1]))
            continue
        network = ipaddress.IPv4Network(text)
        for host in hosts:
            private = host.get("private_ip")
            if not _is_set(private) or private is None or _templated(private.value):
                continue
            try:
                address = ipaddress.ip_address(str(private.value).strip())
            except ValueError:
                continue  # reported by the address check
            if address not in network:
                problems.append(Problem(
                    private.source, f"private_ip {address} of host '{host.name}' is outside cluster_private_cidr {network}",
                    f"give '{host.name}' an address inside {network}, or correct cluster_private_cidr"))
            elif network.prefixlen < 31 and address in (network.network_address, network.broadcast_address):
                kind = "network" if address == network.network_address else "broadcast"
                problems.append(Problem(
                    private.source, f"private_ip {address} of host '{host.name}' is the {kind} address of {network}",
                    f"give '{host.name}' an address between {network.network_address + 1} and {network.broadcast_address - 1}"))
    if len(settings) > 1:
        shown = "; ".join(f"'{v.value}' in {v.source}" for v, _ in settings if v is not None)
        problems.append(
            Problem(inventory.where, f"the nodes disagree on cluster_private_cidr: {shown}", "set it once, in group_vars/all.yml")
        )
    return problems


def hadoop_problems(values: dict[str, Value], catalog: HadoopCatalog) -> list[Problem]:
    """Where Hadoop comes from, for one host's VALUES: a known source, a version of the right
    form, and a checksum wherever a download is verified (not for maven, which uses none)."""
    problems = []
    source = values.get("hadoop_source")
    version = values.get("hadoop_version") or Value(catalog.default_version, "the hadoop role's default")
    checksum = values.get("hadoop_checksum")
    kind = source.value if _is_set(source) and source is not None else "apache"
    if _templated(kind):
        return []
    if kind not in HADOOP_SOURCES:
        assert source is not None
        choices = ", ".join(HADOOP_SOURCES)
        return [Problem(source.source, f"hadoop_source '{kind}' is not one of {choices}", f"set hadoop_source to one of {choices}")]
    if _is_set(checksum) and checksum is not None and not _templated(checksum.value) \
            and not _CHECKSUM.match(str(checksum.value).strip()):
        problems.append(Problem(checksum.source, "hadoop_checksum is not 'sha512:' followed by 128 hex digits",
                                "copy the SHA-512 from the release's .sha512 file, as sha512:<digits>"))
    if not _templated(version.value):
        if not isinstance(version.value, str):
            problems.append(Problem(version.source, f"hadoop_version {version.value!r} is a number, not a string",
                                    f"quote it: hadoop_version: \"{version.value}\""))
        elif not _HADOOP_VERSION.match(version.value):
            problems.append(Problem(version.source, f"hadoop_version '{version.value}' is not a release number",
                                    "write it as major.minor.patch, for example hadoop_version: \"3.5.0\""))
        elif kind == "apache" and version.value not in catalog.checksums and not _is_set(checksum):
            known = ", ".join(sorted(catalog.checksums)) or "none yet"
            problems.append(Problem(
                version.source,
                f"hadoop_version '{version.value}' has no known checksum (known versions: {known}, from {catalog.source})",
                "use a known version, or give its checksum: hadoop_checksum: sha512:<128 hex digits>"))
    if kind == "url":
        url = values.get("hadoop_url")
        if not _is_set(url) or url is None:
            assert source is not None
            problems.append(Problem(source.source, "hadoop_source is 'url' but hadoop_url is not set",
                                    "set hadoop_url to the tarball's http(s) URL or its path on this machine"))
        elif not _templated(url.value) and re.match(r"^(https?|ftp)://", str(url.value)) and not _is_set(checksum):
            problems.append(Problem(url.source, f"hadoop_url {url.value} is downloaded, but hadoop_checksum is not set to verify it",
                                    "set hadoop_checksum: sha512:<128 hex digits> (from the release's .sha512 file)"))
    return problems


def _check_hadoop(inventory: Inventory, catalog: HadoopCatalog) -> list[Problem]:
    found: dict[tuple[str, str], Problem] = {}
    for host in inventory.hosts.values():
        for problem in hadoop_problems(host.vars, catalog):
            found.setdefault((problem.where, problem.what), problem)
    return list(found.values())


# Checked by the rules above, with messages of their own.
CHECKED_ELSEWHERE = frozenset({"cluster_private_cidr", "private_ip", "ansible_host", "hadoop_version", "hadoop_source",
                                "hadoop_checksum", "hadoop_url", "cluster_admin_user", "users_admin_name"})


def _who(hosts: list[Host], inventory: Inventory) -> str:
    if len(hosts) == len(inventory.hosts) > 1:
        return "every host"
    return ("host " if len(hosts) == 1 else "hosts ") + ", ".join(h.name for h in hosts)


def variable_problems(name: str, value: Value, context: dict[str, Any], who: str) -> list[Problem]:
    """The type and range rules for one variable's VALUE, as seen by WHO."""
    what, fix = variables.variable_problem(name, value.value, context, from_command_line=value.source == EXTRA_VARS)
    return [Problem(value.source, f"{what} (for {who})", fix)] if what else []


def _check_variables(inventory: Inventory) -> list[Problem]:
    """Every documented variable the inventory or -e sets: its type, range and form."""
    problems = []
    names = sorted({n for h in inventory.hosts.values() for n in h.vars} & (set(variables.specs()) | set(variables.RULES)))
    for name in names:
        if name in CHECKED_ELSEWHERE:
            continue
        for value, hosts in _one_value_per_source(inventory, name):
            if value is not None:
                context = {k: v.value for k, v in hosts[0].vars.items()}
                problems += variable_problems(name, value, context, _who(hosts, inventory))
    return problems


def service_accounts(defaults_file: Path = CLUSTER_DEFAULTS_FILE) -> dict[str, str]:
    """The Hadoop service accounts by default: variable -> account."""
    content, _ = inv.read_yaml(defaults_file) if defaults_file.is_file() else ({}, None)
    content = content if isinstance(content, dict) else {}
    return {name: str(content[name]) for name in SERVICE_ACCOUNT_VARIABLES if isinstance(content.get(name), str)}


def _admin_name_problem(name: str, services: tuple[str, ...],
                        system_accounts: frozenset[str] = SYSTEM_ACCOUNTS) -> tuple[str, str]:
    """Why NAME cannot be the admin account, and the fix; ('', '') when it can."""
    fix = "choose a new account for the admin, such as 'hdadmin': the users role creates it with passwordless sudo"
    if not USER_NAME.match(name):
        return "is not a valid Linux user name", "use lower-case letters, digits, '_' or '-', starting with a letter"
    if name == "root":
        return "is root: the admin must be an account of its own, not root", fix
    if name in services:
        return f"is a Hadoop service account ({', '.join(services)}), which must get no sudo and no login shell", fix
    if name in system_accounts:
        return "is a Debian system account, which must not get passwordless sudo", fix
    return "", ""


def admin_problems(name: str, value: Value, services: tuple[str, ...],
                   system_accounts: frozenset[str] = SYSTEM_ACCOUNTS) -> list[Problem]:
    """Whether VALUE of NAME (cluster_admin_user or users_admin_name) can be the admin account."""
    what, fix = _admin_name_problem(str(value.value), services, system_accounts)
    return [Problem(value.source, f"{name} '{value.value}' {what}", fix)] if what else []


def _check_admin_user(inventory: Inventory) -> list[Problem]:
    problems = []
    defaults = service_accounts()
    for name in ("cluster_admin_user", "users_admin_name"):
        for value, hosts in _one_value_per_source(inventory, name):
            if not _is_set(value) or value is None or _templated(value.value):
                continue
            # The inventory's service accounts where it names them, else the defaults.
            services = dict(defaults)
            for account in SERVICE_ACCOUNT_VARIABLES:
                given = hosts[0].get(account)
                if given is not None and isinstance(given.value, str) and not _templated(given.value):
                    services[account] = given.value
            problems += admin_problems(name, value, tuple(services.values()))
    return problems


# Variables that moved: the old name would be ignored without a word.
RENAMED = {"hadoop_hdfs_user": "cluster_hdfs_user", "hadoop_yarn_user": "cluster_yarn_user",
           "hadoop_mapred_user": "cluster_mapred_user", "hadoop_group": "cluster_hadoop_group",
           "users_hadoop_group": "cluster_hadoop_group",
           "users_hadoop_accounts": "cluster_hdfs_user, cluster_yarn_user and cluster_mapred_user",
           "hadoop_users_group": "cluster_users_group"}


def _check_renamed(inventory: Inventory) -> list[Problem]:
    return [Problem(value.source, f"{old} is no longer read: the cluster's accounts and groups are the cluster role's now",
                    f"set {new} instead (roles/cluster/defaults/main.yml)")
            for old, new in RENAMED.items()
            for value, _ in _one_value_per_source(inventory, old) if value is not None]


def check(inventory: Inventory, catalog: HadoopCatalog | None = None) -> list[Problem]:
    """Every problem with INVENTORY; errors first. Reads files only."""
    problems = list(inventory.problems)
    if inventory.hosts or not any(p.severity == "error" for p in problems):
        problems += _check_groups(inventory)
    if inventory.hosts:
        problems += _check_addresses(inventory)
        if not any(p.severity == "error" for p in inventory.problems):
            problems += _check_required(inventory)  # a broken vars file would only echo here
        problems += _check_cidr(inventory)
        problems += _check_hadoop(inventory, catalog or hadoop_catalog())
        problems += _check_admin_user(inventory)
        problems += _check_renamed(inventory)
        problems += _check_variables(inventory)
    return sorted(problems, key=lambda p: p.severity != "error")


def check_path(path: Path, extra_vars: dict[str, Any] | None = None) -> tuple[Inventory, list[Problem]]:
    """Load and check the inventory at PATH."""
    inventory = inv.load(path, extra_vars=extra_vars)
    return inventory, check(inventory)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def summary(inventory: Inventory, catalog: HadoopCatalog | None = None) -> str:
    """One paragraph describing a valid inventory."""
    catalog = catalog or hadoop_catalog()
    master = inventory.group_hosts("master")
    workers = inventory.group_hosts("workers")
    clients = inventory.group_hosts("clients")
    first = next(iter(inventory.hosts.values()))
    version = first.get("hadoop_version")
    cidr = first.get("cluster_private_cidr")
    return (
        f"{inventory.where}: OK: master {', '.join(master)}; {len(workers)} worker(s) {', '.join(workers)}; "
        + (f"{len(clients)} client(s) {', '.join(clients)}; " if clients else "")
        + f"private network {cidr.value if cidr else '?'}; Hadoop {version.value if version else catalog.default_version}"
    )
