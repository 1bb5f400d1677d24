"""The one validator of case-note fields, shared by corpus files, web forms and CSV rows."""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from datetime import date
from typing import Any

from markdown_it import MarkdownIt

from ..errors import Problem, ValidationError
from ..records import LESSON_KINDS, RISK_LEVELS, STATUSES, VISIBILITIES, CaseNote, Lesson, Partner
from ..taxonomy import Taxonomy, Vocabulary
from .synonyms import did_you_mean

# The front-matter fields of the corpus format, in the order it documents them.
FIELDS = (
    "id", "title", "summary", "division", "partners", "partnership_types", "nexus_areas", "sdgs",
    "recommendations", "start_year", "end_year", "status", "good_practice", "visibility",
    "risk_level", "lessons",
)
SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
RECOMMENDATION = re.compile(r"([a-z0-9][a-z0-9-]*)/0*([1-9][0-9]*)")
# "5", "SDG 5", or a target such as "14.1" or "17.a", which counts for its goal
SDG_NUMBER = re.compile(r"(?:sdg\s*)?([0-9]+)(?:\.[0-9a-z]{1,2})?", re.IGNORECASE)
FIRST_YEAR, LAST_YEAR = 1945, 2100
SUMMARY_LENGTH = 300  # characters of a summary; a derived one is cut there at a word
TITLE_LENGTH = 250  # characters of a title
TRUE, FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}
_markdown = MarkdownIt("commonmark")


class FieldCheck:
    """Collects the problems of one note, each on the line its field is on when that is known."""

    def __init__(self, source: str):
        self.source = source
        self.lines: dict[str, int] = {}  # "partners[2].type" -> line in the file
        self.comments: dict[str, str] = {}  # field whose value YAML read as a comment -> fix
        self.problems: list[Problem] = []

    def add(self, field: str, message: str, at: str | None = None) -> None:
        fix = self.comments.get(at or field)
        if fix and message.endswith("found nothing"):
            message += f"; YAML reads what follows # as a comment: quote the value, as in  {fix}"
        self.problems.append(Problem(self.source, field, message, self.line_of(at or field)))

    def line_of(self, path: str) -> int | None:
        """The line of a field, or of the nearest enclosing field or list item that has one."""
        while path and path not in self.lines:
            parent = re.sub(r"(\[\d+\]|\.[^.\[\]]+)$", "", path)
            path = "" if parent == path else parent
        return self.lines.get(path)


def note_from_fields(
    data: dict[str, Any],
    body: str,
    *,
    source: str,
    taxonomy: Taxonomy,
    default_evaluation: str,
    known_recommendations: Collection[str] | None = None,
    expected_id: str | None = None,
    check: FieldCheck | None = None,
) -> CaseNote:
    """Validate a mapping of front-matter fields (from a file, a web form, a CSV row) and a body.

    Every problem is reported at once in a ``ValidationError``. ``expected_id`` is the file
    name a file's id must equal; ``check`` carries the field lines and problems of a file.
    """
    if not isinstance(data, dict):
        message = f"expected a mapping of field names to values, found {show(data)}"
        raise ValidationError([Problem(source, "", message)])
    check = check or FieldCheck(source)
    body = re.sub(r"\A(?:[ \t]*\n)+", "", body.replace("\r\n", "\n")).rstrip()
    note_id = _note_id(data.get("id"), check, expected_id)
    title = _text(data.get("title"), "title", check, required="the partnership's title")
    _length(title, "title", TITLE_LENGTH, check, "shorten it; details belong in the summary")
    summary = _text(data.get("summary"), "summary", check)
    _length(summary, "summary", SUMMARY_LENGTH, check,
            "shorten it to one or two sentences, or leave summary empty and the first paragraph "
            f"of the body is used, cut at {SUMMARY_LENGTH} characters")
    summary = summary or derive_summary(body)
    division = _term(data.get("division"), taxonomy.divisions, "division", check, required=True)
    start_year = _year(data.get("start_year"), "start_year", check)
    end_year = _year(data.get("end_year"), "end_year", check)
    if start_year and end_year and end_year < start_year:
        check.add("end_year", f"expected a year from start_year {start_year} on, found {end_year}")
    fields = dict(
        partners=_partners(data.get("partners"), taxonomy, check),
        partnership_types=_terms(data.get("partnership_types"), taxonomy.partnership_types, check),
        nexus_areas=_terms(data.get("nexus_areas"), taxonomy.nexus_areas, check),
        sdgs=_sdgs(data.get("sdgs"), taxonomy, check),
        recommendations=_recommendations(
            data.get("recommendations"), default_evaluation, known_recommendations, check
        ),
        status=_choice(data.get("status"), "status", STATUSES, check, default=None),
        good_practice=_flag(data.get("good_practice"), "good_practice", check),
        visibility=_choice(data.get("visibility"), "visibility", VISIBILITIES, check, "internal"),
        risk_level=_choice(data.get("risk_level"), "risk_level", RISK_LEVELS, check, "low"),
        lessons=_lessons(data.get("lessons"), note_id, check),
        extra={str(k): _json_safe(v) for k, v in data.items() if str(k) not in FIELDS},
    )
    if check.problems:
        raise ValidationError(check.problems)
    return CaseNote(
        id=note_id, title=title, division=division, start_year=start_year, end_year=end_year,
        summary=summary, body=body, **fields,
    )


