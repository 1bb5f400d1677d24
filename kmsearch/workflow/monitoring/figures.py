"""The monitoring figures: one function computes them for the dashboard, the API and the report.

Every figure counts published notes the viewer may see, within the filters; the notes behind any
bar are listed by ``notes_for`` with the same rule, so a figure and its list always agree.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain
from typing import Any

from ...access import Viewer, can_see
from ...errors import Problem, ValidationError
from ...filters import YEAR_RANGE
from ...limits import YEAR_DIGITS
from ...records import ACTION_STATUSES, IMPLEMENTATION_STATUSES, STATUSES, Recommendation
from ...store.facts import NoteFacts, StepFacts
from ...store.followup import KeyAction
from ...taxonomy import Taxonomy

CHARTS = {  # name -> (title, taxonomy vocabulary or None)
    "division": ("Partnerships by division (subprogramme)", "divisions"),
    "nexus": ("By nexus area", "nexus_areas"),
    "sdg": ("By SDG", "sdgs"),
    "partnership_type": ("By partnership type", "partnership_types"),
    "partner_type": ("By partner type", "partner_types"),
    "status": ("By status", None),
    "start_year": ("By year started", None),
}
_KEYS: dict[str, Callable[[NoteFacts], list[str]]] = {
    "all": lambda n: ["all"],
    "division": lambda n: [n.division],
    "nexus": lambda n: list(dict.fromkeys(n.nexus_areas)),
    "sdg": lambda n: [str(s) for s in dict.fromkeys(n.sdgs)],
    "partnership_type": lambda n: list(dict.fromkeys(n.partnership_types)),
    "partner_type": lambda n: n.partner_types,
    "status": lambda n: [n.status],
    "start_year": lambda n: [str(n.start_year)] if n.start_year else [],
    "cross_sectoral": lambda n: ["yes"] if len(set(n.nexus_areas)) > 1 else [],
    "good_practice": lambda n: ["yes"] if n.good_practice else [],
}
FIGURES = tuple(_KEYS)
STEPS = {"submitted": "Submitted", "published": "Published", "returned": "Returned"}


@dataclass(frozen=True)
class MonitoringFilters:
    """Division(s), a range of years the partnerships ran in, and one evaluation's follow-up."""

    divisions: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    evaluation: str = ""

    def params(self) -> dict[str, list[str]]:
        """URL parameters that give these filters back."""
        found = {"division": list(self.divisions),
                 "year_from": [str(self.year_from)] if self.year_from is not None else [],
                 "year_to": [str(self.year_to)] if self.year_to is not None else [],
                 "evaluation": [self.evaluation] if self.evaluation else []}
        return {key: value for key, value in found.items() if value}

    def period(self) -> str:
        """The years covered, in words: "2025", "2019-2023", "from 2020", "all years"."""
        low, high = self.year_from, self.year_to
        if low is None and high is None:
            return "all years"
        if low == high:
            return str(low)
        if low is None:
            return f"until {high}"
        return f"from {low}" if high is None else f"{low}\u2013{high}"

    def note_in_scope(self, note: NoteFacts, this_year: int) -> bool:
        if self.divisions and note.division not in self.divisions:
            return False
        if self.year_from is None and self.year_to is None:
            return True
        low = YEAR_RANGE[0] if self.year_from is None else self.year_from
        high = YEAR_RANGE[1] if self.year_to is None else self.year_to
        return any(low <= year <= high for year in note.years(this_year))

    def step_in_scope(self, step: StepFacts) -> bool:
        if self.divisions and step.division not in self.divisions:
            return False
        year = int(step.at[:4])
        return ((self.year_from is None or year >= self.year_from)
                and (self.year_to is None or year <= self.year_to))


def read_filters(args: Mapping[str, list[str]], taxonomy: Taxonomy,
                 evaluations: set[str]) -> MonitoringFilters:
    """Filters from URL parameters or CLI options (lists of strings); every problem at once."""
    problems: list[Problem] = []
    divisions = []
    for raw in args.get("division", []):
        if not raw.strip():
            continue
        term = taxonomy.divisions.resolve(raw)
        if term is None:
            choices = ", ".join(taxonomy.divisions.codes())
            problems.append(Problem("query", "division",
                                    f"expected one of {choices}; found {raw[:40]!r}"))
        else:
            divisions.append(term.code)
    years = {name: _year(args.get(name, []), name, problems) for name in ("year_from", "year_to")}
    if None not in years.values() and years["year_from"] > years["year_to"]:
        problems.append(Problem("query", "year_to", f"must not be before year_from "
                                f"({years['year_from']}); found {years['year_to']}"))
    evaluation = next((v.strip() for v in args.get("evaluation", []) if v.strip()), "")
    if evaluation and evaluation not in evaluations:
        problems.append(Problem("query", "evaluation", f"expected one of "
                                f"{', '.join(sorted(evaluations))}; found {evaluation[:60]!r}"))
    if problems:
        raise ValidationError(problems)
    return MonitoringFilters(tuple(dict.fromkeys(divisions)), years["year_from"],
                             years["year_to"], evaluation)


