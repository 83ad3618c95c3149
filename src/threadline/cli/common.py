"""Shared pieces of the command line: the workspace option, error handling, progress."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from threadline.errors import InputError, ThreadlineError


def _width() -> int | None:
    """Wide enough for the summary tables when output goes to a file or a CI log."""
    return None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", 140))


console = Console(width=_width())
err_console = Console(stderr=True, width=_width())

WorkspaceOpt = Annotated[
    Path,
    typer.Option(
        "--workspace",
        "-w",
        envvar="THREADLINE_WORKSPACE",
        help="Workspace folder (or set THREADLINE_WORKSPACE).",
        show_default=True,
    ),
]
DEFAULT_WORKSPACE = Path("workspace")


def friendly(func: Callable) -> Callable:
    """Turn a :class:`ThreadlineError` into one red line and exit code 2, never a traceback.

    Unexpected errors are also one line, with a hint; ``THREADLINE_DEBUG=1`` shows the traceback.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ThreadlineError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err_console.print("[yellow]interrupted: nothing half-done was kept[/]")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as exc:
            if os.environ.get("THREADLINE_DEBUG"):
                raise
            err_console.print(
                f"[bold red]internal error:[/] {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
                "(set THREADLINE_DEBUG=1 for the traceback, and please report it)",
                highlight=False, soft_wrap=True,
            )
            raise typer.Exit(3) from None

    return wrapper


@contextmanager
def stage_progress(description: str, stages: int) -> Iterator[Callable[[str], None]]:
    """A progress bar over named stages; yields ``advance(stage_name)``."""
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[stage]}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not sys.stderr.isatty() and not os.environ.get("THREADLINE_PROGRESS"),
    ) as progress:
        task = progress.add_task(description, total=stages, stage="")
        started = [False]

        def advance(stage: str) -> None:
            if started[0]:
                progress.advance(task)
            started[0] = True
            progress.update(task, stage=stage)

        yield advance
        progress.update(task, completed=stages)


def parse_date(value: str | None, option: str) -> date | None:
    """An option's ISO date (None stays None); anything else is an :class:`InputError` naming the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} {value!r} is not a date like 2025-04-01") from None
