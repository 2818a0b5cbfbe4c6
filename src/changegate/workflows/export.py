"""``changegate audit export``: the SOC 2 evidence pack for a period, and its record.

Order matters: the database is opened and the output directory checked before
any work, so a bad period, an unreachable database or a used directory fail
with one line and nothing written; the export itself is then recorded in the
ledger with the manifest's digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from changegate.app import App
from changegate.errors import InputError
from changegate.evidence.collect import Evidence, collect
from changegate.evidence.pack import Pack, prepare, write
from changegate.evidence.period import parse_period
from changegate.workflows.history import EXPORTED, branch_heads

__all__ = ["EXPORTED", "Exported", "export"]


@dataclass(frozen=True)
class Exported:
    pack: Pack
    evidence: Evidence
    seq: int


def export(
    app: App,
    date_from: str,
    date_to: str,
    out: Path,
    *,
    sample: int = 25,
    seed: int | None = None,
) -> Exported:
    period = parse_period(date_from, date_to)
    if sample < 0:
        raise InputError("--sample must be 0 or more")
    store = app.store()
    actor = app.actor()
    prepare(out)
    evidence = collect(app, period, sample=sample, seed=seed)
    pack = write(evidence, out)
    event = store.append(
        actor,
        EXPORTED,
        f"{period.label_from}..{period.label_to}",
        {
            "period": period.as_dict(),
            "files": len(pack.files),
            "manifest_sha256": pack.manifest_sha256,
            "out": str(out),
            "sample": {"seed": evidence.sample["seed"], "size": len(evidence.sample["changes"])},
            "exceptions": len(evidence.exceptions),
            "ledger_ok": evidence.verification["ok"],
            # The protected branches' heads now, as the ledger saw them: a later period's
            # reconciliation starts below them (commit dates prove nothing).
            "branches": branch_heads(app),
        },
    )
    return Exported(pack, evidence, event.seq)
