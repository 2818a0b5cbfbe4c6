"""kind = "heartbeat": a job's last run from a file, an endpoint or a database row."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from tests.smoke.build import make
from tests.smoke.server import Answer, SmokeServer

from changegate.smoke import run_smoke

NOW = datetime.now(UTC)


def run(tmp_path: Path, environ: dict[str, str] | None = None, **fields):
    fields.setdefault("max_age_seconds", 3600)
    (result,) = run_smoke([make("heartbeat", **fields)], base_dir=tmp_path, environ=environ).results
    return result


# -- file -------------------------------------------------------------------


def test_file_mtime_fresh_passes_and_stale_fails(tmp_path: Path):
    beat = tmp_path / "var" / "nightly.heartbeat"
    beat.parent.mkdir()
    beat.touch()
    result = run(tmp_path, path="var/nightly.heartbeat")  # relative to the deploy root
    assert result.status == "pass", result.detail
    two_hours_ago = time.time() - 7200
    os.utime(beat, (two_hours_ago, two_hours_ago))
    result = run(tmp_path, path="var/nightly.heartbeat")
    assert result.status == "fail"
    assert "2h 0m" in result.detail and "expected within max_age_seconds = 3600" in result.detail


def test_file_content_iso_or_epoch(tmp_path: Path):
    beat = tmp_path / "last_run"
    beat.write_text((NOW - timedelta(minutes=5)).isoformat() + "\n")
    assert run(tmp_path, path=str(beat), timestamp_from="content").status == "pass"
    beat.write_text("2020-01-01T00:00:00Z")
    assert run(tmp_path, path=str(beat), timestamp_from="content").status == "fail"
    beat.write_text(str(int(time.time()) - 30))
    assert run(tmp_path, path=str(beat), timestamp_from="content").status == "pass"
    beat.write_text(str(int(time.time() * 1000) - 30_000))  # milliseconds
    assert run(tmp_path, path=str(beat), timestamp_from="content").status == "pass"


def test_file_missing_or_garbled_fails_with_the_reason(tmp_path: Path):
    result = run(tmp_path, path="never-written")
    assert result.status == "fail" and "missing (the job has not run here)" in result.detail
    (tmp_path / "garbled").write_text("yesterday-ish")
    result = run(tmp_path, path="garbled", timestamp_from="content")
    assert result.status == "fail" and "is not a timestamp" in result.detail


def test_a_timestamp_far_in_the_future_fails(tmp_path: Path):
    (tmp_path / "beat").write_text((NOW + timedelta(days=1)).isoformat())
    result = run(tmp_path, path="beat", timestamp_from="content")
    assert result.status == "fail" and "in the future" in result.detail


# -- endpoint ---------------------------------------------------------------


def test_endpoint_json_path_to_the_timestamp(server: SmokeServer, tmp_path: Path):
    fresh = {
        "jobs": [{"name": "billing", "last_success": (NOW - timedelta(seconds=90)).isoformat()}]
    }
    url = server.route("/jobs", Answer(200, fresh))
    result = run(tmp_path, url=url, json_path="$.jobs[0].last_success", max_age_seconds=600)
    assert result.status == "pass", result.detail
    stale = {"jobs": [{"last_success": int(time.time()) - 3 * 3600}]}
    url = server.route("/stale", Answer(200, stale))
    result = run(tmp_path, url=url, json_path="$.jobs[0].last_success")
    assert result.status == "fail" and "3h 0m" in result.detail


def test_endpoint_plain_body_missing_path_and_errors(server: SmokeServer, tmp_path: Path):
    url = server.route("/beat.txt", Answer(200, NOW.isoformat()))
    assert run(tmp_path, url=url).status == "pass"
    url = server.route("/jobs", Answer(200, {"jobs": []}))
    result = run(tmp_path, url=url, json_path="$.jobs[0].last_success")
    assert result.status == "fail" and "no timestamp at $.jobs[0].last_success" in result.detail
    url = server.route("/down", Answer(503, "reloading"))
    assert "expected HTTP 2xx, got 503" in run(tmp_path, url=url).detail


# -- database (real SQLite and PostgreSQL) -----------------------------------


def seed(url: str, finished: list[datetime]) -> None:
    engine = create_engine(url)
    ts = "TIMESTAMP WITH TIME ZONE" if url.startswith("postgresql") else "TIMESTAMP"
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE job_runs (job VARCHAR(40), finished_at {ts})"))
        for when in finished:
            conn.execute(
                text("INSERT INTO job_runs VALUES ('nightly', :t)"),
                {"t": when.isoformat(sep=" ") if ts == "TIMESTAMP" else when},
            )
    engine.dispose()


QUERY = "SELECT max(finished_at) FROM job_runs WHERE job = 'nightly'"


def test_database_row_fresh_and_stale(db_url: str, tmp_path: Path):
    now = datetime.now(NOW.tzinfo)  # not the module's NOW: a loaded machine runs this later
    seed(db_url, [now - timedelta(days=2), now - timedelta(minutes=10)])
    env = {"JOBS_DB": db_url}
    result = run(tmp_path, env, database_url_env="JOBS_DB", query=QUERY)
    assert result.status == "pass", result.detail
    assert "last run 10m" in result.detail
    result = run(tmp_path, env, database_url_env="JOBS_DB", query=QUERY, max_age_seconds=300)
    assert result.status == "fail" and "expected within max_age_seconds = 300" in result.detail


def test_database_no_row_and_bad_query(db_url: str, tmp_path: Path):
    seed(db_url, [])
    env = {"JOBS_DB": db_url}
    result = run(tmp_path, env, database_url_env="JOBS_DB", query=QUERY)
    assert result.status == "fail" and "has the job ever run?" in result.detail
    result = run(tmp_path, env, database_url_env="JOBS_DB", query="SELECT max(x) FROM nope")
    assert result.status == "fail" and "query failed" in result.detail


def test_database_query_cannot_write(db_url: str, tmp_path: Path):
    seed(db_url, [NOW])
    env = {"JOBS_DB": db_url}
    result = run(
        tmp_path,
        env,
        database_url_env="JOBS_DB",
        query="DELETE FROM job_runs RETURNING finished_at",
    )
    assert result.status == "fail" and "query failed" in result.detail
    engine = create_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM job_runs")).scalar() == 1
    engine.dispose()


def test_relative_sqlite_path_resolves_against_the_deploy_root(tmp_path: Path):
    seed(f"sqlite:///{tmp_path / 'jobs.db'}", [NOW - timedelta(seconds=5)])
    env = {"JOBS_DB": "sqlite:///jobs.db"}
    result = run(tmp_path, env, database_url_env="JOBS_DB", query=QUERY)
    assert result.status == "pass", result.detail
    missing = run(tmp_path / "elsewhere", env, database_url_env="JOBS_DB", query=QUERY)
    assert missing.status == "fail" and "no SQLite file" in missing.detail
    assert not (tmp_path / "elsewhere").exists()  # a smoke check creates nothing


@pytest.mark.parametrize(
    "url",
    ["postgresql://smoke:Sup3rS3cretPw@127.0.0.1:1/jobs", "mysql://smoke:Sup3rS3cretPw@db/jobs"],
)
def test_database_password_never_shown(url: str, tmp_path: Path):
    report = run_smoke(
        [
            make(
                "heartbeat",
                max_age_seconds=60,
                database_url_env="JOBS_DB",
                query=QUERY,
                timeout_seconds=2,
            )
        ],
        base_dir=tmp_path,
        environ={"JOBS_DB": url},
    )
    assert not report.passed
    assert "Sup3rS3cretPw" not in str(report.to_dict())


def test_database_url_variable_unset(tmp_path: Path):
    result = run(tmp_path, {}, database_url_env="JOBS_DB", query=QUERY)
    assert result.status == "fail" and "JOBS_DB is not set" in result.detail
