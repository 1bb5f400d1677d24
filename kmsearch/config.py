"""Settings and paths: defaults, then ``KMSEARCH_*`` environment variables, then overrides."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Everything configurable; read from the environment only when ``from_env`` is called."""

    corpus_dir: Path = PROJECT_ROOT / "corpus"
    db_path: Path = PROJECT_ROOT / "instance" / "kmsearch.db"
    index_dir: Path = PROJECT_ROOT / "indexes"
    taxonomy_path: Path | None = None
    embedding_cache: Path | None = None  # default: <index_dir>/embedding-cache.sqlite
    default_evaluation: str = "private-sector-2021"
    rrf_k: int = 60
    embed_threads: int = 0  # 0: one per core, at most 4
    embed_batch_size: int = 32
    max_query_length: int = 1000
    max_per_page: int = 100
    attachments_path: Path | None = None  # default: <database folder>/attachments
    max_attachment_bytes: int = 20 * 1024 * 1024
    max_attachment_pages: int = 500  # pages (slides, sheets) beyond this are not searchable
    extract_seconds: int = 30  # time budget of one file's text extraction

    @property
    def embedding_cache_file(self) -> Path:
        return self.embedding_cache or self.index_dir / "embedding-cache.sqlite"

    @property
    def attachments_dir(self) -> Path:
        """Where attached files are kept: outside the database, beside it in the instance."""
        return self.attachments_path or self.db_path.parent / "attachments"

    @property
    def taxonomy_file(self) -> Path:
        return self.taxonomy_path or self.corpus_dir / "taxonomy.yaml"

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
        return replace(cls(), **values)


_PATHS = {"corpus_dir", "db_path", "index_dir", "taxonomy_path", "embedding_cache",
          "attachments_path"}
_INTS = {"rrf_k", "embed_threads", "embed_batch_size", "max_query_length", "max_per_page",
         "max_attachment_bytes", "max_attachment_pages", "extract_seconds"}


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
