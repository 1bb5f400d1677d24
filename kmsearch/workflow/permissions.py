"""Who may do what with a case note in the contribution workflow: the rules the service
enforces and the pages use to decide which buttons to show."""

from __future__ import annotations

from ..access import Viewer, can_see
from ..store.cases import StoredCase

CONTRIBUTING_ROLES = frozenset({"contributor", "reviewer", "admin"})
REVIEWING_ROLES = frozenset({"reviewer", "admin"})


def may_contribute(viewer: Viewer) -> bool:
    return viewer.signed_in and bool(viewer.roles & CONTRIBUTING_ROLES)


def may_review(viewer: Viewer) -> bool:
    return viewer.signed_in and bool(viewer.roles & REVIEWING_ROLES)


def may_edit_division(viewer: Viewer, division: str) -> bool:
    """Reviewers and admins edit every division; contributors their own divisions only."""
    return may_review(viewer) or (
        viewer.signed_in and "contributor" in viewer.roles and division in viewer.divisions
    )


def may_view(viewer: Viewer, stored: StoredCase) -> bool:
    """Published notes by their visibility; other states to the author, the division's
    contributors, reviewers and admins."""
    note = stored.note
    if stored.state == "published":
        return can_see(viewer, note.visibility, note.division)
    return is_author(viewer, stored) or may_edit_division(viewer, note.division)


def may_see_history(viewer: Viewer, stored: StoredCase) -> bool:
    """Who changed a note, and how, is for those who may edit it and for its author."""
    return may_view(viewer, stored) and (
        is_author(viewer, stored) or may_edit_division(viewer, stored.note.division)
    )


def is_author(viewer: Viewer, stored: StoredCase) -> bool:
    return viewer.signed_in and stored.author == viewer.username


def may_see_proposal(viewer: Viewer, division: str) -> bool:
    """Proposals and their screenings: reviewers, admins, and the focal points (contributors)
    of the division a proposal is assigned to."""
    return may_review(viewer) or bool(
        division and viewer.signed_in and "contributor" in viewer.roles
        and division in viewer.divisions
    )


def may_see_case_screening(viewer: Viewer, division: str) -> bool:
    """A case note's screenings: reviewers, admins and the focal points of its division."""
    return may_edit_division(viewer, division)
