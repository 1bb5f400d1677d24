"""Follow-up and monitoring as the web, the API and the CLI use them, through the Library:
key actions with their rules (reviewers and admins write), figures, lists and reports."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from ...access import Viewer
from ...errors import Forbidden, NotFound
from ...records import Evaluation, Recommendation
from ...store.actionfields import parse_action_fields, parse_update_fields
from ...store.facts import (
    NoteFacts,
    StepFacts,
    changed_since,
    published_note_facts,
    workflow_steps,
)
from ...store.followup import FollowUp, HistoryEntry, KeyAction, ProgressUpdate
from ..permissions import may_review
from .figures import (
    Figures,
    FollowUpRow,
    MonitoringFilters,
    compute_figures,
    followup_rows,
    keys_of,
    notes_for,
    read_filters,
    steps_for,
    visible_notes,
    visible_steps,
)

if TYPE_CHECKING:
    from ...config import Settings
    from ...store.cases import Store, StoredCase
    from ...taxonomy import Taxonomy

    Visible = Callable[[StoredCase | None, Viewer], bool]

FIGURES_KEPT = 64  # note figures kept per Library, for as many viewer kinds and filters
INCREMENTAL_LIMIT = 500  # more notes changed than this: read every note's facts again


@dataclass
class RecommendationFollowUp:
    """One recommendation's key actions, what is overdue and every change, for its page."""

    recommendation: Recommendation
    actions: list[KeyAction]
    overdue: set[int]
    history: list[HistoryEntry]
    evidence: dict[str, str]  # case id -> title, for the evidence notes this viewer may see
    today: date


