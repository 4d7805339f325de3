"""Errors a user can act on: what went wrong, where, and how to fix it."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a missing prerequisite. The CLI prints it (no traceback) and exits 1."""

    def __init__(self, what: str, fix: str = "", where: str = "") -> None:
        self.what = what
        self.fix = fix
        self.where = where
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        return f"{text}\n  fix: {self.fix}" if self.fix else text
