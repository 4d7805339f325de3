"""What a run looks like to the user: live progress while it runs, a summary when it ends.

Everything here is driven by ansible-runner's events (the dicts its event_handler gets,
the same as artifacts/<run>/job_events/*.json): `Tally` keeps the state, `Progress`
draws it, and `summary` renders the end of a run. Nothing here knows about hosts' logic.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import Any, TextIO

Event = dict[str, Any]

COLUMNS = ("ok", "changed", "failed", "unreachable", "skipped", "rescued", "ignored")
# playbook_on_stats names its counters differently from the recap people know.
_STATS_KEYS = {"ok": "ok", "changed": "changed", "failed": "failures", "unreachable": "dark",
               "skipped": "skipped", "rescued": "rescued", "ignored": "ignored"}
_MAX_MESSAGE_LINES = 12


@dataclass
class HostCounts:
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0
    rescued: int = 0
    ignored: int = 0

    def get(self, column: str) -> int:
        return int(getattr(self, column))


@dataclass(frozen=True)
class Failure:
    host: str
    task: str
    message: str
    unreachable: bool = False


@dataclass
class Tally:
    """The state of a run, built from its events in order."""

    play: str = ""
    task: str = ""
    tasks_started: int = 0
    hosts: dict[str, HostCounts] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    changes: list[tuple[str, str]] = field(default_factory=list)  # (host, task) that changed
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # host -> last task result
    stats: dict[str, dict[str, int]] | None = None
    custom_stats: dict[str, Any] = field(default_factory=dict)  # set_stats data
    errors: list[str] = field(default_factory=list)  # Ansible's own errors (no host involved)
    warnings: list[str] = field(default_factory=list)  # Ansible's and its plugins' warnings, once each

    def host(self, name: str) -> HostCounts:
        return self.hosts.setdefault(name, HostCounts())

    def feed(self, event: Event) -> None:
        kind = event.get("event", "")
        data: dict[str, Any] = event.get("event_data") or {}
        if kind == "playbook_on_play_start":
            self.play = str(data.get("name") or data.get("play") or "")
            self.task = ""
        elif kind == "playbook_on_task_start":
            self.task = task_label(data)
            self.tasks_started += 1
        elif kind.startswith("runner_on_") and data.get("host"):
            self._feed_host(kind, data)
        elif kind == "playbook_on_stats":
            self.stats = {column: dict(data.get(key) or {}) for column, key in _STATS_KEYS.items()}
            self.custom_stats = dict(data.get("artifact_data") or {})
            for host in sorted({h for counts in self.stats.values() for h in counts}):
                self.host(host)
        elif kind in ("verbose", "error") and "ERROR" in str(event.get("stdout", "")):
            self.errors.append(_strip_ansi(str(event["stdout"])).strip())
        elif kind == "warning":
            text = " ".join(_strip_ansi(str(event.get("stdout", ""))).removeprefix("[WARNING]:").split())
            if text and text not in self.warnings:
                self.warnings.append(text)

    def _feed_host(self, kind: str, data: dict[str, Any]) -> None:
        host = str(data["host"])
        counts = self.host(host)
        result = data.get("res") or {}
        task = task_label(data) or self.task
        if kind == "runner_on_ok":
            counts.ok += 1
            if result.get("changed"):
                counts.changed += 1
                self.changes.append((host, task))
            self.results[host] = result
        elif kind == "runner_on_failed":
            self.results[host] = result
            if data.get("ignore_errors"):
                counts.ok += 1
                counts.ignored += 1
            else:
                counts.failed += 1
                self.failures.append(Failure(host, task, failure_message(result)))
        elif kind == "runner_on_unreachable":
            counts.unreachable += 1
            self.results[host] = result
            self.failures.append(Failure(host, task, failure_message(result), unreachable=True))
        elif kind == "runner_on_skipped":
            counts.skipped += 1

    def final_counts(self) -> dict[str, HostCounts]:
        """Per-host counters: Ansible's own recap when the run got that far."""
        if self.stats is None:
            return dict(self.hosts)
        final: dict[str, HostCounts] = {}
        for host in self.hosts:
            final[host] = HostCounts(**{c: int(self.stats[c].get(host, 0)) for c in COLUMNS})
        return final


