"""Settings and paths: defaults, then ``KMSEARCH_*`` environment variables, then overrides.

Paths that kmsearch writes (database, secret key, indexes) come from the working directory,
the environment or an explicit instance folder, never from where the package is installed.
The shipped taxonomy and evaluation are read from the package when no corpus folder is found.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .resources import packaged_corpus

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # a source checkout's root


@dataclass(frozen=True)
class Settings:
    """Everything configurable; read from the environment only when ``from_env`` is called.

    Unset paths are filled in when the settings are made: ``instance_dir`` is ``./instance``;
    the database is ``<instance_dir>/kmsearch.db``; the indexes are ``./indexes`` (or
    ``<instance_dir>/indexes`` when the instance folder was given); the corpus is ``./corpus``
    when it exists, else the taxonomy and evaluation shipped in the package.
    """

    instance_dir: Path | None = None  # database, secret key and kmsearch.cfg
    corpus_dir: Path | None = None
    db_path: Path | None = None
    index_dir: Path | None = None
    taxonomy_path: Path | None = None
    embedding_cache: Path | None = None  # default: <index_dir>/embedding-cache.sqlite
    default_evaluation: str = "private-sector-2021"
    rrf_k: int = 60
    embed_threads: int = 0  # 0: one per core, at most 4
    embed_batch_size: int = 32
    max_query_length: int = 1000
    max_per_page: int = 100

    def __post_init__(self) -> None:
        here = Path.cwd()
        instance = self.instance_dir or here / "instance"
        defaults = {
            "instance_dir": instance,
            "db_path": instance / "kmsearch.db",
            "index_dir": (instance if self.instance_dir else here) / "indexes",
            "corpus_dir": here / "corpus" if (here / "corpus").is_dir() else packaged_corpus(),
        }
        for name, value in defaults.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)
        for name in _PATHS:  # relative to the folder kmsearch started in, once and for all
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, Path(value).expanduser().absolute())

    @property
    def embedding_cache_file(self) -> Path:
        return self.embedding_cache or self.index_dir / "embedding-cache.sqlite"

    @property
    def taxonomy_file(self) -> Path:
        """The taxonomy given, else the corpus folder's, else the one shipped in the package."""
        if self.taxonomy_path:
            return self.taxonomy_path
        own = self.corpus_dir / "taxonomy.yaml"
        return own if own.exists() else packaged_corpus() / "taxonomy.yaml"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, replaced by ``KMSEARCH_<FIELD>`` variables, replaced by non-None overrides."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(f"KMSEARCH_{f.name.upper()}")
            if f.name == "db_path" and raw is None:
                raw = environ.get("KMSEARCH_DB")
            if raw is not None and raw != "":
                values[f.name] = _convert(f.name, raw)
        values.update({k: _convert(k, v) for k, v in overrides.items() if v is not None})
        return cls(**values)


_PATHS = {"instance_dir", "corpus_dir", "db_path", "index_dir", "taxonomy_path",
          "embedding_cache"}
_INTS = {"rrf_k", "embed_threads", "embed_batch_size", "max_query_length", "max_per_page"}


def _convert(name: str, value: Any) -> Any:
    if name in _PATHS:
        return Path(value).expanduser()
    if name in _INTS:
        try:
            return int(value)
        except ValueError as exc:
            message = f"KMSEARCH_{name.upper()} must be a whole number, not {value!r}"
            raise ValueError(message) from exc
    return value
