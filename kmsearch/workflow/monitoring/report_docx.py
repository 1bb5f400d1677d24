"""The partnerships report as a Word document (python-docx): a cover with title, period and
date, real headings, tables, and page numbers in the footer (a PAGE field Word fills in)."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from .report import ReportData

ACCENT = RGBColor(0x0A, 0x3A, 0x80)
OVERDUE = RGBColor(0x8A, 0x15, 0x0B)


def render_docx(data: ReportData) -> bytes:
    """The report as DOCX bytes."""
    document = Document()
    _page_setup(document)
    _cover(document, data)
    document.add_heading("Summary", level=1)
    _table(document, ["Figure", "Value"], data.summary_rows())
    document.add_paragraph()
    _table(document, ["Division (subprogramme)", "Partnerships", "Good practices", "SDG 5",
                      "Cross-sectoral"], [tuple(map(str, row)) for row in data.division_rows()])
    for section in data.divisions:
        count = len(section.partnerships)
        heading = document.add_heading(
            f"{section.name} ({count} {'partnership' if count == 1 else 'partnerships'})", 1)
        heading.paragraph_format.page_break_before = True
        good = sum(p.good_practice for p in section.partnerships)
        document.add_paragraph(
            f"{count} {'partnership' if count == 1 else 'partnerships'} with the private "
            f"sector in {data.period}, of which {good} flagged good practice.")
        _table(document, ["Partnership", "Partners", "Types", "Status", "Nexus areas", "SDGs"], [
            (p.title + (f" ({p.years})" if p.years else "") +
             (" \u2013 good practice" if p.good_practice else ""),
             p.partners, p.types, p.status, p.nexus, p.sdgs)
            for p in section.partnerships])
        document.add_heading("Good practices and lessons", level=2)
        items = [("Good practice", t, x) for t, x in section.good_practices] + \
                [("Lesson", t, x) for t, x in section.lessons]
        for kind, title, text in items:
            paragraph = document.add_paragraph(style="List Bullet")
            paragraph.add_run(f"{kind} ").bold = True
            paragraph.add_run(f"({title}): {text}")
        if not items:
            document.add_paragraph("None recorded.")
        document.add_heading("SDG 5 engagement", level=2)
        document.add_paragraph(_listing(section.sdg5))
        document.add_heading("Cross-sectoral work", level=2)
        document.add_paragraph(_listing(section.cross_sectoral))
    _annex(document, data)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _page_setup(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2))
    section.different_first_page_header_footer = True  # no page number on the cover
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer.add_run("Partnerships report \u2013 page ")
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Calibri", Pt(10.5)


def _cover(document, data: ReportData) -> None:
    for _ in range(6):
        document.add_paragraph()
    kicker = document.add_paragraph("UNECE \u00b7 Programme Management Unit")
    kicker.runs[0].font.color.rgb = ACCENT
    document.add_heading(data.title, level=0)
    period = document.add_paragraph()
    period.add_run("Period: ").bold = True
    period.add_run(data.period)
    scope = document.add_paragraph()
    scope.add_run("Scope: ").bold = True
    scope.add_run(data.scope)
    produced = document.add_paragraph()
    produced.add_run("Date: ").bold = True
    produced.add_run(data.generated.strftime("%-d %B %Y"))
    note = document.add_paragraph(
        f"Report to the Executive Committee on partnerships at subprogramme/division level "
        f"(recommendations 4, 6 and 8 of the 2021 evaluation). Prepared for "
        f"{data.prepared_for}: it counts the published case notes of the partnerships library "
        f"that {data.prepared_for} may see.")
    note.runs[0].italic = True
    note.add_run().add_break(WD_BREAK.PAGE)


def _annex(document, data: ReportData) -> None:
    heading = document.add_heading("Annex: follow-up of the evaluation's recommendations", 1)
    heading.paragraph_format.page_break_before = True
    document.add_paragraph(
        f"Status as of {data.generated.strftime('%-d %B %Y')}. An action is overdue when its "
        "due date has passed and it is neither completed nor no longer applicable.")
    table = _table(document, ["Rec.", "Status", "Key action", "Responsible", "Due",
                              "Action status", "Latest update"], [
        (line.recommendation, line.status, line.action, line.responsible, line.due,
         line.action_status + (" (OVERDUE)" if line.overdue else ""), line.latest)
        for line in data.annex])
    for row, line in zip(table.rows[1:], data.annex, strict=True):
        if line.overdue:
            for run in row.cells[5].paragraphs[0].runs:
                run.font.color.rgb, run.bold = OVERDUE, True


def _table(document, header: list[str], rows: list[tuple[str, ...]]):
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Light Grid Accent 1"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    _repeat_header(table.rows[0])
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = str(text)
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(9)
    return table


def _repeat_header(row) -> None:
    properties = row._tr.get_or_add_trPr()
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    properties.append(marker)


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice compute when they lay out."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    shown = OxmlElement("w:t")
    shown.text = "1"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, text, separate, shown, end):
        run._r.append(element)


def _listing(titles: list[str]) -> str:
    return f"{len(titles)}: {'; '.join(titles)}." if titles else "None in the period."