def task_label(data: dict[str, Any]) -> str:
    name = str(data.get("task") or data.get("name") or "")
    role = str(data.get("role") or "")
    if role and not name.startswith(f"{role} : "):
        return f"{role} : {name}"
    return name


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def _tail(text: str, lines: int) -> str:
    parts = [line for line in str(text).rstrip().splitlines() if line.strip()]
    return "\n".join(parts[-lines:])


def failure_message(result: dict[str, Any]) -> str:
    """The module's own words about a failure (never a Python traceback)."""
    items = [r for r in result.get("results") or [] if isinstance(r, dict) and (r.get("failed") or r.get("unreachable"))]
    if items:
        lines = []
        for item in items:
            label = item.get("_ansible_item_label", item.get("item", ""))
            lines.append(f"item {label}: {failure_message(item)}")
        return "\n".join(lines)
    msg = str(result.get("msg") or "").strip()
    parts = []
    if msg.startswith("MODULE FAILURE"):
        msg = "the module failed on the host"
        detail = result.get("module_stderr") or result.get("module_stdout") or ""
        if detail:
            parts.append(_tail(detail, 3))
    if msg:
        parts.insert(0, msg)
    if "rc" in result and (result.get("stderr") or result.get("stdout")):
        cmd = result.get("cmd")
        shown = " ".join(cmd) if isinstance(cmd, list) else str(cmd or "")
        if shown and not msg:
            parts.insert(0, f"`{shown}` exited with {result['rc']}")
        output = result.get("stderr") or result.get("stdout") or ""
        parts.append(_tail(output, 5))
    if not parts:
        parts.append(f"failed with no message (rc={result.get('rc', '?')})")
    lines = "\n".join(parts).splitlines()
    if len(lines) > _MAX_MESSAGE_LINES:
        lines = lines[:_MAX_MESSAGE_LINES] + [f"... ({len(lines) - _MAX_MESSAGE_LINES} more lines in the artifacts)"]
    return "\n".join(lines)


# --------------------------------------------------------------------------- live progress


def retry_line(data: dict[str, Any]) -> str | None:
    """The progress a task retried until it holds reports: the last line its command printed
    (the day-2 playbooks' checks, such as blocks left to copy), with the tries left."""
    res = data.get("res") or {}
    said = _strip_ansi(str(res.get("stdout") or "")).strip().splitlines()
    if not said:
        return None
    left = f" ({res['retries'] - res['attempts']} tries left)" if isinstance(res.get("retries"), int) and isinstance(res.get("attempts"), int) else ""
    return f"    waiting: {data.get('host')}: {said[-1]}{left}"


def _counts_line(name: str, counts: HostCounts, width: int) -> str:
    text = (f"ok {counts.ok:<3} changed {counts.changed:<3} failed {counts.failed:<2} "
            f"unreachable {counts.unreachable}")
    return f"  {name:<{width}}  {text}"


def progress_lines(tally: Tally) -> list[str]:
    """The live view: the play, the task and each host's counters."""
    width = max((len(h) for h in tally.hosts), default=4)
    lines = [f"PLAY  {tally.play}", f"TASK  {tally.task}"]
    lines += [_counts_line(host, counts, width) for host, counts in tally.hosts.items()]
    return lines


