"""The Typer application: registers each command group's functions."""

from __future__ import annotations

import typer

from threadline import __version__
from threadline.cli import (
    import_cmd,
    learning_cmd,
    link_cmd,
    nearrepeat_cmd,
    person_cmd,
    pseudonymise_cmd,
    report_cmd,
    series_cmd,
    serve_cmd,
    synth_cmd,
    users_cmd,
    workspace_cmds,
)

app = typer.Typer(
    name="threadline",
    help="Threadline: death investigations, near-miss homicides and serious violence, for police and partners.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"threadline {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Threadline command line."""


app.command("init")(workspace_cmds.init)
app.command("status")(workspace_cmds.status_cmd)
app.command("import")(import_cmd.import_cmd)
app.command("import-folder")(import_cmd.import_folder_cmd)
app.command("synth")(synth_cmd.synth)
app.command("demo")(synth_cmd.demo)
app.command("nearrepeat")(nearrepeat_cmd.nearrepeat)
app.command("pseudonymise")(pseudonymise_cmd.pseudonymise)
app.add_typer(report_cmd.app, name="report")
app.add_typer(series_cmd.app, name="series")
app.add_typer(link_cmd.app, name="link")
app.add_typer(person_cmd.app, name="person")
app.add_typer(learning_cmd.app, name="learning")
app.command("serve")(serve_cmd.serve)
app.add_typer(users_cmd.app, name="users")

from threadline.cli import population_cmd  # noqa: E402 (kept in one block: census denominators, issue 8)

app.add_typer(population_cmd.app, name="population")

from threadline.cli import violence_cmd  # noqa: E402 (serious youth violence, issue 8)

app.add_typer(violence_cmd.app, name="violence")
app.command("evaluate")(violence_cmd.evaluate_cmd)
report_cmd.app.command("svna")(violence_cmd.svna_cmd)

from threadline.cli import escalation_cmd  # noqa: E402 (escalating people and dyads, issue 9)

app.add_typer(escalation_cmd.app, name="escalation")

from threadline.cli import return_cmd  # noqa: E402 (Home Office returns, issue 9)

app.add_typer(return_cmd.app, name="return")

from threadline.cli import pdp_cmd  # noqa: E402 (potentially dangerous persons list, issue 9)

app.add_typer(pdp_cmd.app, name="pdp")


def main() -> None:
    app()
