"""Collapse a ranking so that a case note appears once, its matching lessons listed under it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..index.catalog import Catalog

SHOWN_LESSONS = 2  # lessons listed under a case before "show all N lessons"


@dataclass
class Group:
    """A ranked entry: its head row and score, the lesson rows under it, how many matched."""

    row: int
    score: float
    lessons: list[tuple[int, float]] = field(default_factory=list)
    lesson_count: int = 0


def group_count(catalog: Catalog, matched: np.ndarray) -> int:
    """How many entries the matched rows make once lessons are grouped under their notes."""
    if not len(matched):
        return 0
    return int(np.count_nonzero(np.bincount(catalog.note_of[matched])))


def page_of_groups(
    catalog: Catalog, rows: np.ndarray, scores: np.ndarray, matched: np.ndarray,
    allowed: np.ndarray, start: int, count: int, expand: str | None = None,
) -> list[Group]:
    """The groups ``start`` to ``start + count`` of the ranking (``rows`` with ``scores``).

    A note ranks once, at its best row; it heads its group when the viewer may see it and it
    passes the filters (else its best lesson does). Lessons of the note that ``matched`` (all
    matching rows) holds are counted; the first are listed, or all for the note ``expand``.
    """
    notes = catalog.note_of[rows]
    unique, first = np.unique(notes, return_index=True)
    order = np.argsort(first, kind="stable")[start: start + count]
    matched_notes = catalog.note_of[matched]
    groups = []
    for note, position in zip(unique[order], first[order], strict=True):
        members = np.flatnonzero(notes == note)
        own_case = note < len(catalog) and allowed[note]
        head = int(note) if own_case else int(rows[members[0]])
        lessons = [(int(rows[i]), float(scores[i])) for i in members
                   if catalog.is_lesson[rows[i]] and rows[i] != head]
        of_note = matched[(matched_notes == note) & catalog.is_lesson[matched]]
        total = int(np.count_nonzero(of_note != head))
        if expand is not None and catalog.docs[head].case_id == expand:
            listed = {row for row, _ in lessons}
            lessons += [(int(row), 0.0) for row in of_note if row != head and row not in listed]
        else:
            lessons = lessons[:SHOWN_LESSONS]
        groups.append(Group(head, float(scores[position]), lessons, max(total, len(lessons))))
    return groups
