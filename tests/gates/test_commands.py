"""Which test suites a change runs, and test counts from JUnit XML."""

from __future__ import annotations

from changegate.core.policy import Suite
from changegate.gates.commands import junit_counts, relevant_suites

API = Suite(name="api", command=["pytest", "tests/api"], paths=["app/api/**", "tests/api/**"])
DB = Suite(name="db", command=["pytest", "tests/db"], paths=["app/db/**", "migrations/**"])


def test_only_the_suites_whose_paths_the_change_touches():
    chosen, why = relevant_suites([API, DB], ["app/api/orders.py"])
    assert [s.name for s in chosen] == ["api"] and "touches" in why


def test_an_unmapped_path_runs_every_suite():
    chosen, why = relevant_suites([API, DB], ["app/api/orders.py", "setup.cfg"])
    assert [s.name for s in chosen] == ["api", "db"] and "setup.cfg" in why


def test_junit_counts_from_pytest_and_from_a_bare_testsuite(tmp_path):
    suites = tmp_path / "report.xml"
    suites.write_text(
        '<?xml version="1.0"?><testsuites>'
        '<testsuite name="a" tests="5" failures="1" errors="0" skipped="1"/>'
        '<testsuite name="b" tests="3" failures="0" errors="1" skipped="0"/></testsuites>'
    )
    assert junit_counts(suites) == {"tests": 8, "failures": 1, "errors": 1, "skipped": 1}
    single = tmp_path / "single.xml"
    single.write_text('<testsuite tests="2" failures="0" errors="0" skipped="0"/>')
    assert junit_counts(single) == {"tests": 2, "failures": 0, "errors": 0, "skipped": 0}
    broken = tmp_path / "broken.xml"
    broken.write_text("<testsuite")
    assert junit_counts(broken) is None and junit_counts(tmp_path / "missing.xml") is None
