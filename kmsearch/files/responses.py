"""Parse UN management-response documents into evaluations and their recommendations."""

from __future__ import annotations

import calendar
import contextlib
import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Problem, ValidationError
from ..records import Evaluation, Recommendation
from .safeyaml import load_yaml

DATE_EXAMPLES = "'31 December 2023', 'December 2023', '31/12/2023', '2023-12-31' or '2023'"

# Page footers and page numbers that PDF-to-text conversion leaves between and inside sections.
_FOOTER_LINE = re.compile(
    r"management\s+response\s*,.*|(?:page\s+)?\d{1,3}(?:\s*(?:of|/)\s*\d{1,3})?|-\s*\d{1,3}\s*-",
    re.I,
)
_FOOTER_INLINE = re.compile(r"\s*management\s+response,\s*evaluation,\s*pmu,\s*unece\s*", re.I)
_SENTENCE_END = tuple(".!?:;")
_HYPHEN_END = re.compile(r"[^\W\d]-$")

_HEADING = re.compile(
    r"recommendations?\s*(?:no\.?|#)?\s*(\d{1,6})\s*(?:$|[:.)\u2013-]\s*(.*))", re.I
)
_LABEL_WORDS = {
    "response": r"management\s+response",
    "actions": r"follow[\s-]*up\s+actions?(?:\s+and\s+responsibilit(?:y|ies))?",
    "responsibility": r"responsibilit(?:y|ies)|responsible(?:\s+(?:unit|entity|office))?",
    "timeline": r"time[\s-]*lines?|deadline|target\s+date",
}
_LABELS = {
    key: re.compile(rf"(?:{w})[ ]*(?:[:\t]\s*(.*)|$)", re.I) for key, w in _LABEL_WORDS.items()
}
_EXAMPLES = {
    "response": "Management Response: UNECE accepts the recommendation.",
    "actions": "Follow up actions and responsibilities:",
    "responsibility": "Responsibility: Deputy-Executive Secretary",
    "timeline": "Timeline: 31 December 2023",
    "title": "Evaluation Title: <title>",
    "period": "Period of Review: 2017-2021",
}

_HEADER = {
    key: re.compile(rf"(?:{words})[ ]*[:\t](.*)", re.I)
    for key, words in {
        "title": r"(?:evaluation\s+)?title(?:\s+of\s+(?:the\s+)?evaluation)?",
        "period": r"period(?:\s+(?:of|under)\s+review)?|review\s+period",
        "date": r"date\s+of\s+(?:the\s+)?evaluation(?:\s+report)?|evaluation\s+date",
    }.items()
}
_METADATA = {
    "id": "a slug such as 'private-sector-2021'",
    "default": "true or false",
    "date": "a date such as 2021-09-27",
    "source": "the name of a text file in the same folder",
}

_REJECTS = re.compile(r"(?:not|n't)\s+accept|\breject")
_ACCEPTS = re.compile(r"\baccept")
_PARTLY = re.compile(r"\b(?:partially|partly|in\s+part)\b")
_WORDINGS = "'UNECE accepts / partially accepts / does not accept / rejects the recommendation.'"

_MONTHS = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): n for n, name in enumerate(calendar.month_abbr) if name} | {"sept": 9}
_DATE_PREFIX = re.compile(r"^(?:(?:by|before|until)\s+)?(?:the\s+)?(?:(?:end|close)\s+(?:of\s+)?)?")
_ORDINAL = re.compile(r"(\d)(?:st|nd|rd|th)\b")

Lines = list[tuple[int, str | None]]


@dataclass
class _Field:
    line: int
    lines: list[str | None] = field(default_factory=list)


@dataclass
class _Section:
    number: int
    line: int
    fields: dict[str, _Field] = field(default_factory=dict)
    repeated: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class _Report:
    """Collects problems; soft ones (a missing timeline) become warnings when not strict."""

    source: str
    strict: bool = True
    warnings: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def add(self, where: str, message: str, line: int | None = None, soft: bool = False) -> None:
        target = self.warnings if soft and not self.strict else self.problems
        target.append(Problem(self.source, where, message, line))


