"""Read an Ansible inventory without contacting any host.

An inventory is a file (Ansible's YAML or INI form) or a directory of such files, with the
group_vars/ and host_vars/ beside it. Hosts and groups come from Ansible's own inventory
plugins (so host ranges, :children and :vars mean what they mean to Ansible); the YAML is
also read here first, to report syntax errors and duplicate keys with their line numbers.
Every variable keeps the file it came from, so that a problem can say where to fix it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .paths import display_path

# Files in an inventory directory that Ansible does not read as inventory sources.
_IGNORED_SUFFIXES = (".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg", ".retry")
_VARS_SUFFIXES = ("", ".yml", ".yaml", ".json")
_YAML_SUFFIXES = (".yml", ".yaml", ".json")
# Groups every inventory has; a host only in these is "in no group".
IMPLICIT_GROUPS = ("all", "ungrouped")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the inventory: where, what, and how to fix it."""

    where: str
    what: str
    fix: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.what}\n  fix: {self.fix}"


@dataclass(frozen=True)
class Value:
    """A variable's value and the place that set it."""

    value: Any
    source: str


class Opaque(str):
    """A value this reader cannot see (vault-encrypted, or another custom tag)."""


@dataclass
class Host:
    name: str
    source: str  # the inventory file that lists the host
    groups: list[str]  # every group it is in (ancestors too), without all/ungrouped
    vars: dict[str, Value] = field(default_factory=dict)

    def get(self, name: str) -> Value | None:
        return self.vars.get(name)


@dataclass
class Inventory:
    path: Path
    sources: list[Path]
    hosts: dict[str, Host]
    groups: dict[str, list[str]]  # group name -> the hosts in it (children's hosts too)
    problems: list[Problem]

    def group_hosts(self, group: str) -> list[str]:
        return self.groups.get(group, [])

    @property
    def where(self) -> str:
        """The inventory file(s), as a user would name them in a message."""
        if len(self.sources) == 1:
            return display_path(self.sources[0])
        return display_path(self.path)


# --------------------------------------------------------------------------- YAML


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader that accepts Ansible's tags (!vault, !unsafe) as opaque values."""


def _opaque(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Opaque:
    return Opaque(f"!{suffix}")


_Loader.add_multi_constructor("!", _opaque)


def _duplicates(node: yaml.Node | None, parent_key: str = "") -> list[tuple[str, str, int, int]]:
    """(parent key, key, first line, second line) for every key that appears twice in a mapping."""
    found: list[tuple[str, str, int, int]] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else ""
            line = key_node.start_mark.line + 1
            if key and key in seen:
                found.append((parent_key, key, seen[key], line))
            elif key:
                seen[key] = line
            found.extend(_duplicates(value_node, key))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found.extend(_duplicates(item, parent_key))
    return found


def _yaml_problem(where: str, exc: yaml.YAMLError) -> Problem:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        detail = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        return Problem(
            where=f"{where}:{mark.line + 1}:{mark.column + 1}",
            what=f"is not valid YAML: {detail}",
            fix=f"correct the YAML near line {mark.line + 1} (indentation, a missing ':' or an unclosed quote or bracket)",
        )
    return Problem(where=where, what=f"is not valid YAML: {exc}", fix="correct the YAML syntax")


def read_yaml(path: Path) -> tuple[Any, list[Problem]]:
    """Load one YAML (or JSON) file; syntax errors and duplicate keys become problems."""
    where = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(where, f"cannot be read: {exc}", "check the file's permissions and encoding (UTF-8)")]
    if text.startswith("$ANSIBLE_VAULT"):
        return Opaque("!vault"), []
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        return None, [_yaml_problem(where, exc)]
    problems = []
    for parent, key, first, second in _duplicates(node):
        if parent == "hosts":
            what = f"host '{key}' is listed twice in the same group (lines {first} and {second})"
            fix = f"keep one '{key}' entry, or rename one of the hosts: host names must be unique"
        else:
            what = f"'{key}' appears twice under '{parent or 'the top level'}' (lines {first} and {second}); only the last would count"
            fix = f"keep one '{key}' entry"
        problems.append(Problem(f"{where}:{second}", what, fix))
    return data, problems


