"""The partnerships report as a spreadsheet (openpyxl): summary, divisions, partnerships, good
practices and lessons, and the follow-up annex, one sheet each, with frozen header rows."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from .report import ReportData


def render_xlsx(data: ReportData) -> bytes:
    """The report as XLSX bytes."""
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    summary.append([data.title])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append(["Period", data.period])
    summary.append(["Scope", data.scope])
    summary.append(["Date", data.generated.isoformat()])
    summary.append([])
    for row in data.summary_rows():
        summary.append(list(row))
    _sheet(book, "Divisions", ["Division", "Partnerships", "Good practices", "SDG 5",
                               "Cross-sectoral"], [list(r) for r in data.division_rows()])
    _sheet(book, "Partnerships", ["Division", "Partnership", "Years", "Partners", "Types",
                                  "Status", "Nexus areas", "SDGs", "Good practice"], [
        [s.name, p.title, p.years, p.partners, p.types, p.status, p.nexus, p.sdgs,
         "yes" if p.good_practice else ""]
        for s in data.divisions for p in s.partnerships])
    _sheet(book, "Good practices and lessons", ["Division", "Kind", "Partnership", "Text"], [
        [s.name, kind, title, text]
        for s in data.divisions
        for kind, items in (("good practice", s.good_practices), ("lesson", s.lessons))
        for title, text in items])
    _sheet(book, "Follow-up", ["Recommendation", "Status", "Key action", "Responsible", "Due",
                               "Action status", "Overdue", "Latest update"], [
        [a.recommendation, a.status, a.action, a.responsible, a.due, a.action_status,
         "overdue" if a.overdue else "", a.latest] for a in data.annex])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list]) -> None:
    sheet = book.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    for column, name in zip(sheet.columns, header, strict=False):
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(12, len(name) + 4))
