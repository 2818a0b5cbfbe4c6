"""The one table of gates, in the order their results are shown; plugins add theirs.

A third-party gate is a class (or factory) satisfying :class:`Gate`, published
under the ``changegate.gates`` entry-point group.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

from changegate.gates.base import Gate
from changegate.gates.commands import CommandGateRunner, TestsGate
from changegate.gates.migrations_gate import MigrationsGate
from changegate.gates.review import AdversarialGate, ReviewGate
from changegate.gates.secrets_gate import SecretsGate

BUILTIN: dict[str, Callable[[], Gate]] = {
    "review": ReviewGate,
    "adversarial_review": AdversarialGate,
    "lint": lambda: CommandGateRunner("lint"),
    "types": lambda: CommandGateRunner("types"),
    "secrets": SecretsGate,
    "migrations": MigrationsGate,
    "tests": TestsGate,
}
ENTRY_POINT_GROUP = "changegate.gates"


def all_gates() -> list[Gate]:
    gates = [factory() for factory in BUILTIN.values()]
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in BUILTIN:
            gates.append(ep.load()())
    return gates
