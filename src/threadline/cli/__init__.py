"""The ``threadline`` command: a thin layer over the Python API (one module per command group)."""

from threadline.cli.app import app, main

__all__ = ["app", "main"]
