"""The contribution form as data: read a posted form into the validator's field mapping, apply
the no-JavaScript row buttons, and find the input each validation problem belongs to."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from ..errors import Problem

TEXT_FIELDS = ("id", "title", "summary", "division", "start_year", "end_year", "status",
               "visibility", "risk_level")
LIST_FIELDS = ("partnership_types", "nexus_areas", "sdgs", "recommendations")
ROWS = {"partners": ("name", "type"), "lessons": ("kind", "text")}
ACCEPT = {"accept_nexus": "nexus_areas", "accept_sdg": "sdgs",
          "accept_recommendation": "recommendations"}
ROW_KEY = re.compile(r"(partners|lessons)-(\d+)-(\w+)")
MAX_ROWS = 50


@dataclass
class NoteForm:
    """What the form holds: the note's fields and body, and the bookkeeping around them."""

    fields: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    draft_id: int | None = None
    expected_revision: int | None = None
    comment: str = ""
    action: str = "save"  # save, submit, preview, or edit (a row button, an Accept, Suggest)

    def value(self, name: str) -> str:
        value = self.fields.get(name)
        return "" if value is None else str(value)

    def values(self, name: str) -> list[str]:
        return [str(item) for item in self.fields.get(name) or []]

    def rows(self, name: str) -> list[dict[str, str]]:
        return [{key: "" if row.get(key) is None else str(row.get(key)) for key in ROWS[name]}
                for row in self.fields.get(name) or []]

    @property
    def checked_good_practice(self) -> bool:
        return str(self.fields.get("good_practice", "")).strip().casefold() in ("true", "1", "on")


def read_form(form: MultiDict) -> NoteForm:
    """The posted form, rows in the order shown (blank rows kept), and the button pressed."""
    fields: dict[str, Any] = {name: form.get(name, "").strip() for name in TEXT_FIELDS}
    if not fields["id"]:
        del fields["id"]
    fields["good_practice"] = "true" if form.get("good_practice") else ""
    for name in LIST_FIELDS:
        fields[name] = [value for value in form.getlist(name) if value.strip()]
    for name, keys in ROWS.items():
        fields[name] = _rows(form, name, keys)
    note_form = NoteForm(
        fields=fields,
        body=form.get("body", "").replace("\r\n", "\n"),
        draft_id=_number(form.get("draft_id")),
        expected_revision=_number(form.get("expected_revision")),
        comment=" ".join(form.get("comment", "").split()),
        action=form.get("action", "save") if form.get("action") in ("save", "submit", "preview")
        else "save",
    )
    if _apply_buttons(note_form, form) or form.get("action") == "suggest":
        note_form.action = "edit"
    return note_form


def without_blank_rows(note_form: NoteForm) -> dict[str, Any]:
    """The fields to validate and keep: partner and lesson rows left wholly empty dropped."""
    fields = dict(note_form.fields)
    for name in ROWS:
        fields[name] = [row for row in fields.get(name) or [] if any(v for v in row.values())]
    return fields


def input_id(problem_field: str) -> str:
    """The id of the input (or group of checkboxes) a problem's field path points at:
    ``partners[2].type`` is ``partners-2-type``, ``sdgs[3]`` is the SDG group ``sdgs``."""
    match = re.fullmatch(r"(\w+)\[(\d+)\](?:\.(\w+))?", problem_field)
    if not match:
        return problem_field if problem_field else "form"
    name, index, key = match.groups()
    if name in LIST_FIELDS:
        return name
    if name in ROWS:
        return f"{name}-{index}-{key or ROWS[name][-1]}"
    return name


def errors_by_input(problems: list[Problem]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(input_id(problem.field), []).append(problem.message)
    return errors


def _rows(form: MultiDict, name: str, keys: tuple[str, ...]) -> list[dict[str, str]]:
    found: dict[int, dict[str, str]] = {}
    for key, value in form.items(multi=True):
        match = ROW_KEY.fullmatch(key)
        if match and match.group(1) == name and match.group(3) in keys:
            index = int(match.group(2))
            if index <= MAX_ROWS:
                found.setdefault(index, dict.fromkeys(keys, ""))[match.group(3)] = value.strip()
    return [found[index] for index in sorted(found)]


def _apply_buttons(note_form: NoteForm, form: MultiDict) -> bool:
    """Add or remove a partner or lesson row, or tick a suggested link; True if one was."""
    fields = note_form.fields
    for name, keys in ROWS.items():
        singular = name[:-1]
        if form.get(f"add_{singular}") is not None and len(fields[name]) < MAX_ROWS:
            fields[name].append(dict.fromkeys(keys, ""))
            return True
        position = _number(form.get(f"remove_{singular}"))
        if position is not None:
            if 1 <= position <= len(fields[name]):
                del fields[name][position - 1]
            return True
    for button, name in ACCEPT.items():
        value = form.get(button, "").strip()
        if value:
            if value not in fields[name]:
                fields[name].append(value)
            return True
    return False


def _number(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdecimal() and len(value) < 10 else None


LABELS = {
    "id": "Id", "title": "Title", "summary": "Summary", "division": "Division",
    "partners": "Partners", "partnership_types": "Partnership types",
    "nexus_areas": "Nexus areas", "sdgs": "SDGs", "recommendations": "Recommendations",
    "start_year": "Start year", "end_year": "End year", "status": "Status",
    "good_practice": "Good practice", "visibility": "Visibility", "risk_level": "Risk level",
    "lessons": "Lessons", "body": "The story, in Markdown", "comment": "Comment", "form": "Form",
}


def field_label(problem_field: str) -> str:
    """A problem's field as the form names it: ``partners[2].type`` is "Partner 2 type"."""
    match = re.fullmatch(r"(\w+)\[(\d+)\](?:\.(\w+))?", problem_field)
    if not match:
        return LABELS.get(problem_field or "form", problem_field)
    name, index, key = match.groups()
    if name in ROWS:
        return f"{LABELS[name][:-1]} {index}" + (f" {key}" if key else "")
    return f"{LABELS.get(name, name)} (item {index})"
