"""Every command the CLI offers is shown in the README (the datasette rule)."""

from __future__ import annotations

from pathlib import Path

import click

from changegate.cli.main import cli

README = (Path(__file__).parents[1] / "README.md").read_text()


def command_paths(group: click.Group, prefix: str = "changegate") -> list[str]:
    ctx = click.Context(group)
    out = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            out += command_paths(command, path)
        else:
            out.append(path)
    return out


def test_every_command_is_in_the_readme():
    missing = [p for p in command_paths(cli) if p not in README]
    assert missing == []


def test_readme_quickstart_is_the_two_commands():
    assert "make demo" in README and "make test" in README
