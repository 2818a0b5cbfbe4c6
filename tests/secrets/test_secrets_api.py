"""The public API the CLI and the ledger build on, pinned (as httpx pins its own)."""

from __future__ import annotations

import inspect

import pytest

import changegate.secrets as api

EXPECTED = {
    "Allowlist", "Finding", "Rule", "RuleSet", "ScanResult", "Scanner", "default_ruleset",
    "fingerprint", "load_rules", "make_scanner", "preview", "scan_history", "scan_paths",
    "scan_range", "scan_staged", "to_json", "to_sarif",
}  # fmt: skip


def test_exported_members() -> None:
    assert set(api.__all__) == EXPECTED
    for name in EXPECTED:
        assert getattr(api, name) is not None
        assert name in (api.__doc__ or ""), f"{name} is not documented in the package docstring"


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        _ = api.no_such_thing


def test_scan_functions_take_a_scanner() -> None:
    for fn in (api.scan_paths, api.scan_staged, api.scan_range, api.scan_history):
        assert "scanner" in inspect.signature(fn).parameters
