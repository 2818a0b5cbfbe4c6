"""``changegate demo``."""

from __future__ import annotations

from pathlib import Path

import click

from changegate.errors import Blocked


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to create the demo repository (default: a temp dir, removed after).",
)
@click.option("--keep", is_flag=True, help="Keep the temp repository to look around.")
def demo(directory: Path | None, keep: bool) -> int:
    """Walk the policy end to end on a throwaway repository."""
    import sys

    from changegate.cli.render import console
    from changegate.demo.scenario import DemoFailed, run_demo

    # Keep the commands' stdout and stderr lines in order when piped (make demo | less).
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    out = console()
    out.soft_wrap = True
    try:
        root = run_demo(directory, keep, out.print)
    except DemoFailed as exc:
        raise Blocked(f"demo failed: {exc}") from exc
    out.print(
        "\n[bold green]demo complete[/]: policy as code; a secret blocked, a leak rotated, "
        "purged and closed; a destructive migration blocked, then verified; a security change "
        "through signed review, adversarial review and every gate to a recorded merge; "
        "releases deployed to a real gunicorn through the documented procedure with zero "
        "failed requests; config reviewed, applied, drift caught and reverted; a SEV1 hotfix "
        "shipped without review, its retroactive review due from the deploy, closed; a failing "
        "smoke test rolled back by itself and a one-command rollback; the ledger verified, "
        "tampering and truncation caught; the evidence pack exported."
    )
    if keep or directory:
        out.print(f"repository kept at {root}")
    return 0