def is_footer(line: str) -> bool:
    """A page footer or page number line, as the parser drops it."""
    cleaned = _FOOTER_INLINE.sub(" ", line).strip()
    return not cleaned or bool(_FOOTER_LINE.fullmatch(cleaned))


def parse_date(text: str) -> datetime.date:
    """Read a timeline or report date, day first; a month or year alone means its last day."""
    value = _DATE_PREFIX.sub("", " ".join(text.lower().split()).strip(" .,"))
    value = _ORDINAL.sub(r"\1", value)
    reason = ""
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value):
            return datetime.date(int(m[1]), int(m[2]), int(m[3]))
        if m := re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", value):
            return datetime.date(int(m[3]), int(m[2]), int(m[1]))
        if m := re.fullmatch(r"(\d{1,2}) ([a-z]+)\.?,? (\d{4})", value):
            return datetime.date(int(m[3]), _MONTHS[m[2]], int(m[1]))
        if m := re.fullmatch(r"([a-z]+)\.? (\d{1,2}),? (\d{4})", value):
            return datetime.date(int(m[3]), _MONTHS[m[1]], int(m[2]))
        if m := re.fullmatch(r"([a-z]+)\.?,? (\d{4})", value):
            return _last_day(int(m[2]), _MONTHS[m[1]])
        if re.fullmatch(r"\d{4}", value):
            return datetime.date(int(value), 12, 31)
    except KeyError as error:
        reason = f" (unknown month {error})"
    except ValueError as error:
        reason = f" ({error})"
    raise ValueError(f"could not read {text.strip()!r} as a date{reason}; expected {DATE_EXAMPLES}")


