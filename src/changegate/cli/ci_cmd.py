"""``changegate ci github``: run `changegate check` as a required status on every PR."""

from __future__ import annotations

from pathlib import Path

import click

from changegate.cli.context import CliContext, pass_cli

WORKFLOW = """\
# Written by `changegate ci github`. Make the "changegate" check required in the
# branch protection (or ruleset) of your default branch.
name: changegate
on:
  pull_request:
  push:
    branches: [{branch}]
permissions:
  contents: read
jobs:
  changegate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install changegate
        run: pip install changegate
      - name: Fetch signed reviews
        run: git fetch origin '+refs/notes/changegate:refs/notes/changegate' || true
      - name: changegate check
        env:
          # The team's ledger (PostgreSQL); every gate result and verdict is recorded there.
          CHANGEGATE_DB: ${{{{ secrets.CHANGEGATE_DB }}}}
          CHANGEGATE_ACTOR: github-actions@${{{{ github.repository }}}}
        run: |
          base="origin/${{{{ github.base_ref || '{branch}' }}}}"
          changegate check --base "$base" --format markdown | tee -a "$GITHUB_STEP_SUMMARY"
          exit "${{PIPESTATUS[0]}}"
"""


@click.group()
def ci() -> None:
    """Wire `changegate check` into CI as a required status."""


@ci.command("github")
@click.option("--branch", default="main", show_default=True, help="The protected branch.")
@click.option("--force", is_flag=True, help="Overwrite an existing workflow file.")
@pass_cli
def github(cli: CliContext, branch: str, force: bool) -> int:
    """Write .github/workflows/changegate.yml."""
    from changegate.errors import InputError

    path = cli.app().root / ".github" / "workflows" / "changegate.yml"
    if path.exists() and not force:
        raise InputError(f"{path}: already exists; pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(WORKFLOW.format(branch=branch))
    click.echo(
        f"wrote {Path(path).relative_to(cli.app().root)}: commit it, then make the "
        "'changegate' status check required on " + branch
    )
    click.echo("set the CHANGEGATE_DB secret to the team ledger's postgresql:// URL")
    return 0