def show(value: Any) -> str:
    """A value as the message shows it: JSON-like, so strings are quoted and lists bracketed."""
    shown = json.dumps(value, ensure_ascii=False, default=str)
    return shown if len(shown) <= 80 else shown[:79] + "…"


def _absent(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _items(value: Any) -> list[Any]:
    """A list field's items; a single scalar (``sdgs: 5``) is a list of one."""
    if _absent(value):
        return []
    return value if isinstance(value, list) else [value]


def _fold(value: Any) -> str:
    return " ".join(str(value).split())


def _text(value: Any, field: str, check: FieldCheck, required: str = "") -> str:
    if _absent(value) or (isinstance(value, str) and not value.strip()):
        if required:
            check.add(field, f"required: expected {required}, found nothing")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float | date):
        check.add(field, f"expected text, found {show(value)}")
        return ""
    return _fold(value.isoformat() if isinstance(value, date) else value)


def _length(text: str, field: str, limit: int, check: FieldCheck, advice: str) -> None:
    if len(text) > limit:
        check.add(field, f"expected at most {limit} characters, found {len(text):,}; {advice}")


def _note_id(value: Any, check: FieldCheck, expected: str | None) -> str:
    note_id = _text(value, "id", check, required="a slug such as \"cefact-garment-traceability\"")
    if not note_id:
        return ""
    if not SLUG.fullmatch(note_id):
        expected_slug = "expected a slug of lower-case letters, digits and hyphens"
        check.add("id", f"{expected_slug}, found {show(note_id)}")
    elif expected is not None and note_id != expected:
        check.add(
            "id",
            f"expected {show(expected)}, the file name without .md, found {show(note_id)}; "
            "rename the file or change the id",
        )
    return note_id


def _term(
    value: Any, vocabulary: Vocabulary, field: str, check: FieldCheck, *, at: str = "",
    required: bool = False,
) -> str | None:
    """The code of a taxonomy term given by code or display name, in any letter case."""
    expected = f"one of {', '.join(vocabulary.codes())} (code or name)"
    if _absent(value):
        if required:
            check.add(field, f"required: expected {expected}, found nothing", at)
        return None
    term = vocabulary.resolve(value) if isinstance(value, str | int) else None
    if term is None:
        labels = {label: t.code for t in vocabulary for label in (t.code, t.name)}
        close = did_you_mean(value, labels, vocabulary.name) if isinstance(value, str) else None
        hint = f"; did you mean {show(close)}?" if close else ""
        check.add(field, f"expected {expected}, found {show(value)}{hint}", at)
        return None
    return term.code


def _terms(value: Any, vocabulary: Vocabulary, check: FieldCheck) -> list[str]:
    field = vocabulary.name
    codes = [
        _term(item, vocabulary, field, check, at=f"{field}[{index}]")
        for index, item in enumerate(_items(value), 1)
    ]
    return _unique(c for c in codes if c)


def _unique(values: Any) -> list[Any]:
    return list(dict.fromkeys(values))


def _sdgs(value: Any, taxonomy: Taxonomy, check: FieldCheck) -> list[int]:
    numbers = []
    for index, item in enumerate(_items(value), 1):
        at = f"sdgs[{index}]"
        number = item if isinstance(item, int) and not isinstance(item, bool) else None
        if isinstance(item, str) and (match := SDG_NUMBER.fullmatch(item.strip())):
            number = int(match.group(1))
        elif isinstance(item, str) and (term := taxonomy.sdgs.resolve(item)):
            number = int(term.code)
        if number is None:
            check.add("sdgs", f'expected SDG numbers 1-17 (5 or "SDG 5"), found {show(item)}', at)
        elif not 1 <= number <= 17:
            check.add("sdgs", f"expected SDG numbers 1-17, found {number}", at)
        else:
            numbers.append(number)
    return _unique(numbers)


