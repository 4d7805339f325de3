"""Read an Ansible inventory without contacting any host.

An inventory is a file (Ansible's YAML or INI form) or a directory of such files, with the
group_vars/ and host_vars/ beside it. Hosts, groups and each host's variables come from
Ansible's own inventory and variable managers, so they mean what they mean to
ansible-playbook; each value keeps the file and line Ansible read it from, so that a
problem can say where to fix it. The files are also read here first, to report syntax
errors and duplicate keys with their lines (Ansible would stop at, or only warn about, them).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .paths import PROJECT_DIR, display_path

# Files in an inventory directory that Ansible does not read as inventory sources.
_IGNORED_SUFFIXES = (".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg", ".retry")
_VARS_SUFFIXES = ("", ".yml", ".yaml", ".json")
_YAML_SUFFIXES = (".yml", ".yaml", ".json")
# Groups every inventory has; a host only in these is "in no group".
IMPLICIT_GROUPS = ("all", "ungrouped")
# Where a variable given with -e comes from, in messages.
EXTRA_VARS = "-e on the command line"


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


# --------------------------------------------------------------------------- loading


def _vars_files(base: Path) -> list[Path]:
    """Every file under BASE/group_vars and BASE/host_vars that Ansible reads as variables."""
    found: list[Path] = []
    for kind in ("group_vars", "host_vars"):
        root = base / kind
        if root.is_dir():
            found += sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".") and p.suffix in _VARS_SUFFIXES)
    return found


def _vars_names(base: Path, kind: str) -> set[str]:
    root = base / kind
    if not root.is_dir():
        return set()
    return {e.name if e.is_dir() or not e.suffix else e.stem
            for e in root.iterdir() if not e.name.startswith(".") and (e.is_dir() or e.suffix in _VARS_SUFFIXES)}


def _read_source(source: Path) -> tuple[bool, list[Problem]]:
    """Read one inventory file before Ansible does: whether Ansible can be given it, and the
    problems found (syntax errors and duplicate keys with their lines, empty files)."""
    where = display_path(source)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return False, [Problem(where, f"cannot be read: {exc}", "check the file's permissions and encoding (UTF-8)")]
    empty = Problem(where, "is empty: it lists no hosts", "list the hosts under groups 'master' and 'workers' (see inventory/prod/hosts.yml)")
    if not _has_content(text):
        return False, [empty]
    if not _is_yaml_source(source, text):
        return True, _ini_duplicates(where, text)
    content, problems = read_yaml(source)
    if content is None:
        return False, problems or [empty]
    if not isinstance(content, dict):
        return False, problems + [Problem(
            where, f"is not an inventory: its top level is a {type(content).__name__}, not a mapping of groups",
            "start the file with 'all:' and put groups under 'children:' (see inventory/prod/hosts.yml)")]
    return not problems, problems


def _unparsed_reason(source: Path) -> str:
    """Ansible's own words for why no inventory plugin took SOURCE (it only warns)."""
    from ansible.errors import AnsibleError
    from ansible.inventory.data import InventoryData
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import inventory_loader

    name = "yaml" if source.suffix in _YAML_SUFFIXES else "ini"
    try:
        inventory_loader.get(name).parse(InventoryData(), DataLoader(), str(source), cache=False)
    except AnsibleError as exc:
        text = str(getattr(exc, "message", "") or exc).strip()
        return text.splitlines()[0] if text else type(exc).__name__
    return "no inventory plugin accepted it"


@contextmanager
def _quiet_ansible() -> Iterator[None]:
    """Ansible's warnings about the inventory are reported here, as problems with a fix."""
    from ansible.utils.display import Display

    display = Display()
    saved = display.warning, display.error_as_warning
    display.warning = display.error_as_warning = lambda *args, **kwargs: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        display.warning, display.error_as_warning = saved  # type: ignore[method-assign]


def origin(item: Any) -> str:
    """Where Ansible read ITEM (file:line), or '' when it does not know."""
    from ansible._internal._datatag._tags import Origin

    tag = Origin.get_tag(item)
    if tag is None or not tag.path:
        return ""
    return f"{display_path(Path(tag.path))}:{tag.line_num}" if tag.line_num else display_path(Path(tag.path))


