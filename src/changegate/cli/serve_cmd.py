"""``changegate serve``: the dashboard over the same database, with uvicorn."""

from __future__ import annotations

import click

from changegate.cli.context import CliContext, pass_cli


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8765, show_default=True, type=int, help="TCP port (0: any free).")
@pass_cli
def serve(cli: CliContext, host: str, port: int) -> int:
    """Serve the web dashboard (sign in with a token from `changegate token issue`)."""
    import uvicorn

    from changegate.web import create_app

    app = cli.app()
    app.store()  # an unreachable or missing database is reported before listening
    web = create_app(app)
    click.echo(f"changegate dashboard on http://{host}:{port}/ over {app.store().describe()}")
    uvicorn.run(web, host=host, port=port, log_level="warning", access_log=False)
    return 0
