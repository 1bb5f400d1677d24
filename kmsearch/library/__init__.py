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

from ..access import Viewer
from ..config import Settings
from ..files.duediligence import Rules, load_rules
from ..store.accounts import User, normal_username
from ..store.cases import ProgressNote, Revision, SaveResult, Store, StoredCase
from ..store.lockout import Lockout
from ..store.sessions import Session, Sessions
from ..taxonomy import Taxonomy, load_taxonomy
from .accounts import Accounts
from .documents import Documents
from .reading import Reading, RecommendationView
from .writing import IngestReport, Writing

if TYPE_CHECKING:
    from ..search.channelling import Channelling
    from ..search.service import SearchService
    from ..workflow.contributions import Contributions
    from ..workflow.monitoring.service import Monitoring
    from ..workflow.partners import Partners
    from ..workflow.proposals import Proposals
    from ..workflow.screening import CaseScreenings
    from .notifications import Notifications

__all__ = [
    "Accounts", "IngestReport", "Library", "ProgressNote", "RecommendationView", "Revision",
    "SaveResult", "Session", "StoredCase", "User", "normal_username",
]
T = TypeVar("T")


class Library(Reading, Writing, Documents):
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

    @property
    def sessions(self) -> Sessions:
        """Signed-in sessions, with the configured idle timeout and lifetime."""
        return self._once("sessions", lambda: Sessions(
            self.store, self.settings.session_idle_minutes, self.settings.session_max_hours))

    @property
    def lockout(self) -> Lockout:
        """The sign-in limiter: failures per username and address, with back-off."""
        return self._once("lockout", lambda: Lockout(self.store))

    @property
    def notifications(self) -> Notifications:
        """Each user's notifications, follows and digests, and the e-mail outbox."""
        return self._once("notifications", self._build_notifications)

    def _build_notifications(self) -> Notifications:
        from .notifications import Notifications

        return Notifications(self)

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

    # Partnership proposals, due-diligence screening and partner profiles (recommendations 7
    # and 5). The services check every permission; views and the CLI call them through here.

    @property
    def due_diligence(self) -> Rules:
        """The due-diligence rules of the corpus (``due-diligence.yaml``), validated on load."""
        return self._once("due_diligence",
                          lambda: load_rules(self.settings.corpus_dir / "due-diligence.yaml"))

    @property
    def proposals(self) -> Proposals:
        """The one-stop shop: intake, the proposer's status, the reviewers' workflow."""
        return self._once("proposals", self._build_proposals)

    @property
    def partners(self) -> Partners:
        """Partner profiles across divisions, and reviewers' merges and splits."""
        return self._once("partners", self._build_partners)

    @property
    def case_screenings(self) -> CaseScreenings:
        """Due-diligence screenings of case notes."""
        return self._once("case_screenings", self._build_case_screenings)

    def channel(self, text: str, viewer: Viewer) -> Channelling:
        """Where a proposal's text belongs: divisions and nexus areas with reasons, similar
        case notes and their lessons, from what this viewer may see."""
        from ..search.channelling import channel

        return channel(self.search, self.taxonomy, self.get_case, text, viewer)

    def _build_proposals(self) -> Proposals:
        from ..workflow.proposals import Proposals

        return Proposals(self)

    def _build_partners(self) -> Partners:
        from ..workflow.partners import Partners

        return Partners(self)

    def _build_case_screenings(self) -> CaseScreenings:
        from ..workflow.screening import CaseScreenings

        return CaseScreenings(self)

    def _built(self, name: str) -> bool:
        return name in self._parts

    def close(self) -> None:
        """Close the store's connections, if it was opened."""
        if self._built("store"):
            self.store.close()
