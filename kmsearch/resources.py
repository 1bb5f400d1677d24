"""Files shipped inside the package, found through ``importlib.resources``: the page templates
and the default corpus (taxonomy and evaluation). A source checkout has them at its root."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

PACKAGE = Path(str(files("kmsearch")))


def templates_dir() -> Path:
    """The Jinja templates: ``kmsearch/templates`` in a wheel, ``templates/`` in a checkout."""
    return _shipped("templates")


def packaged_corpus() -> Path:
    """The corpus shipped with kmsearch: in a wheel, the taxonomy and the evaluation alone; in a
    checkout, the whole ``corpus/`` folder."""
    return _shipped("corpus")


def _shipped(name: str) -> Path:
    packaged = PACKAGE / name
    return packaged if packaged.is_dir() else PACKAGE.parent / name
