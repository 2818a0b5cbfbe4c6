"""The JSON object and the SARIF 2.1.0 log, built from a real check."""

from __future__ import annotations

import json
from pathlib import Path

from changegate.migrations import Settings, check, to_json, to_sarif


def _result(tmp_path: Path):  # type: ignore[no-untyped-def]
    d = tmp_path / "m"
    d.mkdir()
    (d / "001_a.sql").write_text("CREATE TABLE t (id int, a text, b text);\n")
    (d / "002_b.sql").write_text(
        "SET lock_timeout = '1s';\nALTER TABLE t DROP COLUMN a;\nALTER TABLE t DROP COLUMN b;\n"
    )
    return check(tmp_path, Settings(paths=("m",)))


def test_json_has_the_documented_shape(tmp_path: Path) -> None:
    data = json.loads(to_json(_result(tmp_path)))
    assert data["blocked"] is True
    files = {f["path"]: f for f in data["files"]}
    assert files["m/001_a.sql"] == {
        "path": "m/001_a.sql",
        "destructive": False,
        "blocked": False,
        "findings": [],
    }
    second = files["m/002_b.sql"]
    assert (second["destructive"], second["blocked"]) == (True, True)
    checks = [(f["check"], f["severity"], f["line"]) for f in second["findings"]]
    assert checks == [("drop-column", "warning", 2), ("rollback-missing", "error", 2)]
    assert second["findings"][0]["lines"] == [2, 3]
    assert all(set(f) >= {"check", "severity", "line", "message"} for f in second["findings"])


def test_sarif_log_is_2_1_0_with_rules_and_locations(tmp_path: Path) -> None:
    sarif = to_sarif(_result(tmp_path))
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rules == ["drop-column", "rollback-missing"]
    levels = [(r["ruleId"], r["level"], r["ruleIndex"]) for r in run["results"]]
    assert levels == [("drop-column", "warning", 0), ("rollback-missing", "error", 1)]
    lines = [
        loc["physicalLocation"]["region"]["startLine"] for loc in run["results"][0]["locations"]
    ]
    assert lines == [2, 3]
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "m/002_b.sql"
    json.dumps(sarif)


def test_text_lines_link_to_files_and_end_with_the_verdict(tmp_path: Path) -> None:
    from changegate.migrations import to_text

    lines = to_text(_result(tmp_path)).splitlines()
    assert lines[0].startswith("m/002_b.sql:2: warning [drop-column] DROP COLUMN t.a;")
    assert lines[0].endswith("(lines 2, 3)")
    assert lines[1].startswith("m/002_b.sql:2: error [rollback-missing]")
    assert lines[-1] == "BLOCKED: 2 migration file(s), 1 destructive, 1 blocked"
