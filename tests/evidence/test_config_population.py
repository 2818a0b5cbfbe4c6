"""The configuration population from a real history, driven through the config CLI on both
backends: one row per (version, key changed), never one per delivery."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from tests.configteam import SECRET, app_for, cfg, team

from changegate.cli.main import main
from changegate.evidence import populations as pop
from changegate.evidence.exceptions import drift_exceptions
from changegate.evidence.period import parse_period
from changegate.workflows.export import export

__all__ = ["cfg", "team"]
DEV = "dev@example.com"
TODAY = date.today()
FROM, TO = (TODAY - timedelta(days=1)).isoformat(), (TODAY + timedelta(days=1)).isoformat()
PERIOD = parse_period(FROM, TO)


class Cli:
    """The real CLI in-process, against the test's database, as a given person."""

    def __init__(
        self,
        repo: Path,
        db: str,
        keys: dict[str, Path],
        mp: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        self.repo, self.db, self.keys, self.mp, self.capsys = repo, db, keys, mp, capsys

    def __call__(self, actor: str, *args: str, code: int = 0) -> str:
        self.mp.setenv("CHANGEGATE_ACTOR", actor)
        got = main(["-C", str(self.repo), "--db", self.db, "config", *args])
        out, err = self.capsys.readouterr()
        assert got == code, out + err
        return str(out)

    def reviewed(self, reviewer: str, *args: str) -> None:
        """Propose as dev, approve as ``reviewer`` with their real SSH key."""
        out = self(DEV, *args)
        pid = next(w.rstrip(":") for w in out.split() if w.startswith("P-"))
        self(f"{reviewer}@example.com", "approve", "prod", pid, "--key", str(self.keys[reviewer]))


History = tuple[Path, str, Path, Cli]  # repository, database, deploy root, the CLI


@pytest.fixture
def history(
    cfg: tuple[Path, dict[str, Path], Path],
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> History:
    """set A,B -> approve -> apply; set B -> approve -> apply twice; unset A -> approve;
    revert to v1 -> applied. A = API_TOKEN (secret), B = LOG_LEVEL (plain)."""
    repo, keys, root = cfg
    app_for(repo, db_url, monkeypatch, DEV).close()  # creates the database
    cli = Cli(repo, db_url, keys, monkeypatch, capsys)
    env_file = tmp_path / "first.env"
    env_file.write_text(f"API_TOKEN={SECRET}\nLOG_LEVEL=info\n")
    cli.reviewed("bob", "import", "prod", str(env_file))  # API_TOKEN looks secret: sealed
    cli(DEV, "apply", "prod")
    cli.reviewed("carol", "set", "prod", "LOG_LEVEL=debug")
    cli(DEV, "apply", "prod")
    cli(DEV, "apply", "prod")  # the same version again: a re-delivery, not a change
    cli.reviewed("bob", "unset", "prod", "API_TOKEN")  # approved, never applied
    cli(DEV, "revert", "prod", "--to", "1")
    return repo, db_url, root, cli


def test_one_row_per_version_and_key_from_the_version_history(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, db_url, _, _ = history
    app = app_for(repo, db_url, monkeypatch, DEV)
    try:
        rows = pop.config_changes(app, PERIOD)
        assert pop.config_changes(app, parse_period("2001-01-01", "2001-12-31")) == []
    finally:
        app.close()
    revert = f"revert by {DEV} of v1"
    assert [
        (r.version, r.key, r.op, r.secret, r.value, r.origin, r.proposed_by, r.approver,
         r.first_applied_reason, r.redeliveries, r.live_with_version)
        for r in rows
    ] == [
        (1, "API_TOKEN", "set", True, None, "proposal", DEV, "bob@example.com",
         "proposal", 0, 1),
        (1, "LOG_LEVEL", "set", False, "info", "proposal", DEV, "bob@example.com",
         "proposal", 0, 1),
        (2, "LOG_LEVEL", "set", False, "debug", "proposal", DEV, "carol@example.com",
         "proposal", 1, 2),
        (3, "API_TOKEN", "unset", True, None, "proposal", DEV, "bob@example.com",
         None, 0, None),
        (4, "API_TOKEN", "set", True, None, "revert", DEV, revert, "revert", 0, 4),
        (4, "LOG_LEVEL", "set", False, "info", "revert", DEV, revert, "revert", 0, 4),
    ]  # fmt: skip
    by = {(r.version, r.key): r for r in rows}
    token1, token3, token4 = by[1, "API_TOKEN"], by[3, "API_TOKEN"], by[4, "API_TOKEN"]
    # Keyed hashes chain from version to version; a revert restores the very same hash.
    assert token1.value_hash and len(token1.value_hash) == 16 and token1.length == len(SECRET)
    assert token1.previous_value_hash is None
    assert token3.value_hash is None and token3.previous_value_hash == token1.value_hash
    assert token4.value_hash == token1.value_hash and token4.previous_value_hash is None
    assert by[2, "LOG_LEVEL"].previous_value_hash == by[1, "LOG_LEVEL"].value_hash
    assert by[4, "LOG_LEVEL"].previous_value_hash == by[2, "LOG_LEVEL"].value_hash
    assert by[4, "LOG_LEVEL"].value_hash == by[1, "LOG_LEVEL"].value_hash
    assert token4.reverted_to == 1 and token4.proposal is None and token3.first_applied_at is None
    assert token3.live_from is None  # the unset was reverted before it was ever applied
    assert all(r.first_applied_by == DEV for r in rows if r.version != 3)
    assert all(r.live_from == r.first_applied_at for r in rows)
    assert str(by[2, "LOG_LEVEL"].first_applied_at) > str(by[1, "LOG_LEVEL"].first_applied_at)


def test_a_change_goes_live_with_the_later_version_that_carries_it(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, db_url, _, cli = history
    cli.reviewed("carol", "set", "prod", "FEATURE_X=on")  # v5, never applied by itself
    cli.reviewed("bob", "set", "prod", "WORKERS=8")  # v6
    cli(DEV, "apply", "prod")
    app = app_for(repo, db_url, monkeypatch, DEV)
    try:
        rows = pop.config_changes(app, PERIOD)
    finally:
        app.close()
    by = {(r.version, r.key): r for r in rows}
    feature, workers = by[5, "FEATURE_X"], by[6, "WORKERS"]
    assert feature.first_applied_at is None and feature.live_with_version == 6
    assert feature.live_from == workers.first_applied_at == workers.live_from
    assert (workers.live_with_version, workers.first_applied_reason) == (6, "proposal")
    assert len(rows) == 8  # the six of the history, one per later version


def test_the_pack_lists_the_rows_the_drift_and_no_secret(
    history: History, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo, db_url, root, cli = history
    target = root / "shared" / "config.env"
    target.write_text(target.read_text().replace("LOG_LEVEL=info", "LOG_LEVEL=debug"))
    cli("changegate", "drift", "prod", code=1)  # drift found (and recorded)
    app = app_for(repo, db_url, monkeypatch, DEV)
    try:
        (x,) = drift_exceptions(pop.config_drifts(app, PERIOD))
        done = export(app, FROM, TO, tmp_path / "pack", sample=0, seed=1)
    finally:
        app.close()
    assert x.kind == "config-drift" and "LOG_LEVEL (changed)" in x.detail
    assert "unresolved" in x.detail and "version 4" in x.detail
    kinds = [e.kind for e in done.evidence.exceptions]
    assert kinds.count("config-drift") == 1
    pack = tmp_path / "pack"
    with (pack / "config_changes.csv").open() as fh:
        table = list(csv.DictReader(fh))
    assert [(r["version"], r["key"], r["op"]) for r in table] == [
        ("1", "API_TOKEN", "set"), ("1", "LOG_LEVEL", "set"), ("2", "LOG_LEVEL", "set"),
        ("3", "API_TOKEN", "unset"), ("4", "API_TOKEN", "set"), ("4", "LOG_LEVEL", "set"),
    ]  # fmt: skip
    assert {r["value"] for r in table if r["secret"] == "True"} == {""}
    summary = json.loads((pack / "summary.json").read_text())
    assert (summary["config_changes"], summary["config_versions"]) == (6, 4)
    assert "6</b>configuration key changes in 4 version(s)" in (pack / "report.html").read_text()
    for name in done.pack.files:
        assert SECRET not in (pack / name).read_text(), name