def plain(value: Any) -> Any:
    """A value Ansible loaded, as plain Python (its tags dropped; vaulted values opaque)."""
    from ansible.module_utils._internal._datatag import AnsibleTagHelper

    if isinstance(value, dict):
        return {str(plain(k)): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    value = AnsibleTagHelper.untag(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return Opaque("!vault" if "Encrypted" in type(value).__name__ else f"!{type(value).__name__}")


def load(path: Path | Sequence[Path], extra_vars: Mapping[str, Any] | None = None,
         playbook_dir: Path = PROJECT_DIR) -> Inventory:
    """Read PATH (a file or directory, or several: -i given more than once) as ansible-playbook
    -i PATH on a playbook in PLAYBOOK_DIR would, with Ansible's own inventory and variable
    managers; never raises for bad input."""
    # Duplicate keys are reported by read_yaml, with both lines; Ansible need not repeat them.
    os.environ.setdefault("ANSIBLE_DUPLICATE_YAML_DICT_KEY", "ignore")
    from ansible.errors import AnsibleError
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.manager import VariableManager

    paths = [p.absolute() for p in ([path] if isinstance(path, Path) else path)]
    problems: list[Problem] = []
    sources = [source for p in paths for source in inventory_sources(p)]
    inventory = Inventory(path=paths[0], sources=sources, hosts={}, groups={}, problems=problems)
    for empty in (p for p in paths if not inventory_sources(p)):
        problems.append(Problem(display_path(empty), "holds no inventory file", "add a hosts.yml (copy inventory/prod/hosts.yml)"))
    if not sources:
        return inventory
    readable = []
    for source in sources:
        ok, found = _read_source(source)
        problems += found
        if ok:
            readable.append(source)
    bases = sorted({p if p.is_dir() else p.parent for p in paths})
    vars_ok = True
    for vars_path in (f for base in bases for f in _vars_files(base)):
        content, found = read_yaml(vars_path)
        problems += found
        vars_ok = vars_ok and not found
        if content is not None and not isinstance(content, (dict, Opaque)):
            vars_ok = False
            problems.append(Problem(display_path(vars_path), f"must be a mapping of variable names to values, not a {type(content).__name__}",
                                    "write one 'name: value' per line"))
    if not readable:
        return inventory

    loader = DataLoader()
    loader.set_basedir(str(playbook_dir))
    with _quiet_ansible():
        manager = InventoryManager(loader=loader, sources=[str(s) for s in readable])
    parsed = set(manager._inventory.processed_sources)  # noqa: SLF001 (the manager only warns about the others)
    for source in readable:
        if str(source) not in parsed:
            problems.append(Problem(display_path(source), f"is not a valid inventory: {_unparsed_reason(source)}",
                                    "follow the layout of inventory/prod/hosts.yml: all -> children -> master/workers -> hosts"))
    if not parsed:
        return inventory

    # Group and host variables files for groups or hosts that do not exist are almost always typos.
    for base, (kind, known) in ((b, k) for b in bases for k in (("group_vars", set(manager.groups)), ("host_vars", set(manager.hosts)))):
        for name in sorted(_vars_names(base, kind) - known):
            problems.append(Problem(
                display_path(base / kind / name),
                f"is for {'group' if kind == 'group_vars' else 'host'} '{name}', which the inventory does not have",
                f"rename it after one of: {', '.join(sorted(known - set(IMPLICIT_GROUPS))) or '(none)'}",
                severity="warning"))

    variables = VariableManager(loader=loader, inventory=manager)
    extra_vars = extra_vars or {}
    for host in manager.get_hosts():
        listed_in = display_path(Path(host.vars.get("inventory_file") or paths[0]))
        values: dict[str, Value] = {}
        if vars_ok:  # a broken vars file is reported above; Ansible would only raise on it
            try:
                with _quiet_ansible():
                    found = variables.get_vars(host=host, include_hostvars=False)
            except AnsibleError as exc:
                problems.append(Problem(listed_in, f"the variables of host '{host.name}' cannot be read: {exc.message}",
                                        "correct the file the message names"))
                found = {}
            for key, value in found.items():
                source = origin(value) or origin(key)
                if source and not str(key).startswith("inventory_"):  # magic variables have no origin
                    values[str(key)] = Value(plain(value), source)
        for key, value in extra_vars.items():  # -e wins over everything (Ansible's rule)
            values[str(key)] = Value(plain(value), EXTRA_VARS)
        groups = sorted(host.get_groups(), key=lambda g: (g.depth, g.priority, g.name))
        inventory.hosts[host.name] = Host(name=host.name, source=listed_in,
                                          groups=[g.name for g in groups if g.name not in IMPLICIT_GROUPS], vars=values)
    for name, group in manager.groups.items():
        inventory.groups[name] = [h.name for h in group.get_hosts()]
    return inventory
