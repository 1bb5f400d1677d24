"""Settings and paths: defaults, then ``KMSEARCH_*`` environment variables, then overrides.

Paths that kmsearch writes (database, secret key, indexes) come from the working directory,
the environment or an explicit instance folder, never from where the package is installed.
The shipped taxonomy and evaluation are read from the package when no corpus folder is found.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from datetime import date
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
    # hybrid fusion (kmsearch/search/fusion.py): method, the semantic arm's weight, RRF's k;
    # tuned on SciFact's training split, see the README's retrieval evaluation
    fusion: str = "zscore"  # scifact-train: zscore 0.739, convex 0.740, rrf 0.721 (k 60)
    fusion_semantic_weight: float = 0.5
    rrf_k: int = 60
    # "openvino": the model exported to int8 OpenVINO at first use, 3x PyTorch's throughput with
    # a SciFact nDCG@10 within 0.005 of it (README "Embedding speed"); "torch": on PyTorch
    embed_backend: str = "openvino"
    model_cache: Path | None = None  # the export's folder; default: ~/.cache/kmsearch/models
    embed_threads: int = 0  # 0: one per core, at most 4
    embed_batch_size: int = 32
    max_query_length: int = 20_000  # longer text is cut to this many characters, with a note
    max_per_page: int = 100
    session_idle_minutes: int = 120  # a signed-in session unused this long ends
    session_max_hours: int = 12  # and every session ends this long after signing in
    today: date | None = None  # None: the real date; fixed for tests and screenshots

    def today_date(self) -> date:
        """The date that decides what is overdue: ``KMSEARCH_TODAY`` if set, else today."""
        return self.today or date.today()
    attachments_path: Path | None = None  # default: <database folder>/attachments
    max_attachment_bytes: int = 20 * 1024 * 1024
    max_attachment_pages: int = 500  # pages (slides, sheets) beyond this are not searchable
    extract_seconds: int = 30  # time budget of one file's text extraction
    # E-mail of notifications (README "Notifications"): off while smtp_host is empty
    smtp_host: str = ""
    smtp_port: int = 0  # 0: 25 for none, 587 for starttls, 465 for ssl
    smtp_tls: str = "starttls"  # "none", "starttls" or "ssl"
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_sender: str = "kmsearch@localhost"
    base_url: str = "http://127.0.0.1:5000"  # where links in e-mails point

    @property
    def email_on(self) -> bool:
        """Whether notifications are also sent by e-mail (an SMTP host is set)."""
        return bool(self.smtp_host)

    @property
    def smtp_port_number(self) -> int:
        return self.smtp_port or {"none": 25, "ssl": 465}.get(self.smtp_tls, 587)
    four_eyes: bool = False  # nobody publishes a change they made themselves

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
    def model_cache_dir(self) -> Path:
        """Where the int8 export of the model is kept: one for every index of this user."""
        if self.model_cache:
            return self.model_cache
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        return Path(base) / "kmsearch" / "models"

    @property
    def attachments_dir(self) -> Path:
        """Where attached files are kept: outside the database, beside it in the instance."""
        return self.attachments_path or self.db_path.parent / "attachments"

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
          "embedding_cache", "attachments_path", "model_cache"}
_FLOATS = {"fusion_semantic_weight"}
_CHOICES = {"fusion": ("rrf", "convex", "zscore"), "embed_backend": ("openvino", "torch"),
            "smtp_tls": ("none", "starttls", "ssl")}
_BOOLS = {"four_eyes"}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
_INTS = {"rrf_k", "embed_threads", "embed_batch_size", "max_query_length", "max_per_page",
         "session_idle_minutes", "session_max_hours", "max_attachment_bytes",
         "max_attachment_pages", "extract_seconds", "smtp_port"}


def _convert(name: str, value: Any) -> Any:
    if name in _PATHS:
        return Path(value).expanduser()
    if name in _CHOICES:
        if value not in _CHOICES[name]:
            message = (f"KMSEARCH_{name.upper()} must be one of {', '.join(_CHOICES[name])}, "
                       f"not {value!r}")
            raise ValueError(message)
        return value
    if name in _FLOATS:
        try:
            number = float(value)
        except ValueError as exc:
            raise ValueError(f"KMSEARCH_{name.upper()} must be a number, not {value!r}") from exc
        if not 0.0 <= number <= 1.0:
            raise ValueError(f"KMSEARCH_{name.upper()} must be from 0 to 1, not {value!r}")
        return number
    if name == "today":
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError as exc:
            message = f"KMSEARCH_TODAY must be a date such as 2026-11-30, not {value!r}"
            raise ValueError(message) from exc
    if name in _BOOLS:
        if isinstance(value, bool):
            return value
        if str(value).strip().lower() not in (*_TRUE, *_FALSE):
            message = f"KMSEARCH_{name.upper()} must be on or off (1/0, true/false), not {value!r}"
            raise ValueError(message)
        return str(value).strip().lower() in _TRUE
    if name in _INTS:
        try:
            number = int(value)
        except ValueError as exc:
            message = f"KMSEARCH_{name.upper()} must be a whole number, not {value!r}"
            raise ValueError(message) from exc
        if name == "smtp_port" and not 0 <= number <= 65535:
            raise ValueError(f"KMSEARCH_SMTP_PORT must be from 0 (the default for "
                             f"KMSEARCH_SMTP_TLS) to 65535, not {value!r}")
        return number
    return value
