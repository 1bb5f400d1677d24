"""The periodic partnerships report by subprogramme: its content, built from the dashboard's
figures for one viewer, and its Markdown and HTML renderings (DOCX and XLSX in their modules)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, select_autoescape

from ...access import Viewer
from ...resources import templates_dir
from ...store.facts import NoteFacts, lessons_of
from ...taxonomy import Taxonomy
from .figures import Figures, FollowUpRow

if TYPE_CHECKING:
    from ...store.cases import Store

TITLE = "Partnerships with the private sector by subprogramme"
FORMATS = ("docx", "html", "md", "xlsx")


@dataclass
class Partnership:
    """One note as a report row, every code already turned into its name."""

    id: str
    title: str
    partners: str
    types: str
    status: str
    nexus: str
    sdgs: str
    years: str
    good_practice: bool


@dataclass
class DivisionSection:
    code: str
    name: str
    partnerships: list[Partnership]
    good_practices: list[tuple[str, str]] = field(default_factory=list)  # (note title, text)
    lessons: list[tuple[str, str]] = field(default_factory=list)
    sdg5: list[str] = field(default_factory=list)  # note titles
    cross_sectoral: list[str] = field(default_factory=list)


@dataclass
class ActionLine:
    recommendation: str
    status: str
    action: str
    responsible: str
    due: str
    action_status: str
    overdue: bool
    latest: str


@dataclass
class ReportData:
    title: str
    period: str
    scope: str
    generated: date
    prepared_for: str
    figures: Figures
    divisions: list[DivisionSection]
    annex: list[ActionLine]

    def summary_rows(self) -> list[tuple[str, str]]:
        f = self.figures
        return [
            ("Partnerships (case notes)", str(f.notes)),
            ("Flagged good practice", f"{f.good_practice} ({f.good_practice_share:.0%})"),
            ("Cross-sectoral (more than one nexus area)", str(f.cross_sectoral)),
            ("Engaging SDG 5 (gender equality)", str(f.sdg5)),
            ("Recommendations implemented", f"{f.recommendation_statuses['implemented']} of "
                                             f"{len(f.followup)}"),
            ("Overdue key actions", f"{f.overdue_actions} in {f.overdue_recommendations} "
                                    "recommendations"),
        ]

    def division_rows(self) -> list[tuple[str, int, int, int, int]]:
        """(division, partnerships, good practices, SDG 5, cross-sectoral) per section."""
        return [(d.name, len(d.partnerships), sum(p.good_practice for p in d.partnerships),
                 len(d.sdg5), len(d.cross_sectoral)) for d in self.divisions]


def build_report(store: Store, taxonomy: Taxonomy, figures: Figures, notes: list[NoteFacts],
                 viewer: Viewer) -> ReportData:
    """The report's content from the figures and the notes they counted (already cut to the
    viewer: nothing this viewer may not see can reach the report)."""
    lessons = lessons_of(store.db, [n.id for n in notes])
    sections = []
    for term in taxonomy.divisions:
        mine = sorted((n for n in notes if n.division == term.code), key=lambda n: n.title)
        if not mine:
            continue
        section = DivisionSection(term.code, term.name,
                                  [_row(n, taxonomy, figures.today.year) for n in mine])
        for note in mine:
            for kind, text in lessons.get(note.id, []):
                if kind == "good-practice":
                    section.good_practices.append((note.title, text))
                elif kind == "lesson":
                    section.lessons.append((note.title, text))
            if 5 in note.sdgs:
                section.sdg5.append(note.title)
            if len(set(note.nexus_areas)) > 1:
                section.cross_sectoral.append(note.title)
        sections.append(section)
    filters = figures.filters
    scope = ", ".join(taxonomy.divisions.name_of(d) for d in filters.divisions) or \
        "all divisions"
    return ReportData(
        title=TITLE, period=filters.period(), scope=scope, generated=figures.today,
        prepared_for=viewer.username or "anonymous", figures=figures, divisions=sections,
        annex=[line for row in figures.followup for line in _annex(row, figures.today)],
    )


def render_report(data: ReportData, fmt: str) -> bytes:
    """The report as a file of format ``fmt``."""
    if fmt == "docx":
        from .report_docx import render_docx

        return render_docx(data)
    if fmt == "xlsx":
        from .report_xlsx import render_xlsx

        return render_xlsx(data)
    if fmt in ("html", "md"):
        template = _environment().get_template(f"partnerships_report.{fmt}")
        return template.render(report=data, chart=_chart).encode("utf-8")
    raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")


def _chart(name: str, data: ReportData):
    from .charts import bar_chart

    return bar_chart(data.figures.charts[name], chart_id=f"chart-{name}",
                     highlight="5" if name == "sdg" else "")


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(templates_dir()),
                       autoescape=select_autoescape(["html"]), trim_blocks=True,
                       lstrip_blocks=True)


def _row(note: NoteFacts, taxonomy: Taxonomy, this_year: int) -> Partnership:
    span = note.years(this_year)
    years = "" if not span else (str(span[0]) if len(span) == 1 else f"{span[0]}\u2013{span[-1]}")
    if note.end_year is None and note.status == "active" and span:
        years = f"since {span[0]}"
    return Partnership(
        id=note.id, title=note.title,
        partners=", ".join(f"{name} ({taxonomy.partner_types.name_of(kind)})"
                           for name, kind in note.partners),
        types=", ".join(taxonomy.partnership_types.name_of(t) for t in note.partnership_types),
        status=note.status.replace("-", " ").capitalize(),
        nexus=", ".join(taxonomy.nexus_areas.name_of(n) for n in note.nexus_areas),
        sdgs=", ".join(str(s) for s in sorted(set(note.sdgs))),
        years=years, good_practice=note.good_practice,
    )


def _annex(row: FollowUpRow, today: date) -> list[ActionLine]:
    rec = row.recommendation
    label = f"{rec.number} ({rec.evaluation_id})"
    if not row.actions:
        return [ActionLine(label, rec.status, "(no key action)", "", "", "", False, "")]
    lines = []
    for action in row.actions:
        latest = action.updates[-1] if action.updates else None
        lines.append(ActionLine(
            recommendation=label, status=rec.status, action=action.text,
            responsible=action.responsible_unit,
            due=action.due_date.isoformat() if action.due_date else "",
            action_status=action.status, overdue=action.overdue(today),
            latest=f"{latest.date.isoformat()}: {latest.text}" if latest else "",
        ))
    return lines