def _recommendations(
    value: Any, default: str, known: Collection[str] | None, check: FieldCheck
) -> list[str]:
    """``N`` stands for recommendation N of the default evaluation; ``evaluation-id/N`` is kept."""
    ids = []
    for index, item in enumerate(_items(value), 1):
        at = f"recommendations[{index}]"
        plain = isinstance(item, str | int) and not isinstance(item, bool)
        text = str(item).strip() if plain else ""
        match = RECOMMENDATION.fullmatch(f"{default}/{text}" if text.isdecimal() else text)
        if not match:
            message = f"expected a number of {default} or \"evaluation-id/N\", found {show(item)}"
            check.add("recommendations", message, at)
            continue
        rid = f"{match.group(1)}/{match.group(2)}"
        if known is not None and rid not in known:
            listed = ", ".join(sorted(known)[:10]) + (", …" if len(known) > 10 else "")
            message = f"expected a known recommendation ({listed or 'none yet'}), found {rid}"
            check.add("recommendations", message, at)
            continue
        ids.append(rid)
    return _unique(ids)


def _year(value: Any, field: str, check: FieldCheck) -> int | None:
    if _absent(value):
        return None
    is_number = isinstance(value, int) and not isinstance(value, bool)
    if is_number or (isinstance(value, str) and re.fullmatch(r"[0-9]+", value.strip())):
        year = int(value)
        if FIRST_YEAR <= year <= LAST_YEAR:
            return year
    check.add(field, f"expected a year {FIRST_YEAR}-{LAST_YEAR}, found {show(value)}")
    return None


def _choice(
    value: Any, field: str, choices: tuple[str, ...], check: FieldCheck, default: str | None
) -> str:
    if _absent(value):
        if default is None:
            check.add(field, f"required: expected one of {', '.join(choices)}, found nothing")
        return default or ""
    folded = "-".join(str(value).casefold().replace("_", " ").split())
    if folded not in choices:
        close = did_you_mean(value, {c: c for c in choices}, field) if isinstance(value, str) \
            else None
        hint = f"; did you mean {show(close)}?" if close else ""
        check.add(field, f"expected one of {', '.join(choices)}, found {show(value)}{hint}")
        return default or ""
    return folded


def _flag(value: Any, field: str, check: FieldCheck) -> bool:
    if _absent(value):
        return False
    if isinstance(value, bool):
        return value
    if str(value).strip().casefold() in TRUE | FALSE:
        return str(value).strip().casefold() in TRUE
    check.add(field, f"expected true or false, found {show(value)}")
    return False


def _mappings(
    value: Any, field: str, keys: tuple[str, str], check: FieldCheck
) -> list[tuple[str, dict]]:
    """The items of a list of mappings with exactly ``keys``, each with its field path."""
    items = []
    for index, item in enumerate(_items(value), 1):
        at = f"{field}[{index}]"
        if not isinstance(item, dict):
            check.add(at, f"expected {keys[0]} and {keys[1]} fields, found {show(item)}")
        elif unknown := [str(k) for k in item if k not in keys]:
            check.add(at, f"expected only {keys[0]} and {keys[1]}, found also {', '.join(unknown)}")
        else:
            items.append((at, item))
    return items


def _partners(value: Any, taxonomy: Taxonomy, check: FieldCheck) -> list[Partner]:
    found = []
    for at, item in _mappings(value, "partners", ("name", "type"), check):
        name = _text(item.get("name"), f"{at}.name", check, required="the partner's name")
        kind = _term(item.get("type"), taxonomy.partner_types, f"{at}.type", check, required=True)
        if name and kind:
            found.append((name, kind))
    return [Partner(name=name, type=kind) for name, kind in _unique(found)]


def _lessons(value: Any, case_id: str, check: FieldCheck) -> list[Lesson]:
    found = []
    for at, item in _mappings(value, "lessons", ("kind", "text"), check):
        kind = _choice(item.get("kind"), f"{at}.kind", LESSON_KINDS, check, default=None)
        text = _text(item.get("text"), f"{at}.text", check, required="one or two sentences")
        if kind and text:
            found.append((kind, text))
    return [
        Lesson(case_id=case_id, position=position, kind=kind, text=text)
        for position, (kind, text) in enumerate(_unique(found), 1)
    ]


def _json_safe(value: Any) -> Any:
    """An extra field's value with dates as ISO strings, so it survives JSON and the store."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def derive_summary(body: str, length: int = SUMMARY_LENGTH) -> str:
    """The first paragraph of the body that is not a heading, as plain text, cut at a word."""
    # The first paragraph is nearly always near the top: parse the top alone first, for speed.
    end = body.find("\n\n", 4 * length)
    for markdown in (body[:end], body) if end > 0 else (body,):
        tokens = _markdown.parse(markdown)
        for token, following in zip(tokens, tokens[1:], strict=False):
            if token.type == "paragraph_open" and following.type == "inline":
                text = _fold(_plain(following.children or []))
                if text:
                    return _cut(text, length)
    return ""


def _plain(children: list) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def _cut(text: str, length: int) -> str:
    if len(text) <= length:
        return text
    head = text[: length + 1].rsplit(" ", 1)[0] if " " in text[:length] else text[:length]
    return head.rstrip(" ,;:.-–—") + "…"
