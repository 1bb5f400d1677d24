"""The ``kmsearch`` command: argument parsing and output only; the work is done by library
functions. Each module adds the commands of one concern to the one group."""

from . import corpus, monitoring, people, searching  # noqa: F401 - each registers its commands
from .common import INTERNAL_EXIT, PROBLEMS_EXIT, cli, main

__all__ = ["INTERNAL_EXIT", "PROBLEMS_EXIT", "cli", "main"]
