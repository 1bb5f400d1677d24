"""The front door: the one object the web pages, the JSON API and the CLI call to read and write.

``Library`` builds the parts of one instance (taxonomy, store, search service, contribution
service, accounts) once, on first use, even when several threads ask at the same moment. Its
reading methods apply visibility; its writing methods save to the store and then bring the
indexes up to date, so that no caller has to remember to.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ..config import Settings
from ..store.accounts import User, normal_username
from ..store.cases import ProgressNote, Revision, SaveResult, Store, StoredCase
from ..taxonomy import Taxonomy, load_taxonomy
from .accounts import Accounts
from .reading import Reading, RecommendationView
from .writing import IngestReport, Writing

if TYPE_CHECKING:
    from ..search.service import SearchService
    from ..workflow.contributions import Contributions
    from ..workflow.monitoring.service import Monitoring

__all__ = [
    "Accounts", "IngestReport", "Library", "ProgressNote", "RecommendationView", "Revision",
    "SaveResult", "StoredCase", "User", "normal_username",
]
T = TypeVar("T")


class Library(Reading, Writing):
    """Settings, taxonomy, store and services of one instance, each built once and shared."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.from_env()
        self._lock = threading.RLock()
        self._parts: dict[str, Any] = {}
        self._deferred = threading.local()

    def _once(self, name: str, build: Callable[[], T]) -> T:
        """The part called ``name``, built by the first caller while the others wait.

        ``functools.cached_property`` no longer locks (Python 3.12+): two first requests could
        each open a store and load a search service. The lock is taken only until it is built.
        """
        part = self._parts.get(name)
        if part is None:
            with self._lock:
                part = self._parts.get(name)
                if part is None:
                    part = self._parts[name] = build()
        return part

    @property
    def taxonomy(self) -> Taxonomy:
        return self._once("taxonomy", lambda: load_taxonomy(self.settings.taxonomy_file))

    @property
    def store(self) -> Store:
        """The system of record; the layers below the facade use it, views and commands don't."""
        return self._once("store", lambda: Store(self.settings.db_path))

    @property
    def search(self) -> SearchService:
        """Search, related notes and link suggestions (keeps the indexes up to date)."""
        return self._once("search", self._build_search)

    @property
    def contributions(self) -> Contributions:
        """Drafts, submission and review, with their permission checks; saves through here."""
        return self._once("contributions", self._build_contributions)

    @property
    def accounts(self) -> Accounts:
        """Sign-in accounts: add, change, disable, authenticate."""
        return self._once("accounts", lambda: Accounts(self.store, self.taxonomy))

    # --- Follow-up of recommendations and monitoring (issue 8) -------------------------------
    # Key actions, overdue flags, the dashboard's figures and the partnerships report live in
    # kmsearch/workflow/monitoring/; web, API and CLI reach them through this one accessor.

    @property
    def monitoring(self) -> Monitoring:
        """Key actions and progress (reviewers write), overdue, dashboard figures, reports."""
        return self._once("monitoring", self._build_monitoring)

    def _build_monitoring(self) -> Monitoring:
        from ..workflow.monitoring.service import Monitoring

        return Monitoring(self.store, self.taxonomy, self.settings, self.visible)

    # --- end of follow-up and monitoring ------------------------------------------------------

    def _build_search(self) -> SearchService:
        from ..search.service import SearchService  # loads numpy and the indexes' code

        return SearchService(self.store, self.taxonomy, self.settings)

    def _build_contributions(self) -> Contributions:
        from ..workflow.contributions import Contributions

        return Contributions(self.store, self.taxonomy, self.settings, cases=self)

    def _built(self, name: str) -> bool:
        return name in self._parts

    def close(self) -> None:
        """Close the store's connections, if it was opened."""
        if self._built("store"):
            self.store.close()