class Progress:
    """Draws a Tally as events arrive.

    On a terminal a small block (play, task, per-host counters) is redrawn in place; in a
    log (CI, a pipe) each play and task gets one line, changes and failures one line per
    host, and each play ends with the per-host counters.
    """

    def __init__(self, out: TextIO, live: bool | None = None) -> None:
        self.out = out
        self.live = out.isatty() if live is None else live
        self.tally = Tally()
        self._drawn = 0

    def __call__(self, event: Event) -> bool:
        self.handle(event)
        return True  # ansible-runner keeps the event (and its stats) only when this is True

    def handle(self, event: Event) -> None:
        kind = event.get("event", "")
        before = len(self.tally.failures)
        play = self.tally.play
        if kind in ("playbook_on_play_start", "playbook_on_stats") and not self.live and play and self.tally.hosts:
            self._print_counts()
        self.tally.feed(event)
        new_failures = self.tally.failures[before:]
        waiting = retry_line(event.get("event_data") or {}) if kind == "runner_retry" else None
        if self.live:
            if waiting:
                self._erase()
                self.out.write(waiting + "\n")
                self._redraw()
            if kind == "playbook_on_stats":
                self._erase()
                return
            if new_failures:
                self._erase()
                for failure in new_failures:
                    self._print_failure(failure)
            if kind in ("playbook_on_play_start", "playbook_on_task_start") or kind.startswith("runner_on_"):
                self._redraw()
            return
        data = event.get("event_data") or {}
        if kind == "playbook_on_play_start":
            self.out.write(f"PLAY  {self.tally.play}\n")
        elif kind == "playbook_on_task_start":
            self.out.write(f"  TASK  {self.tally.task}\n")
        elif kind == "runner_on_ok" and (data.get("res") or {}).get("changed"):
            self.out.write(f"    changed: {data.get('host')}\n")
        if waiting:
            self.out.write(waiting + "\n")
        for failure in new_failures:
            self._print_failure(failure)
        self.out.flush()

    def _print_counts(self) -> None:
        width = max((len(h) for h in self.tally.hosts), default=4)
        for host, counts in self.tally.hosts.items():
            self.out.write(_counts_line(host, counts, width) + "\n")

    def _print_failure(self, failure: Failure) -> None:
        word = "UNREACHABLE" if failure.unreachable else "FAILED"
        first, *rest = failure.message.splitlines() or [""]
        self.out.write(f"    {word}: {failure.host}: {first}\n")
        for line in rest:
            self.out.write(f"      {line}\n")

    def _erase(self) -> None:
        if self._drawn:
            self.out.write(f"\x1b[{self._drawn}F\x1b[J")
            self._drawn = 0

    def _redraw(self) -> None:
        columns = shutil.get_terminal_size((100, 20)).columns
        lines = [line[: columns - 1] for line in progress_lines(self.tally)]
        self._erase()
        self.out.write("\n".join(lines) + "\n")
        self._drawn = len(lines)
        self.out.flush()


# --------------------------------------------------------------------------- summary


def summary_table(tally: Tally) -> str:
    counts = tally.final_counts()
    if not counts:
        return "(no host was reached)"
    width = max(len("HOST"), *(len(h) for h in counts))
    header = f"{'HOST':<{width}}  " + "  ".join(c.upper() for c in COLUMNS)
    rows = [header]
    for host, c in counts.items():
        rows.append(f"{host:<{width}}  " + "  ".join(f"{c.get(col):>{len(col)}}" for col in COLUMNS))
    return "\n".join(rows)


def failures_text(tally: Tally) -> str:
    lines = []
    for failure in tally.failures:
        word = "unreachable" if failure.unreachable else "failed"
        lines.append(f"- {failure.host} {word} at task '{failure.task}':")
        lines.extend(f"    {line}" for line in failure.message.splitlines())
        if failure.unreachable:
            lines.append(f"    fix: check that {failure.host} is up and that Ansible can log in to it "
                         "(ansible_host, ansible_user, SSH key; for the sandbox, that its container runs)")
    return "\n".join(lines)


def changes_text(tally: Tally) -> str:
    """What would change (in check mode) or changed, grouped by host."""
    by_host: dict[str, list[str]] = {}
    for host, task in tally.changes:
        by_host.setdefault(host, []).append(task)
    lines = []
    for host, tasks in by_host.items():
        lines.append(f"  {host}:")
        lines.extend(f"    - {task}" for task in tasks)
    return "\n".join(lines)


def summary(tally: Tally, rc: int, seconds: float, artifacts: str, plan: bool = False) -> str:
    """The end of a run: per-host table, failures with their messages, result and artifacts."""
    parts = ["", summary_table(tally)]
    if tally.warnings:
        parts += ["", "Warnings:", *[f"  - {w}" for w in tally.warnings]]
    if tally.errors and not tally.hosts:
        parts += ["", "Ansible stopped before reaching any host:", *[f"  {e}" for e in tally.errors[-5:]]]
    if tally.failures:
        parts += ["", "Failures:", failures_text(tally)]
    if plan:
        changed = sum(c.changed for c in tally.final_counts().values())
        if rc == 0 and changed == 0:
            parts += ["", "Plan: no changes. The hosts match the inventory."]
        elif changed:
            parts += ["", f"Plan: {changed} change(s) would be made:", changes_text(tally)]
    outcome = "succeeded" if rc == 0 else f"FAILED (exit code {rc})"
    parts += ["", f"Run {outcome} in {seconds:.0f} s. Artifacts: {artifacts}"]
    return "\n".join(parts)