class Monitoring:
    """The library's follow-up and monitoring service; made once per Library."""

    def __init__(self, store: Store, taxonomy: Taxonomy, settings: Settings, visible: Visible):
        self.store, self.taxonomy, self.settings = store, taxonomy, settings
        self.visible = visible  # the library's rule: published and visible to this viewer
        self.followup = FollowUp(store)
        self._lock = threading.Lock()
        self._cache: tuple[tuple, list[NoteFacts], list[StepFacts]] | None = None
        self._figures: OrderedDict[tuple, Figures] = OrderedDict()

    def today(self) -> date:
        """The date that decides what is overdue (``KMSEARCH_TODAY`` when set)."""
        return self.settings.today_date()

    # Reading the follow-up

    def recommendation_followup(self, rec_id: str, viewer: Viewer) -> RecommendationFollowUp:
        rec = self.store.get_recommendation(rec_id)
        if rec is None:
            raise NotFound(f"No recommendation with id {rec_id!r}.")
        actions, today = self.followup.actions(rec_id), self.today()
        cited = {u.evidence_case_id for a in actions for u in a.updates if u.evidence_case_id}
        evidence = {}
        for case_id in sorted(cited):
            stored = self.store.get_case(case_id)
            if self.visible(stored, viewer):
                evidence[case_id] = stored.note.title
        return RecommendationFollowUp(rec, actions, {a.id for a in actions if a.overdue(today)},
                                      self.followup.history(rec_id), evidence, today)

    def rows(self, evaluations: list[Evaluation] | None = None) -> dict[str, FollowUpRow]:
        """Every recommendation's actions and overdue actions, by recommendation id."""
        evaluations = self.store.list_evaluations() if evaluations is None else evaluations
        by_rec = self.followup.actions_by_recommendation()
        today = self.today()
        return {
            rec.id: FollowUpRow(rec, by_rec.get(rec.id, []),
                                [a for a in by_rec.get(rec.id, []) if a.overdue(today)])
            for ev in evaluations for rec in ev.recommendations
        }

    # Writing the follow-up (reviewers and admins)

    def add_action(self, viewer: Viewer, rec_id: str, raw: Mapping[str, Any]) -> KeyAction:
        """A new key action from a form or JSON; bad fields change nothing."""
        _require_reviewer(viewer)
        return self.followup.add_action(rec_id, parse_action_fields(raw), author=viewer.username)

    def edit_action(self, viewer: Viewer, rec_id: str, action_id: int, raw: Mapping[str, Any],
                    expected_version: int | None = None) -> KeyAction:
        """Change an action's text, unit, due date or status (closing it is a status)."""
        _require_reviewer(viewer)
        fields = parse_action_fields(raw, partial=True)
        return self.followup.edit_action(rec_id, action_id, fields, author=viewer.username,
                                         expected_version=expected_version)

    def add_update(self, viewer: Viewer, rec_id: str, action_id: int,
                   raw: Mapping[str, Any]) -> ProgressUpdate:
        """A dated progress update with optional evidence, on an action of ``rec_id``."""
        _require_reviewer(viewer)
        values = parse_update_fields(raw, self.today())
        return self.followup.add_update(rec_id, action_id, values, author=viewer.username)

    # The dashboard

    def warm(self) -> None:
        """Read every note's facts now (``kmsearch serve`` calls this at start), so that the
        first dashboard request only counts."""
        for note in self._all_facts()[1]:
            keys_of(note)

    def read_filters(self, args: Mapping[str, list[str]]) -> MonitoringFilters:
        evaluations = {ev.id for ev in self.store.list_evaluations()}
        return read_filters(args, self.taxonomy, evaluations)

    def figures(self, viewer: Viewer, filters: MonitoringFilters) -> Figures:
        """Every dashboard figure for this viewer: the dashboard, ``/api/v1/stats`` and the
        report all call this. The note figures are kept until a note changes (any new
        revision); the follow-up is read fresh each time."""
        _require_signed_in(viewer)
        today = self.today()
        key = (self._all_facts()[0], _viewer_key(viewer), filters, today)
        with self._lock:
            base = self._figures.get(key)
        if base is None:
            notes, steps = self._facts(viewer, filters)
            base = compute_figures(notes, steps, [], self.taxonomy, filters, today)
            with self._lock:
                self._figures[key] = base
                while len(self._figures) > FIGURES_KEPT:
                    self._figures.popitem(last=False)
        rows = [(r.recommendation, r.actions) for r in self.rows().values()]
        return replace(base, followup=followup_rows(rows, filters, today))

    def notes(self, viewer: Viewer, filters: MonitoringFilters, figure: str,
              value: str) -> list[NoteFacts]:
        """The notes behind one figure, for the list a figure links to."""
        _require_signed_in(viewer)
        notes, _ = self._facts(viewer, filters, steps=False)
        return sorted(notes_for(notes, figure, value), key=lambda n: n.title.casefold())

    def steps(self, viewer: Viewer, filters: MonitoringFilters, step: str, division: str,
              month: str) -> list[StepFacts]:
        """The workflow steps behind one cell of the contribution activity table."""
        _require_signed_in(viewer)
        _, steps = self._facts(viewer, filters, notes=False)
        return steps_for(steps, step, division, month)

    def report(self, viewer: Viewer, filters: MonitoringFilters, fmt: str) -> bytes:
        """The partnerships report by subprogramme in ``fmt`` (docx, html, md or xlsx)."""
        from .report import build_report, render_report

        figures = self.figures(viewer, filters)
        notes, _ = self._facts(viewer, filters, steps=False)
        data = build_report(self.store, self.taxonomy, figures, notes, viewer)
        return render_report(data, fmt)

    def _facts(self, viewer: Viewer, filters: MonitoringFilters, *, notes: bool = True,
               steps: bool = True) -> tuple[list[NoteFacts], list[StepFacts]]:
        _, all_notes, all_steps = self._all_facts()
        found = visible_notes(all_notes, viewer, filters, self.today()) if notes else []
        moved = visible_steps(all_steps, viewer, filters) if steps else []
        return found, moved

    def _all_facts(self) -> tuple[tuple, list[NoteFacts], list[StepFacts]]:
        """Every published note's facts and every workflow step. Every change to a note adds
        a revision, so the newest revision id and the count tell whether anything changed
        (also by another process); then only the changed notes are read again."""
        db = self.store.db
        version = tuple(db.execute("SELECT max(id), count(*) FROM revisions").fetchone())
        cached = self._cache
        if cached is not None and cached[0] == version:
            return cached
        changed = None
        if cached is not None and cached[0][0] is not None and version[0] is not None:
            changed = changed_since(db, cached[0][0])
            new_revisions = version[1] - cached[0][1]
            if len(changed) > INCREMENTAL_LIMIT or new_revisions <= 0:
                changed = None
        if changed is None:
            cached = (version, published_note_facts(db), workflow_steps(db))
        else:
            gone = set(changed)
            notes = [n for n in cached[1] if n.id not in gone]
            notes += published_note_facts(db, changed)
            steps = [s for s in cached[2] if s.case_id not in gone]
            steps = sorted(steps + workflow_steps(db, changed), key=lambda s: (s.at, s.case_id))
            cached = (version, notes, steps)
        self._cache = cached
        return cached


def _viewer_key(viewer: Viewer) -> tuple:
    """What decides which notes a viewer may see (not who they are)."""
    return (viewer.signed_in, viewer.sees_all_restricted,
            frozenset(viewer.divisions) if "contributor" in viewer.roles else frozenset())


def _require_reviewer(viewer: Viewer) -> None:
    if not may_review(viewer):
        raise Forbidden("Only reviewers and admins of the Programme Management Unit change "
                        "key actions and record progress.")


def _require_signed_in(viewer: Viewer) -> None:
    if not viewer.signed_in:
        raise Forbidden("The monitoring dashboard is for signed-in staff; sign in first.")
