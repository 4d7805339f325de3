"""The corpus of bad inputs: bad inventories (fixtures/inventories/bad/) and bad variable
sets (fixtures/inventories/bad_variables.yml, each on a copy of good/yaml), each with the
message that must refuse it. Used by the command's tests and by the playbook's."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

CORPUS = Path(__file__).resolve().parent / "fixtures" / "inventories"

# case -> (the file the message names, what the message says)
BAD_INVENTORIES: dict[str, tuple[str, str]] = {
    "no_master": ("hosts.yml", "no host is in group 'master'"),
    "two_masters": ("hosts.yml", "2 hosts are in group 'master' (nn1, nn2)"),
    "no_workers": ("hosts.yml", "no host is in group 'workers'"),
    "host_in_both_groups": ("hosts.yml", "host 'nn1' is in both 'master' and 'workers'"),
    "client_also_worker": ("hosts.yml", "host 'dn1' is in 'clients' and in 'workers'"),
    "host_name_underscore": ("hosts.yml", "host name 'data_node1' is not a valid host name"),
    "host_name_address": ("hosts.yml", "host name '192.0.2.11' is not a valid host name"),
    "host_name_long_label": ("hosts.yml", "host name 'worker-with-a-label-that-is-longer-than-the-sixty-three"),
    "duplicate_names": ("hosts.yml:11", "host 'dn1' is listed twice in the same group (lines 9 and 11)"),
    "duplicate_names_ini": ("hosts.ini:6", "host 'dn1' is listed twice in [workers] (lines 4 and 6)"),
    "duplicate_names_case": ("hosts.yml", "hosts 'dn1' and 'DN1' have the same name"),
    "duplicate_addresses": ("hosts.yml:10", "hosts dn1, dn2 share the same ansible_host '192.0.2.11'"),
    "duplicate_address_and_port": ("hosts.yml:11", "hosts dn1, dn2 share the same ansible_host and ansible_port '192.0.2.10:2202'"),
    "duplicate_private_ips": ("hosts.yml:10", "hosts nn1, dn2 share the same private_ip '10.42.0.10'"),
    "bad_address": ("hosts.yml:6", "ansible_host '192.0.2.300' of host 'nn1' is not a valid IP address"),
    "bad_private_ip": ("host_vars/dn1.yml:2", "private_ip 'dn1.lab.internal' of host 'dn1' is not a valid IP address"),
    "private_ip_outside": ("hosts.yml:6", "private_ip 10.43.0.10 of host 'nn1' is outside cluster_private_cidr 10.42.0.0/24"),
    "private_ip_network_address": ("hosts.yml:6", "private_ip 10.42.0.0 of host 'nn1' is the network address of 10.42.0.0/24"),
    "private_ip_broadcast_address": ("hosts.yml:9", "private_ip 10.42.0.255 of host 'dn1' is the broadcast address of 10.42.0.0/24"),
    "bad_cidr": ("group_vars/all.yml:2", "cluster_private_cidr '10.42.0.0/33' is not an IPv4 network in CIDR form"),
    "cidr_host_bits": ("group_vars/all.yml:2", "cluster_private_cidr '10.42.0.1/24' has host bits set"),
    "unknown_hadoop_version": ("group_vars/all.yml:3", "hadoop_version '3.9.9' has no known checksum"),
    "hadoop_version_number": ("group_vars/all.yml:3", "hadoop_version 3.5 is a number, not a string"),
    "bad_checksum": ("group_vars/all.yml:4", "hadoop_checksum is not 'sha512:' followed by 128 hex digits"),
    "bad_hadoop_source": ("group_vars/all.yml:3", "hadoop_source 'ftp' is not one of apache, url, maven"),
    "url_without_hadoop_url": ("group_vars/all.yml:3", "hadoop_source is 'url' but hadoop_url is not set"),
    "bad_admin_user": ("group_vars/all.yml:3", "cluster_admin_user 'Hadoop Admin' is not a valid Linux user name"),
    "admin_user_root": ("group_vars/all.yml:3", "cluster_admin_user 'root' is root: the admin must be an account of its own"),
    "admin_user_hdfs": ("group_vars/all.yml:3", "cluster_admin_user 'hdfs' is a Hadoop service account (hdfs, yarn, mapred, httpfs)"),
    "admin_user_nobody": ("group_vars/all.yml:3", "cluster_admin_user 'nobody' is a Debian system account"),
    "missing_required_variable": ("group_vars/all.yml", "required variable cluster_private_cidr"),
    "yaml_syntax_error": ("hosts.yml:7:12", "is not valid YAML"),
    "group_vars_syntax_error": ("group_vars/all.yml:3:17", "is not valid YAML: mapping values are not allowed here"),
    "host_in_no_group": ("hosts.yml", "host 'stray' is in no group"),
    "host_in_other_group": ("hosts", "host 'gateway1' is in group(s) edge but in none of 'master', 'workers', 'clients'"),
    "empty_file": ("hosts.yml", "is empty: it lists no hosts"),
    "not_an_inventory": ("hosts.yml", "is not an inventory: its top level is a list"),
}
# Inputs ansible-playbook stops on by itself, in or before its first play and before any
# task reaches a host, with its own message: files it cannot read (ansible.cfg:
# any_unparsed_is_failed), a port it cannot use for the connection. "{inventory}" is the
# case's directory.
ANSIBLE_REFUSES_ITSELF = {
    "yaml_syntax_error": "Completely failed to parse inventory source {inventory}/hosts.yml",
    "empty_file": "Completely failed to parse inventory source {inventory}/hosts.yml",
    "not_an_inventory": "Completely failed to parse inventory source {inventory}/hosts.yml",
    "group_vars_syntax_error": "YAML parsing failed: Mapping values are not allowed in this context",
    "ansible_port_not_a_number": "Error processing keyword 'port': The value 'ssh' could not be converted to 'int'",
}
BAD_VARIABLES: dict[str, dict] = yaml.safe_load((CORPUS / "bad_variables.yml").read_text())
EXTRA_VARS_WHERE = "-e on the command line"


@dataclass(frozen=True)
class BadInput:
    name: str
    where: str  # the file (relative to the inventory) or "-e on the command line"
    what: str
    extra_vars: tuple[str, ...] = ()

    def copy_to(self, directory: Path) -> Path:
        """The inventory of this case, written under DIRECTORY (broken files get their real names)."""
        target = directory / self.name
        if self.name in BAD_INVENTORIES:
            shutil.copytree(CORPUS / "bad" / self.name, target)
            for broken in target.rglob("*.broken"):
                broken.rename(broken.with_suffix(""))
            return target
        shutil.copytree(CORPUS / "good" / "yaml", target)
        # One variable a line, in JSON (which YAML reads), so that each value's line is known.
        values = {"cluster_private_cidr": "10.42.0.0/24", **BAD_VARIABLES[self.name].get("vars", {})}
        (target / "group_vars" / "all.yml").write_text("---\n" + "".join(f"{k}: {json.dumps(v)}\n" for k, v in values.items()))
        return target


def bad_inputs() -> list[BadInput]:
    cases = [BadInput(name, where, what) for name, (where, what) in BAD_INVENTORIES.items()]
    for name, case in BAD_VARIABLES.items():
        extra = tuple(case.get("extra_vars", ()))
        cases.append(BadInput(name, case.get("where", EXTRA_VARS_WHERE if extra else "group_vars/all.yml:3"), case["what"], extra))
    return sorted(cases, key=lambda c: c.name)
