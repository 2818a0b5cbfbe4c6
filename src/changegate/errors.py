"""One error hierarchy, turned into exit codes in one place (``cli.main``).

Every expected failure is raised as one of these with a one-line message that
names the file/line when there is one and says what to do. Anything else that
escapes is a bug and is reported as such.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_BLOCKED = 1
EXIT_BAD_INPUT = 2


class ChangegateError(Exception):
    """Base of every expected failure; ``exit_code`` decides the process status."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        # Extra lines (one per problem) printed after the message, e.g. every
        # invalid key of a policy file rather than only the first.
        self.details = details or []


class InputError(ChangegateError):
    """The user gave us something we cannot use (bad file, flag, value)."""


class EnvironmentProblem(ChangegateError):
    """The machine is not as needed: missing tool, unreachable database, no git identity."""


class Blocked(ChangegateError):
    """A check ran and says no: the change (or the ledger) does not pass."""

    exit_code = EXIT_BLOCKED
