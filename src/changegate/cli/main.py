"""The ``changegate`` entry point: lazy command loading and the one error-to-exit-code map.

Subcommands are imported only when invoked, so that the pre-commit hook path
never pays for the database, the policy model or rich.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

import click

from changegate import __version__
from changegate.errors import EXIT_BAD_INPUT, ChangegateError, InputError

# command name -> "module:attribute" of its click command or group.
COMMANDS: dict[str, str] = {
    "init": "changegate.cli.init_cmd:init",
    "policy": "changegate.cli.policy_cmd:policy",
    "audit": "changegate.cli.audit_cmd:audit",
    "check": "changegate.cli.check_cmd:check",
    "ci": "changegate.cli.ci_cmd:ci",
    "merge": "changegate.cli.merge_cmd:merge",
    "demo": "changegate.cli.demo_cmd:demo",
    "emergency": "changegate.cli.emergency_cmd:emergency",
    "release": "changegate.cli.release_cmd:release",
    "deploy": "changegate.cli.deploy_cmd:deploy",
    "rollback": "changegate.cli.deploy_cmd:rollback",
    "deployments": "changegate.cli.deploy_cmd:deployments",
    "status": "changegate.cli.deploy_cmd:status",
    "config": "changegate.cli.config_cmd:config",
    "review": "changegate.cli.review_cmd:review",
    "hook": "changegate.cli.hook_cmd:hook",
    "migrations": "changegate.cli.migrations_cmd:migrations",
    "scan": "changegate.cli.scan_cmd:scan",
    "secrets": "changegate.cli.secrets_cmd:secrets",
    "serve": "changegate.cli.serve_cmd:serve",
    "token": "changegate.cli.token_cmd:token",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="changegate")
@click.option(
    "--repo",
    "-C",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Run as if started in this directory (like git -C); paths are relative to it.",
)
@click.option(
    "--db",
    envvar="CHANGEGATE_DB",
    default=None,
    help="Database URL (default: SQLite at .changegate/state.db; postgresql://... for teams). "
    "Env: CHANGEGATE_DB.",
)
@click.pass_context
def cli(ctx: click.Context, repo: str, db: str | None) -> None:
    """changegate: every change to production passes documented checks, can be rolled
    back, and leaves a trail.

    Exit codes: 0 ok, 1 blocked or a failed check, 2 bad input or environment.
    """
    from changegate.cli.context import CliContext

    if ctx.invoked_subcommand is None:  # bare `changegate`: the help, and success
        click.echo(ctx.get_help())
        return
    if repo != ".":
        try:
            os.chdir(repo)
        except OSError as exc:
            raise InputError(f"-C {repo}: {exc.strerror}; give an existing directory") from exc
    ctx.obj = CliContext(repo=".", db=db)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and turn every expected failure into a one-line message and exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    cwd = os.getcwd()
    try:
        rv = cli.main(args=args, prog_name="changegate", standalone_mode=False)
    except ChangegateError as exc:
        click.echo(f"changegate: {exc.message}", err=True)
        for line in exc.details:
            click.echo(f"  {line}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("changegate: aborted", err=True)
        return EXIT_BAD_INPUT
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        click.echo("changegate: interrupted", err=True)
        return 130
    finally:
        os.chdir(cwd)  # -C must not leak into the caller when run in-process
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
