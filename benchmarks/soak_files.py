"""Files the soak run uploads: valid notes as Markdown and CSV, and two hostile files, a YAML
alias bomb in a Markdown file's front matter and a workbook whose sheet inflates enormously."""

from __future__ import annotations

import csv
import io
import random
import zipfile

from openpyxl import Workbook


def alias_bomb_markdown(levels: int = 8, width: int = 9) -> bytes:
    """A few hundred bytes of front matter whose anchors, followed, make ``width ** levels``
    nodes (8 levels of 9: 43 million)."""
    names = "abcdefghijklmnop"[:levels]
    lines = ["---", f"{names[0]}: &{names[0]} [{', '.join(['lol'] * width)}]"]
    for previous, name in zip(names, names[1:], strict=False):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * width)}]")
    lines += ["id: alias-bomb", "title: An alias bomb", "division: trade", "status: active",
              "---", "Body."]
    return ("\n".join(lines) + "\n").encode()


def zip_bomb_xlsx(megabytes: int = 300) -> bytes:
    """A valid workbook whose first sheet's XML inflates to about ``megabytes`` MB: one cell
    holding that much text, compressed to a few hundred KB."""
    book = Workbook()
    book.active.append(["id", "title"])
    book.active.append(["zip-bomb", "placeholder"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    chunk = b"A" * (1024 * 1024)
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                target.writestr(item, source.read(item.filename))
                continue
            with target.open(item.filename, "w", force_zip64=True) as sheet:
                sheet.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                            b'<worksheet xmlns="http://schemas.openxmlformats.org/'
                            b'spreadsheetml/2006/main"><sheetData>'
                            b'<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c>'
                            b'<c r="B1" t="inlineStr"><is><t>title</t></is></c></row>'
                            b'<row r="2"><c r="A2" t="inlineStr"><is><t>zip-bomb</t></is></c>'
                            b'<c r="B2" t="inlineStr"><is><t>')
                for _ in range(megabytes):
                    sheet.write(chunk)
                sheet.write(b"</t></is></c></row></sheetData></worksheet>")
    return out.getvalue()


def note_markdown(author: str, division: str, rng: random.Random) -> bytes:
    """One valid corpus file with a fresh id."""
    note_id = f"soak-{author}-{rng.getrandbits(48):x}"
    return (
        f"---\nid: {note_id}\ntitle: Uploaded soak note {note_id}\ndivision: {division}\n"
        "partners:\n  - name: Soak Upload Ltd\n    type: business\n"
        "partnership_types: [joint-project]\nnexus_areas: [smart-cities]\nsdgs: [11]\n"
        "start_year: 2022\nstatus: active\nvisibility: internal\n---\n"
        f"## Context\n\nAn uploaded note about urban data, {note_id}.\n\n"
        "## What was done\n\nThe city and the company shared anonymised trip counts every "
        "month, and the statistics office checked them against its own surveys.\n\n"
        "## Results\n\nThe counts now feed the city's annual mobility report.\n"
    ).encode()


def notes_csv(author: str, division: str, rng: random.Random, rows: int = 3) -> bytes:
    """A sheet of valid notes, one per row, in the layout of ``kmsearch export --format csv``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "title", "division", "partners", "sdgs", "start_year", "status",
                     "visibility", "body"])
    for _ in range(rows):
        note_id = f"soak-{author}-{rng.getrandbits(48):x}"
        writer.writerow([note_id, f"Sheet soak note {note_id}", division,
                         "Soak Sheet Co (business)", "8; 9", "2023", "active", "public",
                         f"A row uploaded in the soak run, {note_id}. The company shared "
                         "its freight volumes each quarter, and the division compared them "
                         "with customs data to find where border waiting times grew."])
    return out.getvalue().encode()