def _last_day(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def parse_management_response(
    text: str,
    *,
    evaluation_id: str,
    title: str | None = None,
    period: str | None = None,
    date: datetime.date | None = None,
    source: str = "<text>",
    strict: bool = True,
    warnings: list[Problem] | None = None,
) -> Evaluation:
    """Parse one management response; raise ``ValidationError`` listing every problem found.

    With ``strict=False`` a missing Responsibility or Timeline leaves the field empty and its
    problem is appended to ``warnings`` (when a list is given) instead of being raised.
    """
    report = _Report(source, strict, warnings if warnings is not None else [])
    header, sections = _split(_clean_lines(text))
    found = _read_header(header)
    for key, given in (("title", title), ("period", period)):
        if given is None and key not in found:
            report.add(key, f"not in the header; expected e.g. '{_EXAMPLES[key]}' or pass {key}=")
    if date is None and "date" in found:
        try:
            date = parse_date(found["date"][1])
        except ValueError as error:
            report.add("date", str(error), found["date"][0])
    if not sections:
        message = "no 'Recommendation 1:' heading found; expected one section per recommendation"
        report.add("recommendations", message)
    recommendations = _recommendations(sections, evaluation_id, report)
    if report.problems:
        raise ValidationError(report.problems)
    return Evaluation(
        id=evaluation_id,
        title=title if title is not None else found["title"][1],
        period=period if period is not None else found["period"][1],
        date=date,
        recommendations=recommendations,
    )


def _clean_lines(text: str) -> Lines:
    """Number the lines; each page footer, with the blank lines around it, becomes one ``None``."""
    lines: Lines = []
    raw_lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw in enumerate(raw_lines, start=1):
        cleaned = _FOOTER_INLINE.sub(" ", raw).rstrip()
        if (raw.strip() and not cleaned.strip()) or _FOOTER_LINE.fullmatch(cleaned.strip()):
            while lines and lines[-1][1] == "":
                lines.pop()
            if not lines or lines[-1][1] is not None:
                lines.append((number, None))
        elif cleaned.strip() or (lines and lines[-1][1] is not None):
            lines.append((number, cleaned if cleaned.strip() else ""))
    return lines


def _split(lines: Lines) -> tuple[list[tuple[int, str]], list[_Section]]:
    """Cut the document into its header and one section per recommendation heading."""
    header: list[tuple[int, str]] = []
    sections: list[_Section] = []
    current: _Field | None = None
    for number, raw in lines:
        text = raw.strip() if raw is not None else ""
        if heading := _HEADING.match(text):
            sections.append(_Section(int(heading[1]), number))
            current = sections[-1].fields["text"] = _Field(number, [heading[2] or ""])
        elif current is None:
            if raw is not None:
                header.append((number, raw))
        elif label := next((k for k, p in _LABELS.items() if p.match(text)), None):
            current = _Field(number, [_LABELS[label].match(text)[1] or ""])
            if label in sections[-1].fields:
                sections[-1].repeated.append((label, number))
            else:
                sections[-1].fields[label] = current
        else:
            current.lines.append(raw)
    return header, sections


def _read_header(lines: list[tuple[int, str]]) -> dict[str, tuple[int, str]]:
    """Find title, period and date in the header table, whose cells are separated by tabs."""
    found: dict[str, tuple[int, str]] = {}
    for number, raw in lines:
        for key, pattern in _HEADER.items():
            if key not in found and (m := pattern.match(raw.strip())):
                value = next((" ".join(c.split()) for c in m[1].split("\t") if c.strip()), "")
                if key == "period":
                    value = re.sub(r"\s*[-\u2013]\s*", "-", value)
                if value:
                    found[key] = (number, value)
    return found


def _paragraphs(lines: list[str | None]) -> list[str]:
    """Join wrapped lines with single spaces; a page break ends a paragraph only after a stop."""
    paragraphs: list[str] = []
    current = ""
    for raw in lines:
        if raw is None and current and not current.endswith(_SENTENCE_END):
            continue
        text = " ".join(raw.split()) if raw is not None else ""
        if text:
            # A line broken at the hyphen of a compound ("Deputy-" / "Executive") joins tightly.
            glue = "" if not current or _HYPHEN_END.search(current) else " "
            current += glue + text
        elif current:
            paragraphs.append(current)
            current = ""
    return paragraphs + [current] if current else paragraphs


def _recommendations(
    sections: list[_Section], evaluation_id: str, report: _Report
) -> list[Recommendation]:
    """Build one record per section, sorted by number; a repeated number is a problem."""
    first: dict[int, int] = {}
    for section in sections:
        if section.number in first:
            message = f"appears twice (first at line {first[section.number]}); expected once"
            report.add(f"recommendation {section.number}.number", message, section.line)
        first.setdefault(section.number, section.line)
    records = [
        _recommendation(section, evaluation_id, report)
        for section in sections
        if first[section.number] == section.line
    ]
    return sorted(records, key=lambda record: record.number)


def _recommendation(section: _Section, evaluation_id: str, report: _Report) -> Recommendation:
    """Build one record, reporting what is missing or unreadable in its section."""
    where, fields = f"recommendation {section.number}", section.fields
    values = {key: "\n\n".join(_paragraphs(f.lines)) for key, f in fields.items()}
    for key, line in section.repeated:
        report.add(f"{where}.{key}", f"a second {_name(key)} line; expected one", line)
    if not values["text"]:
        message = "no text after the heading; expected the recommendation"
        report.add(f"{where}.text", message, section.line)
    response = _classify(values.get("response", ""))
    if not response:
        found = f"found {values['response'][:80]!r}" if values.get("response") else "found none"
        line = fields["response"].line if "response" in fields else section.line
        report.add(f"{where}.response", f"expected e.g. {_WORDINGS}; {found}", line)
    for key in ("responsibility", "timeline"):
        if not values.get(key) and response != "rejected":
            name = _name(key)
            found = f"the {name} line is empty" if key in fields else f"no {name} line found"
            line = fields[key].line if key in fields else section.line
            message = f"{found}; expected e.g. '{_EXAMPLES[key]}'"
            report.add(f"{where}.{key}", message, line, soft=True)
    timeline = None
    if values.get("timeline"):
        try:
            timeline = parse_date(values["timeline"].split("\n\n")[0])
        except ValueError as error:
            report.add(f"{where}.timeline", str(error), fields["timeline"].line)
    return Recommendation(
        evaluation_id=evaluation_id,
        number=section.number,
        text=values["text"],
        response=response,
        response_text=values.get("response", ""),
        actions=values.get("actions", ""),
        responsibility=values.get("responsibility", ""),
        timeline=timeline,
    )


def _name(key: str) -> str:
    return _EXAMPLES[key].split(":")[0]


def _classify(statement: str) -> str:
    """Map the first sentence of a response to accepted, partially-accepted or rejected."""
    first = re.split(r"(?<=[.!?])\s", statement.lower(), maxsplit=1)[0]
    if _REJECTS.search(first):
        return "rejected"
    if _ACCEPTS.search(first):
        return "partially-accepted" if _PARTLY.search(first) else "accepted"
    return ""


def load_evaluations(directory: Path) -> list[Evaluation]:
    """Parse the management response beside each ``*.yaml`` metadata file; metadata wins."""
    if not Path(directory).is_dir():
        message = "folder not found; expected a folder of <id>.yaml and <id>.txt files"
        raise ValidationError([Problem(str(directory), "", message)])
    problems: list[Problem] = []
    loaded: dict[str, tuple[str, Evaluation]] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            meta = _read_metadata(path)
            text_path = path.parent / meta["source"]
            evaluation = parse_management_response(
                _read_text(text_path),
                evaluation_id=meta["id"],
                title=meta["title"],
                period=meta["period"],
                date=meta["date"],
                source=text_path.name,
            )
        except ValidationError as error:
            problems.extend(error.problems)
            continue
        evaluation.default = meta["default"]
        if evaluation.id in loaded:
            message = f"id {evaluation.id!r} is already used by {loaded[evaluation.id][0]}"
            problems.append(Problem(path.name, "id", f"{message}; expected unique ids"))
        loaded.setdefault(evaluation.id, (path.name, evaluation))
    if problems:
        raise ValidationError(problems)
    return [evaluation for _, evaluation in loaded.values()]


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        message = f"not UTF-8 text ({error.reason} at byte {error.start}); save it as UTF-8"
        raise ValidationError([Problem(path.name, "", message)]) from error


def _read_metadata(path: Path) -> dict[str, Any]:
    """Load one metadata file and check its id, title, period, date, default and source."""
    meta, _ = load_yaml(_read_text(path), path.name, what="evaluation metadata")
    if not isinstance(meta, dict):
        message = f"expected a mapping of id, title, period, date; found {type(meta).__name__}"
        raise ValidationError([Problem(path.name, "", message)])
    meta = {"title": None, "period": None, "date": None, "default": False, **meta}
    meta.setdefault("source", f"{path.stem}.txt")
    with contextlib.suppress(ValueError):
        meta["date"] = parse_date(meta["date"]) if isinstance(meta["date"], str) else meta["date"]
    checks = {
        "id": isinstance(meta.get("id"), str) and bool(meta["id"].strip()),
        "default": isinstance(meta["default"], bool),
        "date": isinstance(meta["date"], datetime.date | None),
        "source": isinstance(meta["source"], str) and (path.parent / meta["source"]).is_file(),
    }
    if problems := [
        Problem(path.name, key, f"expected {_METADATA[key]}; found {meta.get(key)!r}")
        for key, ok in checks.items()
        if not ok
    ]:
        raise ValidationError(problems)
    for key in ("title", "period"):
        meta[key] = None if meta[key] is None else str(meta[key])
    return meta
