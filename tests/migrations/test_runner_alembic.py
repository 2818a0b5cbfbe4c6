"""Alembic sets through the real ``alembic`` command, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.migrations.test_runner import SET, query, tables, write

from changegate.errors import EnvironmentProblem, InputError
from changegate.migrations import (
    AlembicOptions,
    MigrationFailed,
    applied_versions,
    apply,
    discover,
    plan,
    rollback,
)

ACTOR = "deployer@example.com"

REVISION = '''"""{message}"""
from alembic import op

revision = "{rev}"
down_revision = {down!r}


def upgrade():
    op.execute("{up}")


def downgrade():
    op.execute("{down_sql}")
'''


def revision(project: Path, rev: str, down: str | None, up: str, down_sql: str) -> None:
    text = REVISION.format(message=rev, rev=rev, down=down, up=up, down_sql=down_sql)
    (project / "alembic" / "versions" / f"{rev}_step.py").write_text(text)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """``alembic init`` (the stock env.py reads sqlalchemy.url) plus two revisions."""
    tree = tmp_path / "release"
    app = tree / "app"
    app.mkdir(parents=True)
    subprocess.run(
        [sys.executable, "-m", "alembic", "init", "alembic"],
        cwd=app,
        check=True,
        capture_output=True,
    )
    ini = app / "alembic.ini"
    ini.write_text(ini.read_text().replace("driver://user:pass@localhost/dbname", ""))
    revision(app, "a1", None, "CREATE TABLE users (id INTEGER PRIMARY KEY)", "DROP TABLE users")
    revision(app, "b2", "a1", "CREATE TABLE teams (id INTEGER PRIMARY KEY)", "DROP TABLE teams")
    return tree


def test_upgrade_and_downgrade_for_real(project: Path, db_url: str) -> None:
    found = discover(project, ["app"])
    assert [s.version for s in plan(project, found, db_url).pending] == ["0001-a1", "0002-b2"]

    done = apply(project, found, db_url, actor=ACTOR)

    assert [(m.set, m.version, m.direction) for m in done] == [
        ("app", "0001-a1", "up"),
        ("app", "0002-b2", "up"),
    ]
    assert {"users", "teams"} <= tables(db_url)
    assert query(db_url, "SELECT version_num FROM alembic_version") == [("b2",)]
    assert applied_versions(db_url) == {"app": ["0001-a1", "0002-b2"]}
    assert apply(project, found, db_url, actor=ACTOR) == []

    revision(project / "app", "c3", "b2", "CREATE TABLE extra (id INTEGER)", "DROP TABLE extra")
    found = discover(project, ["app"])
    assert [m.version for m in apply(project, found, db_url, actor=ACTOR)] == ["0003-c3"]

    undone = rollback(project, found, db_url, to={"app": "0001-a1"}, actor=ACTOR)

    assert [(m.version, m.direction) for m in undone] == [("0003-c3", "down"), ("0002-b2", "down")]
    assert query(db_url, "SELECT version_num FROM alembic_version") == [("a1",)]
    assert "teams" not in tables(db_url) and "users" in tables(db_url)
    assert applied_versions(db_url) == {"app": ["0001-a1"]}
    assert [m.version for m in rollback(project, found, db_url, to={"app": None}, actor=ACTOR)] == [
        "0001-a1"
    ]
    assert applied_versions(db_url) == {}


def test_the_url_reaches_an_env_py_that_reads_an_environment_variable(
    project: Path, tmp_path: Path
) -> None:
    env = project / "app" / "alembic" / "env.py"
    # Online mode only: offline mode (the engine's static check) keeps the ini's URL.
    env.write_text(
        env.read_text()
        .replace("from alembic import context", "import os\nfrom alembic import context")
        .replace(
            "config.get_section(config.config_ini_section, {})",
            '{"sqlalchemy.url": os.environ["APP_DB"]}',
        )
    )
    url = f"sqlite:///{tmp_path / 'app.db'}"
    found = discover(project, ["app"])

    with pytest.raises(MigrationFailed, match="APP_DB"):
        apply(project, found, url, actor=ACTOR)
    done = apply(project, found, url, actor=ACTOR, alembic=AlembicOptions(url_env="APP_DB"))
    assert [m.version for m in done] == ["0001-a1", "0002-b2"]


def test_an_env_py_that_migrates_another_database_is_not_a_success(
    project: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere.db"
    env = project / "app" / "alembic" / "env.py"
    env.write_text(
        env.read_text().replace(
            "config.get_section(config.config_ini_section, {})",
            f'{{"sqlalchemy.url": "sqlite:///{elsewhere}"}}',
        )
    )
    url = f"sqlite:///{tmp_path / 'app.db'}"

    with pytest.raises(EnvironmentProblem, match="did not move"):
        apply(project, discover(project, ["app"]), url, actor=ACTOR)
    assert elsewhere.exists()


def test_a_failing_revision_reports_where_the_database_stopped(
    project: Path, tmp_path: Path
) -> None:
    revision(project / "app", "c3", "b2", "INSERT INTO nowhere VALUES (1)", "SELECT 1")
    url = f"sqlite:///{tmp_path / 'app.db'}"

    with pytest.raises(MigrationFailed, match="alembic upgrade heads failed") as failed:
        apply(project, discover(project, ["app"]), url, actor=ACTOR)

    at = [r[0] for r in query(url, "SELECT version_num FROM alembic_version")]
    mirrored = applied_versions(url).get("app", [])
    assert [m.version for m in failed.value.applied] == mirrored
    assert [v.split("-", 1)[1] for v in mirrored][-1:] == at


def test_sets_of_both_kinds_apply_in_order_and_a_bad_target_stops_before_any_down(
    project: Path, tmp_path: Path
) -> None:
    write(project, "0001", "audit", "CREATE TABLE audit (id INTEGER);\n", "DROP TABLE audit;\n")
    url = f"sqlite:///{tmp_path / 'app.db'}"
    found = discover(project, [SET, "app"])

    done = apply(project, found, url, actor=ACTOR)

    assert [(m.set, m.version) for m in done] == [
        (SET, "0001"),
        ("app", "0001-a1"),
        ("app", "0002-b2"),
    ]
    with pytest.raises(InputError, match="revision zz9 is not applied"):
        rollback(project, found, url, to={SET: None, "app": "zz9"}, actor=ACTOR)
    assert applied_versions(url) == {SET: ["0001"], "app": ["0001-a1", "0002-b2"]}
    undone = rollback(project, found, url, to={SET: None, "app": "a1"}, actor=ACTOR)
    assert [(m.set, m.version) for m in undone] == [("app", "0002-b2"), (SET, "0001")]
