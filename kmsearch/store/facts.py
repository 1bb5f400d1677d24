"""Flat facts for monitoring: every published note's classifying fields and every workflow step,
read in a handful of queries so that a dashboard over 10,000 notes stays fast."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlite_utils import Database


@dataclass
class NoteFacts:
    """What the dashboard counts about one published note."""

    id: str
    title: str
    division: str
    visibility: str
    start_year: int | None
    end_year: int | None
    status: str
    good_practice: bool
    nexus_areas: list[str] = field(default_factory=list)
    sdgs: list[int] = field(default_factory=list)
    partnership_types: list[str] = field(default_factory=list)
    partners: list[tuple[str, str]] = field(default_factory=list)  # (name, type)
    recommendations: list[str] = field(default_factory=list)
    # what the note counts under in each dashboard figure, filled once by the figures' code
    keys: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def partner_types(self) -> list[str]:
        return list(dict.fromkeys(kind for _, kind in self.partners))

    def years(self, this_year: int) -> range:
        """Every year the partnership ran: an active one without an end year runs to
        ``this_year``; any other without an end year ran in its start year only."""
        if self.start_year is None:
            return range(0)
        end = self.end_year
        if end is None:
            end = this_year if self.status == "active" else self.start_year
        return range(self.start_year, max(end, self.start_year) + 1)


@dataclass
class StepFacts:
    """One workflow step of a note: it reached ``state`` from ``before`` at ``at``."""

    case_id: str
    division: str
    visibility: str
    current_state: str
    before: str | None
    state: str
    at: str
    author: str


# Child tables are read whole (a plain scan is cheaper than joining on the state) and rows of
# unpublished notes skipped.
_CHILDREN = {
    "nexus_areas": "SELECT case_id, nexus_area FROM case_nexus",
    "sdgs": "SELECT case_id, sdg FROM case_sdgs",
    "partnership_types": "SELECT case_id, partnership_type FROM case_partnership_types",
    "recommendations": "SELECT case_id, recommendation_id FROM case_recommendations",
}


def published_note_facts(db: Database, only: list[str] | None = None) -> list[NoteFacts]:
    """Every published note's facts (or those of the notes ``only`` names), whatever their
    visibility: callers filter. The columns come from the covering index ``cases_facts``, so
    the notes' large text columns are never read."""
    where, params = _only("id", only)
    sql = ("SELECT id, title, division, visibility, start_year, end_year, status, good_practice "
           f"FROM cases INDEXED BY cases_facts WHERE state = 'published' {where} ORDER BY id")
    notes = {
        row[0]: NoteFacts(row[0], row[1], row[2] or "", row[3] or "internal", row[4], row[5],
                          row[6] or "", bool(row[7]))
        for row in db.execute(sql, params)
    }
    where, params = _only("case_id", only, first=True)
    for attribute, select in _CHILDREN.items():
        lists = {case_id: getattr(note, attribute) for case_id, note in notes.items()}
        for case_id, value in db.execute(f"{select} {where}", params):
            found = lists.get(case_id)
            if found is not None:
                found.append(value)
    partners = {case_id: note.partners for case_id, note in notes.items()}
    sql = f"SELECT case_id, name, type FROM partners {where} ORDER BY case_id, position"
    for case_id, name, kind in db.execute(sql, params):
        found = partners.get(case_id)
        if found is not None:
            found.append((name or "", kind or ""))
    return list(notes.values())


def workflow_steps(db: Database, only: list[str] | None = None) -> list[StepFacts]:
    """Every revision that moved a note (of those ``only`` names) to another workflow state,
    oldest first."""
    where, params = _only("case_id", only)
    sql = f"""
        SELECT r.case_id, cases.division, cases.visibility, cases.state, r.before, r.state,
               r.created_at, r.author
        FROM (SELECT case_id, state, created_at, author, number,
                     LAG(state) OVER (PARTITION BY case_id ORDER BY number) AS before
              FROM revisions
              -- a note created published and never changed (a corpus file) has no step
              WHERE case_id IN (SELECT case_id FROM revisions
                                WHERE (number > 1 OR state != 'published') {where})) AS r
        JOIN cases ON cases.id = r.case_id
        WHERE r.before IS NULL OR r.before != r.state
        ORDER BY r.created_at, r.case_id, r.number
    """
    return [StepFacts(*row) for row in db.execute(sql, params)]


def changed_since(db: Database, revision_id: int) -> list[str]:
    """The notes that have a revision newer than ``revision_id``."""
    sql = "SELECT DISTINCT case_id FROM revisions WHERE id > ?"
    return [row[0] for row in db.execute(sql, [revision_id])]


def _only(column: str, ids: list[str] | None, first: bool = False) -> tuple[str, list[str]]:
    if ids is None:
        return "", []
    clause = f"{column} IN ({', '.join('?' * len(ids))})" if ids else "0"
    return (f"WHERE {clause}" if first else f"AND {clause}"), list(ids)


def lessons_of(db: Database, case_ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    """(kind, text) of the lessons of some notes, in their order."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for start in range(0, len(case_ids), 500):
        chunk = case_ids[start:start + 500]
        sql = (f"SELECT case_id, kind, text FROM lessons WHERE case_id IN "
               f"({', '.join('?' * len(chunk))}) ORDER BY case_id, position")
        for case_id, kind, text in db.execute(sql, chunk):
            found[case_id].append((kind, text))
    return found
