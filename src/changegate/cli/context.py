"""What every command receives: the repository and database options, and a lazy App."""

from __future__ import annotations

from dataclasses import dataclass, field

import click

from changegate.app import App


@dataclass
class CliContext:
    repo: str = "."
    db: str | None = None
    _app: App | None = field(default=None, repr=False)

    def app(self) -> App:
        if self._app is None:
            self._app = App.at(self.repo, self.db)
            click.get_current_context().call_on_close(self._app.close)
        return self._app


pass_cli = click.make_pass_decorator(CliContext, ensure=True)