# --------------------------------------------------------------------------- sources


def _is_yaml_source(path: Path, text: str) -> bool:
    if path.suffix in _YAML_SUFFIXES:
        return True
    if path.suffix == ".ini":
        return False
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        return stripped == "---" or bool(re.match(r"^[A-Za-z0-9_.-]+:\s*(#.*)?$", stripped))
    return False


def _has_content(text: str) -> bool:
    return any(line.strip() and not line.strip().startswith(("#", ";")) for line in text.splitlines())


def _ini_duplicates(where: str, text: str) -> list[Problem]:
    problems = []
    section = "ungrouped"
    seen: dict[tuple[str, str], int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section.endswith((":vars", ":children")):
            continue
        name = line.split()[0]
        if (section, name) in seen:
            problems.append(
                Problem(
                    f"{where}:{number}",
                    f"host '{name}' is listed twice in [{section}] (lines {seen[(section, name)]} and {number})",
                    f"keep one '{name}' line, or rename one of the hosts: host names must be unique",
                )
            )
        else:
            seen[(section, name)] = number
    return problems


def inventory_sources(path: Path) -> list[Path]:
    """The files Ansible would read as inventory sources for PATH."""
    if path.is_dir():
        return sorted(
            p
            for p in path.iterdir()
            if p.is_file() and not p.name.startswith(".") and not p.name.endswith(_IGNORED_SUFFIXES)
        )
    return [path]


def _plain(value: Any) -> Any:
    """Ansible's tagged values as plain Python values."""
    if isinstance(value, Opaque):
        return value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return Opaque(type(value).__name__)


def _parser_message(exc: Exception) -> str:
    text = str(getattr(exc, "message", "") or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


# --------------------------------------------------------------------------- loading


def _vars_files(base: Path, kind: str, name: str) -> list[Path]:
    """group_vars/NAME(.yml|.yaml|.json) and every file under group_vars/NAME/."""
    root = base / kind
    found: list[Path] = []
    for suffix in _VARS_SUFFIXES:
        candidate = root / f"{name}{suffix}"
        if candidate.is_file():
            found.append(candidate)
    directory = root / name
    if directory.is_dir():
        found.extend(
            sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith(".") and p.suffix in _VARS_SUFFIXES)
        )
    return found


def _vars_names(base: Path, kind: str) -> set[str]:
    root = base / kind
    if not root.is_dir():
        return set()
    names = set()
    for entry in root.iterdir():
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            names.add(entry.name)
        elif entry.suffix in _VARS_SUFFIXES:
            names.add(entry.stem if entry.suffix else entry.name)
    return names


def load(path: Path, extra_vars: dict[str, Any] | None = None) -> Inventory:
    """Read PATH (file or directory) and its group_vars/host_vars; never raises for bad input."""
    # Ansible's own loader, told to stay quiet: duplicate keys are reported here, with lines.
    os.environ.setdefault("ANSIBLE_DUPLICATE_YAML_DICT_KEY", "ignore")
    from ansible.errors import AnsibleError
    from ansible.inventory.data import InventoryData
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import inventory_loader

    path = path.absolute()
    problems: list[Problem] = []
    sources = inventory_sources(path)
    inventory = Inventory(path=path, sources=sources, hosts={}, groups={}, problems=problems)
    if not sources:
        problems.append(
            Problem(display_path(path), "holds no inventory file", "add a hosts.yml (copy inventory/prod/hosts.yml)")
        )
        return inventory

    data = InventoryData()
    loader = DataLoader()
    host_source: dict[str, str] = {}
    parsed_any = False
    for source in sources:
        where = display_path(source)
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(where, f"cannot be read: {exc}", "check the file's permissions and encoding (UTF-8)"))
            continue
        if not _has_content(text):
            problems.append(
                Problem(where, "is empty: it lists no hosts", "list the hosts under groups 'master' and 'workers' (see inventory/prod/hosts.yml)")
            )
            continue
        if _is_yaml_source(source, text):
            content, found = read_yaml(source)
            problems.extend(found)
            if content is None and not found:
                problems.append(Problem(where, "is empty: it lists no hosts", "list the hosts under groups 'master' and 'workers'"))
                continue
            if found and content is None:
                continue  # a syntax error: Ansible would only say the same less precisely
            if not isinstance(content, dict):
                problems.append(
                    Problem(
                        where,
                        f"is not an inventory: its top level is a {type(content).__name__}, not a mapping of groups",
                        "start the file with 'all:' and put groups under 'children:' (see inventory/prod/hosts.yml)",
                    )
                )
                continue
            plugin_name = "yaml"
        else:
            problems.extend(_ini_duplicates(where, text))
            plugin_name = "ini"
        plugin = inventory_loader.get(plugin_name)
        before = set(data.hosts)
        try:
            plugin.parse(data, loader, str(source), cache=False)
        except AnsibleError as exc:
            problems.append(
                Problem(
                    where,
                    f"is not a valid {plugin_name.upper()} inventory: {_parser_message(exc)}",
                    "follow the layout of inventory/prod/hosts.yml: all -> children -> master/workers -> hosts",
                )
            )
            continue
        parsed_any = True
        for name in set(data.hosts) - before:
            host_source[name] = where

    if not parsed_any:
        return inventory
    data.reconcile_inventory()
    base = path if path.is_dir() else path.parent
    inv_where = inventory.where

    # Group vars files for groups that do not exist are almost always typos.
    for kind, known in (("group_vars", set(data.groups)), ("host_vars", set(data.hosts))):
        for name in sorted(_vars_names(base, kind) - known):
            problems.append(
                Problem(
                    display_path(base / kind / name),
                    f"is for {'group' if kind == 'group_vars' else 'host'} '{name}', which the inventory does not have",
                    f"rename it after one of: {', '.join(sorted(known - set(IMPLICIT_GROUPS))) or '(none)'}",
                    severity="warning",
                )
            )

    file_vars: dict[tuple[str, str], list[tuple[Path, dict[str, Any]]]] = {}

    def vars_from_files(kind: str, name: str) -> list[tuple[Path, dict[str, Any]]]:
        key = (kind, name)
        if key not in file_vars:
            loaded = []
            for vars_path in _vars_files(base, kind, name):
                content, found = read_yaml(vars_path)
                problems.extend(found)
                if content is None or isinstance(content, Opaque):
                    continue
                if not isinstance(content, dict):
                    problems.append(
                        Problem(
                            display_path(vars_path),
                            f"must be a mapping of variable names to values, not a {type(content).__name__}",
                            "write one 'name: value' per line",
                        )
                    )
                    continue
                loaded.append((vars_path, content))
            file_vars[key] = loaded
        return file_vars[key]

    for name, ansible_host in data.hosts.items():
        groups = sorted(ansible_host.get_groups(), key=lambda g: (g.depth, g.priority, g.name))
        layers: list[tuple[str, dict[str, Any]]] = []
        for group in groups:  # 3. inventory file group vars
            layers.append((f"{inv_where} (group {group.name})", group.get_vars()))
        for vars_path, content in vars_from_files("group_vars", "all"):  # 4. group_vars/all
            layers.append((display_path(vars_path), content))
        for group in groups:  # 6. group_vars/<group>
            if group.name != "all":
                layers.extend((display_path(p), c) for p, c in vars_from_files("group_vars", group.name))
        layers.append((f"{host_source.get(name, inv_where)} (host {name})", ansible_host.get_vars()))  # 8.
        layers.extend((display_path(p), c) for p, c in vars_from_files("host_vars", name))  # 9.
        if extra_vars:
            layers.append(("-e on the command line", extra_vars))
        merged: dict[str, Value] = {}
        for origin, values in layers:
            for key, value in values.items():
                if not str(key).startswith("inventory_"):
                    merged[str(key)] = Value(_plain(value), origin)
        inventory.hosts[name] = Host(
            name=name,
            source=host_source.get(name, inv_where),
            groups=[g.name for g in groups if g.name not in IMPLICIT_GROUPS],
            vars=merged,
        )
    for group_name, group in data.groups.items():
        inventory.groups[group_name] = [h.name for h in group.get_hosts()]
    return inventory
