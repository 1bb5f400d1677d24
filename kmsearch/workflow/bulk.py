"""Many notes at once: reviewers publish or return a selection or a whole import, contributors
submit every draft of an upload; each note is checked as if handled alone, then search catches
up in one pass."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..access import Viewer
from ..errors import Forbidden, KmsearchError, Problem
from .contributions import Contributions
from .permissions import may_review

ACTIONS = ("publish", "return", "submit", "publish-import")


class Moves(Protocol):
    """The workflow's moves, as the Library names them."""

    def publish(self, viewer: Viewer, case_id: str, comment: str = "") -> Any: ...
    def return_to_author(self, viewer: Viewer, case_id: str, comment: str) -> Any: ...
    def submit(self, viewer: Viewer, case_id: str, expected_revision: int | None = None,
               comment: str = "") -> Any: ...
    def publish_import(self, viewer: Viewer, case_id: str, comment: str = "") -> Any: ...


@dataclass
class BulkReport:
    """Which notes moved, and why the others did not."""

    action: str
    done: list[str] = field(default_factory=list)
    refused: list[Problem] = field(default_factory=list)


def apply(
    service: Moves,
    viewer: Viewer,
    action: str,
    case_ids: Iterable[str],
    comment: str = "",
    progress: Callable[[int, int], None] | None = None,
    deferred: AbstractContextManager | None = None,
) -> BulkReport:
    """``publish``, ``return`` (with a comment) or ``submit`` each note; one refusal never stops
    the others. Within ``deferred`` (the library's deferred indexing), search catches up once,
    at the end, instead of once per note."""
    if action not in ACTIONS:
        raise ValueError(f"unknown bulk action {action!r}")
    step = {"publish": service.publish, "return": service.return_to_author,
            "submit": service.submit, "publish-import": service.publish_import}[action]
    ids = list(dict.fromkeys(case_ids))
    report = BulkReport(action)
    with deferred or nullcontext():
        for number, case_id in enumerate(ids, 1):
            try:
                step(viewer, case_id, comment=comment)
            except KmsearchError as error:
                report.refused.append(Problem(case_id, "", str(error)))
            else:
                report.done.append(case_id)
            if progress:
                progress(number, len(ids))
    return report


def waiting_from(service: Contributions, viewer: Viewer, source: str) -> list[str]:
    """The notes of one source (an import, a corpus folder) still waiting to be published."""
    if not may_review(viewer):
        raise Forbidden("Only reviewers and admins act on a whole source.")
    return service.store.case_ids(source=source, states=("draft", "submitted"))


def sources_waiting(service: Contributions, viewer: Viewer) -> list[tuple[str, int]]:
    """Imports and folders with notes not yet published, and how many, for reviewers."""
    if not may_review(viewer):
        return []
    sql = ("SELECT source, count(*) FROM cases WHERE state IN ('draft', 'submitted') AND "
           "origin != 'web' GROUP BY source ORDER BY 2 DESC, 1")
    return [(row[0], row[1]) for row in service.store.db.execute(sql)]