@dataclass
class Bar:
    key: str
    label: str
    count: int


@dataclass
class Chart:
    name: str
    title: str
    bars: list[Bar]

    @property
    def largest(self) -> int:
        return max((bar.count for bar in self.bars), default=0)


@dataclass
class FollowUpRow:
    """A recommendation's follow-up: its actions, those overdue, its derived status."""

    recommendation: Recommendation
    actions: list[KeyAction]
    overdue: list[KeyAction]

    @property
    def status(self) -> str:
        return self.recommendation.status


@dataclass
class ActivityRow:
    division: str
    month: str  # YYYY-MM
    submitted: int = 0
    published: int = 0
    returned: int = 0


@dataclass
class Figures:
    """Everything the dashboard shows, for one viewer and one set of filters."""

    filters: MonitoringFilters
    today: date
    notes: int
    charts: dict[str, Chart]
    cross_sectoral: int
    good_practice: int
    sdg5: int
    followup: list[FollowUpRow]
    activity: list[ActivityRow]
    turnaround_days: list[float] = field(default_factory=list)

    @property
    def good_practice_share(self) -> float:
        return self.good_practice / self.notes if self.notes else 0.0

    @property
    def recommendation_statuses(self) -> dict[str, int]:
        counts = Counter(row.status for row in self.followup)
        return {status: counts[status] for status in IMPLEMENTATION_STATUSES}

    @property
    def action_statuses(self) -> dict[str, int]:
        counts = Counter(a.status for row in self.followup for a in row.actions)
        return {status: counts[status] for status in ACTION_STATUSES}

    @property
    def overdue_actions(self) -> int:
        return sum(len(row.overdue) for row in self.followup)

    @property
    def overdue_recommendations(self) -> int:
        return sum(1 for row in self.followup if row.overdue)

    @property
    def activity_totals(self) -> dict[str, int]:
        return {step: sum(getattr(row, step) for row in self.activity) for step in STEPS}

    @property
    def turnaround_median(self) -> float | None:
        return statistics.median(self.turnaround_days) if self.turnaround_days else None

    def to_json(self) -> dict[str, Any]:
        """The figures as the API gives them."""
        return {
            "filters": self.filters.params(), "today": self.today.isoformat(),
            "notes": self.notes,
            "charts": {name: [{"key": b.key, "label": b.label, "count": b.count}
                              for b in chart.bars] for name, chart in self.charts.items()},
            "cross_sectoral": self.cross_sectoral, "good_practice": self.good_practice,
            "good_practice_share": round(self.good_practice_share, 4), "sdg5": self.sdg5,
            "follow_up": {
                "recommendations": self.recommendation_statuses,
                "actions": self.action_statuses,
                "overdue_actions": self.overdue_actions,
                "overdue_recommendations": self.overdue_recommendations,
                "rows": [{"id": row.recommendation.id, "number": row.recommendation.number,
                          "status": row.status, "actions": len(row.actions),
                          "overdue_actions": len(row.overdue)} for row in self.followup],
            },
            "activity": {"totals": self.activity_totals,
                         "rows": [vars(row) for row in self.activity]},
            "review_turnaround": {"published": len(self.turnaround_days),
                                  "median_days": self.turnaround_median},
        }


def visible_notes(notes: list[NoteFacts], viewer: Viewer, filters: MonitoringFilters,
                  today: date) -> list[NoteFacts]:
    """The published notes this viewer may see, within the filters (active partnerships
    without an end year count as running until ``today``)."""
    return [n for n in notes if can_see(viewer, n.visibility, n.division)
            and filters.note_in_scope(n, today.year)]


def visible_steps(steps: list[StepFacts], viewer: Viewer,
                  filters: MonitoringFilters) -> list[StepFacts]:
    """Workflow steps of notes this viewer may see: all for reviewers and admins; for others,
    steps of notes that are published now and visible to them."""
    return [s for s in steps if filters.step_in_scope(s) and (
        viewer.sees_all_restricted
        or (s.current_state == "published" and can_see(viewer, s.visibility, s.division)))]


