"""What the proposal, screening and partner services need from the library facade that builds
them; they sit below it, so they name the parts they use instead of importing it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from ..access import Viewer
from ..config import Settings
from ..files.duediligence import Rules
from ..store.cases import Store, StoredCase
from ..taxonomy import Taxonomy

if TYPE_CHECKING:
    from .contributions import Contributions
    from .partners import Partners


class LibraryParts(Protocol):
    """The parts of ``kmsearch.library.Library`` these services use."""

    settings: Settings

    @property
    def store(self) -> Store: ...

    @property
    def taxonomy(self) -> Taxonomy: ...

    @property
    def contributions(self) -> Contributions: ...

    @property
    def due_diligence(self) -> Rules: ...

    @property
    def partners(self) -> Partners: ...

    def get_case(self, case_id: str, viewer: Viewer) -> StoredCase: ...

    def cases(self, viewer: Viewer) -> list[StoredCase]: ...

    def channel(self, text: str, viewer: Viewer) -> Any: ...
