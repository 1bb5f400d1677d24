"""Read-only lookups several pages share, built on the Library (no SQL here)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ..access import Viewer
from ..library import Library, StoredCase
from ..records import Lesson

LINKS = ("nexus", "sdg", "recommendation", "division", "partnership_type")
# A practice is proven once its partnership ran: a proposal's hopes are not yet a good practice.
PROVEN_STATUSES = ("active", "completed")


def link_counts(cases: Iterable[StoredCase]) -> dict[str, Counter]:
    """How many of ``cases`` link to each nexus area, SDG, recommendation, division and
    partnership type."""
    counts: dict[str, Counter] = {link: Counter() for link in LINKS}
    for stored in cases:
        note = stored.note
        counts["nexus"].update(set(note.nexus_areas))
        counts["sdg"].update(set(note.sdgs))
        counts["recommendation"].update(set(note.recommendations))
        counts["division"][note.division] += 1
        counts["partnership_type"].update(set(note.partnership_types))
    return counts


def proven(cases: Iterable[StoredCase]) -> list[StoredCase]:
    """The notes of partnerships that are running or done, whose lessons come from results."""
    return [stored for stored in cases if stored.note.status in PROVEN_STATUSES]


def good_practices(cases: list[StoredCase]) -> list[tuple[Lesson, StoredCase]]:
    """Every good-practice lesson of the active and completed notes among ``cases``, most
    recently updated note first."""
    newest = sorted(proven(cases), key=lambda stored: stored.updated_at, reverse=True)
    return [
        (lesson, stored)
        for stored in newest
        for lesson in stored.note.lessons
        if lesson.kind == "good-practice"
    ]


def contact_for(library: Library, stored: StoredCase, viewer: Viewer) -> Contact:
    """Whom to ask about a note: the contact its file names (an extra ``contact`` field), else,
    for signed-in staff, its division's focal points (the division's contributors), else the
    colleague who wrote it on the web; anyone else is pointed to the division."""
    named = stored.note.extra.get("contact")
    if isinstance(named, str) and named.strip():
        return Contact(named.strip(), "named in the note")
    if not viewer.signed_in:
        return Contact("", "")
    focal = [user.username for user in library.accounts.users()
             if "contributor" in user.roles and stored.note.division in user.divisions
             and not user.disabled]
    if focal:
        return Contact(", ".join(focal), "the division's focal point" + "s" * (len(focal) > 1))
    if stored.origin == "web" and stored.author:
        return Contact(stored.author, "who wrote the note")
    return Contact("", "")


@dataclass(frozen=True)
class Contact:
    """A contact to show, and where it came from; empty when there is only the division."""

    name: str
    source: str