def compute_figures(notes: list[NoteFacts], steps: list[StepFacts],
                    followup: list[tuple[Recommendation, list[KeyAction]]],
                    taxonomy: Taxonomy, filters: MonitoringFilters, today: date) -> Figures:
    """Every dashboard figure from notes and steps already cut to the viewer and the filters."""
    charts = {name: Chart(name, title, _bars(notes, name, vocabulary, taxonomy))
              for name, (title, vocabulary) in CHARTS.items()}
    rows = followup_rows(followup, filters, today)
    activity, turnaround = _activity(steps)
    return Figures(
        filters=filters, today=today, notes=len(notes), charts=charts,
        cross_sectoral=sum(1 for n in notes if keys_of(n)["cross_sectoral"]),
        good_practice=sum(1 for n in notes if n.good_practice),
        sdg5=sum(1 for n in notes if 5 in n.sdgs), followup=rows, activity=activity,
        turnaround_days=turnaround,
    )


def followup_rows(followup: list[tuple[Recommendation, list[KeyAction]]],
                  filters: MonitoringFilters, today: date) -> list[FollowUpRow]:
    """Each recommendation of the chosen evaluation with its actions and those overdue."""
    return [FollowUpRow(rec, actions, [a for a in actions if a.overdue(today)])
            for rec, actions in followup
            if not filters.evaluation or rec.evaluation_id == filters.evaluation]


def notes_for(notes: list[NoteFacts], figure: str, value: str) -> list[NoteFacts]:
    """The notes counted under one bar of one figure (``value`` "all"/"yes" for totals)."""
    if figure not in _KEYS:
        raise ValidationError([Problem("query", "figure", f"expected one of "
                                       f"{', '.join(FIGURES)}; found {figure[:40]!r}")])
    return [n for n in notes if value in keys_of(n)[figure]]


def steps_for(steps: list[StepFacts], step: str, division: str, month: str) -> list[StepFacts]:
    """The workflow steps counted in one cell of the activity table."""
    if step not in STEPS:
        raise ValidationError([Problem("query", "step", f"expected one of {', '.join(STEPS)}; "
                                       f"found {step[:40]!r}")])
    return [s for s in steps if _step_kind(s) == step and (not division or s.division == division)
            and (not month or s.at[:7] == month)]


def keys_of(note: NoteFacts) -> dict[str, list[str]]:
    """What ``note`` counts under in every figure, worked out once per note and kept with it
    (the facts are cached between requests)."""
    if not note.keys:
        note.keys.update({name: keys(note) for name, keys in _KEYS.items()})
    return note.keys


def _bars(notes: list[NoteFacts], name: str, vocabulary: str | None,
          taxonomy: Taxonomy) -> list[Bar]:
    counts = Counter(chain.from_iterable(keys_of(note)[name] for note in notes))
    if vocabulary == "sdgs":
        return [Bar(t.code, f"SDG {t.code}: {t.name}", counts[str(t.code)])
                for t in taxonomy.sdgs]
    if vocabulary:
        return [Bar(t.code, t.name, counts[t.code]) for t in taxonomy.vocabulary(vocabulary)]
    if name == "status":
        return [Bar(s, s.replace("-", " ").capitalize(), counts[s]) for s in STATUSES]
    return [Bar(key, key, counts[key]) for key in sorted(counts)]


def _step_kind(step: StepFacts) -> str | None:
    if step.state == "submitted":
        return "submitted"
    if step.before == "submitted" and step.state == "published":
        return "published"
    if step.before == "submitted" and step.state == "draft":
        return "returned"
    return None


def _activity(steps: list[StepFacts]) -> tuple[list[ActivityRow], list[float]]:
    rows: dict[tuple[str, str], ActivityRow] = {}
    submitted_at: dict[str, str] = {}
    turnaround = []
    for step in steps:
        kind = _step_kind(step)
        if kind is None:
            continue
        key = (step.division, step.at[:7])
        row = rows.setdefault(key, ActivityRow(*key))
        setattr(row, kind, getattr(row, kind) + 1)
        if kind == "submitted":
            submitted_at[step.case_id] = step.at
        elif kind == "published" and step.case_id in submitted_at:
            days = _days_between(submitted_at.pop(step.case_id), step.at)
            turnaround.append(days)
    return sorted(rows.values(), key=lambda r: (r.month, r.division)), turnaround


def _days_between(start: str, end: str) -> float:
    delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    return round(delta.total_seconds() / 86400, 2)


def _year(values: list[str], name: str, problems: list[Problem]) -> int | None:
    raw = next((v.strip() for v in values if v.strip()), "")
    if not raw:
        return None
    if not YEAR_DIGITS.fullmatch(raw) or not YEAR_RANGE[0] <= int(raw) <= YEAR_RANGE[1]:
        problems.append(Problem("query", name, f"expected a year between {YEAR_RANGE[0]} and "
                                f"{YEAR_RANGE[1]}; found {raw[:20]!r}"))
        return None
    return int(raw)
